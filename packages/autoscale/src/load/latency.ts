/** Latency percentiles of a set of measured requests. */
import type { LatencySummary } from '../capacity/profile.js';

/**
 * The nearest-rank percentile `q` (0…1) of `sorted` (ascending).
 *
 * @example
 * percentile([1, 2, 3, 4], 0.5); // 2
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * p50, p95, p99, mean and max of `values` (any unit; the summary is in the same unit). NaN for
 * every figure when there are no values.
 *
 * @example
 * summarizeLatency([0.01, 0.02, 0.03]).p50; // 0.02
 */
export function summarizeLatency(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}
