import { describe, expect, it } from 'vitest';
import { NvmlError, NvmlReturn, openGpuProbe } from './index.js';
import { advance, GiB, nvml, probe, UUID0, useFakeNvml } from './probe.fixture.js';

useFakeNvml();

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
    advance(1000);
    const lost = p.read();
    expect(!lost.ok && (lost.error as NvmlError).codeName).toBe('ERROR_GPU_IS_LOST');
    expect(lost.devices.map((d) => [d.uuid, d.busySecondsTotal])).toEqual([[UUID0, 1]]);
    advance(1000);
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
