/**
 * The calibration ramp: open-loop load at increasing fixed arrival rates against one pod, each
 * step measured by the client (latency from the intended send time) and by the pod's own
 * counters, until the pod is past saturation.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CAPACITY_PROFILE_SCHEMA,
  type CapacityProfile,
  type CapacityStep,
  type RampEnd,
} from '../capacity/profile.js';
import type { ArrivalProcess } from '../load/arrivals.js';
import { percentile, summarizeLatency } from '../load/latency.js';
import { type RequestResult, startOpenLoop } from '../load/open-loop.js';
import { type PodCounters, readPodCounters, serverView } from './pod-metrics.js';

/** Options of {@link calibrate}. */
export interface CalibrationOptions {
  /** Base URL of the pod (`http://127.0.0.1:8080`). */
  url: string;
  /** Path of the inference route. @default '/predict' */
  path?: string;
  /** Path of the pod's metrics. @default '/metrics' */
  metricsPath?: string;
  /** The request body sent every time (JSON). */
  body: string;
  /** Rate of the first step (req/s). @default 10 */
  startRps?: number;
  /** Added at every step (req/s). @default 10 */
  stepRps?: number;
  /** Seconds each step is measured, after its warm-up. @default 10 */
  stepSeconds?: number;
  /** Seconds each step runs before it is measured (the queue settles). @default 3 */
  warmupSeconds?: number;
  /** A request unanswered this long fails. @default 10 */
  timeoutSeconds?: number;
  /** No step above this rate. @default Infinity */
  maxRps?: number;
  /** At most this many steps. @default 50 */
  maxSteps?: number;
  /**
   * Saturated steps in a row before the ramp stops: the second confirms the first, so that a step
   * the machine disturbed does not end the ramp early. @default 2
   */
  stopAfterSaturated?: number;
  /**
   * Steps added after the ramp, each halving the gap between the last unsaturated step and the
   * first saturated one, so that the knee (where the SLO is lost) is measured finer than the
   * ramp's increment. @default 2
   */
  refineSteps?: number;
  /** Arrival spacing. @default 'uniform' */
  arrivals?: ArrivalProcess;
  /** Keep-alive connections to the pod, at most. @default 256 */
  connections?: number;
  /** Told what is happening, for a progress display. */
  onProgress?: (event: CalibrationProgress) => void;
  /** Stops the ramp after the step in progress (what was measured is returned). */
  signal?: AbortSignal;
}

/** What the ramp reports while it runs. */
export type CalibrationProgress =
  | { kind: 'step-start'; index: number; offeredRps: number; seconds: number }
  | { kind: 'tick'; index: number; elapsedSeconds: number; seconds: number; inFlight: number }
  | { kind: 'step'; index: number; step: CapacityStep };

/** The pod could not be calibrated (unreachable, or refuses the request). */
export class CalibrationError extends Error {
  override name = 'CalibrationError';
}

/** Achieved below this share of the requests that arrived: the pod does not keep up. */
const ACHIEVED_SHARE = 0.9;
/** More than this share of requests failed or shed: past what the pod serves. */
const FAILED_SHARE = 0.01;
/**
 * Latency still growing at the end of the window: the median of the last fifth of the requests is
 * more than twice, and 50 ms above, that of the first fifth, and the last three fifths do not fall
 * (a queue that grows without bound rises to the end; a stall of the machine mid-window makes a
 * bump that falls again, which is not saturation).
 */
function latencyGrowing(latencies: readonly number[]): boolean {
  const size = Math.floor(latencies.length / 5);
  if (size < 5) return false;
  const medians = [0, 1, 2, 3, 4].map((i) =>
    percentile(
      [...latencies.slice(i * size, (i + 1) * size)].sort((a, b) => a - b),
      0.5,
    ),
  );
  const [m1, , m3, m4, m5] = medians as [number, number, number, number, number];
  return m5 > 2 * m1 && m5 - m1 > 0.05 && m4 >= m3 && m5 >= m4;
}

