/**
 * The PromQL functions a forecast rule uses, evaluated as Prometheus 2.x evaluates them, so that
 * the simulator's HPA sees what a cluster's would: `rate()` (extrapolated to the window's edges),
 * `predict_linear()` and `deriv()` (least squares over the window's samples), `holt_winters()`
 * (double exponential smoothing; `double_exponential_smoothing` from Prometheus 3.0), and the
 * steps of a subquery. Written here from Prometheus' `promql/functions.go` and `engine.go`
 * (v2.42, Debian's), since no JavaScript library evaluates PromQL; `forecast.prometheus.test.ts`
 * checks every one against the real Prometheus on the same samples. Times are seconds; Prometheus
 * keeps milliseconds, and so do these functions where it matters (the regression's x).
 */

/** One sample: seconds, value. */
export interface TimedValue {
  time: number;
  value: number;
}

function millis(seconds: number): number {
  return Math.round(seconds * 1000);
}

/**
 * The samples a range selector `[range]` evaluated at `at` selects: Prometheus 2.x takes the
 * closed interval [at − range, at].
 *
 * @param samples - in time order
 * @param at - evaluation time, seconds
 * @param range - seconds
 * @returns the samples in the window
 */
export function inRange(samples: readonly TimedValue[], at: number, range: number): TimedValue[] {
  const from = millis(at) - millis(range);
  const to = millis(at);
  return samples.filter((s) => millis(s.time) >= from && millis(s.time) <= to);
}

/**
 * `rate(counter[range])` at `at`: the increase between the window's first and last samples,
 * extrapolated towards the window's edges (by at most 1.1 average sample intervals, and not below
 * a counter value of zero), per second of the range. Counter resets are not handled: the
 * simulated counters never reset.
 *
 * @param samples - the counter's samples in the window (see {@link inRange})
 * @param at - evaluation time, seconds
 * @param range - seconds
 * @returns requests per second, or undefined with fewer than two samples
 */
export function extrapolatedRate(
  samples: readonly TimedValue[],
  at: number,
  range: number,
): number | undefined {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || samples.length < 2) return undefined;
  const increase = last.value - first.value;
  let toStart = (millis(first.time) - (millis(at) - millis(range))) / 1000;
  const toEnd = (millis(at) - millis(last.time)) / 1000;
  const sampled = (millis(last.time) - millis(first.time)) / 1000;
  const average = sampled / (samples.length - 1);
  if (increase > 0 && first.value >= 0) {
    const toZero = sampled * (first.value / increase);
    if (toZero < toStart) toStart = toZero;
  }
  const threshold = average * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : average / 2;
  interval += toEnd < threshold ? toEnd : average / 2;
  return (increase * (interval / sampled)) / range;
}

/**
 * The evaluation times of a subquery `[range:step]` at `at`: multiples of `step` (from the epoch,
 * here from the trace's time 0) from the first at or after `at − range` up to `at`.
 *
 * @param at - evaluation time, seconds
 * @param range - seconds
 * @param step - seconds
 * @returns the times, ascending
 */
export function subquerySteps(at: number, range: number, step: number): number[] {
  const interval = millis(step);
  const start = millis(at) - millis(range);
  let first = interval * Math.floor(start / interval);
  if (first < start) first += interval;
  const times: number[] = [];
  for (let t = first; t <= millis(at); t += interval) times.push(t / 1000);
  return times;
}

/**
 * Least squares of value against time, the intercept at `interceptTime` (Prometheus'
 * `linearRegression`): a constant series has slope 0.
 *
 * @param samples - at least two
 * @param interceptTime - seconds
 * @returns slope per second and the value at `interceptTime`
 */
export function linearRegression(
  samples: readonly TimedValue[],
  interceptTime: number,
): { slope: number; intercept: number } {
  const y0 = samples[0]?.value ?? Number.NaN;
  if (samples.every((s) => s.value === y0)) {
    return Number.isFinite(y0) || Number.isNaN(y0)
      ? { slope: 0, intercept: y0 }
      : { slope: Number.NaN, intercept: Number.NaN };
  }
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  let sumXY = 0;
  let sumX2 = 0;
  for (const s of samples) {
    const x = (millis(s.time) - millis(interceptTime)) / 1000;
    n += 1;
    sumX += x;
    sumY += s.value;
    sumXY += x * s.value;
    sumX2 += x * x;
  }
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return { slope, intercept: sumY / n - (slope * sumX) / n };
}

/**
 * `predict_linear(v[range], horizon)` at `at`: the least-squares line through the window's
 * samples, read `horizon` seconds after `at`.
 *
 * @param samples - the window's samples
 * @param at - evaluation time, seconds
 * @param horizon - seconds ahead
 * @returns the predicted value, or undefined with fewer than two samples
 */
export function predictLinear(
  samples: readonly TimedValue[],
  at: number,
  horizon: number,
): number | undefined {
  if (samples.length < 2) return undefined;
  const { slope, intercept } = linearRegression(samples, at);
  return slope * horizon + intercept;
}

/**
 * `deriv(v[range])`: the least-squares slope per second.
 *
 * @param samples - the window's samples
 * @returns the slope, or undefined with fewer than two samples
 */
export function deriv(samples: readonly TimedValue[]): number | undefined {
  if (samples.length < 2) return undefined;
  const first = samples[0] as TimedValue;
  return linearRegression(samples, first.time).slope;
}

/**
 * `holt_winters(v[range], sf, tf)` (Prometheus 2.x; `double_exponential_smoothing` in 3.x): the
 * level after double exponential smoothing of the window's samples, started at the first sample
 * with the first difference as the trend. It is the smoothed value now, not a value ahead.
 *
 * @param samples - the window's samples
 * @param sf - smoothing factor, 0 < sf < 1 (lower: older samples weigh more)
 * @param tf - trend factor, 0 < tf < 1 (higher: the trend follows recent changes more)
 * @returns the smoothed level, or undefined with fewer than two samples
 * @throws Error when a factor is outside (0, 1), as Prometheus fails the query
 */
export function holtWinters(
  samples: readonly TimedValue[],
  sf: number,
  tf: number,
): number | undefined {
  if (!(sf > 0 && sf < 1))
    throw new Error(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf}`);
  if (!(tf > 0 && tf < 1))
    throw new Error(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf}`);
  if (samples.length < 2) return undefined;
  let s0 = 0;
  let s1 = (samples[0] as TimedValue).value;
  let b = (samples[1] as TimedValue).value - s1;
  for (let i = 1; i < samples.length; i++) {
    const x = sf * (samples[i] as TimedValue).value;
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}
