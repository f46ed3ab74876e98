import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NvmlReturn } from './errors.js';

/**
 * Path of `fake-nvml.c`, the stand-in NVML library shipped in this package's `testing` folder.
 *
 * @example
 * execFileSync('cc', ['-shared', '-fPIC', '-o', 'libnvidia-ml.so.1', FAKE_NVML_SOURCE]);
 */
export const FAKE_NVML_SOURCE: string = fileURLToPath(
  new URL('../testing/fake-nvml.c', import.meta.url),
);

/** Options of {@link compileFakeNvml}. */
export interface CompileFakeNvmlOptions {
  /** C compiler. Default: `$CC`, else `cc`. */
  cc?: string | undefined;
  /** Folder to build in. Default: a new temporary folder, removed by `dispose()`. */
  dir?: string | undefined;
  /**
   * NVML entry points to leave out of the library, as an older driver lacks them (the probe then
   * finds no symbol: NVML_ERROR_FUNCTION_NOT_FOUND), e.g.
   * `['nvmlDeviceGetProcessesUtilizationInfo', 'nvmlDeviceGetComputeRunningProcesses_v3']`.
   */
  omit?: readonly OmittableEntryPoint[] | undefined;
}

/** The entry points {@link CompileFakeNvmlOptions.omit} can leave out. */
export type OmittableEntryPoint =
  | 'nvmlDeviceGetProcessesUtilizationInfo'
  | 'nvmlDeviceGetProcessUtilization'
  | 'nvmlDeviceGetComputeRunningProcesses_v3'
  | 'nvmlDeviceGetComputeRunningProcesses_v2'
  | 'nvmlDeviceGetComputeRunningProcesses'
  | 'nvmlDeviceGetMPSComputeRunningProcesses_v3';

const OMITTABLE: readonly OmittableEntryPoint[] = [
  'nvmlDeviceGetProcessesUtilizationInfo',
  'nvmlDeviceGetProcessUtilization',
  'nvmlDeviceGetComputeRunningProcesses_v3',
  'nvmlDeviceGetComputeRunningProcesses_v2',
  'nvmlDeviceGetComputeRunningProcesses',
  'nvmlDeviceGetMPSComputeRunningProcesses_v3',
];

/** One process's utilization sample for {@link FakeNvml.pushProcessSample}, percent. */
export interface FakeProcessSample {
  sm: number;
  memory?: number;
  encoder?: number;
  decoder?: number;
}

