export {
  NvmlError,
  type NvmlLoadAttempt,
  NvmlLoadError,
  NvmlReturn,
  nvmlReturnName,
} from './errors.js';
export { DEFAULT_NVML_CANDIDATES, nvmlCandidates } from './library.js';
export { GPU_METRICS } from './metrics.js';
export type { NvmlMemory, NvmlUtilization } from './nvml.js';
export { createGpuProbe, type GpuProbe, type GpuProbeOptions, openGpuProbe } from './probe.js';
export type { GpuDeviceReading, GpuReadResult } from './probe-types.js';
