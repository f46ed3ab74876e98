import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Counter, Registry } from 'prom-client';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createGpuProbe,
  type GpuProbe,
  type GpuProbeOptions,
  NvmlError,
  NvmlLoadError,
  NvmlReturn,
  openGpuProbe,
} from './index.js';
import { compileFakeNvml, createFakeProcRoot } from './testing.js';

const nvml = compileFakeNvml();
// This process as a pod with hostPID sees itself, whatever namespace the test runs in.
const procRoot = createFakeProcRoot({ pid: 4242, namespace: 'host' });
const open: GpuProbe[] = [];
let clock = 0;

function probe(options: Omit<GpuProbeOptions, 'libraryPath'> = {}): GpuProbe {
  const p = createGpuProbe({
    libraryPath: nvml.libraryPath,
    now: () => clock,
    procRoot,
    ...options,
  });
  open.push(p);
  return p;
}

beforeEach(() => {
  nvml.reset();
  clock = 0;
});
afterEach(() => {
  for (const p of open.splice(0)) p.close();
  expect(nvml.initRefs).toBe(0); // every probe shut NVML down
});
afterAll(() => {
  nvml.dispose();
  rmSync(procRoot, { recursive: true, force: true });
});

const UUID0 = 'GPU-00000000-0000-0000-0000-000000000000';
const GiB = 1024 ** 3;