/** A compiled fake NVML library and the controls over what it answers. Device indices start at 0. */
export interface FakeNvml {
  /** Path of the compiled library: pass it as `libraryPath` or `NVML_LIBRARY_PATH`. */
  readonly libraryPath: string;
  /** `{ NVML_LIBRARY_PATH: libraryPath }`, to merge into an `env` option. */
  readonly env: { NVML_LIBRARY_PATH: string };
  /** One healthy idle GPU, 16 GiB, no failures, no samples, counters at 0. */
  reset(): void;
  /** How many GPUs NVML reports (at most 8). */
  setDeviceCount(count: number): void;
  /** Name and/or UUID of a GPU (a `MIG-…` UUID for a MIG device). */
  setIdentity(index: number, identity: { name?: string; uuid?: string }): void;
  /** `nvmlDeviceGetUtilizationRates` answer, percent. */
  setUtilization(index: number, gpu: number, memory?: number): void;
  /** `nvmlDeviceGetMemoryInfo` answer, bytes (`free` = total − used). */
  setMemory(index: number, memory: { total: number; used: number }): void;
  /** Power draw in watts. */
  setPower(index: number, watts: number): void;
  /** Temperature in °C. */
  setTemperature(index: number, celsius: number): void;
  /** Makes a GPU a MIG device: utilization answers NVML_ERROR_NOT_SUPPORTED. */
  setMig(index: number, mig: boolean): void;
  /** Gives a GPU a utilization sample buffer (`nvmlDeviceGetSamples`); without one it answers NOT_SUPPORTED. */
  setSamplesSupported(index: number, supported: boolean): void;
  /** Appends a utilization sample (timestamp in µs, percent) to a GPU's buffer (implies supported). */
  pushSample(index: number, timestampUs: number, percent: number): void;
  /**
   * Puts a process (host PID) on a GPU with `usedBytes` of its memory (`null`: NVML's
   * NVML_VALUE_NOT_AVAILABLE), as a compute process or, with `mps`, an MPS client; updates it when
   * it is there. At most 16 per GPU.
   */
  setProcess(
    index: number,
    pid: number,
    options?: { usedBytes?: number | null; mps?: boolean },
  ): void;
  /** Takes a process off a GPU's lists (its samples stay in the buffer, as the driver's do). */
  removeProcess(index: number, pid: number): void;
  /** Appends a per-process utilization sample (timestamp in µs) to a GPU's buffer. */
  pushProcessSample(
    index: number,
    pid: number,
    timestampUs: number,
    sample: FakeProcessSample,
  ): void;
  /** `false`: the per-process utilization calls answer NVML_ERROR_NOT_SUPPORTED. */
  setProcessUtilizationSupported(index: number, supported: boolean): void;
  /**
   * A process (added with {@link setProcess}) runs kernels for `duty` (0..1) of every `periodMs`,
   * starting `phaseMs` into the period. Advancing the clock then writes every 1/6 s its share of
   * the period and the GPU's (the union of its processes' busy time: time-slicing).
   */
  setDutyCycle(index: number, pid: number, duty: number, periodMs?: number, phaseMs?: number): void;
  /** Moves the virtual clock on by `ms`, writing the samples of the periods that end; returns µs. */
  advanceClock(ms: number): number;
  /** The virtual clock, µs (starts at 1 700 000 000 000 000, a CPU timestamp as NVML's are). */
  readonly clockUs: number;
  /**
   * Makes NVML function `fn` (`'*'` for every per-device function) return `code` for GPU `device`
   * (default: every GPU); `code` 0 clears it.
   */
  fail(fn: string, code: number, device?: number): void;
  /** The GPU falls off the bus: every call on it answers NVML_ERROR_GPU_IS_LOST until {@link restoreDevice}. */
  loseDevice(index: number): void;
  /** Undoes {@link loseDevice}. */
  restoreDevice(index: number): void;
  /** `nvmlInit_v2` answers `code` (default NVML_ERROR_DRIVER_NOT_LOADED); 0 makes it succeed again. */
  failInit(code?: number): void;
  /** How many times `nvmlInit_v2` was called since the last reset. */
  readonly initCalls: number;
  /** How many times `nvmlShutdown` was called since the last reset. */
  readonly shutdownCalls: number;
  /** Current NVML init reference count (0 when everyone shut down). */
  readonly initRefs: number;
  /** Removes the temporary folder. */
  dispose(): void;
}

type Koffi = typeof import('koffi');
type Fn = (...args: unknown[]) => number;

/**
 * Compiles `fake-nvml.c` with the system C compiler into a fresh folder and returns its path and
 * controls. Each call builds a separate library file, so each one has its own state even in one
 * process. Throws when no C compiler is available.
 *
 * @param options `cc` (default `$CC` or `cc`), `dir` (default: a new temporary folder)
 * @example
 * const nvml = compileFakeNvml();
 * nvml.setUtilization(0, 87);
 * const probe = createGpuProbe({ registry, libraryPath: nvml.libraryPath });
 * // … assert on await registry.metrics()
 * probe.close();
 * nvml.dispose();
 */
