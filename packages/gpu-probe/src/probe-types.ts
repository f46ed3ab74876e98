import type { NvmlError } from './errors.js';
import type { NvmlMemory, NvmlUtilization } from './nvml.js';
import type { ProcessUtilizationSource } from './nvml-processes.js';

/**
 * Why this process's share of a GPU cannot be told (the `reason` label of `gpu_process_attributed`):
 * - `pid-namespace`: the process's PID as NVML reports it (the host's) is unknown;
 * - `mig`: a MIG device (NVML has no per-process utilization on MIG);
 * - `mps`: an MPS client with no sample of its own (its kernels run in the MPS server);
 * - `not-supported`: the driver lacks the entry point or the GPU the feature;
 * - `nvml-error`: a per-process call failed on this read.
 */
export type ProcessUnattributedReason =
  | 'pid-namespace'
  | 'mig'
  | 'mps'
  | 'not-supported'
  | 'nvml-error';

/** This process's own share of one GPU. */
export interface GpuProcessReading {
  /** This process's PID as NVML reports it (the host's), or `null` when it is unknown. */
  readonly pid: number | null;
  /**
   * This process's utilization in percent (SM: a kernel of this process ran; memory, encoder,
   * decoder), the mean of its samples since the previous read. `null` when it cannot be told
   * (see `attribution`): never a stand-in 0.
   */
  readonly utilization: {
    readonly sm: number;
    readonly memory: number;
    readonly encoder: number;
    readonly decoder: number;
  } | null;
  /** GPU memory this process uses on this GPU, bytes (0: no context on it); `null` when unknown. */
  readonly memoryUsedBytes: number | null;
  /** How `utilization` was attributed to this process, or why it could not be. */
  readonly attribution:
    | { readonly ok: true; readonly how: 'host-pid-namespace' | 'host-procfs' }
    | { readonly ok: false; readonly reason: ProcessUnattributedReason; readonly detail: string };
  /** The entry point the samples came from, `null` when none answered. */
  readonly source: ProcessUtilizationSource | null;
  /** How many of this process's samples the utilization averages (0: it did not run, or none came). */
  readonly samples: number;
}

/** What one read of one GPU found. */
export interface GpuDeviceReading {
  /** The `gpu` label: the device's position among the probe's devices ("0", "1", …). */
  readonly gpu: string;
  /** The device UUID (`GPU-…`, or `MIG-…` for a MIG device), the `uuid` label. */
  readonly uuid: string;
  /** The product name, e.g. `NVIDIA H100 80GB HBM3`. */
  readonly name: string;
  /** True for a MIG device: it reports no utilization. */
  readonly mig: boolean;
  /** Utilization in percent, or `null` when the device does not report it (MIG). Never a stand-in 0. */
  readonly utilization: NvmlUtilization | null;
  /** Memory in bytes. */
  readonly memory: NvmlMemory;
  /** Power draw in watts, or `null` where not supported. */
  readonly powerWatts: number | null;
  /** Core temperature in °C, or `null` where not supported. */
  readonly temperatureCelsius: number | null;
  /** Busy seconds counted since the probe started (`gpu_busy_seconds_total`); `null` when utilization is unsupported. */
  readonly busySecondsTotal: number | null;
  /** Where the busy time comes from: the driver's sample buffer, or utilization × elapsed time. */
  readonly busySource: 'samples' | 'utilization' | null;
  /** This process's own share of the GPU; `null` when the probe was opened with `processes: false`. */
  readonly process: GpuProcessReading | null;
}

/**
 * One read of every GPU of the probe. A failed read is a value: `ok: false` with the error, and
 * `devices` holds only the GPUs that were read (possibly none), never zeros for the others.
 */
export type GpuReadResult =
  | { readonly ok: true; readonly devices: readonly GpuDeviceReading[] }
  | {
      readonly ok: false;
      readonly error: NvmlError;
      readonly devices: readonly GpuDeviceReading[];
    };
