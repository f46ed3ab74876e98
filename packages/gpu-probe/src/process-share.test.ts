import { mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createGpuProbe,
  findHostPid,
  type GpuProbe,
  type GpuProbeOptions,
  type GpuProcessReading,
  HOST_PID_NAMESPACE,
  NvmlReturn,
} from './index.js';
import { compileFakeNvml, createFakeProcRoot, type FakeNvml } from './testing.js';

const nvml = compileFakeNvml();
const folders: string[] = [];
const open: GpuProbe[] = [];
let clock = 0;

function procRoot(options: Parameters<typeof createFakeProcRoot>[0]): string {
  const root = createFakeProcRoot(options);
  folders.push(root);
  return root;
}

/** A pod with hostPID: its PID is the host's. */
const HOST_POD = (pid: number) => procRoot({ pid, namespace: 'host' });

function probe(options: Omit<GpuProbeOptions, 'now'>, library: FakeNvml = nvml): GpuProbe {
  const p = createGpuProbe({ libraryPath: library.libraryPath, now: () => clock, ...options });
  open.push(p);
  return p;
}

/** This process's share of GPU 0 on a fresh read. */
function share(p: GpuProbe): GpuProcessReading | null | undefined {
  const result = p.read();
  expect(result.ok).toBe(true);
  return result.devices[0]?.process;
}

/** Both clocks on by `ms`: the fake's (which writes samples) and the probe's. */
function advance(ms: number): void {
  nvml.advanceClock(ms);
  clock += ms;
}

const IDLE = { sm: 0, memory: 0, encoder: 0, decoder: 0 };
const GiB = 1024 ** 3;

beforeEach(() => {
  nvml.reset();
  clock = 0;
});
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});
afterAll(() => {
  nvml.dispose();
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

describe('two processes time-slicing one GPU at 70 % and 20 %', () => {
  it('reads each its own duty cycle, while the device-wide figure is their sum for both', async () => {
    nvml.setProcess(0, 1001, { usedBytes: 3 * GiB });
    nvml.setProcess(0, 1002, { usedBytes: 1 * GiB });
    nvml.setDutyCycle(0, 1001, 0.7, 100, 0);
    nvml.setDutyCycle(0, 1002, 0.2, 100, 70); // after the first one's kernels: no overlap
    const busy = new Registry();
    const idle = new Registry();
    probe({ registry: busy, procRoot: HOST_POD(1001) });
    probe({
      registry: idle,
      procRoot: procRoot({ pid: 9, namespace: 'own-host-procfs', hostPid: 1002 }),
    });
    for (let i = 0; i < 5; i++) {
      advance(1000);
      const [a, b] = [await busy.metrics(), await idle.metrics()];
      const value = (text: string, name: string): number =>
        Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
      for (const [text, duty] of [
        [a, 70],
        [b, 20],
      ] as const) {
        expect(Math.abs(value(text, 'gpu_process_utilization_percent') - duty)).toBeLessThanOrEqual(
          10,
        );
        expect(Math.abs(value(text, 'gpu_utilization_percent') - 90)).toBeLessThanOrEqual(10);
      }
      expect(value(a, 'gpu_process_memory_used_bytes')).toBe(3 * GiB);
      expect(value(b, 'gpu_process_memory_used_bytes')).toBe(1 * GiB);
      expect(a).toMatch(/^gpu_process_attributed\{[^}]*reason="host-pid-namespace"\} 1$/m);
      expect(b).toMatch(/^gpu_process_attributed\{[^}]*reason="host-procfs"\} 1$/m);
    }
  });

  it('reads 0 for a process on the GPU that did not run, and 0 bytes for one not on it', () => {
    nvml.setProcess(0, 1001);
    nvml.setProcess(0, 1002, { usedBytes: GiB });
    nvml.setDutyCycle(0, 1001, 0.5);
    const onGpu = probe({ procRoot: HOST_POD(1002) });
    const elsewhere = probe({ procRoot: HOST_POD(1003) });
    advance(2000);
    expect(share(onGpu)).toMatchObject({ pid: 1002, utilization: IDLE, memoryUsedBytes: GiB });
    expect(share(elsewhere)).toMatchObject({ pid: 1003, utilization: IDLE, memoryUsedBytes: 0 });
  });

  it('keeps the last figure between sample periods, and reads 0 once a second passes without one', () => {
    nvml.setProcess(0, 1001);
    nvml.setDutyCycle(0, 1001, 0.6);
    const p = probe({ procRoot: HOST_POD(1001) });
    advance(1000);
    expect(share(p)?.utilization?.sm).toBe(60);
    clock += 50; // no sample period ended: NVML answers NOT_FOUND
    expect(share(p)).toMatchObject({ utilization: { sm: 60 }, samples: 0 });
    nvml.setDutyCycle(0, 1001, 0);
    advance(1500); // periods end, nobody runs: no sample at all
    expect(share(p)?.utilization).toEqual(IDLE);
  });
});