describe('loading NVML', () => {
  it('returns one actionable error listing the path tried when the library is missing', () => {
    const opened = openGpuProbe({ libraryPath: '/nonexistent/libnvidia-ml.so.1' });
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect(opened.error).toBeInstanceOf(NvmlLoadError);
    const error = opened.error as NvmlLoadError;
    expect(error.attempts).toHaveLength(1);
    expect(error.attempts[0]).toMatchObject({
      path: '/nonexistent/libnvidia-ml.so.1',
      source: 'libraryPath option',
    });
    expect(error.message).toContain('/nonexistent/libnvidia-ml.so.1 (libraryPath option):');
    expect(error.message).toContain('NVML_LIBRARY_PATH=');
    expect(error.message).toContain('NVIDIA Container Toolkit');
  });

  it('takes NVML_LIBRARY_PATH from the env option', () => {
    const missing = openGpuProbe({ env: { NVML_LIBRARY_PATH: '/nope/libnvidia-ml.so.1' } });
    expect(!missing.ok && (missing.error as NvmlLoadError).attempts[0]?.source).toBe(
      'NVML_LIBRARY_PATH',
    );
    const found = openGpuProbe({ env: nvml.env });
    expect(found.ok).toBe(true);
    if (found.ok) open.push(found.probe);
  });

  it('says so when a library loads but is not NVML', () => {
    const opened = openGpuProbe({ libraryPath: 'libc.so.6' });
    expect(opened.ok).toBe(false);
    expect(!opened.ok && opened.error.message).toContain('not a usable NVML library');
  });

  it('createGpuProbe throws the same error', () => {
    expect(() => createGpuProbe({ libraryPath: '/nonexistent/x.so' })).toThrow(NvmlLoadError);
  });

  it('does not load koffi or NVML on import', () => {
    const index = fileURLToPath(new URL('./index.ts', import.meta.url));
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         await import(${JSON.stringify(index)});
         const cache = Object.keys(createRequire(import.meta.url).cache);
         console.log(cache.some((k) => k.includes('koffi')) ? 'koffi loaded' : 'clean');`,
      ],
      { env: { ...process.env, NVML_LIBRARY_PATH: '/nonexistent' }, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('clean');
  });

  it('returns a typed error when nvmlInit_v2 fails, and leaves NVML uninitialised', () => {
    nvml.failInit(NvmlReturn.ERROR_DRIVER_NOT_LOADED);
    const opened = openGpuProbe({ libraryPath: nvml.libraryPath });
    expect(opened.ok).toBe(false);
    if (opened.ok) return;
    expect(opened.error).toBeInstanceOf(NvmlError);
    const error = opened.error as NvmlError;
    expect(error.code).toBe(9);
    expect(error.codeName).toBe('ERROR_DRIVER_NOT_LOADED');
    expect(error.nvmlMessage).toBe('Driver Not Loaded');
    expect(error.message).toBe(
      'nvmlInit_v2 failed: Driver Not Loaded (NVML_ERROR_DRIVER_NOT_LOADED, 9)',
    );
    expect(nvml.initRefs).toBe(0);
  });

  it('rejects bad options at construction with a clear message', () => {
    expect(() => probe({ intervalMs: 0 })).toThrow(/intervalMs must be a positive number/);
    expect(() => probe({ devices: ['banana'] })).toThrow(/devices must hold NVML indices/);
  });
});

describe('reading', () => {
  it('initialises NVML once and reads every GPU', () => {
    nvml.setDeviceCount(2);
    nvml.setUtilization(0, 87, 30);
    nvml.setMemory(0, { total: 80 * GiB, used: 12 * GiB });
    nvml.setIdentity(1, { name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-b' });
    nvml.setPower(1, 312.5);
    nvml.setTemperature(1, 61);
    const p = probe();
    p.read();
    const result = p.read();
    expect(nvml.initCalls).toBe(1);
    expect(result).toEqual({
      ok: true,
      devices: [
        {
          gpu: '0',
          uuid: UUID0,
          name: 'Fake NVIDIA GPU 0',
          mig: false,
          utilization: { gpu: 87, memory: 30 },
          memory: { total: 80 * GiB, used: 12 * GiB, free: 68 * GiB },
          powerWatts: 50,
          temperatureCelsius: 40,
          busySecondsTotal: 0,
          busySource: 'utilization',
          // not on the GPU: known to use none of it
          process: {
            pid: 4242,
            utilization: { sm: 0, memory: 0, encoder: 0, decoder: 0 },
            memoryUsedBytes: 0,
            attribution: { ok: true, how: 'host-pid-namespace' },
            source: 'nvmlDeviceGetProcessesUtilizationInfo',
            samples: 0,
          },
        },
        expect.objectContaining({
          gpu: '1',
          uuid: 'GPU-b',
          name: 'NVIDIA H100 80GB HBM3',
          powerWatts: 312.5,
          temperatureCelsius: 61,
          utilization: { gpu: 0, memory: 0 },
        }),
      ],
    });
  });

  it('reads memory beyond 4 GiB exactly', () => {
    nvml.setMemory(0, { total: 2 ** 41 + 123, used: 2 ** 40 + 7 });
    const result = probe().read();
    expect(result.ok && result.devices[0]?.memory).toEqual({
      total: 2 ** 41 + 123,
      used: 2 ** 40 + 7,
      free: 2 ** 40 + 116,
    });
  });

  it('reports a MIG device as unsupported, never as 0 %', () => {
    nvml.setMig(0, true);
    nvml.setIdentity(0, { uuid: 'MIG-11111111-2222-3333-4444-555555555555' });
    const result = probe().read();
    expect(result.ok).toBe(true);
    expect(result.devices[0]).toMatchObject({
      mig: true,
      utilization: null,
      busySecondsTotal: null,
      busySource: null,
    });
  });

  it('treats utilization NOT_SUPPORTED (a GPU in MIG mode) as unsupported', () => {
    nvml.fail('nvmlDeviceGetUtilizationRates', NvmlReturn.ERROR_NOT_SUPPORTED);
    const result = probe().read();
    expect(result.ok && result.devices[0]?.utilization).toBeNull();
  });

  it('selects the GPUs that NVIDIA_VISIBLE_DEVICES names by UUID, in that order', () => {
    nvml.setDeviceCount(3);
    nvml.setIdentity(1, { uuid: 'GPU-one' });
    nvml.setIdentity(2, { uuid: 'GPU-two' });
    const result = probe({ env: { NVIDIA_VISIBLE_DEVICES: 'GPU-two,GPU-one' } }).read();
    expect(result.devices.map((d) => [d.gpu, d.uuid])).toEqual([
      ['0', 'GPU-two'],
      ['1', 'GPU-one'],
    ]);
    // indices or "all" mean: every GPU NVML sees
    expect(probe({ env: { NVIDIA_VISIBLE_DEVICES: 'all' } }).read().devices).toHaveLength(3);
    expect(
      probe({ devices: [2] })
        .read()
        .devices.map((d) => d.uuid),
    ).toEqual(['GPU-two']);
  });

  it('fails to open with NOT_FOUND when a named UUID does not exist', () => {
    const opened = openGpuProbe({ libraryPath: nvml.libraryPath, devices: ['GPU-missing'] });
    expect(!opened.ok && (opened.error as NvmlError).codeName).toBe('ERROR_NOT_FOUND');
    expect(nvml.initRefs).toBe(0);
  });

  it('recovers when a lost GPU comes back, initialising NVML again', () => {
    nvml.setUtilization(0, 50);
    const p = probe();
    expect(p.read().ok).toBe(true);
    nvml.loseDevice(0);
    const lost = p.read();
    expect(lost.ok).toBe(false);
    expect(!lost.ok && lost.error).toBeInstanceOf(NvmlError);
    expect(!lost.ok && (lost.error as NvmlError).code).toBe(15);
    expect(lost.devices).toEqual([]);
    expect(nvml.initRefs).toBe(0); // shut down, to start afresh
    expect(p.read().ok).toBe(false); // still gone: re-init finds no handle
    nvml.restoreDevice(0);
    const back = p.read();
    expect(back.ok && back.devices[0]?.utilization?.gpu).toBe(50);
    expect(nvml.initCalls).toBe(3);
  });

  it('keeps reading the other GPUs while one is lost, and picks the lost one up again', () => {
    nvml.setDeviceCount(2);
    nvml.setIdentity(1, { uuid: 'GPU-b' });
    nvml.setUtilization(0, 100);
    const p = probe();
    p.read();
    nvml.loseDevice(1);
    clock += 1000;
    const lost = p.read();
    expect(!lost.ok && (lost.error as NvmlError).codeName).toBe('ERROR_GPU_IS_LOST');
    expect(lost.devices.map((d) => [d.uuid, d.busySecondsTotal])).toEqual([[UUID0, 1]]);
    clock += 1000;
    const still = p.read(); // the lookup of GPU 1 fails again; GPU 0 keeps its busy-time baseline
    expect(!still.ok && still.error.message).toBe(
      'nvmlDeviceGetHandleByIndex_v2 (GPU 1) failed: GPU is lost (NVML_ERROR_GPU_IS_LOST, 15)',
    );
    expect(still.devices.map((d) => [d.uuid, d.busySecondsTotal])).toEqual([[UUID0, 2]]);
    nvml.restoreDevice(1);
    const back = p.read();
    expect(back.ok).toBe(true);
    expect(back.devices.map((d) => [d.gpu, d.uuid])).toEqual([
      ['0', UUID0],
      ['1', 'GPU-b'],
    ]);
    expect(nvml.initCalls).toBe(1); // no re-initialisation while a GPU still answered
  });

  it('recovers when the driver comes back after failing init', () => {
    const p = probe();
    nvml.fail('*', NvmlReturn.ERROR_UNINITIALIZED);
    expect(p.read().ok).toBe(false);
    nvml.fail('*', 0);
    nvml.failInit();
    expect(p.read().ok).toBe(false);
    nvml.failInit(0);
    expect(p.read().ok).toBe(true);
  });

  it('retries a transient error with the same handles', () => {
    const p = probe();
    nvml.fail('nvmlDeviceGetMemoryInfo', NvmlReturn.ERROR_TIMEOUT, 0);
    const failed = p.read();
    expect(!failed.ok && failed.error.message).toBe(
      `nvmlDeviceGetMemoryInfo (GPU 0 ${UUID0}) failed: Timeout (NVML_ERROR_TIMEOUT, 10)`,
    );
    nvml.fail('nvmlDeviceGetMemoryInfo', 0, 0);
    expect(p.read().ok).toBe(true);
    expect(nvml.initCalls).toBe(1);
  });

  it('keeps the other GPUs when one fails, and says the read failed', () => {
    nvml.setDeviceCount(2);
    nvml.setIdentity(1, { uuid: 'GPU-b' });
    const p = probe();
    nvml.fail('nvmlDeviceGetUtilizationRates', NvmlReturn.ERROR_UNKNOWN, 0);
    const result = p.read();
    expect(result.ok).toBe(false);
    expect(result.devices.map((d) => d.uuid)).toEqual(['GPU-b']);
  });

  it('ignores failures of the extras (power, temperature)', () => {
    nvml.fail('nvmlDeviceGetPowerUsage', NvmlReturn.ERROR_NO_PERMISSION);
    nvml.fail('nvmlDeviceGetTemperature', NvmlReturn.ERROR_NOT_SUPPORTED);
    const result = probe().read();
    expect(result.ok && result.devices[0]).toMatchObject({
      powerWatts: null,
      temperatureCelsius: null,
    });
  });

  it('shuts NVML down on close, once, and reads nothing after', () => {
    const p = probe();
    expect(nvml.initRefs).toBe(1);
    p.close();
    p.close();
    expect(nvml.initRefs).toBe(0);
    expect(nvml.shutdownCalls).toBe(1);
    const after = p.read();
    expect(!after.ok && after.error).toBeInstanceOf(NvmlError);
    expect(!after.ok && after.error.message).toBe(
      'read failed: the probe is closed (NVML_ERROR_UNINITIALIZED, 1)',
    );
  });
});

describe('busy time', () => {
  it('integrates utilization × elapsed time where there is no sample buffer', () => {
    nvml.setUtilization(0, 40);
    const p = probe();
    p.read(); // baseline
    clock += 10_000;
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(4, 9);
    nvml.setUtilization(0, 100);
    clock += 5_000;
    expect(p.read().devices[0]).toMatchObject({ busySecondsTotal: 9, busySource: 'utilization' });
  });

  it('integrates the driver sample buffer between reads, counting each sample once', () => {
    nvml.setUtilization(0, 0); // the instantaneous value must not matter
    const t0 = 1_700_000_000_000_000;
    nvml.pushSample(0, t0, 10); // history before the probe started: not counted
    const p = probe();
    expect(p.read().devices[0]).toMatchObject({ busySecondsTotal: 0, busySource: 'samples' });
    // 6 samples per second, 100 % then 50 %
    for (let i = 1; i <= 6; i++) nvml.pushSample(0, t0 + (i * 1e6) / 6, i <= 3 ? 100 : 50);
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(0.75, 9);
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(0.75, 9); // nothing new: NOT_FOUND
    nvml.pushSample(0, t0 + 1e6 + 500_000, 20); // one sample 0.5 s later
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(0.85, 9);
  });

  it('grows its sample buffer when the driver holds more samples than it fits', () => {
    const t0 = 1e12;
    nvml.pushSample(0, t0, 0);
    const p = probe();
    p.read();
    // 180 samples 100 ms apart at 50 %: 18 s × 50 % = 9 busy seconds
    for (let i = 1; i <= 180; i++) nvml.pushSample(0, t0 + i * 100_000, 50);
    const result = p.read();
    expect(result.ok).toBe(true);
    expect(result.devices[0]?.busySecondsTotal).toBeCloseTo(9, 9);
  });

  it('fills a gap longer than one sample period with the mean of the returned samples', () => {
    const t0 = 1e12;
    nvml.pushSample(0, t0, 0);
    const p = probe();
    p.read();
    nvml.pushSample(0, t0 + 3e6, 60); // 3 s gap, only one sample returned: 3 s × 60 %
    expect(p.read().devices[0]?.busySecondsTotal).toBeCloseTo(1.8, 9);
  });

  it('keeps the counter across a lost GPU and does not count the lost stretch', () => {
    nvml.setUtilization(0, 100);
    const p = probe();
    p.read();
    clock += 1000;
    expect(p.read().devices[0]?.busySecondsTotal).toBe(1);
    nvml.loseDevice(0);
    clock += 60_000;
    p.read();
    nvml.restoreDevice(0);
    clock += 1000;
    expect(p.read().devices[0]?.busySecondsTotal).toBe(1); // new baseline after re-init
    clock += 1000;
    expect(p.read().devices[0]?.busySecondsTotal).toBe(2);
  });
});

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
    clock += 2000;
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
    clock += 2000;
    const failed = await registry.metrics();
    expect(failed).not.toContain('gpu_utilization_percent{');
    expect(failed).not.toContain('gpu_memory_used_bytes{');
    expect(failed).toContain('\ngpu_probe_up 0\n');
    expect(failed).toContain('\ngpu_probe_read_errors_total 1\n');
    nvml.restoreDevice(0);
    clock += 2000;
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
      clock += 60_000;
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
      const b = createGpuProbe({ registry, libraryPath: other.libraryPath, now: () => clock });
      const both = await registry.metrics();
      expect(both).toContain(`gpu_memory_total_bytes{gpu="0",uuid="${UUID0}"}`);
      expect(both).toContain('gpu_memory_total_bytes{gpu="0",uuid="GPU-other"}');
      b.close();
      clock += 2000;
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
    clock += 2000;
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
        now: () => clock,
        constLabels: { model: 'b' },
      });
      other.loseDevice(0);
      clock += 2000;
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
