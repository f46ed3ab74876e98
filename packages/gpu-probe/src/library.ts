import { createRequire } from 'node:module';
import { type NvmlLoadAttempt, NvmlLoadError } from './errors.js';

/** The koffi module's type, imported lazily so that importing this package never loads native code. */
export type Koffi = typeof import('koffi');
/** A library loaded by koffi. */
export type KoffiLibrary = ReturnType<Koffi['load']>;

/** Where the NVIDIA driver installs NVML on common distributions and in containers (nvidia-container-toolkit). */
export const DEFAULT_NVML_CANDIDATES: readonly string[] = [
  'libnvidia-ml.so.1',
  'libnvidia-ml.so',
  '/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1',
  '/usr/lib/aarch64-linux-gnu/libnvidia-ml.so.1',
  '/usr/lib64/libnvidia-ml.so.1',
  '/usr/lib/libnvidia-ml.so.1',
  '/usr/local/nvidia/lib64/libnvidia-ml.so.1',
  '/usr/local/nvidia/lib/libnvidia-ml.so.1',
  '/usr/lib/wsl/lib/libnvidia-ml.so.1',
];

/** Options that say where NVML is. */
export interface LoadNvmlOptions {
  /** Explicit path to `libnvidia-ml.so.1`; tried first. */
  libraryPath?: string | undefined;
  /** Environment to read `NVML_LIBRARY_PATH` from. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** A loaded NVML library. */
export interface LoadedNvml {
  readonly koffi: Koffi;
  readonly library: KoffiLibrary;
  /** The candidate that loaded. */
  readonly path: string;
}

/**
 * The candidates, in order: the `libraryPath` option, `NVML_LIBRARY_PATH`, then the defaults.
 *
 * @param options where to look
 * @example
 * nvmlCandidates({ env: { NVML_LIBRARY_PATH: '/opt/nvml.so' } })[0]; // { path: '/opt/nvml.so', source: 'NVML_LIBRARY_PATH' }
 */
export function nvmlCandidates({
  libraryPath,
  env = process.env,
}: LoadNvmlOptions = {}): Array<Pick<NvmlLoadAttempt, 'path' | 'source'>> {
  const out: Array<Pick<NvmlLoadAttempt, 'path' | 'source'>> = [];
  if (libraryPath) out.push({ path: libraryPath, source: 'libraryPath option' });
  const fromEnv = env.NVML_LIBRARY_PATH?.trim();
  if (fromEnv) out.push({ path: fromEnv, source: 'NVML_LIBRARY_PATH' });
  // An explicit location is a promise: do not silently pick up another library instead.
  if (out.length > 0) return out;
  return DEFAULT_NVML_CANDIDATES.map((path) => ({ path, source: 'default' as const }));
}

function loadKoffi(): { ok: true; koffi: Koffi } | { ok: false; error: string } {
  try {
    const require = createRequire(import.meta.url);
    return { ok: true, koffi: require('koffi') as Koffi };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Loads koffi and then the first NVML candidate that `dlopen` accepts. Never throws: a failure is a
 * value carrying one {@link NvmlLoadError} that lists every attempt.
 *
 * @param options where to look (`libraryPath`, then `NVML_LIBRARY_PATH`, then the driver's usual places)
 * @example
 * const loaded = loadNvml();
 * if (!loaded.ok) console.error(loaded.error.message);
 */
export function loadNvml(
  options: LoadNvmlOptions = {},
): { ok: true; value: LoadedNvml } | { ok: false; error: NvmlLoadError } {
  const koffi = loadKoffi();
  if (!koffi.ok) {
    return {
      ok: false,
      error: new NvmlLoadError(
        [{ path: 'koffi', source: 'default', error: koffi.error }],
        'Could not load koffi, the FFI module that @mlscale/gpu-probe uses to call NVML (is its platform package installed?).',
      ),
    };
  }
  const attempts: NvmlLoadAttempt[] = [];
  for (const candidate of nvmlCandidates(options)) {
    try {
      const library = koffi.koffi.load(candidate.path);
      return { ok: true, value: { koffi: koffi.koffi, library, path: candidate.path } };
    } catch (error) {
      attempts.push({
        ...candidate,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { ok: false, error: new NvmlLoadError(attempts) };
}
