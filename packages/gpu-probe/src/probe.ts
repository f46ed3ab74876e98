import type { Registry, RegistryContentType } from 'prom-client';
import { BusyTimeIntegrator } from './busy-time.js';
import { checkConstLabels } from './const-labels.js';
import { NvmlError, NvmlLoadError, NvmlReturn } from './errors.js';
import { findHostPid, type HostPid } from './host-pid.js';
import { loadNvml } from './library.js';
import { attachGpuMetrics, type GpuMetrics } from './metrics.js';
import { NvmlBinding, type NvmlDeviceHandle } from './nvml.js';
import type { GpuDeviceReading, GpuReadResult } from './probe-types.js';
import { ProcessShareReader } from './process-share.js';

// At scrape time all six metrics are collected one after the other: a reading younger than this
// is reused, so that they come from one read of NVML (whose utilization moves at most every 1/6 s).
const SCRAPE_COALESCE_MS = 1000;

/** Options of {@link createGpuProbe} and {@link openGpuProbe}. */
export interface GpuProbeOptions {
  /** Registry to publish the `gpu_*` metrics on. Without one the probe only reads (`probe.read()`). */
  registry?: Registry<RegistryContentType> | undefined;
  /** Path to `libnvidia-ml.so.1`; overrides `NVML_LIBRARY_PATH` and the usual driver locations. */
  libraryPath?: string | undefined;
  /**
   * Read every `intervalMs` milliseconds in the background and publish the latest reading at scrape
   * time. Default: read at scrape time (at most once per second).
   */
  intervalMs?: number | undefined;
  /**
   * GPUs to read: NVML indices or UUIDs (`GPU-…`, `MIG-…`). Default: the UUIDs that
   * `NVIDIA_VISIBLE_DEVICES` names, else every GPU that NVML sees.
   */
  devices?: ReadonlyArray<number | string> | undefined;
  /** Environment for `NVML_LIBRARY_PATH` and `NVIDIA_VISIBLE_DEVICES`. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Monotonic clock in milliseconds (tests). Default: `performance.now()`. */
  now?: (() => number) | undefined;
  /**
   * Labels fixed for the life of the process, added to every `gpu_*` series (`model`, `version`,
   * as the serving series carry them), so GPU series join the others by model. Not `gpu`, `uuid`,
   * `le` or `quantile`; every probe on one registry must use the same label names. Default: none.
   */
  constLabels?: Readonly<Record<string, string>> | undefined;
  /**
   * Read this process's own share of each GPU (`gpu_process_*`: its utilization and memory, from
   * NVML's per-process entry points), for pods that share a GPU. Default: true.
   */
  processes?: boolean | undefined;
  /**
   * Where procfs is mounted, to find this process's PID as NVML reports it (the host's). Default:
   * `GPU_PROBE_PROC_ROOT` from `env` (the host's `/proc` mounted into the container), else `/proc`.
   */
  procRoot?: string | undefined;
}

/** A running GPU probe. */
export interface GpuProbe {
  /** The NVML library that was loaded. */
  readonly libraryPath: string;
  /**
   * This process's PID as NVML reports it (the host's PID namespace's) and how it was found, or
   * why it is unknown; `null` when opened with `processes: false`.
   */
  readonly hostPid: HostPid | null;
  /**
   * Reads every GPU now. Never throws for NVML failures: they come back as `ok: false`, count in
   * `gpu_probe_read_errors_total`, and the next read tries again (initialising NVML again when the
   * driver or the GPU went away).
   */
  read(): GpuReadResult;
  /** Stops the interval, detaches the metrics' source and calls `nvmlShutdown`. Idempotent. */
  close(): void;
}

interface DeviceState {
  readonly gpu: string;
  readonly handle: NvmlDeviceHandle;
  readonly uuid: string;
  readonly name: string;
  readonly mig: boolean;
  readonly busy: BusyTimeIntegrator;
  readonly share: ProcessShareReader | null;
}

type DeviceSelector = { kind: 'index'; index: number } | { kind: 'uuid'; uuid: string };

const UUID_PATTERN = /^(GPU|MIG)-/i;