describe('cannot attribute: the series say why, never 0 %', () => {
  it('a pod in its own PID namespace without hostPID', async () => {
    nvml.setProcess(0, 1001, { usedBytes: GiB });
    nvml.setDutyCycle(0, 1001, 0.7);
    const registry = new Registry();
    const p = probe({ registry, procRoot: procRoot({ pid: 7, namespace: 'own' }) });
    advance(1000);
    expect(p.hostPid).toMatchObject({ ok: false, reason: 'pid-namespace' });
    expect(share(p)).toMatchObject({
      pid: null,
      utilization: null,
      memoryUsedBytes: null,
      attribution: {
        ok: false,
        reason: 'pid-namespace',
        detail: expect.stringContaining('hostPID: true'),
      },
    });
    clock += 2000;
    const text = await registry.metrics();
    expect(text).not.toMatch(/^gpu_process_utilization_percent\{/m);
    expect(text).not.toMatch(/^gpu_process_memory_used_bytes\{/m);
    expect(text).toMatch(/^gpu_process_attributed\{[^}]*reason="pid-namespace"\} 0$/m);
    expect(text).toMatch(/^gpu_utilization_percent\{[^}]*\} \d+$/m); // the device-wide series stay
  });

  it('NSpid with an outer PID, when /proc is not the host’s', () => {
    const root = procRoot({ pid: 7, namespace: 'own' });
    writeFileSync(join(root, 'self', 'status'), 'Pid:\t300\nNSpid:\t300\t7\n');
    expect(findHostPid(root)).toMatchObject({
      ok: false,
      reason: 'pid-namespace',
      detail: expect.stringMatching(
        /^NSpid is 300 7, but the namespace of this \/proc's PID 1 is pid:\[4026532500\]/,
      ),
    });
    rmSync(join(root, 'self', 'status'));
    expect(findHostPid(root)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('cannot read'),
    });
  });

  it('finds this very process on this machine, or says why not', () => {
    const self = findHostPid();
    if (readlinkSync('/proc/self/ns/pid') === HOST_PID_NAMESPACE) {
      expect(self).toEqual({ ok: true, pid: process.pid, how: 'host-pid-namespace' });
    } else {
      expect(self).toMatchObject({ ok: false, reason: 'pid-namespace' });
    }
  });

  it('a MIG device: no per-process utilization, the memory still', () => {
    nvml.setMig(0, true);
    nvml.setProcess(0, 1001, { usedBytes: 5 * GiB });
    const p = probe({ procRoot: HOST_POD(1001) });
    expect(share(p)).toMatchObject({
      utilization: null,
      memoryUsedBytes: 5 * GiB,
      attribution: { ok: false, reason: 'mig' },
    });
  });

  it('an MPS client without samples of its own; with samples it is attributed', () => {
    nvml.setProcess(0, 1001, { usedBytes: 2 * GiB, mps: true });
    const p = probe({ procRoot: HOST_POD(1001) });
    expect(share(p)).toMatchObject({
      utilization: null,
      memoryUsedBytes: 2 * GiB,
      attribution: { ok: false, reason: 'mps' },
    });
    nvml.pushProcessSample(0, 1001, nvml.clockUs + 1, { sm: 33, memory: 4 });
    expect(share(p)).toMatchObject({
      utilization: { sm: 33, memory: 4 },
      attribution: { ok: true },
    });
  });

  it('a GPU without per-process utilization (NOT_SUPPORTED)', () => {
    nvml.setProcessUtilizationSupported(0, false);
    nvml.setProcess(0, 1001, { usedBytes: GiB });
    expect(share(probe({ procRoot: HOST_POD(1001) }))).toMatchObject({
      utilization: null,
      memoryUsedBytes: GiB,
      attribution: {
        ok: false,
        reason: 'not-supported',
        detail: expect.stringContaining('NOT_SUPPORTED'),
      },
    });
  });

  it('a driver without either entry point (FUNCTION_NOT_FOUND), nor a process list', () => {
    const old = compileFakeNvml({
      omit: [
        'nvmlDeviceGetProcessesUtilizationInfo',
        'nvmlDeviceGetProcessUtilization',
        'nvmlDeviceGetComputeRunningProcesses_v3',
        'nvmlDeviceGetComputeRunningProcesses_v2',
        'nvmlDeviceGetComputeRunningProcesses',
        'nvmlDeviceGetMPSComputeRunningProcesses_v3',
      ],
    });
    try {
      expect(share(probe({ procRoot: HOST_POD(1001) }, old))).toMatchObject({
        utilization: null,
        memoryUsedBytes: null,
        attribution: {
          ok: false,
          reason: 'not-supported',
          detail: expect.stringContaining('exports neither'),
        },
      });
    } finally {
      for (const p of open.splice(0)) p.close();
      old.dispose();
    }
  });

  it('a failing per-process call (no permission) leaves the device read ok', () => {
    nvml.fail('nvmlDeviceGetComputeRunningProcesses_v3', NvmlReturn.ERROR_NO_PERMISSION);
    const p = probe({ procRoot: HOST_POD(1001) });
    const result = p.read();
    expect(result.ok).toBe(true);
    expect(result.devices[0]?.process).toMatchObject({
      utilization: null,
      attribution: {
        ok: false,
        reason: 'nvml-error',
        detail: expect.stringContaining('NVML_ERROR_NO_PERMISSION'),
      },
    });
  });

  it('a lost GPU in a per-process call fails the read and re-initialises NVML', () => {
    const p = probe({ procRoot: HOST_POD(1001) });
    nvml.fail('nvmlDeviceGetProcessesUtilizationInfo', NvmlReturn.ERROR_GPU_IS_LOST);
    const lost = p.read();
    expect(!lost.ok && lost.error.codeName).toBe('ERROR_GPU_IS_LOST');
    expect(nvml.initRefs).toBe(0);
    nvml.fail('nvmlDeviceGetProcessesUtilizationInfo', 0);
    expect(p.read().ok).toBe(true);
  });

  it('takes procRoot from GPU_PROBE_PROC_ROOT (the host /proc mounted into a pod)', () => {
    nvml.setProcess(0, 3003, { usedBytes: GiB });
    const env = {
      ...nvml.env,
      GPU_PROBE_PROC_ROOT: procRoot({ pid: 3, namespace: 'own-host-procfs', hostPid: 3003 }),
    };
    const p = createGpuProbe({ env, now: () => clock });
    open.push(p);
    expect(p.hostPid).toEqual({ ok: true, pid: 3003, how: 'host-procfs' });
    expect(share(p)?.memoryUsedBytes).toBe(GiB);
  });

  it('processes: false reads no per-process figures', async () => {
    const registry = new Registry();
    const p = probe({ registry, processes: false });
    expect(p.hostPid).toBeNull();
    expect(share(p)).toBeNull();
    clock += 2000;
    expect(await registry.metrics()).not.toMatch(/^gpu_process_/m);
  });
});

