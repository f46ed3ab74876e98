/**
 * A pod as its capacity profile describes it, for `plan` and `simulate --profile`: what it serves
 * at most, and its latency, queue depth and time in the model at a given arrival rate.
 *
 * The model, stated once:
 * - The service rate `capacityRps` (μ) is the highest rate the pod achieved in any step: in a
 *   saturated step the pod serves flat out, so what it achieved there is its capacity; without a
 *   saturated step it is `maxSustainableRps`, a lower bound, said so in `capacitySource` and
 *   `lowerBound` (with why: interrupted, `--max-rps`, `--max-steps`).
 * - Below μ, latency percentiles, mean queue depth and time in the model are interpolated linearly
 *   in the arrival rate between the unsaturated steps; below the first step the first step's
 *   latencies hold, and the depth falls linearly to 0 at rate 0. Between the last unsaturated step
 *   and μ the last step's figures hold (the profile says nothing finer there).
 * - The mean queue depth is the pod's own (`request_queue_depth_seconds_total` integral) where the
 *   profile has it, else Little's law: rate × mean latency.
 * - A pod sheds (answers 503) once it holds `queueLimit` requests (waiting and in flight): from
 *   `profile.shedding` when present, else, when a step saw 503s, the highest mean depth of those
 *   steps; `null` when the pod never shed.
 */
import type { CapacityProfile, CapacityStep } from './profile.js';
import type { LatencySlo } from './slo.js';

/** The pod's figures at one arrival rate. */
export interface OperatingPoint {
  /** Arrival rate per pod, requests per second. */
  rps: number;
  /** Client-side latency in seconds. */
  latency: { p50: number; p95: number; p99: number; mean: number; max: number };
  /** Mean `request_queue_depth` (waiting and in flight). */
  depth: number;
  /** Mean time in the model (`inference_latency_seconds`), seconds. */
  inferenceSeconds: number;
  /** Mean wait before the model starts (`request_queue_wait_seconds`), seconds. */
  waitSeconds: number;
}

/** A pod as a capacity profile describes it. */
export interface PodModel {
  /** Requests per second one pod serves at most (μ). */
  capacityRps: number;
  /** Where μ comes from, for people. */
  capacitySource: string;
  /**
   * Why μ is only a lower bound (no step saturated the pod: the ramp was interrupted or stopped
   * early), or null when a saturated step measured it.
   */
  lowerBound: string | null;
  /** How a ramp that did saturate the pod was cut short, or null. */
  cutShort: string | null;
  /** Requests a pod holds before it sheds; null when it does not shed. */
  queueLimit: number | null;
  /** Where the queue limit comes from, for people. */
  queueLimitSource: string;
  /** The measured points (unsaturated steps), in increasing rate. */
  points: readonly OperatingPoint[];
  /** Figures at an arrival rate (clamped to [0, μ]). */
  at(rps: number): OperatingPoint;
}

function pointOf(step: CapacityStep): OperatingPoint {
  const rps = step.achievedRps;
  const { server, latency } = step;
  const wait =
    server.meanWaitSeconds ??
    Math.max(0, latency.mean - (server.meanInferenceSeconds ?? latency.mean));
  return {
    rps,
    latency: { ...latency },
    depth: server.meanQueueDepth ?? rps * latency.mean,
    inferenceSeconds: server.meanInferenceSeconds ?? Math.max(0, latency.mean - wait),
    waitSeconds: wait,
  };
}

function lerp(a: number, b: number, f: number): number {
  return a + (b - a) * f;
}

function mix(a: OperatingPoint, b: OperatingPoint, rps: number): OperatingPoint {
  const f = b.rps === a.rps ? 0 : (rps - a.rps) / (b.rps - a.rps);
  return {
    rps,
    latency: {
      p50: lerp(a.latency.p50, b.latency.p50, f),
      p95: lerp(a.latency.p95, b.latency.p95, f),
      p99: lerp(a.latency.p99, b.latency.p99, f),
      mean: lerp(a.latency.mean, b.latency.mean, f),
      max: lerp(a.latency.max, b.latency.max, f),
    },
    depth: lerp(a.depth, b.depth, f),
    inferenceSeconds: lerp(a.inferenceSeconds, b.inferenceSeconds, f),
    waitSeconds: lerp(a.waitSeconds, b.waitSeconds, f),
  };
}

/**
 * Builds the pod model of a profile (see the module comment for the assumptions).
 *
 * @param profile - a validated capacity profile
 * @returns the model
 * @example
 * const pod = podModel(profile);
 * pod.at(200).latency.p95; // seconds at 200 req/s per pod
 */