function selectors(
  devices: ReadonlyArray<number | string> | undefined,
  env: Readonly<Record<string, string | undefined>>,
): DeviceSelector[] | 'all' {
  if (devices) {
    return devices.map((d) => {
      if (typeof d === 'number') return { kind: 'index', index: d };
      const trimmed = d.trim();
      if (/^\d+$/.test(trimmed)) return { kind: 'index', index: Number(trimmed) };
      return { kind: 'uuid', uuid: trimmed };
    });
  }
  // NVML ignores CUDA_VISIBLE_DEVICES and, outside a container, NVIDIA_VISIBLE_DEVICES too: where the
  // latter names UUIDs (as the Kubernetes device plugin does), select exactly those.
  const visible = env.NVIDIA_VISIBLE_DEVICES?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (visible && visible.length > 0 && visible.every((v) => UUID_PATTERN.test(v))) {
    return visible.map((uuid) => ({ kind: 'uuid', uuid }));
  }
  return 'all';
}

function validate(options: GpuProbeOptions): void {
  const { intervalMs, devices, processes, procRoot } = options;
  checkConstLabels(options.constLabels);
  if (processes !== undefined && typeof processes !== 'boolean') {
    throw new TypeError(
      `gpu-probe: processes must be true or false, got ${JSON.stringify(processes)}`,
    );
  }
  if (procRoot !== undefined && (typeof procRoot !== 'string' || procRoot === '')) {
    throw new TypeError(
      `gpu-probe: procRoot must be a folder path, got ${JSON.stringify(procRoot)}`,
    );
  }
  if (intervalMs !== undefined && !(Number.isFinite(intervalMs) && intervalMs > 0)) {
    throw new TypeError(
      `gpu-probe: intervalMs must be a positive number of milliseconds, got ${intervalMs}`,
    );
  }
  for (const d of devices ?? []) {
    const ok =
      typeof d === 'number'
        ? Number.isInteger(d) && d >= 0
        : /^\d+$/.test(d.trim()) || UUID_PATTERN.test(d.trim());
    if (!ok) {
      throw new TypeError(
        `gpu-probe: devices must hold NVML indices (0, 1, …) or UUIDs (GPU-…, MIG-…), got ${JSON.stringify(d)}`,
      );
    }
  }
}

class Probe implements GpuProbe {
  readonly libraryPath: string;
  readonly hostPid: HostPid | null;
  readonly #nvml: NvmlBinding;
  readonly #selectors: DeviceSelector[] | 'all';
  readonly #now: () => number;
  readonly #busyTotals = new Map<string, number>();
  readonly #metrics: GpuMetrics | undefined;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #interval: boolean;
  #initialised = false;
  /** What to read (resolved once per NVML initialisation) and the device found for each, if any. */
  #targets: DeviceSelector[] | null = null;
  #slots: Array<DeviceState | null> = [];
  #last: { result: GpuReadResult; at: number } | null = null;
  #closed = false;

  constructor(nvml: NvmlBinding, options: GpuProbeOptions) {
    this.libraryPath = nvml.path;
    this.#nvml = nvml;
    this.#selectors = selectors(options.devices, options.env ?? process.env);
    this.#now = options.now ?? (() => performance.now());
    this.#interval = options.intervalMs !== undefined;
    const env = options.env ?? process.env;
    this.hostPid =
      options.processes === false
        ? null
        : findHostPid(options.procRoot ?? (env.GPU_PROBE_PROC_ROOT?.trim() || undefined));
    // Start: NVML must initialise and the devices must be found once, or the probe is not opened.
    try {
      const { missing } = this.#ready();
      if (missing) throw missing;
      if (options.registry) {
        this.#metrics = attachGpuMetrics(options.registry, this, options.constLabels);
      }
    } catch (error) {
      this.#reset();
      throw error;
    }
    if (options.intervalMs !== undefined) {
      this.read();
      this.#timer = setInterval(() => this.read(), options.intervalMs);
      this.#timer.unref();
    }
  }

