/**
 * The figures of a run against its latency objective, computed from its per-second timeline the
 * same way for the reactive simulator and the closed loop on real processes (tools/e2e), so the
 * two can be compared figure by figure.
 */

/** One second of a timeline: when it started, and whether its SLO statistic was over the objective. */
export interface TimelineSecond {
  readonly time: number;
  readonly violation: boolean;
}

/** The objective's figures of a timeline. */
export interface ViolationFigures {
  /** Seconds whose SLO statistic was above the objective. */
  sloViolationSeconds: number;
  /**
   * Seconds from the load step until the SLO statistic is back under the objective: 0 when it
   * never went over after the step, undefined when it did not come back within the timeline.
   */
  recoverySeconds?: number;
}

/**
 * Counts the seconds over the objective, and the recovery from the load step at `stepAt`.
 *
 * @param seconds - the timeline, in time order
 * @param stepAt - the load step, on the timeline's clock
 * @example
 * violationFigures([{ time: 0, violation: false }, { time: 1, violation: true }, { time: 2, violation: false }], 0);
 * // { sloViolationSeconds: 1, recoverySeconds: 2 }
 */
export function violationFigures(
  seconds: readonly TimelineSecond[],
  stepAt: number,
): ViolationFigures {
  const figures: ViolationFigures = {
    sloViolationSeconds: seconds.filter((s) => s.violation).length,
  };
  const firstViolation = seconds.find((s) => s.time >= stepAt && s.violation);
  if (!firstViolation) figures.recoverySeconds = 0;
  else {
    const back = seconds.find((s) => s.time > firstViolation.time && !s.violation);
    if (back) figures.recoverySeconds = back.time - stepAt;
  }
  return figures;
}
