/** When requests are meant to be sent: an arrival schedule from a rate (constant or over time). */

/** Requests per second as a function of seconds since the start. */
export type RateFunction = (seconds: number) => number;

/** One point of a rate trace: from `atSeconds` on, `rps` requests per second (until the next point). */
export interface RatePoint {
  atSeconds: number;
  rps: number;
}

/** How arrivals are spaced: evenly (`uniform`, like wrk2) or as a Poisson process. */
export type ArrivalProcess = 'uniform' | 'poisson';

/**
 * A step function from a rate trace (each point holds until the next one; before the first: 0).
 *
 * @param points - in increasing `atSeconds`, each `rps` ≥ 0
 * @throws RangeError when times do not increase or a rate is negative or not finite
 * @example
 * const rate = rateFromTrace([{ atSeconds: 0, rps: 100 }, { atSeconds: 30, rps: 400 }]);
 * rate(45); // 400
 */
export function rateFromTrace(points: readonly RatePoint[]): RateFunction {
  points.forEach((p, i) => {
    if (!Number.isFinite(p.atSeconds) || !(p.rps >= 0) || !Number.isFinite(p.rps)) {
      throw new RangeError(`rate point ${i}: time and rate must be finite, rate ≥ 0`);
    }
    const before = points[i - 1];
    if (before && p.atSeconds <= before.atSeconds) {
      throw new RangeError(
        `rate point ${i}: times must increase (${p.atSeconds} after ${before.atSeconds})`,
      );
    }
  });
  return (seconds) => {
    let rps = 0;
    for (const p of points) {
      if (p.atSeconds > seconds) break;
      rps = p.rps;
    }
    return rps;
  };
}

/** A small seeded generator (mulberry32), so a Poisson schedule can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** While the rate is 0, how often (s) to look whether it has risen. */
const IDLE_LOOK_SECONDS = 0.01;

/**
 * The intended send times (seconds since the start) of an arrival schedule, lazily. The rate is
 * read at each arrival, so a rate trace's steps take effect within one inter-arrival gap.
 *
 * @param rate - requests per second at each time
 * @param durationSeconds - no arrival at or after this time
 * @param process - even spacing or Poisson
 * @param random - uniform [0, 1) source for Poisson gaps
 * @example
 * [...arrivalTimes(() => 4, 1, 'uniform')]; // [0, 0.25, 0.5, 0.75]
 */
export function* arrivalTimes(
  rate: RateFunction,
  durationSeconds: number,
  process: ArrivalProcess = 'uniform',
  random: () => number = Math.random,
): Generator<number> {
  let t = 0;
  // Uniform times are counted from the last rate change (anchor + k / rps), not summed gap by
  // gap, so rounding never adds or drops an arrival at the end of a segment.
  let anchor = 0;
  let anchorRps = Number.NaN;
  let k = 0;
  while (t < durationSeconds) {
    const rps = rate(t);
    if (!(rps > 0)) {
      t += IDLE_LOOK_SECONDS;
      anchorRps = Number.NaN;
      continue;
    }
    if (process === 'poisson') {
      t += -Math.log(1 - random()) / rps;
      if (t < durationSeconds) yield t;
      continue;
    }
    if (rps !== anchorRps) {
      anchor = t;
      anchorRps = rps;
      k = 0;
    }
    yield t;
    k += 1;
    t = anchor + k / rps;
  }
}
