// Configuration from the environment, validated once at start. Every problem names its variable.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableCpus } from './cpus.js';
import type { EmulatedDevice } from './inference/emulated-device.js';

/** Log levels pino knows. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The server's settings (see the README's table for each variable). */
export interface Config {
  port: number;
  host: string;
  modelPath: string;
  modelName: string;
  modelVersion: string;
  predictStrict: boolean;
  workers: number;
  intraOpThreads: number;
  allowSpinning: boolean;
  workerNice: number;
  batchMaxSize: number;
  batchMaxWaitMs: number;
  /** A test device (EMULATED_DEVICE_MS, EMULATED_DEVICE_ROW_MS); null: off, the real model only. */
  emulatedDevice: EmulatedDevice | null;
  /** Requests worked on at once; Infinity: no limit (the queue only measures). */
  maxConcurrency: number;
  /** Requests that may wait beyond maxConcurrency; Infinity: no limit. */
  maxQueue: number;
  /** Largest request body; 'auto': sized to the model's input once it is loaded (see bodyLimitFor). */
  bodyLimitBytes: number | 'auto';
  /** Longest a client may take to send its request headers (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** Longest a client may take to send the whole body once its headers are in; then 408. */
  bodyTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (Node's keepAliveTimeout). */
  keepAliveTimeoutMs: number;
  /** Requests whose body may be arriving at once; more get 503 before their body is read. */
  maxReceiving: number;
  /** Longest a request may wait for a MAX_CONCURRENCY slot; Infinity: no limit. */
  maxWaitMs: number;
  /**
   * A kept-alive connection older than this gets `Connection: close` on its next answer, so the
   * client re-dials and a connection-balancing Service spreads it over the current pods; 0: never.
   */
  maxConnectionAgeSeconds: number;
  /** Requests one connection may have received and not had answered (pipelined). */
  maxPipelined: number;
  /** A connection whose answers do not move for this long (its client stopped reading) is cut. */
  writeTimeoutMs: number;
  shutdownDelaySeconds: number;
  shutdownDrainSeconds: number;
  gpuProbe: 'auto' | 'on' | 'off';
  logLevel: (typeof LOG_LEVELS)[number];
}

/** Thrown by {@link loadConfig} with one line per bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/** The bundled model, beside `src/` and `dist/`. */
export const BUNDLED_MODEL = fileURLToPath(new URL('../models/linear-768x2.onnx', import.meta.url));

/**
 * Default worker and thread counts for `cpus` CPUs: one worker per 4 CPUs (batching does better
 * with fewer, wider workers) and the CPUs but one shared among their ORT threads, leaving one for
 * the HTTP thread.
 */
export function defaultThreads(cpus: number): { workers: number; intraOpThreads: number } {
  const workers = Math.max(1, Math.floor(cpus / 4));
  return { workers, intraOpThreads: Math.max(1, Math.floor((cpus - 1) / workers)) };
}

type Env = Record<string, string | undefined>;

/** Readers of `env`'s variables: each returns its fallback and adds a line to `problems` when wrong. */
function envReader(env: Env, problems: string[]) {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const integer = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^[+-]?\d+$/.test(raw) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}…${max}`;
      problems.push(`${name} must be a whole number ${range}, got '${raw}'`);
      return fallback;
    }
    return n;
  };
  const optionalLimit = (name: string, min: number) => {
    const raw = value(name);
    if (raw === undefined || raw === 'unlimited') return Number.POSITIVE_INFINITY;
    return integer(name, Number.POSITIVE_INFINITY, min);
  };
  const autoOr = (name: string, min: number): number | 'auto' => {
    const raw = value(name);
    if (raw === undefined || raw.toLowerCase() === 'auto') return 'auto';
    return integer(name, min, min);
  };
  const seconds = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) {
      problems.push(`${name} must be a number of seconds ≥ 0, got '${raw}'`);
      return fallback;
    }
    return n;
  };
  /** Milliseconds from 0 to `max`, 0 when unset or wrong. */
  const milliseconds = (name: string, max: number) => {
    const raw = value(name);
    if (raw === undefined) return 0;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || n > max) {
      problems.push(`${name} must be a number of milliseconds 0…${max}, got '${raw}'`);
      return 0;
    }
    return n;
  };
  const boolean = (name: string, fallback: boolean) => {
    const raw = value(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got '${value(name)}'`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = value(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name} must be one of ${allowed.join(', ')}, got '${value(name)}'`);
    return fallback;
  };
  return { value, integer, optionalLimit, autoOr, seconds, milliseconds, boolean, oneOf };
}

/** The model's file, and the name and version it is served under (URL path segments). */
function modelIdentity(
  read: ReturnType<typeof envReader>,
  problems: string[],
): Pick<Config, 'modelPath' | 'modelName' | 'modelVersion'> {
  const modelPath = path.resolve(read.value('MODEL_PATH') ?? BUNDLED_MODEL);
  if (!existsSync(modelPath)) problems.push(`MODEL_PATH names no file: '${modelPath}'`);
  const modelName = read.value('MODEL_NAME') ?? path.basename(modelPath).replace(/\.onnx$/i, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(modelName)) {
    problems.push(
      `MODEL_NAME must be letters, digits, '_', '.' or '-' (it is a URL path segment), got '${modelName}'`,
    );
  }
  const modelVersion = read.value('MODEL_VERSION') ?? '1';
  if (!/^[A-Za-z0-9_.-]+$/.test(modelVersion)) {
    problems.push(`MODEL_VERSION must be letters, digits, '_', '.' or '-', got '${modelVersion}'`);
  }
  return { modelPath, modelName, modelVersion };
}

/**
 * Reads and validates the configuration from `env`.
 *
 * @throws {ConfigError} naming every variable that is wrong
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Env = process.env, cpus = availableCpus()): Config {
  const problems: string[] = [];
  const read = envReader(env, problems);
  const { value, integer, optionalLimit, autoOr, seconds, milliseconds, boolean, oneOf } = read;
  const { modelPath, modelName, modelVersion } = modelIdentity(read, problems);
  const threads = defaultThreads(cpus);
  const batchMaxWaitMs = milliseconds('BATCH_MAX_WAIT_MS', 10_000);
  const emulated = {
    batchMs: milliseconds('EMULATED_DEVICE_MS', 60_000),
    rowMs: milliseconds('EMULATED_DEVICE_ROW_MS', 60_000),
  };
  const config: Config = {
    port: integer('PORT', 8080, 0, 65535),
    host: value('HOST') ?? '0.0.0.0',
    modelPath,
    modelName,
    modelVersion,
    predictStrict: boolean('PREDICT_STRICT', false),
    workers: integer('WORKERS', threads.workers, 1, 256),
    intraOpThreads: integer('ORT_INTRA_OP_THREADS', threads.intraOpThreads, 1, 1024),
    allowSpinning: boolean('ORT_ALLOW_SPINNING', false),
    workerNice: integer('WORKER_NICE', 10, 0, 19),
    batchMaxSize: integer('BATCH_MAX_SIZE', 32, 1, 65536),
    batchMaxWaitMs,
    emulatedDevice: emulated.batchMs > 0 || emulated.rowMs > 0 ? emulated : null,
    maxConcurrency: optionalLimit('MAX_CONCURRENCY', 1),
    maxQueue: optionalLimit('MAX_QUEUE', 0),
    bodyLimitBytes: autoOr('BODY_LIMIT_BYTES', 1),
    // Defaults: a legitimate client sends a request of a few kB in well under a second, even on a
    // poor mobile link; ten seconds per phase is generous to it and short for a slowloris.
    headersTimeoutMs: integer('HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000),
    bodyTimeoutMs: integer('BODY_TIMEOUT_MS', 10_000, 100, 3_600_000),
    // Node's own default; clients (and shutdown) read it from the `Keep-Alive: timeout=` header.
    keepAliveTimeoutMs: integer('KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 3_600_000),
    maxReceiving: integer('MAX_RECEIVING', 256, 1, 1_000_000),
    // A request that waited 10 s for a slot is long past any latency target; its client has
    // likely given up. 'unlimited' restores the old behaviour.
    maxWaitMs: value('MAX_WAIT_MS') === undefined ? 10_000 : optionalLimit('MAX_WAIT_MS', 1),
    // HTTP/1.1 pipelining: browsers and proxies (nginx, Envoy, cloud load balancers) do not
    // pipeline to a backend; 16 leaves room for a client that does and bounds one that abuses it.
    maxPipelined: integer('MAX_PIPELINED', 16, 1, 1024),
    // kube-proxy balances connections, not requests: a client's kept-alive connections stay on
    // the pods that existed when it dialled. 30 s (gRPC's MAX_CONNECTION_AGE for the same reason)
    // brings pods the HPA adds into its rotation within one HPA sync or two, for one handshake
    // per connection per 30 s.
    maxConnectionAgeSeconds: seconds('MAX_CONNECTION_AGE_SECONDS', 30),
    // As long as a client may take to send a request: a reader stalled that long has gone.
    writeTimeoutMs: integer('WRITE_TIMEOUT_MS', 10_000, 100, 3_600_000),
    shutdownDelaySeconds: seconds('SHUTDOWN_DELAY_SECONDS', 5),
    shutdownDrainSeconds: seconds('SHUTDOWN_DRAIN_SECONDS', 20),
    gpuProbe: oneOf('GPU_PROBE', ['auto', 'on', 'off'] as const, 'auto'),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
