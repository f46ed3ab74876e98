import type { NvmlError } from './errors.js';
import type { NvmlMemory, NvmlUtilization } from './nvml.js';

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