describe('entry points across NVML versions', () => {
  function sampled(library: FakeNvml): GpuProcessReading | null | undefined {
    library.setProcess(0, 1000, { usedBytes: GiB }); // ahead of ours: the entry size matters
    library.setProcess(0, 1001, { usedBytes: 6 * GiB + 5 });
    for (let i = 1; i <= 100; i++) {
      // more samples than the first buffer holds: NVML_ERROR_INSUFFICIENT_SIZE, then a bigger one
      library.pushProcessSample(0, 1001, 1_000_000 + i, {
        sm: i % 2 ? 30 : 50,
        memory: 8,
        encoder: 2,
        decoder: 1,
      });
      library.pushProcessSample(0, 1002, 1_000_000 + i, { sm: 99 });
    }
    return share(probe({ procRoot: HOST_POD(1001) }, library));
  }
  const expected = {
    utilization: { sm: 40, memory: 8, encoder: 2, decoder: 1 },
    memoryUsedBytes: 6 * GiB + 5,
    samples: 100,
  };

  it('nvmlDeviceGetProcessesUtilizationInfo and nvmlDeviceGetComputeRunningProcesses_v3', () => {
    expect(sampled(nvml)).toMatchObject({
      ...expected,
      source: 'nvmlDeviceGetProcessesUtilizationInfo',
    });
  });

  it('falls back to nvmlDeviceGetProcessUtilization and _v2 on an older driver', () => {
    const old = compileFakeNvml({
      omit: ['nvmlDeviceGetProcessesUtilizationInfo', 'nvmlDeviceGetComputeRunningProcesses_v3'],
    });
    try {
      expect(sampled(old)).toMatchObject({
        ...expected,
        source: 'nvmlDeviceGetProcessUtilization',
      });
    } finally {
      for (const p of open.splice(0)) p.close();
      old.dispose();
    }
  });

  it('reads the v1 layout of the unversioned nvmlDeviceGetComputeRunningProcesses', () => {
    const old = compileFakeNvml({
      omit: ['nvmlDeviceGetComputeRunningProcesses_v3', 'nvmlDeviceGetComputeRunningProcesses_v2'],
    });
    try {
      expect(sampled(old)).toMatchObject(expected);
    } finally {
      for (const p of open.splice(0)) p.close();
      old.dispose();
    }
  });

  it('falls back when the versioned struct is refused (ARGUMENT_VERSION_MISMATCH)', () => {
    nvml.fail('nvmlDeviceGetProcessesUtilizationInfo', NvmlReturn.ERROR_ARGUMENT_VERSION_MISMATCH);
    expect(sampled(nvml)).toMatchObject({ ...expected, source: 'nvmlDeviceGetProcessUtilization' });
  });

  it('reads NVML_VALUE_NOT_AVAILABLE memory as unknown, not as a number', () => {
    nvml.setProcess(0, 1001, { usedBytes: null });
    expect(share(probe({ procRoot: HOST_POD(1001) }))?.memoryUsedBytes).toBeNull();
  });
});