async function scrape(url: string): Promise<PodCounters | null> {
  const t0 = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return null;
    const text = await response.text();
    return readPodCounters(text, (t0 + performance.now()) / 2000);
  } catch {
    return null;
  }
}

async function preflight(url: string, body: string, timeoutSeconds: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new CalibrationError(
      `cannot reach ${url}: ${cause ?? (error instanceof Error ? error.message : String(error))}`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new CalibrationError(
      `${url} answered ${response.status} to the first request (${text.slice(0, 200).trim()}); check --path and --body`,
    );
  }
}

/** The offered rate of the first step of the final run of saturated steps, or null. */
function saturationOf(steps: readonly CapacityStep[]): number | null {
  let at: number | null = null;
  for (const step of steps) {
    if (!step.saturated) at = null;
    else at ??= step.offeredRps;
  }
  return at;
}

/**
 * Answers per second from the completion times of the answers in a window. Where they spread over
 * the whole window, the rate between the first and the last answer (one gap fewer than answers):
 * counting whole answers over the window's length is off by up to one answer, which over a 3 s
 * step put 68 answers at 22.7 req/s for an offered 22.5. Where they start late or stop early (a
 * gap at an edge of more than two mean gaps: a stall, or batches answered together), the answers
 * over the window's length.
 */
function answerRate(doneMs: readonly number[], window: { fromMs: number; toMs: number }): number {
  const seconds = (window.toMs - window.fromMs) / 1000;
  const first = doneMs[0];
  const last = doneMs.at(-1);
  if (first === undefined || last === undefined || doneMs.length < 2 || last === first) {
    return doneMs.length / seconds;
  }
  const gap = (last - first) / (doneMs.length - 1);
  const covers = first - window.fromMs <= 2 * gap && window.toMs - last <= 2 * gap;
  return covers ? 1000 / gap : doneMs.length / seconds;
}

/** Turns one step's client results and the pod's counters into a {@link CapacityStep}. */
export function measureStep(
  offeredRps: number,
  window: { fromMs: number; toMs: number },
  results: readonly RequestResult[],
  server: CapacityStep['server'],
): CapacityStep {
  const inWindow = results
    .filter((r) => r.intendedMs >= window.fromMs && r.intendedMs < window.toMs)
    .sort((a, b) => a.intendedMs - b.intendedMs);
  const isOk = (r: RequestResult) => r.status !== null && r.status >= 200 && r.status < 300;
  const ok = inWindow.filter(isOk);
  const rejected = inWindow.filter((r) => r.status === 503 || r.status === 429).length;
  const errors = inWindow.length - ok.length - rejected;
  const durationSeconds = (window.toMs - window.fromMs) / 1000;
  const answers = results
    .filter((r) => isOk(r) && r.doneMs >= window.fromMs && r.doneMs < window.toMs)
    .map((r) => r.doneMs)
    .sort((a, b) => a - b);
  const achievedRps = answerRate(answers, window);
  const latencies = ok.map((r) => r.latencyMs / 1000);
  const lags = inWindow.map((r) => (r.sentMs - r.intendedMs) / 1000).sort((a, b) => a - b);
  // Against the arrivals of the window, not the nominal rate: a Poisson schedule's count in a
  // window is itself random (±5 % at 20 req/s over 20 s is one standard deviation).
  const arrivedRps = inWindow.length / durationSeconds;
  const because = [
    ...(achievedRps < ACHIEVED_SHARE * arrivedRps
      ? [
          `answered ${Math.round((100 * achievedRps) / arrivedRps)} % of the requests that arrived (under ${ACHIEVED_SHARE * 100} %)`,
        ]
      : []),
    ...(rejected + errors > FAILED_SHARE * inWindow.length
      ? [
          `${((100 * (rejected + errors)) / inWindow.length).toFixed(1)} % failed or were shed (over ${FAILED_SHARE * 100} %)`,
        ]
      : []),
    ...(latencyGrowing(latencies)
      ? ['latency was still growing at the end of the window (its queue did not settle)']
      : []),
  ];
  const saturated = because.length > 0;
  return {
    offeredRps,
    achievedRps,
    durationSeconds,
    sent: inWindow.length,
    ok: ok.length,
    rejected,
    errors,
    latency: summarizeLatency(latencies),
    server,
    saturated,
    ...(saturated ? { saturatedBecause: because.join('; ') } : {}),
    sendLagP99Seconds: lags.length > 0 ? percentile(lags, 0.99) : 0,
  };
}

