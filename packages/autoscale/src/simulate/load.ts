/**
 * Arrival-rate traces for `mlscale simulate --profile`: the requests per second offered to the
 * whole service over time.
 *
 * ```csv
 * time,rps
 * 0,400
 * 60,1600
 * 360,400
 * 600,400
 * ```
 *
 * Each row's rate holds from its time until the next row's (a step function); the last row marks
 * the end of the trace. `#` lines are comments; cells may be quoted. Times are seconds and must
 * strictly increase; rates are >= 0.
 */

import { checkIncreasingTimes, numberCell, readTimeSeriesCsv } from './csv.js';
import { findStep } from './time-base.js';

/** One row of a load trace. */
export interface LoadPoint {
  /** Seconds. */
  time: number;
  /** Requests per second offered from this time on. */
  rps: number;
}

/** An arrival-rate trace. */
export interface LoadTrace {
  /** Rows in time order (at least two: a start and an end). */
  points: LoadPoint[];
}

/**
 * Parses a load CSV (`time,rps`).
 *
 * @param text - the CSV text
 * @returns the trace
 * @throws Error naming the line and column of the first problem
 * @example
 * parseLoadCsv('time,rps\n0,100\n60,400\n120,400\n').points.length; // 3
 */
export function parseLoadCsv(text: string): LoadTrace {
  const what = 'load CSV';
  const { columns, headerLine, rows } = readTimeSeriesCsv(text, what);
  if (columns.length !== 2 || columns[1] !== 'rps') {
    throw new Error(
      `${what} line ${headerLine}: expected the columns "time,rps" (requests per second offered to the service), found "${columns.join(',')}"`,
    );
  }
  const points = rows.map((row) => {
    const time = numberCell(row, 0, 'time', what);
    const rps = numberCell(row, 1, 'rps', what);
    if (time === undefined) throw new Error(`${what} line ${row.line}: missing time`);
    if (rps === undefined) throw new Error(`${what} line ${row.line}: missing rps`);
    if (rps < 0) throw new Error(`${what} line ${row.line}, column "rps": ${rps} is below 0`);
    return { time, rps };
  });
  checkIncreasingTimes(
    points.map((p, i) => [rows[i]?.line ?? 0, p.time] as const),
    what,
  );
  if (points.length < 2) {
    throw new Error(
      `${what}: one row gives no duration; add a last row for the end of the trace (e.g. "600,${points[0]?.rps ?? 0}")`,
    );
  }
  return { points };
}

/**
 * The offered rate at a time (the step function of the trace).
 *
 * @param load - the trace
 * @param time - seconds
 * @returns requests per second (the first row's before the trace starts, the last row's after it ends)
 * @example
 * rateAt(load, 75); // 1600
 */
export function rateAt(load: LoadTrace, time: number): number {
  let rate = load.points[0]?.rps ?? 0;
  for (const point of load.points) {
    if (point.time > time) break;
    rate = point.rps;
  }
  return rate;
}

/**
 * The load step of an offered rate: a rise of half its range within one sync period
 * ({@link findStep}). A smooth ramp has none.
 *
 * @param load - the trace
 * @param windowSeconds - the sync period (default 15)
 * @returns seconds, or null when the load has no step
 * @example
 * detectRateStep(parseLoadCsv('time,rps\n0,100\n60,400\n120,400\n')); // 60
 */
export function detectRateStep(load: LoadTrace, windowSeconds = 15): number | null {
  return findStep(
    load.points.map((p) => ({ time: p.time, level: p.rps })),
    windowSeconds,
  );
}