export function compileFakeNvml({ cc, dir, omit = [] }: CompileFakeNvmlOptions = {}): FakeNvml {
  const compiler = cc ?? process.env.CC ?? 'cc';
  for (const name of omit) {
    if (!OMITTABLE.includes(name)) {
      throw new TypeError(
        `@mlscale/gpu-probe/testing: cannot omit ${JSON.stringify(name)}; one of ${OMITTABLE.join(', ')}`,
      );
    }
  }
  if (!existsSync(FAKE_NVML_SOURCE)) {
    throw new Error(`@mlscale/gpu-probe/testing: ${FAKE_NVML_SOURCE} is missing from the package`);
  }
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'fake-nvml-'));
  const libraryPath = join(folder, 'libnvidia-ml.so.1');
  const defines = omit.map((name) => `-DFAKE_NVML_OMIT_${name}`);
  try {
    execFileSync(
      compiler,
      ['-shared', '-fPIC', '-O2', ...defines, '-o', libraryPath, FAKE_NVML_SOURCE],
      { stdio: 'pipe' },
    );
  } catch (error) {
    if (!dir) rmSync(folder, { recursive: true, force: true });
    const detail =
      error && typeof error === 'object' && 'stderr' in error && error.stderr
        ? String(error.stderr)
        : String(error);
    throw new Error(
      `@mlscale/gpu-probe/testing: could not compile the fake NVML library with "${compiler}" ` +
        `(install a C compiler, e.g. apt-get install gcc, or set CC): ${detail}`,
    );
  }
  const c = bindControls(libraryPath);
  return {
    libraryPath,
    env: { NVML_LIBRARY_PATH: libraryPath },
    ...deviceControls(c),
    ...processControls(c),
    get initCalls() {
      return c.initCalls();
    },
    get shutdownCalls() {
      return c.shutdownCalls();
    },
    get initRefs() {
      return c.initRefs();
    },
    get clockUs() {
      return Number(c.clock());
    },
    dispose: () => {
      if (!dir) rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** The fake's `fake_nvml_*` control functions, bound through koffi. */
function bindControls(libraryPath: string) {
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const lib = koffi.load(libraryPath);
  const f = (decl: string): Fn => lib.func(decl) as Fn;
  return {
    reset: f('void fake_nvml_reset(void)'),
    count: f('int fake_nvml_set_device_count(unsigned int)'),
    identity: f('int fake_nvml_set_identity(unsigned int, const char *, const char *)'),
    utilization: f('int fake_nvml_set_utilization(unsigned int, unsigned int, unsigned int)'),
    memory: f('int fake_nvml_set_memory(unsigned int, unsigned long long, unsigned long long)'),
    power: f('int fake_nvml_set_power(unsigned int, unsigned int)'),
    temperature: f('int fake_nvml_set_temperature(unsigned int, unsigned int)'),
    mig: f('int fake_nvml_set_mig(unsigned int, int)'),
    samplesSupported: f('int fake_nvml_set_samples_supported(unsigned int, int)'),
    push: f('int fake_nvml_push_sample(unsigned int, unsigned long long, unsigned int)'),
    fail: f('int fake_nvml_fail(const char *, int, int)'),
    setProcess: f('int fake_nvml_set_process(unsigned int, unsigned int, unsigned long long, int)'),
    removeProcess: f('int fake_nvml_remove_process(unsigned int, unsigned int)'),
    pushProcessSample: f(
      'int fake_nvml_push_process_sample(unsigned int, unsigned int, unsigned long long, unsigned int, unsigned int, unsigned int, unsigned int)',
    ),
    processSupported: f('int fake_nvml_set_process_utilization_supported(unsigned int, int)'),
    duty: f(
      'int fake_nvml_set_duty(unsigned int, unsigned int, unsigned int, unsigned long long, unsigned long long)',
    ),
    advance: f('unsigned long long fake_nvml_advance_clock(unsigned long long)'),
    clock: f('unsigned long long fake_nvml_clock_us(void)'),
    initCalls: f('int fake_nvml_init_calls(void)'),
    shutdownCalls: f('int fake_nvml_shutdown_calls(void)'),
    initRefs: f('int fake_nvml_init_refs(void)'),
  };
}

type Controls = ReturnType<typeof bindControls>;

function check(what: string, rc: number): void {
  if (rc !== 0)
    throw new RangeError(`fake NVML: ${what} refused (index out of range or bad value)`);
}

/** The device-wide controls: identity, readings, failures. */
function deviceControls(
  c: Controls,
): Omit<
  FakeNvml,
  | 'libraryPath'
  | 'env'
  | 'initCalls'
  | 'shutdownCalls'
  | 'initRefs'
  | 'clockUs'
  | 'dispose'
  | keyof ReturnType<typeof processControls>
> {
  return {
    reset: () => void c.reset(),
    setDeviceCount: (count) => check('setDeviceCount', c.count(count)),
    setIdentity: (i, { name, uuid }) =>
      check('setIdentity', c.identity(i, name ?? null, uuid ?? null)),
    setUtilization: (i, gpu, memory = 0) => check('setUtilization', c.utilization(i, gpu, memory)),
    setMemory: (i, { total, used }) => check('setMemory', c.memory(i, total, used)),
    setPower: (i, watts) => check('setPower', c.power(i, Math.round(watts * 1000))),
    setTemperature: (i, celsius) => check('setTemperature', c.temperature(i, celsius)),
    setMig: (i, mig) => check('setMig', c.mig(i, mig ? 1 : 0)),
    setSamplesSupported: (i, s) => check('setSamplesSupported', c.samplesSupported(i, s ? 1 : 0)),
    pushSample: (i, ts, percent) => {
      check('setSamplesSupported', c.samplesSupported(i, 1));
      check('pushSample', c.push(i, ts, percent));
    },
    fail: (fn, code, device = -1) => check('fail', c.fail(fn, device, code)),
    loseDevice: (i) => check('loseDevice', c.fail('*', i, NvmlReturn.ERROR_GPU_IS_LOST)),
    restoreDevice: (i) => check('restoreDevice', c.fail('*', i, 0)),
    failInit: (code = NvmlReturn.ERROR_DRIVER_NOT_LOADED) =>
      check('failInit', c.fail('nvmlInit_v2', -1, code)),
  };
}

/** The per-process controls: process lists, samples, duty cycles on the virtual clock. */
function processControls(
  c: Controls,
): Pick<
  FakeNvml,
  | 'setProcess'
  | 'removeProcess'
  | 'pushProcessSample'
  | 'setProcessUtilizationSupported'
  | 'setDutyCycle'
  | 'advanceClock'
> {
  return {
    setProcess: (i, pid, { usedBytes = 0, mps = false } = {}) =>
      // NVML_VALUE_NOT_AVAILABLE is (unsigned long long)-1
      check(
        'setProcess',
        c.setProcess(i, pid, usedBytes === null ? 0xffff_ffff_ffff_ffffn : usedBytes, mps ? 1 : 0),
      ),
    removeProcess: (i, pid) => check('removeProcess', c.removeProcess(i, pid)),
    pushProcessSample: (i, pid, ts, { sm, memory = 0, encoder = 0, decoder = 0 }) =>
      check('pushProcessSample', c.pushProcessSample(i, pid, ts, sm, memory, encoder, decoder)),
    setProcessUtilizationSupported: (i, s) =>
      check('setProcessUtilizationSupported', c.processSupported(i, s ? 1 : 0)),
    setDutyCycle: (i, pid, duty, periodMs = 100, phaseMs = 0) =>
      check(
        'setDutyCycle (add the process with setProcess first)',
        c.duty(
          i,
          pid,
          Math.round(duty * 1000),
          Math.round(periodMs * 1000),
          Math.round(phaseMs * 1000),
        ),
      ),
    advanceClock: (ms) => Number(c.advance(Math.round(ms * 1000))),
  };
}

export { createFakeProcRoot, type FakeProcRootOptions } from './fake-proc-root.js';
