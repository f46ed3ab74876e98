/** Latency SLOs as the commands take them: `p95=200ms`, `p99=1s`, `mean=150ms`. */

/** Which latency statistic an SLO bounds. */
export type LatencyStatistic = 'p50' | 'p95' | 'p99' | 'mean';

/** A latency objective: the statistic must stay at or under `seconds`. */
export interface LatencySlo {
  statistic: LatencyStatistic;
  seconds: number;
}

const STATISTICS: readonly LatencyStatistic[] = ['p50', 'p95', 'p99', 'mean'];

/**
 * The quantile a statistic names (p95 → 0.95), or undefined for the mean.
 *
 * @param statistic - `p50`, `p95`, `p99` or `mean`
 * @example
 * quantileOf('p99'); // 0.99
 */
export function quantileOf(statistic: LatencyStatistic): number | undefined {
  return statistic === 'mean' ? undefined : Number(statistic.slice(1)) / 100;
}

/**
 * Parses an SLO such as `p95=200ms` (units `ms` or `s`).
 *
 * @param text - the flag value
 * @returns the SLO, or an error message saying what is expected
 * @example
 * parseSlo('p95=200ms'); // { ok: true, value: { statistic: 'p95', seconds: 0.2 } }
 */
export function parseSlo(
  text: string,
): { ok: true; value: LatencySlo } | { ok: false; error: string } {
  const match = /^\s*(\w+)\s*=\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/.exec(text);
  const expected = `expected <statistic>=<time> with statistic one of ${STATISTICS.join(', ')} and time in ms or s, e.g. p95=200ms`;
  if (!match) return { ok: false, error: `"${text}": ${expected}` };
  const statistic = match[1] as LatencyStatistic;
  if (!STATISTICS.includes(statistic)) {
    return { ok: false, error: `"${text}": unknown statistic "${match[1]}"; ${expected}` };
  }
  const seconds = Number(match[2]) / (match[3] === 'ms' ? 1000 : 1);
  if (!(seconds > 0)) return { ok: false, error: `"${text}": the time must be > 0` };
  return { ok: true, value: { statistic, seconds } };
}

/**
 * Writes an SLO back as the flag takes it.
 *
 * @param slo - the SLO
 * @example
 * formatSlo({ statistic: 'p95', seconds: 0.2 }); // 'p95=200ms'
 */
export function formatSlo(slo: LatencySlo): string {
  const ms = slo.seconds * 1000;
  return `${slo.statistic}=${Number.isInteger(ms) ? `${ms}ms` : `${slo.seconds}s`}`;
}
