export {
  NvmlError,
  type NvmlLoadAttempt,
  NvmlLoadError,
  NvmlReturn,
  nvmlReturnName,
} from './errors.js';
export { findHostPid, HOST_PID_NAMESPACE, type HostPid } from './host-pid.js';
export { DEFAULT_NVML_CANDIDATES, nvmlCandidates } from './library.js';
export { GPU_METRICS } from './metrics.js';
export type { NvmlMemory, NvmlUtilization } from './nvml.js';
export type {
  NvmlProcessInfo,
  NvmlProcessSample,
  ProcessUtilizationSource,
} from './nvml-processes.js';
export { createGpuProbe, type GpuProbe, type GpuProbeOptions, openGpuProbe } from './probe.js';
export type {
  GpuDeviceReading,
  GpuProcessReading,
  GpuReadResult,
  ProcessUnattributedReason,
} from './probe-types.js';