/**
 * Runs the ramp against one pod and returns its capacity profile.
 *
 * @param options - the pod, the request and the ramp
 * @throws {CalibrationError} when the pod cannot be reached or refuses the first request
 * @example
 * const profile = await calibrate({ url: 'http://127.0.0.1:8080', body, stepRps: 50 });
 * console.log(profile.maxSustainableRps);
 */
export async function calibrate(options: CalibrationOptions): Promise<CapacityProfile> {
  const ramp = rampSettings(options);
  await preflight(`${ramp.base}${ramp.path}`, ramp.body, ramp.timeoutSeconds);
  const metricsUrl = `${ramp.base}${ramp.metricsPath}`;
  const first = await scrape(metricsUrl);
  const runStep = (index: number, offeredRps: number) =>
    runRampStep(ramp, metricsUrl, index, offeredRps);
  const { steps, endedBy: rampEnd } = await rampUp(ramp, runStep);
  const endedBy = await refineKnee(ramp, steps, rampEnd, runStep);

  const unsaturated = steps.filter((s) => !s.saturated);
  const { base, path, body, signal } = ramp;
  return {
    schema: CAPACITY_PROFILE_SCHEMA,
    measuredAt: new Date().toISOString(),
    target: {
      url: `${base}${path}`,
      bodyBytes: Buffer.byteLength(body),
      bodySha256: createHash('sha256').update(body).digest('hex'),
      model: first?.model ?? null,
      emulatedDevice: first?.emulatedDevice ?? null,
    },
    ramp: {
      startRps: ramp.startRps,
      stepRps: ramp.stepRps,
      stepSeconds: ramp.stepSeconds,
      warmupSeconds: ramp.warmupSeconds,
      timeoutSeconds: ramp.timeoutSeconds,
      refineSteps: ramp.refineSteps,
      endedBy: signal?.aborted ? 'interrupted' : endedBy,
    },
    steps,
    maxSustainableRps: Math.max(0, ...unsaturated.map((s) => s.achievedRps)),
    // The first step of the saturated run the ramp ended on (an isolated saturated step before it,
    // followed by an unsaturated one, was the machine, not the pod).
    saturationRps: saturationOf(steps),
    peakAchievedRps: Math.max(0, ...steps.map((s) => s.achievedRps)),
  };
}

/** The options with their defaults, and the pod's base URL without a trailing slash. */
type RampSettings = Required<Omit<CalibrationOptions, 'onProgress' | 'signal'>> &
  Pick<CalibrationOptions, 'onProgress' | 'signal'> & { base: string };

function rampSettings(options: CalibrationOptions): RampSettings {
  const {
    url,
    path = '/predict',
    metricsPath = '/metrics',
    body,
    startRps = 10,
    stepRps = 10,
    stepSeconds = 10,
    warmupSeconds = 3,
    timeoutSeconds = 10,
    maxRps = Number.POSITIVE_INFINITY,
    maxSteps = 50,
    stopAfterSaturated = 2,
    refineSteps = 2,
    arrivals = 'uniform',
    connections = 256,
    onProgress,
    signal,
  } = options;
  return {
    url,
    base: url.replace(/\/+$/, ''),
    path,
    metricsPath,
    body,
    startRps,
    stepRps,
    stepSeconds,
    warmupSeconds,
    timeoutSeconds,
    maxRps,
    maxSteps,
    stopAfterSaturated,
    refineSteps,
    arrivals,
    connections,
    ...(onProgress ? { onProgress } : {}),
    ...(signal ? { signal } : {}),
  };
}

type StepRunner = (index: number, offeredRps: number) => Promise<CapacityStep>;

