/**
 * An open-loop HTTP load generator: requests leave at the times an arrival schedule says, whether
 * or not earlier ones have been answered, and each request's latency is measured from its
 * intended send time. A slow server therefore cannot slow the generator down and hide its own
 * latency (the "coordinated omission" of closed-loop tools).
 *
 * Hand-written because the tools at hand are closed-loop: autocannon, hey and wrk keep a fixed
 * number of connections each sending its next request when the last returns, so past saturation
 * they send less and report the latency of the requests they did send. wrk2 (constant throughput,
 * corrected latency) is the open-loop tool of record, but it is neither on npm nor in Debian, and
 * none of them plays a rate trace or follows a set of targets that changes while it runs (pods
 * coming and going behind a Service), which the closed-loop test needs. The HTTP side is undici's
 * keep-alive connection pool; only the scheduling is ours.
 */
import { Pool } from 'undici';
import { type ArrivalProcess, arrivalTimes, type RateFunction, seededRandom } from './arrivals.js';

/** What happened to one request. Times are milliseconds since the run started. */
export interface RequestResult {
  /** When the schedule meant to send it. */
  intendedMs: number;
  /** When it was handed to the connection pool (later than intended when the generator lags). */
  sentMs: number;
  /** When the answer was complete, or the request failed. */
  doneMs: number;
  /** `doneMs - intendedMs`: what a client arriving at `intendedMs` waited. */
  latencyMs: number;
  /** The HTTP status, or null when no answer came. */
  status: number | null;
  /** Why no answer came (`status` null). */
  error?: 'timeout' | 'connection' | 'no_target' | 'generator_overload';
  /** The base URL it went to ('' when there was none). */
  target: string;
}

/** Options of {@link startOpenLoop}. */
export interface OpenLoopOptions {
  /**
   * Where to send: a base URL (`http://127.0.0.1:8080`), or a function giving the base URLs to
   * spread requests over, read at every send (round-robin), like a Service over its ready pods.
   */
  targets: string | (() => readonly string[]);
  /** Request path. @default '/predict' */
  path?: string;
  /** @default 'POST' */
  method?: 'GET' | 'POST' | 'PUT';
  /** Request body (the same for every request). */
  body?: string | Uint8Array;
  /** @default { 'content-type': 'application/json' } when there is a body */
  headers?: Record<string, string>;
  /** Requests per second: a constant or a function of seconds since the start. */
  rate: number | RateFunction;
  /** Seconds to send for; no request is scheduled at or after it. */
  durationSeconds: number;
  /** At most this many requests (scheduled ones beyond it are not sent). @default Infinity */
  maxRequests?: number;
  /** A request unanswered this long after it was sent fails as `timeout`. @default 10000 */
  timeoutMs?: number;
  /** Keep-alive connections per target, at most. @default 256 */
  connectionsPerTarget?: number;
  /**
   * Requests outstanding at once, at most; a request due beyond it is not sent and counts as
   * `generator_overload` (keeps memory bounded against a server that stopped answering). @default 20000
   */
  maxInFlight?: number;
  /** Even spacing or Poisson arrivals. @default 'uniform' */
  arrivals?: ArrivalProcess;
  /** Seed of the Poisson schedule. @default 1 */
  seed?: number;
  /** Called with every finished request, in completion order. */
  onResult?: (result: RequestResult) => void;
}

/** Totals of a finished run. */
export interface OpenLoopTotals {
  /** Requests scheduled (sent, or refused as `generator_overload` / `no_target`). */
  scheduled: number;
  /** Answers 2xx. */
  ok: number;
  /** Answers 429 or 503 (shed by the server). */
  rejected: number;
  /** Every other failure: other statuses, time-outs, connection errors, not sent. */
  errors: number;
  /** Seconds from the start until the last answer. */
  elapsedSeconds: number;
  /** Largest delay (ms) between a request's intended and actual send: the generator's own lag. */
  maxSendLagMs: number;
}

