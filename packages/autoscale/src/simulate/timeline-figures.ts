/**
 * The figures of a run, computed from its per-second timeline the same way for the reactive
 * simulator, `mlscale tune` and the closed loop on real processes (tools/e2e), so the three can
 * be compared figure by figure: the seconds over the objective, the recovery from the load step,
 * and the replica-seconds.
 */

/**
 * One second of a timeline: when it started, whether its SLO statistic was over the objective,
 * and the pods that existed at its end (starting, ready and draining).
 */
export interface TimelineSecond {
  readonly time: number;
  readonly violation: boolean;
  readonly pods: number;
}

/** The figures of a timeline. */
export interface TimelineFigures {
  /** Seconds whose SLO statistic was above the objective. */
  sloViolationSeconds: number;
  /**
   * Seconds from the load step until the SLO statistic is back under the objective: 0 when it
   * never went over after the step, undefined when it did not come back within the timeline.
   */
  recoverySeconds?: number;
  /** Pod-seconds: each second's pods, for the one second it lasts. */
  replicaSeconds: number;
}

/**
 * Counts the seconds over the objective, the recovery from the load step at `stepAt`, and the
 * replica-seconds.
 *
 * @param seconds - the timeline, in time order, one entry per second
 * @param stepAt - the load step, on the timeline's clock
 * @example
 * timelineFigures([{ time: 0, violation: false, pods: 2 }, { time: 1, violation: true, pods: 2 }, { time: 2, violation: false, pods: 3 }], 0);
 * // { sloViolationSeconds: 1, recoverySeconds: 2, replicaSeconds: 7 }
 */
export function timelineFigures(
  seconds: readonly TimelineSecond[],
  stepAt: number,
): TimelineFigures {
  const figures: TimelineFigures = {
    sloViolationSeconds: seconds.filter((s) => s.violation).length,
    replicaSeconds: seconds.reduce((sum, s) => sum + s.pods, 0),
  };
  const firstViolation = seconds.find((s) => s.time >= stepAt && s.violation);
  if (!firstViolation) figures.recoverySeconds = 0;
  else {
    const back = seconds.find((s) => s.time > firstViolation.time && !s.violation);
    if (back) figures.recoverySeconds = back.time - stepAt;
  }
  return figures;
}
