/**
 * The clairvoyant bound: the replica-seconds of an autoscaler that knows the future. Over each
 * interval of `intervalSeconds` (10 s) it runs exactly ⌈mean offered rate ÷ the per-pod SLO
 * rate⌉ pods, started ahead of time so that they serve from the interval's first second, and none
 * more. The per-pod SLO rate is the highest rate whose measured SLO statistic meets the objective
 * (`rateMeetingSlo`, as `plan` sizes its targets). No autoscaler reaches it: the distance to it is
 * what a configuration can still win.
 */
import { type PodModel, rateMeetingSlo } from '../capacity/model.js';
import type { LatencySlo } from '../capacity/slo.js';
import type { LoadTrace } from '../simulate/load.js';

/** The bound for one trace, profile and SLO. */
export interface ClairvoyantBound {
  /** Pod-seconds over the trace. */
  replicaSeconds: number;
  /** Requests per second one pod takes within the SLO. */
  sloRps: number;
  /** Seconds per interval. */
  intervalSeconds: number;
  /** Most pods it runs at once. */
  maxReplicas: number;
}

/** The mean of a step-function load over [a, b). */
function meanRate(load: LoadTrace, a: number, b: number): number {
  let sum = 0;
  const points = load.points;
  for (let i = 0; i + 1 < points.length; i++) {
    const p = points[i] as LoadTrace['points'][number];
    const next = (points[i + 1] as LoadTrace['points'][number]).time;
    const lo = Math.max(a, p.time);
    const hi = Math.min(b, next);
    if (hi > lo) sum += p.rps * (hi - lo);
  }
  return sum / (b - a);
}

/**
 * Computes the clairvoyant bound (see the module comment).
 *
 * @param pod - the pod model
 * @param load - the arrival-rate trace
 * @param slo - the objective
 * @param intervalSeconds - seconds between the oracle's decisions (default 10)
 * @returns the bound, or null when the pod misses the SLO even at its lowest measured rate
 * @example
 * clairvoyantBound(pod, load, { statistic: 'p95', seconds: 0.2 })?.replicaSeconds; // 18110
 */
export function clairvoyantBound(
  pod: PodModel,
  load: LoadTrace,
  slo: LatencySlo,
  intervalSeconds = 10,
): ClairvoyantBound | null {
  const meeting = rateMeetingSlo(pod, slo);
  if (!meeting || !(meeting.rps > 0)) return null;
  const start = load.points[0]?.time ?? 0;
  const end = load.points[load.points.length - 1]?.time ?? 0;
  let replicaSeconds = 0;
  let maxReplicas = 0;
  for (let t = start; t < end - 1e-9; t += intervalSeconds) {
    const b = Math.min(end, t + intervalSeconds);
    // 1e-9: a rate of exactly n pods' worth needs n pods, not n + 1 from rounding
    const pods = Math.max(0, Math.ceil(meanRate(load, t, b) / meeting.rps - 1e-9));
    replicaSeconds += pods * (b - t);
    maxReplicas = Math.max(maxReplicas, pods);
  }
  return { replicaSeconds, sloRps: meeting.rps, intervalSeconds, maxReplicas };
}

/**
 * A config's replica-seconds as a multiple of the bound, for tables: `1.25×`.
 *
 * @param replicaSeconds - the config's
 * @param bound - the bound
 * @returns the ratio with two decimals, or `-` without a bound
 */
export function formatBoundRatio(replicaSeconds: number, bound: ClairvoyantBound | null): string {
  if (!bound || !(bound.replicaSeconds > 0)) return '-';
  return `${(replicaSeconds / bound.replicaSeconds).toFixed(2)}×`;
}

/**
 * The bound and each config's distance to it, as lines under a simulation's table.
 *
 * @param summaries - the configs' names and replica-seconds
 * @param bound - the bound (null: the pod misses the SLO at every measured rate)
 * @returns the lines
 */
export function formatBoundLines(
  summaries: readonly { name: string; replicaSeconds: number }[],
  bound: ClairvoyantBound | null,
): string[] {
  if (!bound) {
    return [
      'clairvoyant bound: none (the pod misses the SLO at its lowest measured rate, so no number of pods meets it)',
    ];
  }
  return [
    `clairvoyant bound: ${Math.round(bound.replicaSeconds)} replica-seconds (every ${bound.intervalSeconds} s, ⌈mean rate ÷ ${Number(bound.sloRps.toPrecision(4))} req/s, the rate a pod serves within the SLO⌉ pods, started ahead by an oracle; at most ${bound.maxReplicas})`,
    ...summaries.map(
      (s) =>
        `  ${s.name}: ${Math.round(s.replicaSeconds)} replica-seconds, ${formatBoundRatio(s.replicaSeconds, bound)} the bound`,
    ),
  ];
}