/** A running load. */
export interface OpenLoop {
  /** Resolves when every scheduled request has finished (or after {@link OpenLoop.stop}). */
  readonly done: Promise<OpenLoopTotals>;
  /** Requests sent and not finished yet. */
  inFlight(): number;
  /** Seconds since the start. */
  elapsedSeconds(): number;
  /** Stops scheduling; requests already sent still finish. */
  stop(): void;
}

const DEFAULT_HEADERS = { 'content-type': 'application/json' };

/** Classifies a failed request (undici's error codes) for {@link RequestResult.error}. */
function failureKind(error: unknown): 'timeout' | 'connection' {
  const name = (error as { name?: string; code?: string } | undefined)?.name ?? '';
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return name === 'TimeoutError' || name === 'AbortError' || code.includes('TIMEOUT')
    ? 'timeout'
    : 'connection';
}

/**
 * Starts an open-loop load. Latency is measured from each request's intended send time, so time
 * spent waiting for a connection, or behind the generator's own lag, counts as latency too.
 *
 * @param options - targets, rate, duration and request
 * @returns a handle whose `done` resolves with the totals
 * @example
 * const load = startOpenLoop({ targets: 'http://127.0.0.1:8080', rate: 200, durationSeconds: 10,
 *   body: JSON.stringify({ features: [0.1] }), onResult: (r) => latencies.push(r.latencyMs) });
 * const totals = await load.done;
 */
export function startOpenLoop(options: OpenLoopOptions): OpenLoop {
  const settings = openLoopSettings(options);
  const start = performance.now();
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const schedule = arrivalTimes(
    settings.rate,
    settings.durationSeconds,
    settings.arrivals,
    seededRandom(settings.seed),
  );
  const run: LoopRun = {
    settings,
    pools: new Map(),
    now: () => performance.now() - start,
    schedule,
    next: schedule.next(),
    totals: { scheduled: 0, ok: 0, rejected: 0, errors: 0, elapsedSeconds: 0, maxSendLagMs: 0 },
    inFlight: 0,
    roundRobin: 0,
    stopped: false,
    timer: undefined,
    finish,
  };
  tick(run);

  const done = finished.then(async () => {
    await Promise.all([...run.pools.values()].map((p) => p.close().catch(() => {})));
    return run.totals;
  });
  return {
    done,
    inFlight: () => run.inFlight,
    elapsedSeconds: () => run.now() / 1000,
    stop() {
      run.stopped = true;
      clearTimeout(run.timer);
      maybeFinish(run);
    },
  };
}

/** The options with their defaults, checked; the rate and the targets as functions. */
interface OpenLoopSettings {
  path: string;
  method: 'GET' | 'POST' | 'PUT';
  body: string | Uint8Array | undefined;
  headers: Record<string, string>;
  durationSeconds: number;
  maxRequests: number;
  timeoutMs: number;
  connectionsPerTarget: number;
  maxInFlight: number;
  arrivals: ArrivalProcess;
  seed: number;
  onResult: ((result: RequestResult) => void) | undefined;
  rate: RateFunction;
  targets: () => readonly string[];
}

function openLoopSettings(options: OpenLoopOptions): OpenLoopSettings {
  const {
    path = '/predict',
    method = 'POST',
    body,
    headers = body === undefined ? {} : DEFAULT_HEADERS,
    durationSeconds,
    maxRequests = Number.POSITIVE_INFINITY,
    timeoutMs = 10_000,
    connectionsPerTarget = 256,
    maxInFlight = 20_000,
    arrivals = 'uniform',
    seed = 1,
    onResult,
  } = options;
  if (!(durationSeconds > 0) || !Number.isFinite(durationSeconds)) {
    throw new RangeError(`durationSeconds must be a positive number, got ${durationSeconds}`);
  }
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
  const constantRate = typeof options.rate === 'number' ? options.rate : undefined;
  if (constantRate !== undefined && !(constantRate >= 0 && Number.isFinite(constantRate))) {
    throw new RangeError(`rate must be a number of requests per second ≥ 0, got ${constantRate}`);
  }
  const rate: RateFunction =
    constantRate === undefined ? (options.rate as RateFunction) : () => constantRate;
  const targets =
    typeof options.targets === 'string'
      ? (() => {
          const only = [options.targets as string];
          return () => only;
        })()
      : options.targets;
  return {
    path,
    method,
    body,
    headers,
    durationSeconds,
    maxRequests,
    timeoutMs,
    connectionsPerTarget,
    maxInFlight,
    arrivals,
    seed,
    onResult,
    rate,
    targets,
  };
}

