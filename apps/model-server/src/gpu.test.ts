import { compileFakeNvml } from '@mlscale/gpu-probe/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { setupGpuProbe } from './gpu.js';

const nvml = compileFakeNvml();
afterAll(() => nvml.dispose());
beforeEach(() => nvml.reset());

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        lines.push(JSON.parse(line));
      },
    },
  );
  return { logger, lines };
}

const MISSING = { NVML_LIBRARY_PATH: '/nonexistent/libnvidia-ml.so.1' };

describe('setupGpuProbe', () => {
  it('auto: serves the gpu_* metrics on the registry when NVML is there', async () => {
    nvml.setUtilization(0, 77);
    const registry = new Registry();
    const { logger, lines } = capture();
    const gpu = setupGpuProbe({ mode: 'auto', registry, logger, env: nvml.env });
    try {
      const text = await registry.metrics();
      expect(text).toContain(
        'gpu_utilization_percent{gpu="0",uuid="GPU-00000000-0000-0000-0000-000000000000"} 77\n',
      );
      expect(text).toContain('\ngpu_probe_up 1\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 30,
        msg: 'GPU metrics on',
        library: nvml.libraryPath,
        gpus: [{ gpu: '0', name: 'Fake NVIDIA GPU 0', mig: false }],
      });
    } finally {
      gpu.close();
    }
    expect(nvml.initRefs).toBe(0);
  });

  it('auto: logs once at info why it is off when there is no NVML, and exports nothing', async () => {
    const registry = new Registry();
    const { logger, lines } = capture();
    const gpu = setupGpuProbe({ mode: 'auto', registry, logger, env: MISSING });
    gpu.close();
    expect(await registry.metrics()).toBe('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: expect.stringMatching(/^GPU metrics off: no NVML library/),
    });
    expect(lines[0]?.reason).toContain('/nonexistent/libnvidia-ml.so.1 (NVML_LIBRARY_PATH)');
  });

  it('auto: warns when NVML is there but fails to initialise', () => {
    nvml.failInit();
    const { logger, lines } = capture();
    setupGpuProbe({ mode: 'auto', registry: new Registry(), logger, env: nvml.env });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'GPU metrics off: NVML is installed but did not answer',
        reason: 'nvmlInit_v2 failed: Driver Not Loaded (NVML_ERROR_DRIVER_NOT_LOADED, 9)',
      }),
    ]);
    expect(nvml.initRefs).toBe(0);
  });

  it('on: throws a clear error when NVML cannot be used', () => {
    const { logger } = capture();
    expect(() =>
      setupGpuProbe({ mode: 'on', registry: new Registry(), logger, env: MISSING }),
    ).toThrow(/^GPU_PROBE=on, but the GPU probe cannot start: Could not load the NVML library/);
    nvml.failInit();
    expect(() =>
      setupGpuProbe({ mode: 'on', registry: new Registry(), logger, env: nvml.env }),
    ).toThrow(
      'GPU_PROBE=on, but the GPU probe cannot start: nvmlInit_v2 failed: Driver Not Loaded',
    );
  });

  it('on: starts when NVML is there', async () => {
    const registry = new Registry();
    const gpu = setupGpuProbe({ mode: 'on', registry, logger: capture().logger, env: nvml.env });
    expect(await registry.metrics()).toContain('\ngpu_probe_up 1\n');
    gpu.close();
  });

  it('off: touches nothing and says so once', async () => {
    const registry = new Registry();
    const { logger, lines } = capture();
    setupGpuProbe({ mode: 'off', registry, logger, env: nvml.env }).close();
    expect(nvml.initCalls).toBe(0);
    expect(await registry.metrics()).toBe('\n');
    expect(lines).toEqual([expect.objectContaining({ msg: 'GPU metrics off (GPU_PROBE=off)' })]);
  });
});
