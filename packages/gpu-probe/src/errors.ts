/**
 * NVML return codes (`nvmlReturn_t` in nvml.h) by name. `NVML_SUCCESS` is 0; everything else is an error.
 */
export const NvmlReturn = {
  SUCCESS: 0,
  ERROR_UNINITIALIZED: 1,
  ERROR_INVALID_ARGUMENT: 2,
  ERROR_NOT_SUPPORTED: 3,
  ERROR_NO_PERMISSION: 4,
  ERROR_ALREADY_INITIALIZED: 5,
  ERROR_NOT_FOUND: 6,
  ERROR_INSUFFICIENT_SIZE: 7,
  ERROR_INSUFFICIENT_POWER: 8,
  ERROR_DRIVER_NOT_LOADED: 9,
  ERROR_TIMEOUT: 10,
  ERROR_IRQ_ISSUE: 11,
  ERROR_LIBRARY_NOT_FOUND: 12,
  ERROR_FUNCTION_NOT_FOUND: 13,
  ERROR_CORRUPTED_INFOROM: 14,
  ERROR_GPU_IS_LOST: 15,
  ERROR_RESET_REQUIRED: 16,
  ERROR_OPERATING_SYSTEM: 17,
  ERROR_LIB_RM_VERSION_MISMATCH: 18,
  ERROR_IN_USE: 19,
  ERROR_MEMORY: 20,
  ERROR_NO_DATA: 21,
  ERROR_VGPU_ECC_NOT_SUPPORTED: 22,
  ERROR_INSUFFICIENT_RESOURCES: 23,
  ERROR_FREQ_NOT_SUPPORTED: 24,
  ERROR_ARGUMENT_VERSION_MISMATCH: 25,
  ERROR_DEPRECATED: 26,
  ERROR_NOT_READY: 27,
  ERROR_GPU_NOT_FOUND: 28,
  ERROR_INVALID_STATE: 29,
  ERROR_UNKNOWN: 999,
} as const satisfies Record<string, number>;

/** The name of an NVML return code (`'ERROR_GPU_IS_LOST'`), or `'ERROR_<code>'` for a code this package does not know. */
export function nvmlReturnName(code: number): string {
  for (const [name, value] of Object.entries(NvmlReturn)) {
    if (value === code) return name;
  }
  return `ERROR_${code}`;
}

/**
 * Codes after which the handles (or the whole library state) are no longer any good: the probe
 * shuts NVML down and initialises it again on its next read instead of retrying with the same handles.
 */
const REINIT_CODES: ReadonlySet<number> = new Set([
  NvmlReturn.ERROR_UNINITIALIZED,
  NvmlReturn.ERROR_DRIVER_NOT_LOADED,
  NvmlReturn.ERROR_GPU_IS_LOST,
  NvmlReturn.ERROR_RESET_REQUIRED,
  NvmlReturn.ERROR_LIB_RM_VERSION_MISMATCH,
  NvmlReturn.ERROR_GPU_NOT_FOUND,
  NvmlReturn.ERROR_INVALID_ARGUMENT,
]);

/**
 * An NVML call that returned something other than `NVML_SUCCESS`.
 *
 * @example
 * if (error instanceof NvmlError && error.code === NvmlReturn.ERROR_GPU_IS_LOST) { ... }
 */
export class NvmlError extends Error {
  override readonly name = 'NvmlError';
  /** The `nvmlReturn_t` value, e.g. 15 for `NVML_ERROR_GPU_IS_LOST`. */
  readonly code: number;
  /** The code's name without the `NVML_` prefix, e.g. `'ERROR_GPU_IS_LOST'`. */
  readonly codeName: string;
  /** The NVML function that failed, e.g. `'nvmlDeviceGetUtilizationRates'`. */
  readonly functionName: string;
  /** What `nvmlErrorString(code)` says, e.g. `'GPU is lost'`. */
  readonly nvmlMessage: string;

  /**
   * @param functionName the NVML function that failed
   * @param code its return code
   * @param nvmlMessage `nvmlErrorString(code)`
   * @param context where it happened, e.g. `'GPU 0'` (optional)
   */
  constructor(functionName: string, code: number, nvmlMessage: string, context?: string) {
    const codeName = nvmlReturnName(code);
    super(
      `${functionName}${context ? ` (${context})` : ''} failed: ${nvmlMessage} (NVML_${codeName}, ${code})`,
    );
    this.code = code;
    this.codeName = codeName;
    this.functionName = functionName;
    this.nvmlMessage = nvmlMessage;
  }

  /** True when the probe must re-initialise NVML (driver gone, GPU lost, not initialised) rather than retry. */
  get needsReinit(): boolean {
    return REINIT_CODES.has(this.code);
  }
}

/** One place the probe looked for the NVML library and why it could not use it. */
export interface NvmlLoadAttempt {
  /** The path or library name passed to `dlopen`. */
  readonly path: string;
  /** Where the candidate came from. */
  readonly source: 'libraryPath option' | 'NVML_LIBRARY_PATH' | 'default';
  /** The loader's message. */
  readonly error: string;
}

/**
 * The NVML library (or the koffi FFI module) could not be loaded. `attempts` lists every candidate
 * tried, in order, with its error; the message says what to set or install.
 *
 * @example
 * const opened = openGpuProbe({ registry });
 * if (!opened.ok && opened.error instanceof NvmlLoadError) logger.info(opened.error.message);
 */
export class NvmlLoadError extends Error {
  override readonly name = 'NvmlLoadError';
  /** Every candidate tried, in order. */
  readonly attempts: readonly NvmlLoadAttempt[];

  /**
   * @param attempts every candidate tried, in order
   * @param summary the first line of the message (defaults to "could not load the NVML library")
   */
  constructor(attempts: readonly NvmlLoadAttempt[], summary?: string) {
    const tried = attempts.map((a) => `  - ${a.path} (${a.source}): ${a.error}`).join('\n');
    super(
      `${summary ?? 'Could not load the NVML library (libnvidia-ml.so.1).'}\n` +
        `Tried:\n${tried}\n` +
        'NVML ships with the NVIDIA driver. On a GPU host, install the driver (e.g. nvidia-driver or ' +
        'the libnvidia-compute package); in a container, run it with the NVIDIA Container Toolkit ' +
        '(--gpus all, or the nvidia RuntimeClass / device plugin on Kubernetes) so the driver libraries ' +
        'are mounted; or set NVML_LIBRARY_PATH=/path/to/libnvidia-ml.so.1.',
    );
    this.attempts = attempts;
  }
}