/** The state of one running load. */
interface LoopRun {
  settings: OpenLoopSettings;
  /** One keep-alive pool per target, made at its first request. */
  pools: Map<string, Pool>;
  /** Milliseconds since the start. */
  now: () => number;
  schedule: Generator<number>;
  /** The next arrival of the schedule (seconds). */
  next: IteratorResult<number>;
  totals: OpenLoopTotals;
  inFlight: number;
  roundRobin: number;
  stopped: boolean;
  timer: NodeJS.Timeout | undefined;
  finish: () => void;
}

function poolFor(run: LoopRun, target: string): Pool {
  let pool = run.pools.get(target);
  if (!pool) {
    pool = new Pool(target, { connections: run.settings.connectionsPerTarget, pipelining: 1 });
    run.pools.set(target, pool);
  }
  return pool;
}

function record(run: LoopRun, result: RequestResult): void {
  const { totals } = run;
  if (result.status !== null && result.status >= 200 && result.status < 300) totals.ok++;
  else if (result.status === 503 || result.status === 429) totals.rejected++;
  else totals.errors++;
  run.settings.onResult?.(result);
}

function maybeFinish(run: LoopRun): void {
  if ((run.stopped || run.next.done) && run.inFlight === 0) {
    run.totals.elapsedSeconds = run.now() / 1000;
    run.finish();
  }
}

/** Sends the request due at `intendedMs` to the next target, or records why it was not sent. */
function send(run: LoopRun, intendedMs: number): void {
  const { settings, totals } = run;
  totals.scheduled++;
  const sentMs = run.now();
  totals.maxSendLagMs = Math.max(totals.maxSendLagMs, sentMs - intendedMs);
  const live = settings.targets();
  const target = live.length > 0 ? (live[run.roundRobin++ % live.length] as string) : '';
  const finished = (doneMs: number, status: number | null, error?: RequestResult['error']) =>
    record(run, {
      intendedMs,
      sentMs,
      doneMs,
      latencyMs: doneMs - intendedMs,
      status,
      ...(error ? { error } : {}),
      target,
    });
  if (!target) {
    finished(sentMs, null, 'no_target');
    return;
  }
  if (run.inFlight >= settings.maxInFlight) {
    finished(sentMs, null, 'generator_overload');
    return;
  }
  run.inFlight++;
  const done = (status: number | null, error?: RequestResult['error']) => {
    run.inFlight--;
    finished(run.now(), status, error);
    maybeFinish(run);
  };
  poolFor(run, target)
    .request({
      path: settings.path,
      method: settings.method,
      headers: settings.headers,
      ...(settings.body === undefined ? {} : { body: settings.body }),
      signal: AbortSignal.timeout(settings.timeoutMs),
    })
    .then(async (response) => {
      // Read the whole answer: latency ends when the client has it, as a real client's does.
      await response.body.arrayBuffer();
      return response.statusCode;
    })
    .then(
      (status) => done(status),
      (error: unknown) => done(null, failureKind(error)),
    );
}

/** Sends every request that is due, then sleeps until the next one. */
function tick(run: LoopRun): void {
  run.timer = undefined;
  if (run.stopped) return;
  const { maxRequests } = run.settings;
  const nowMs = run.now();
  while (!run.next.done && run.next.value * 1000 <= nowMs && run.totals.scheduled < maxRequests) {
    send(run, run.next.value * 1000);
    run.next = run.schedule.next();
  }
  if (run.totals.scheduled >= maxRequests) run.next = { done: true, value: undefined };
  if (run.next.done) {
    maybeFinish(run);
    return;
  }
  run.timer = setTimeout(() => tick(run), Math.max(0, run.next.value * 1000 - run.now()));
}
