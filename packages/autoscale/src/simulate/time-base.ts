/**
 * One time base for everything `simulate` prints: trace time from the trace's first point (t=0),
 * and a load step only where the trace has one (or `--step-at` names it). Without a step, the
 * figures that count from it (the first scale-up, the time back under the SLO) count from the
 * start, and the output says so.
 */

/** Where the figures count from. */
export interface TimeBase {
  /** The trace's first time (its own clock: 0, or seconds since the epoch for a recording). */
  readonly start: number;
  /** The load step on the trace's clock; the start when there is none. */
  readonly stepAt: number;
  /** How the step was found: in the trace, given (`--step-at`), or none (figures from the start). */
  readonly step: 'detected' | 'given' | null;
}

/**
 * The load step of a level over time: the start of the first rise, within one window (the HPA's
 * sync period: what it sees as one change), of at least half the level's whole range and to more
 * than 1.5 × where it rose from. A smooth ramp has none. Between points the level holds (as a load
 * CSV's rate and a recorded metric do).
 *
 * @param points - time and level, in increasing time (a missing level is skipped)
 * @param windowSeconds - the longest rise still called a step
 * @returns the time the rise starts, or null
 * @example
 * findStep([{ time: 0, level: 400 }, { time: 60, level: 1600 }], 15); // 60
 */
export function findStep(
  points: readonly { readonly time: number; readonly level: number | undefined }[],
  windowSeconds: number,
): number | null {
  const known = points.filter(
    (p): p is { time: number; level: number } => p.level !== undefined && Number.isFinite(p.level),
  );
  const first = known[0];
  if (!first) return null;
  const levels = known.map((p) => p.level);
  const range = Math.max(...levels) - Math.min(...levels);
  if (!(range > 0)) return null;
  const levelAt = (time: number): { time: number; level: number } => {
    let at = first;
    for (const p of known) {
      if (p.time > time) break;
      at = p;
    }
    return at;
  };
  for (const p of known) {
    const from = levelAt(p.time - windowSeconds);
    if (p.level - from.level >= range / 2 && p.level > 1.5 * from.level) {
      return known.find((q) => q.time > from.time && q.level > from.level)?.time ?? p.time;
    }
  }
  return null;
}

/**
 * The time base of a run: the step given, else the one found, else the start.
 *
 * @param start - the trace's first time
 * @param given - `--step-at`, on the trace's clock
 * @param found - from {@link findStep}
 */
export function timeBase(start: number, given: number | undefined, found: number | null): TimeBase {
  if (given !== undefined) return { start, stepAt: given, step: 'given' };
  if (found !== null) return { start, stepAt: found, step: 'detected' };
  return { start, stepAt: start, step: null };
}

/** Trace time of a moment, from the trace's start, in whole seconds for people. */
export function traceTime(base: TimeBase, time: number): number {
  return Math.round(time - base.start);
}

/**
 * The header line that says where the figures count from.
 *
 * @example describeTimeBase(base); // 'load step at t=60s (found in the trace)'
 */
export function describeTimeBase(base: TimeBase): string {
  if (base.step === null) {
    return 'no load step in the trace (no rise of half its range within a sync period): the first scale-up and the time back under the SLO count from its start, t=0 (--step-at sets a step)';
  }
  return `load step at t=${traceTime(base, base.stepAt)}s (${base.step === 'given' ? '--step-at' : 'found in the trace'}); times are from the trace's start`;
}

/** `step` or `start`: what the "after …" figures count from. */
export function countsFrom(base: TimeBase): 'step' | 'start' {
  return base.step === null ? 'start' : 'step';
}
