/** The highest measured rate of a calibration that meets a latency objective. */
import type { CapacityProfile, CapacityStep } from '../capacity/profile.js';
import type { LatencySlo } from '../capacity/slo.js';

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