/** One step: open-loop load at `offeredRps`, measured after the warm-up, with the pod's view. */
async function runRampStep(
  ramp: RampSettings,
  metricsUrl: string,
  index: number,
  offeredRps: number,
): Promise<CapacityStep> {
  const { onProgress, warmupSeconds } = ramp;
  const total = warmupSeconds + ramp.stepSeconds;
  onProgress?.({ kind: 'step-start', index, offeredRps, seconds: total });
  const results: RequestResult[] = [];
  const load = startOpenLoop({
    targets: ramp.base,
    path: ramp.path,
    body: ramp.body,
    rate: offeredRps,
    durationSeconds: total,
    timeoutMs: ramp.timeoutSeconds * 1000,
    connectionsPerTarget: ramp.connections,
    arrivals: ramp.arrivals,
    seed: index + 1,
    onResult: (r) => results.push(r),
  });
  const ticker = setInterval(
    () =>
      onProgress?.({
        kind: 'tick',
        index,
        elapsedSeconds: load.elapsedSeconds(),
        seconds: total,
        inFlight: load.inFlight(),
      }),
    1000,
  );
  try {
    await sleep(Math.max(0, warmupSeconds * 1000 - load.elapsedSeconds() * 1000));
    const fromMs = load.elapsedSeconds() * 1000;
    const before = await scrape(metricsUrl);
    await sleep(Math.max(0, total * 1000 - load.elapsedSeconds() * 1000));
    const toMs = load.elapsedSeconds() * 1000;
    const after = await scrape(metricsUrl);
    await load.done;
    const server =
      before && after
        ? serverView(before, after)
        : {
            meanQueueDepth: null,
            meanWaitSeconds: null,
            meanBatchSize: null,
            meanInferenceSeconds: null,
          };
    const step = measureStep(offeredRps, { fromMs, toMs }, results, server);
    onProgress?.({ kind: 'step', index, step });
    return step;
  } finally {
    clearInterval(ticker);
    load.stop();
  }
}

/** Steps of `stepRps` from `startRps` until saturation, a limit or an interruption. */
async function rampUp(
  ramp: RampSettings,
  runStep: StepRunner,
): Promise<{ steps: CapacityStep[]; endedBy: RampEnd }> {
  const { signal } = ramp;
  const steps: CapacityStep[] = [];
  let saturatedSteps = 0;
  let endedBy: RampEnd = 'max-steps';
  for (let index = 0; index < ramp.maxSteps; index++) {
    if (signal?.aborted) {
      endedBy = 'interrupted';
      break;
    }
    const offeredRps = ramp.startRps + index * ramp.stepRps;
    if (offeredRps > ramp.maxRps) {
      endedBy = 'max-rps';
      break;
    }
    const step = await runStep(index, offeredRps);
    steps.push(step);
    saturatedSteps = step.saturated ? saturatedSteps + 1 : 0;
    if (saturatedSteps >= ramp.stopAfterSaturated) {
      endedBy = 'saturation';
      break;
    }
  }
  if (endedBy === 'max-steps' && signal?.aborted) endedBy = 'interrupted';
  return { steps, endedBy };
}

/**
 * The knee, finer: bisects between the last unsaturated step and the first saturated one,
 * adding the steps it runs to `steps` (kept in rate order).
 *
 * @returns how the ramp ended (`interrupted` when a signal stopped the bisection)
 */
async function refineKnee(
  ramp: RampSettings,
  steps: CapacityStep[],
  rampEnd: RampEnd,
  runStep: StepRunner,
): Promise<RampEnd> {
  let endedBy = rampEnd;
  let high = saturationOf(steps);
  const knee = high;
  let low = knee === null ? undefined : steps.filter((s) => s.offeredRps < knee).at(-1);
  for (let r = 0; r < ramp.refineSteps && high !== null && low && !low.saturated; r++) {
    if (ramp.signal?.aborted) {
      endedBy = 'interrupted';
      break;
    }
    const step = await runStep(steps.length, (low.offeredRps + high) / 2);
    steps.push(step);
    steps.sort((a, b) => a.offeredRps - b.offeredRps);
    if (step.saturated) high = step.offeredRps;
    else low = step;
  }
  return endedBy;
}