export function podModel(profile: CapacityProfile): PodModel {
  const points = profile.steps
    .filter((step) => !step.saturated && step.achievedRps > 0)
    .map(pointOf)
    .sort((a, b) => a.rps - b.rps);
  const saturated = profile.steps.filter((step) => step.saturated);
  // Only a saturated step measures what the pod serves flat out (`peakAchievedRps` is the highest
  // of every step, unsaturated ones included, so it is no such measurement on its own).
  const bestSaturated = Math.max(0, ...saturated.map((step) => step.achievedRps));
  const capacityRps = Math.max(profile.maxSustainableRps, bestSaturated);
  const lowerBound = capacityLowerBound(profile);
  const capacitySource = lowerBound
    ? `at least ${round(capacityRps)} req/s, the highest rate achieved: a lower bound, ${lowerBound}`
    : bestSaturated >= profile.maxSustainableRps
      ? `the highest rate achieved in a saturated step (${round(bestSaturated)} req/s)`
      : `maxSustainableRps (${round(profile.maxSustainableRps)} req/s, above what saturated steps achieved)`;

  let queueLimit: number | null = null;
  let queueLimitSource = 'the pod never answered 503 in the profile: it does not shed';
  if (profile.shedding) {
    queueLimit = profile.shedding.concurrency + profile.shedding.maxWaiting;
    queueLimitSource = `profile.shedding: concurrency ${profile.shedding.concurrency} + maxWaiting ${profile.shedding.maxWaiting}`;
  } else if (profile.shedding === null) {
    queueLimitSource = 'profile.shedding is null: the pod does not shed';
  } else {
    const shedding = profile.steps.filter((step) => step.rejected > 0);
    const depths = shedding
      .map((step) => step.server.meanQueueDepth)
      .filter((depth): depth is number => depth !== null);
    if (shedding.length > 0 && depths.length > 0) {
      queueLimit = Math.max(...depths);
      queueLimitSource = `the highest mean queue depth of the steps that saw 503s (${round(queueLimit)})`;
    } else if (shedding.length > 0) {
      queueLimitSource =
        'steps saw 503s but the profile has no queue depth for them: shedding is not modelled';
    }
  }

  const first = points[0] as OperatingPoint;
  const last = points[points.length - 1] as OperatingPoint;
  const at = (rps: number): OperatingPoint => {
    const r = Math.min(Math.max(rps, 0), capacityRps);
    if (r <= first.rps) {
      const f = first.rps > 0 ? r / first.rps : 0;
      return {
        ...first,
        rps: r,
        latency: { ...first.latency },
        depth: first.depth * f,
      };
    }
    if (r >= last.rps) return { ...last, rps: r, latency: { ...last.latency } };
    for (let i = 1; i < points.length; i++) {
      const b = points[i] as OperatingPoint;
      if (r <= b.rps) return mix(points[i - 1] as OperatingPoint, b, r);
    }
    return { ...last, rps: r, latency: { ...last.latency } };
  };
  return {
    capacityRps,
    capacitySource,
    lowerBound,
    cutShort: rampCutShort(profile),
    queueLimit,
    queueLimitSource,
    points,
    at,
  };
}

const CUT_SHORT: Record<string, string> = {
  interrupted: 'the calibration was interrupted',
  'max-rps': 'the ramp stopped at --max-rps',
  'max-steps': 'the ramp stopped at --max-steps',
};

/**
 * Why a profile's capacity is only a lower bound, or null when a saturated step measured it: no
 * step of the run the ramp ended on saturated the pod (interrupted, stopped at `--max-rps` or
 * `--max-steps`, or, in a profile that does not say, never saturated).
 *
 * @example capacityLowerBound(profile); // 'the calibration was interrupted before any step saturated the pod'
 */
export function capacityLowerBound(profile: CapacityProfile): string | null {
  if (profile.saturationRps !== null && profile.steps.some((step) => step.saturated)) return null;
  const why = CUT_SHORT[profile.ramp.endedBy ?? ''] ?? 'the ramp ended';
  return `${why} before any step saturated the pod`;
}

/**
 * How the ramp was cut short after it saturated the pod (the knee not refined), or null: for a
 * profile whose capacity was measured but whose ramp did not end as planned.
 */
export function rampCutShort(profile: CapacityProfile): string | null {
  const why = CUT_SHORT[profile.ramp.endedBy ?? ''];
  return why === undefined || capacityLowerBound(profile) !== null
    ? null
    : `${why} after the pod saturated: the steps near the knee may be fewer than asked`;
}

/** A latency statistic of an operating point. */
export function statisticAt(point: OperatingPoint, slo: Pick<LatencySlo, 'statistic'>): number {
  return point.latency[slo.statistic];
}

/**
 * The highest arrival rate per pod whose measured latency statistic meets the SLO, interpolating
 * between steps; never above the highest measured unsaturated step.
 *
 * @param model - the pod model
 * @param slo - the objective
 * @returns the rate and how it was found, or null when even the lowest measured rate misses the SLO
 * @example
 * rateMeetingSlo(pod, { statistic: 'p95', seconds: 0.2 }); // { rps: 371.4, ... }
 */
export function rateMeetingSlo(
  model: PodModel,
  slo: LatencySlo,
): { rps: number; how: string } | null {
  const { points } = model;
  const value = (p: OperatingPoint) => statisticAt(p, slo);
  const first = points[0] as OperatingPoint;
  const ms = (s: number) => `${round(s * 1000)} ms`;
  if (value(first) > slo.seconds) return null;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as OperatingPoint;
    const b = points[i] as OperatingPoint;
    if (value(b) > slo.seconds) {
      const f = (slo.seconds - value(a)) / (value(b) - value(a));
      const rps = a.rps + f * (b.rps - a.rps);
      return {
        rps,
        how: `${slo.statistic} crosses ${ms(slo.seconds)} between the steps at ${round(a.rps)} req/s (${ms(value(a))}) and ${round(b.rps)} req/s (${ms(value(b))}), linearly interpolated`,
      };
    }
  }
  const last = points[points.length - 1] as OperatingPoint;
  return {
    rps: last.rps,
    how: `every unsaturated step meets it; the highest is ${round(last.rps)} req/s (${slo.statistic} ${ms(value(last))})`,
  };
}

/** Rounds for messages: 4 significant digits. */
export function round(value: number): number {
  return Number(value.toPrecision(4));
}
