/** Latency objectives (`p95=200ms`) and the highest measured rate that meets one. */
import type { CapacityProfile, CapacityStep, LatencySummary } from '../capacity/profile.js';

/** Which latency figure an objective bounds. */
export type SloStatistic = keyof Pick<LatencySummary, 'p50' | 'p95' | 'p99' | 'mean'>;

/** A latency objective: `statistic` at most `seconds`. */
export interface LatencySlo {
  statistic: SloStatistic;
  seconds: number;
}

const STATISTICS: readonly SloStatistic[] = ['p50', 'p95', 'p99', 'mean'];

/**
 * Parses `p95=200ms` (also `p99=0.5s`, `mean=80ms`; a bare number is seconds).
 *
 * @returns the objective, or an error that says what is accepted
 * @example
 * parseSlo('p95=200ms'); // { ok: true, slo: { statistic: 'p95', seconds: 0.2 } }
 */
export function parseSlo(
  text: string,
): { ok: true; slo: LatencySlo } | { ok: false; error: string } {
  const match = /^\s*(p50|p95|p99|mean)\s*=\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(text);
  const seconds = match ? Number(match[2]) / (match[3] === 'ms' ? 1000 : 1) : Number.NaN;
  if (!match || !(seconds > 0)) {
    return {
      ok: false,
      error: `"${text}" is not a latency objective: write <${STATISTICS.join('|')}>=<number>ms or <number>s, e.g. p95=200ms`,
    };
  }
  return { ok: true, slo: { statistic: match[1] as SloStatistic, seconds } };
}

/** `p95=200ms` for display. */
export function formatSlo(slo: LatencySlo): string {
  return `${slo.statistic}=${Math.round(slo.seconds * 1e6) / 1e3}ms`;
}

/**
 * True when the step met the objective: not saturated, at most 1 % of requests failed or were
 * shed, and the statistic within the bound.
 */
export function stepMeetsSlo(step: CapacityStep, slo: LatencySlo): boolean {
  const failed = step.rejected + step.errors;
  return (
    !step.saturated &&
    step.sent > 0 &&
    failed <= 0.01 * step.sent &&
    step.latency[slo.statistic] <= slo.seconds
  );
}

/**
 * The highest step of the unbroken run of steps, from the lowest rate up, that met the objective;
 * null when the first did not. A step that met it above one that did not is not counted: on a
 * noisy machine that is luck, and a target planned on it would be too high. Only measured rates
 * count: nothing is interpolated between steps.
 *
 * @example
 * highestRateMeeting(profile, { statistic: 'p95', seconds: 0.2 })?.offeredRps;
 */
export function highestRateMeeting(
  profile: Pick<CapacityProfile, 'steps'>,
  slo: LatencySlo,
): CapacityStep | null {
  let best: CapacityStep | null = null;
  for (const step of [...profile.steps].sort((a, b) => a.offeredRps - b.offeredRps)) {
    if (!stepMeetsSlo(step, slo)) break;
    best = step;
  }
  return best;
}
