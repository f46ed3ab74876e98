import { Counter, Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createGpuProbe } from './index.js';
import { advance, GiB, now, nvml, probe, UUID0, useFakeNvml } from './probe.fixture.js';
import { compileFakeNvml } from './testing.js';

useFakeNvml();

describe('metrics', () => {
  it('publishes the gauges at scrape time, one read per scrape', async () => {
    nvml.setDeviceCount(2);
    nvml.setIdentity(1, { uuid: 'GPU-b' });
    nvml.setUtilization(0, 87);
    nvml.setUtilization(1, 3);
    nvml.setMemory(0, { total: 80 * GiB, used: 12 * GiB });
    nvml.setMemory(1, { total: 80 * GiB, used: 0 });
    const registry = new Registry();
    probe({ registry });
    advance(2000);
    expect(await registry.metrics()).toMatchInlineSnapshot(`
      "# HELP gpu_utilization_percent Percent of the last sample period (1/6 s to 1 s) during which a kernel ran on the GPU (NVML). Absent when the GPU does not report it (MIG) or could not be read.
      # TYPE gpu_utilization_percent gauge
      gpu_utilization_percent{gpu="0",uuid="GPU-00000000-0000-0000-0000-000000000000"} 87
      gpu_utilization_percent{gpu="1",uuid="GPU-b"} 3

      # HELP gpu_memory_used_bytes GPU memory in use, bytes (NVML).
      # TYPE gpu_memory_used_bytes gauge
      gpu_memory_used_bytes{gpu="0",uuid="GPU-00000000-0000-0000-0000-000000000000"} 12884901888
      gpu_memory_used_bytes{gpu="1",uuid="GPU-b"} 0

      # HELP gpu_memory_total_bytes GPU memory in total, bytes (NVML).
      # TYPE gpu_memory_total_bytes gauge
      gpu_memory_total_bytes{gpu="0",uuid="GPU-00000000-0000-0000-0000-000000000000"} 85899345920
      gpu_memory_total_bytes{gpu="1",uuid="GPU-b"} 85899345920

      # HELP gpu_busy_seconds_total Seconds during which a kernel ran on the GPU, integrated from NVML's utilization samples; rate() is the busy fraction 0..1.
      # TYPE gpu_busy_seconds_total counter
      gpu_busy_seconds_total{gpu="0",uuid="GPU-00000000-0000-0000-0000-000000000000"} 0
      gpu_busy_seconds_total{gpu="1",uuid="GPU-b"} 0

      # HELP gpu_process_utilization_percent This process's own SM utilization of the GPU (NVML per-process samples since the previous read, percent of the time one of its kernels ran). Absent when it cannot be attributed (see gpu_process_attributed), never 0 for unknown.
      # TYPE gpu_process_utilization_percent gauge
      gpu_process_utilization_percent{gpu="0",uuid="GPU-00000000-0000-0000-0000-000000000000"} 0
      gpu_process_utilization_percent{gpu="1",uuid="GPU-b"} 0

      # HELP gpu_process_memory_used_bytes GPU memory this process uses on the GPU, bytes (NVML compute process list; 0 when it holds no context there). Absent when unknown.
      # TYPE gpu_process_memory_used_bytes gauge
      gpu_process_memory_used_bytes{gpu="0",uuid="GPU-00000000-0000-0000-0000-000000000000"} 0
      gpu_process_memory_used_bytes{gpu="1",uuid="GPU-b"} 0

      # HELP gpu_process_attributed 1 when gpu_process_utilization_percent is this process's own share, 0 when it cannot be told; reason says how (host-pid-namespace, host-procfs) or why not (pid-namespace, mig, mps, not-supported, nvml-error).
      # TYPE gpu_process_attributed gauge
      gpu_process_attributed{gpu="0",uuid="GPU-00000000-0000-0000-0000-000000000000",reason="host-pid-namespace"} 1
      gpu_process_attributed{gpu="1",uuid="GPU-b",reason="host-pid-namespace"} 1

      # HELP gpu_probe_up 1 when NVML answered for every GPU on the last read, 0 when the last read failed.
      # TYPE gpu_probe_up gauge
      gpu_probe_up 1

      # HELP gpu_probe_read_errors_total Reads of NVML that failed.
      # TYPE gpu_probe_read_errors_total counter
      gpu_probe_read_errors_total 0
      "
    `);
    expect(nvml.initCalls).toBe(1);
  });

  it('drops the samples, sets gpu_probe_up 0 and counts the error when a read fails; back to 1 after', async () => {
    nvml.setUtilization(0, 87);
    const registry = new Registry();
    probe({ registry });
    nvml.loseDevice(0);
    advance(2000);
    const failed = await registry.metrics();
    expect(failed).not.toContain('gpu_utilization_percent{');
    expect(failed).not.toContain('gpu_memory_used_bytes{');
    expect(failed).toContain('\ngpu_probe_up 0\n');
    expect(failed).toContain('\ngpu_probe_read_errors_total 1\n');
    nvml.restoreDevice(0);
    advance(2000);
    const back = await registry.metrics();
    expect(back).toContain(`gpu_utilization_percent{gpu="0",uuid="${UUID0}"} 87\n`);
    expect(back).toContain('\ngpu_probe_up 1\n');
    expect(back).toContain('\ngpu_probe_read_errors_total 1\n');
  });

  it('publishes no utilization for a MIG device', async () => {
    nvml.setMig(0, true);
    const registry = new Registry();
    probe({ registry });
    const text = await registry.metrics();
    expect(text).not.toContain('gpu_utilization_percent{');
    expect(text).not.toContain('gpu_busy_seconds_total{');
    expect(text).toContain('gpu_memory_total_bytes{');
    expect(text).toContain('\ngpu_probe_up 1\n');
  });

  it('reads on an interval and serves the latest reading at scrape time', async () => {
    vi.useFakeTimers();
    try {
      nvml.setUtilization(0, 10);
      const registry = new Registry();
      probe({ registry, intervalMs: 5000 });
      nvml.setUtilization(0, 90);
      advance(60_000);
      expect(await registry.metrics()).toContain(`{gpu="0",uuid="${UUID0}"} 10\n`);
      vi.advanceTimersByTime(5000);
      expect(await registry.metrics()).toContain(`{gpu="0",uuid="${UUID0}"} 90\n`);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets two probes share one registry, and stops publishing a closed one', async () => {
    const registry = new Registry();
    const a = probe({ registry });
    const other = compileFakeNvml();
    try {
      other.setIdentity(0, { uuid: 'GPU-other' });
      const b = createGpuProbe({ registry, libraryPath: other.libraryPath, now });
      const both = await registry.metrics();
      expect(both).toContain(`gpu_memory_total_bytes{gpu="0",uuid="${UUID0}"}`);
      expect(both).toContain('gpu_memory_total_bytes{gpu="0",uuid="GPU-other"}');
      b.close();
      advance(2000);
      expect(await registry.metrics()).not.toContain('GPU-other');
      a.close();
      expect(await registry.metrics()).toContain('\ngpu_probe_up 0\n');
    } finally {
      other.dispose();
    }
  });

  it('adds constLabels to every gpu_* series', async () => {
    nvml.setUtilization(0, 42);
    const registry = new Registry();
    probe({ registry, constLabels: { model: 'resnet50', version: '3' } });
    advance(2000);
    const text = await registry.metrics();
    const samples = text.split('\n').filter((line) => line.startsWith('gpu_'));
    expect(samples).toEqual([
      `gpu_utilization_percent{gpu="0",uuid="${UUID0}",model="resnet50",version="3"} 42`,
      `gpu_memory_used_bytes{gpu="0",uuid="${UUID0}",model="resnet50",version="3"} 0`,
      `gpu_memory_total_bytes{gpu="0",uuid="${UUID0}",model="resnet50",version="3"} 17179869184`,
      `gpu_busy_seconds_total{gpu="0",uuid="${UUID0}",model="resnet50",version="3"} 0`,
      `gpu_process_utilization_percent{gpu="0",uuid="${UUID0}",model="resnet50",version="3"} 0`,
      `gpu_process_memory_used_bytes{gpu="0",uuid="${UUID0}",model="resnet50",version="3"} 0`,
      `gpu_process_attributed{gpu="0",uuid="${UUID0}",reason="host-pid-namespace",model="resnet50",version="3"} 1`,
      'gpu_probe_up{model="resnet50",version="3"} 1',
      'gpu_probe_read_errors_total{model="resnet50",version="3"} 0',
    ]);
  });

  it('keeps the probes of two models on one registry apart, up and errors included', async () => {
    const registry = new Registry();
    const a = probe({ registry, constLabels: { model: 'a' } });
    const other = compileFakeNvml();
    try {
      other.setIdentity(0, { uuid: 'GPU-other' });
      const b = createGpuProbe({
        registry,
        libraryPath: other.libraryPath,
        now,
        constLabels: { model: 'b' },
      });
      other.loseDevice(0);
      advance(2000);
      const text = await registry.metrics();
      expect(text).toContain(`gpu_memory_total_bytes{gpu="0",uuid="${UUID0}",model="a"}`);
      expect(text).toContain('\ngpu_probe_up{model="a"} 1\n');
      expect(text).toContain('\ngpu_probe_up{model="b"} 0\n');
      expect(text).toContain('\ngpu_probe_read_errors_total{model="b"} 1\n');
      expect(text).toContain('\ngpu_probe_read_errors_total{model="a"} 0\n');
      b.close();
      a.close();
      expect(await registry.metrics()).toContain('\ngpu_probe_up{model="b"} 0\n');
    } finally {
      other.dispose();
    }
  });

  it('refuses constLabels the metrics set themselves, invalid names and non-string values, before loading NVML', () => {
    const registry = new Registry();
    expect(() => probe({ registry, constLabels: { gpu: '1' } })).toThrow(
      /"gpu" is set by the gpu_\* metrics themselves/,
    );
    expect(() => probe({ registry, constLabels: { 'model-name': 'x' } })).toThrow(
      /"model-name" is not a valid Prometheus label name/,
    );
    expect(() => probe({ registry, constLabels: { model: 3 as unknown as string } })).toThrow(
      /the value of "model" must be a string/,
    );
    expect(nvml.initCalls).toBe(0);
  });

  it('refuses a second probe on one registry with other constLabels keys, saying which', () => {
    const registry = new Registry();
    probe({ registry, constLabels: { model: 'a' } });
    expect(() => probe({ registry, constLabels: { model: 'a', version: '1' } })).toThrow(
      /already registered with labels \[gpu,model,uuid\], not \[gpu,model,uuid,version\]: use the same constLabels keys/,
    );
    expect(() => probe({ registry })).toThrow(/use the same constLabels keys/);
  });

  it('refuses a registry where another library registered one of its names', () => {
    const registry = new Registry();
    new Counter({ name: 'gpu_busy_seconds_total', help: 'x', registers: [registry] });
    expect(() => probe({ registry })).toThrow(
      /already has a metric named gpu_busy_seconds_total that this package did not create/,
    );
  });
});
