/**
 * Latency distributions of groups of requests, and quantiles of their mixture: the requests of one
 * second are spread over pods at different rates and backlogs, and the service's p95 is the p95
 * of all of them together, not the mean of the pods' p95s.
 *
 * Each group's distribution is piecewise linear through its measured percentiles (p50, p95, p99,
 * max, and p50 / 2 at the 0th percentile, the profile having no minimum), shifted by the extra
 * wait of its backlog. Failed requests (503s, no pod ready) count as slower than any latency.
 */
import type { OperatingPoint } from '../capacity/model.js';

/** Requests of one group: how many, their distribution without backlog, and the extra wait. */
export interface LatencyGroup {
  /** Requests in the group. */
  weight: number;
  /** The pod's figures at its arrival rate. */
  point: OperatingPoint;
  /** Seconds of backlog every request of the group waits on top. */
  extraWait: number;
}

const LEVELS = [0, 0.5, 0.95, 0.99, 1] as const;

function knots(group: LatencyGroup): number[] {
  const { p50, p95, p99, max } = group.point.latency;
  const values = [p50 / 2, p50, p95, p99, Math.max(max, p99)];
  return values.map((v) => v + group.extraWait);
}

function cdf(values: readonly number[], x: number): number {
  if (x < (values[0] as number)) return 0;
  for (let i = 1; i < values.length; i++) {
    const hi = values[i] as number;
    if (x < hi) {
      const lo = values[i - 1] as number;
      const f = hi > lo ? (x - lo) / (hi - lo) : 1;
      return (LEVELS[i - 1] as number) + f * ((LEVELS[i] as number) - (LEVELS[i - 1] as number));
    }
  }
  return 1;
}

/**
 * The q-quantile of the mixture of groups plus failed requests.
 *
 * @param groups - request groups
 * @param failed - requests that failed (counted above every latency)
 * @param q - the quantile, e.g. 0.95
 * @returns seconds; `Infinity` when the failed share alone exceeds 1 - q; `undefined` without requests
 * @example
 * mixtureQuantile([{ weight: 100, point, extraWait: 0 }], 0, 0.95); // point.latency.p95
 */
export function mixtureQuantile(
  groups: readonly LatencyGroup[],
  failed: number,
  q: number,
): number | undefined {
  const served = groups.filter((g) => g.weight > 0);
  const total = served.reduce((sum, g) => sum + g.weight, 0) + failed;
  if (!(total > 0)) return undefined;
  if (failed / total > 1 - q + 1e-12) return Number.POSITIVE_INFINITY;
  const curves = served.map((g) => ({ weight: g.weight, values: knots(g) }));
  let lo = 0;
  let hi = Math.max(...curves.map((c) => c.values[c.values.length - 1] as number));
  const at = (x: number) => curves.reduce((sum, c) => sum + c.weight * cdf(c.values, x), 0) / total;
  for (let i = 0; i < 60 && hi - lo > 1e-7; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid) >= q) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The mean latency of the served requests of some groups.
 *
 * @param groups - request groups
 * @returns seconds, or undefined without requests
 * @example
 * meanLatency(groups);
 */
export function meanLatency(groups: readonly LatencyGroup[]): number | undefined {
  const weight = groups.reduce((sum, g) => sum + g.weight, 0);
  if (!(weight > 0)) return undefined;
  return (
    groups.reduce((sum, g) => sum + g.weight * (g.point.latency.mean + g.extraWait), 0) / weight
  );
}
