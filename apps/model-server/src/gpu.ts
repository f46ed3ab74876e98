// Wires @mlscale/gpu-probe into the server (GPU_PROBE=auto|on|off): the gpu_* metrics land on the
// server's own registry, so the same /metrics serves them.
import { NvmlLoadError, openGpuProbe } from '@mlscale/gpu-probe';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export type GpuProbeMode = 'auto' | 'on' | 'off';

/**
 * Starts the GPU probe on `registry` according to `mode`, logging once why it is off when it is.
 * Throws only when `mode` is 'on' and NVML cannot be used.
 *
 * - `auto`: start when NVML loads and initialises; else log (info when there is no NVML library,
 *   warn when there is one but it failed) and carry on without GPU metrics.
 * - `on`: start, or throw an error that says what was tried and what to set or install.
 * - `off`: nothing.
 *
 * @param options.env environment for `NVML_LIBRARY_PATH` and `NVIDIA_VISIBLE_DEVICES` (default `process.env`)
 * @param options.constLabels labels on every `gpu_*` series, such as `modelLabels(config)` (default none)
 * @example
 * const gpu = setupGpuProbe({ mode: config.gpuProbe, registry, logger, constLabels: modelLabels(config) });
 * // on shutdown
 * gpu.close();
 */
export function setupGpuProbe({
  mode,
  registry,
  logger,
  env = process.env,
  constLabels,
}: {
  mode: GpuProbeMode;
  registry: Registry;
  logger: Logger;
  env?: Record<string, string | undefined>;
  constLabels?: Readonly<Record<string, string>>;
}): { close(): void } {
  const off = { close() {} };
  if (mode === 'off') {
    logger.info({ gpuProbe: mode }, 'GPU metrics off (GPU_PROBE=off)');
    return off;
  }
  const opened = openGpuProbe({ registry, env, constLabels });
  if (!opened.ok) {
    const { error } = opened;
    if (mode === 'on') {
      throw new Error(`GPU_PROBE=on, but the GPU probe cannot start: ${error.message}`, {
        cause: error,
      });
    }
    const missing = error instanceof NvmlLoadError;
    const log = missing ? logger.info.bind(logger) : logger.warn.bind(logger);
    log(
      { gpuProbe: mode, reason: error.message },
      missing
        ? 'GPU metrics off: no NVML library (no NVIDIA driver here); set GPU_PROBE=off to say so explicitly'
        : 'GPU metrics off: NVML is installed but did not answer',
    );
    return off;
  }
  const { probe } = opened;
  const first = probe.read();
  logger.info(
    {
      gpuProbe: mode,
      library: probe.libraryPath,
      gpus: first.devices.map((d) => ({ gpu: d.gpu, uuid: d.uuid, name: d.name, mig: d.mig })),
    },
    'GPU metrics on',
  );
  return {
    close() {
      probe.close();
    },
  };
}