  /**
   * Initialises NVML and resolves the devices where that is not done yet. Throws NvmlError when
   * NVML itself fails; a device that cannot be found is left empty and tried again on the next read.
   */
  #ready(): { slots: Array<DeviceState | null>; missing: NvmlError | undefined } {
    if (!this.#initialised) {
      this.#nvml.init();
      this.#initialised = true;
    }
    if (!this.#targets) {
      const targets: DeviceSelector[] =
        this.#selectors === 'all'
          ? Array.from({ length: this.#nvml.deviceCount() }, (_, index) => ({
              kind: 'index' as const,
              index,
            }))
          : this.#selectors;
      this.#targets = targets;
      this.#slots = targets.map(() => null);
    }
    let missing: NvmlError | undefined;
    this.#targets.forEach((target, i) => {
      if (this.#slots[i]) return;
      try {
        this.#slots[i] = this.#open(String(i), target);
      } catch (error) {
        missing ??= asNvmlError(error);
      }
    });
    return { slots: this.#slots, missing };
  }

  #open(gpu: string, target: DeviceSelector): DeviceState {
    const nvml = this.#nvml;
    const handle =
      target.kind === 'index' ? nvml.handleByIndex(target.index) : nvml.handleByUuid(target.uuid);
    return {
      gpu,
      handle,
      uuid: nvml.uuid(handle),
      name: nvml.name(handle),
      mig: nvml.isMigDevice(handle, `GPU ${gpu}`),
      busy: new BusyTimeIntegrator(),
      share: this.hostPid ? new ProcessShareReader(this.hostPid) : null,
    };
  }

  /** Drops handles and NVML state so the next read starts from nvmlInit_v2 again. */
  #reset(): void {
    this.#targets = null;
    this.#slots = [];
    if (this.#initialised) {
      this.#initialised = false;
      try {
        this.#nvml.shutdown();
      } catch {
        // The driver is already gone; nothing to release.
      }
    }
  }

  #optional<T>(read: () => T | null): T | null {
    try {
      return read();
    } catch (error) {
      if (error instanceof NvmlError && error.needsReinit) throw error;
      return null; // power and temperature are extras: a failure there does not fail the read
    }
  }

  #readDevice(d: DeviceState, now: number): GpuDeviceReading {
    const nvml = this.#nvml;
    const context = `GPU ${d.gpu} ${d.uuid}`;
    const utilization = d.mig ? null : nvml.utilization(d.handle, context);
    const memory = nvml.memory(d.handle, context);
    const powerWatts = this.#optional(() => nvml.powerWatts(d.handle, context));
    const temperatureCelsius = this.#optional(() => nvml.temperatureCelsius(d.handle, context));
    let busySource: GpuDeviceReading['busySource'] = null;
    let busySecondsTotal: number | null = null;
    if (utilization) {
      const samples = nvml.utilizationSamples(d.handle, d.busy.lastSampleUs, context);
      busySource = samples ? 'samples' : 'utilization';
      const added = samples
        ? d.busy.fromSamples(samples, now)
        : d.busy.fromUtilization(utilization.gpu, now);
      busySecondsTotal = (this.#busyTotals.get(d.uuid) ?? 0) + added;
      this.#busyTotals.set(d.uuid, busySecondsTotal);
    }
    const process = d.share ? d.share.read(nvml.processes, d.handle, d.mig, now, context) : null;
    return {
      gpu: d.gpu,
      uuid: d.uuid,
      name: d.name,
      mig: d.mig,
      utilization,
      memory,
      powerWatts,
      temperatureCelsius,
      busySecondsTotal,
      busySource,
      process,
    };
  }

  read(): GpuReadResult {
    const now = this.#now();
    const result = this.#read(now);
    this.#last = { result, at: now };
    if (!result.ok) this.#metrics?.readError();
    return result;
  }

  #read(now: number): GpuReadResult {
    if (this.#closed) {
      const closed = new NvmlError('read', NvmlReturn.ERROR_UNINITIALIZED, 'the probe is closed');
      return { ok: false, error: closed, devices: [] };
    }
    let ready: { slots: Array<DeviceState | null>; missing: NvmlError | undefined };
    try {
      ready = this.#ready();
    } catch (error) {
      this.#reset();
      return { ok: false, error: asNvmlError(error), devices: [] };
    }
    const { slots } = ready;
    const readings: GpuDeviceReading[] = [];
    let failure = ready.missing;
    let lost = 0;
    slots.forEach((d, i) => {
      if (!d) return;
      try {
        readings.push(this.#readDevice(d, now));
      } catch (error) {
        failure ??= asNvmlError(error);
        if (error instanceof NvmlError && error.needsReinit) {
          slots[i] = null; // look it up again on the next read
          lost++;
        } else {
          d.busy.interrupt();
          d.share?.interrupt();
        }
      }
    });
    // Nothing answers (the driver went away, or the only GPU fell off the bus): start NVML afresh.
    // Otherwise keep the GPUs that still answer, and their busy-time baselines.
    const missingNeedsReinit = ready.missing instanceof NvmlError && ready.missing.needsReinit;
    if (readings.length === 0 && (lost > 0 || missingNeedsReinit)) this.#reset();
    return failure
      ? { ok: false, error: failure, devices: readings }
      : { ok: true, devices: readings };
  }

  /** The reading to publish at scrape time. */
  snapshot(): GpuReadResult {
    const last = this.#last;
    if (this.#interval && last) return last.result;
    if (last && this.#now() - last.at < SCRAPE_COALESCE_MS) return last.result;
    return this.read();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#metrics?.detach();
    this.#reset();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * A read failure as the {@link NvmlError} that `GpuReadResult` promises: NVML's own errors as they
 * are, anything else (the FFI layer failing) as `NVML_ERROR_UNKNOWN` with the original as `cause`.
 */
function asNvmlError(error: unknown): NvmlError {
  if (error instanceof NvmlError) return error;
  const wrapped = new NvmlError('read', NvmlReturn.ERROR_UNKNOWN, asError(error).message);
  wrapped.cause = error;
  return wrapped;
}

/**
 * Opens the GPU probe: loads NVML (lazily, on this call), initialises it once, finds the GPUs, and
 * publishes the `gpu_*` metrics on `registry`. Expected failures (no NVML library, no driver, no
 * GPU) are values, not exceptions.
 *
 * @param options registry, `libraryPath`, `intervalMs` (default: read at scrape time), `devices`,
 *   `env`, `constLabels`, `processes` (default true), `procRoot` (default `/proc`)
 * @returns `{ ok: true, probe }`, or `{ ok: false, error }` with an {@link NvmlLoadError} (library
 *   not found: lists every attempt and what to do) or an {@link NvmlError} (e.g. `nvmlInit_v2` failed)
 * @example
 * const opened = openGpuProbe({ registry });
 * if (opened.ok) process.on('SIGTERM', () => opened.probe.close());
 * else logger.info({ err: opened.error }, 'GPU metrics off');
 */
export function openGpuProbe(
  options: GpuProbeOptions = {},
): { ok: true; probe: GpuProbe } | { ok: false; error: NvmlLoadError | NvmlError } {
  validate(options);
  const loaded = loadNvml(options);
  if (!loaded.ok) return loaded;
  let binding: NvmlBinding;
  try {
    binding = new NvmlBinding(loaded.value);
  } catch (error) {
    return {
      ok: false,
      error: new NvmlLoadError(
        [{ path: loaded.value.path, source: 'default', error: asError(error).message }],
        `${loaded.value.path} loaded but is not a usable NVML library (an entry point is missing).`,
      ),
    };
  }
  try {
    return { ok: true, probe: new Probe(binding, options) };
  } catch (error) {
    if (error instanceof NvmlError) return { ok: false, error };
    throw error;
  }
}

/**
 * Like {@link openGpuProbe}, but throws the error instead of returning it: for programs that
 * cannot go on without GPU metrics.
 *
 * @param options see {@link GpuProbeOptions}
 * @example
 * const registry = new Registry();
 * const probe = createGpuProbe({ registry, intervalMs: 5000 });
 * // … later
 * probe.close();
 */
export function createGpuProbe(options: GpuProbeOptions = {}): GpuProbe {
  const opened = openGpuProbe(options);
  if (!opened.ok) throw opened.error;
  return opened.probe;
}