describe('options', () => {
  it('rejects a wrong processes or procRoot, and constLabels named reason', () => {
    expect(() => probe({ processes: 'yes' as unknown as boolean })).toThrow(
      /processes must be true or false/,
    );
    expect(() => probe({ procRoot: '' })).toThrow(/procRoot must be a folder path/);
    expect(() => probe({ constLabels: { reason: 'x' } })).toThrow(
      /"reason" is set by the gpu_\* metrics/,
    );
  });

  it('createFakeProcRoot lays out /proc as each setup shows it', () => {
    const root = mkdtempSync(join(tmpdir(), 'proc-check-'));
    folders.push(root);
    mkdirSync(join(root, 'self', 'ns'), { recursive: true });
    writeFileSync(join(root, 'self', 'status'), 'Pid:\t55\n'); // a kernel before NSpid (4.1)
    symlinkSync(HOST_PID_NAMESPACE, join(root, 'self', 'ns', 'pid'));
    expect(findHostPid(root)).toEqual({ ok: true, pid: 55, how: 'host-pid-namespace' });
    expect(findHostPid(procRoot({ pid: 8, namespace: 'own-host-procfs', hostPid: 808 }))).toEqual({
      ok: true,
      pid: 808,
      how: 'host-procfs',
    });
  });
});
