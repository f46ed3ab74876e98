/**
 * Metric traces for the simulator: recorded per-pod mean values over time, from a CSV file or a
 * Prometheus range query.
 *
 * CSV layout (header row required, `#` lines are comments, empty cells mean "no value"; cells
 * may be quoted as Grafana exports them; times must strictly increase):
 *
 * ```csv
 * time,replicas,load,request_queue_depth,each:inference_latency_seconds_avg
 * 0,2,0,0.5,0.004
 * 15,2,50,24,0.005
 * ```
 *
 * - `time`: seconds (any epoch).
 * - `replicas` (optional, default 1): how many pods were serving when the values were recorded.
 * - `load` (optional): the offered load (requests/s, clients, ...), informative; used to find the load step.
 * - any other column: a metric, named as the HPA names it, holding the *per-pod mean* at the
 *   recorded replica count. By default the metric is extensive: the simulator keeps the total
 *   (mean × recorded replicas) and shares it between the ready pods. Prefix the name with `each:`
 *   for an intensive metric that every pod reports unchanged whatever the replica count.
 */
import type { MatrixSeries } from '../prometheus/client.js';
import { type CsvRow, checkIncreasingTimes, numberCell, readTimeSeriesCsv } from './csv.js';

/** One recorded instant. */
export interface TracePoint {
  /** Seconds. */
  time: number;
  /** Pods serving when recorded. */
  replicas: number;
  /** Offered load, when recorded. */
  load?: number;
  /** Per-pod mean value of each metric (absent: no value at this time). */
  values: Record<string, number>;
}

/** A metric trace. */
export interface Trace {
  /** Metric names, in column order. */
  metrics: string[];
  /** Metrics reported unchanged by every pod (not shared out by replicas). */
  intensive: Set<string>;
  /** Points in time order. */
  points: TracePoint[];
}

/**
 * Parses a trace CSV (see the module comment for the layout).
 *
 * @param text - the CSV text
 * @returns the trace
 * @throws Error naming the line and column of the first bad cell, an unknown column or a time out of order
 * @example
 * parseTraceCsv('time,request_queue_depth\n0,1\n15,30\n').points.length; // 2
 */
export function parseTraceCsv(text: string): Trace {
  const what = 'trace CSV';
  const { columns, headerLine, rows } = readTimeSeriesCsv(text, what);
  const metrics: string[] = [];
  const intensive = new Set<string>();
  const roles = columns.map((column, i) => {
    if (i === 0) return { kind: 'time' as const, name: column };
    if (column === 'replicas' || column === 'load') return { kind: column, name: column };
    const name = column.startsWith('each:') ? column.slice(5) : column;
    if (!METRIC_NAME.test(name)) {
      throw new Error(
        `${what} line ${headerLine}: column ${i + 1} "${column}" is not a known column (time, replicas, load) nor a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, optionally prefixed with "each:")`,
      );
    }
    if (metrics.includes(name)) {
      throw new Error(`${what} line ${headerLine}: metric "${name}" appears twice`);
    }
    if (column.startsWith('each:')) intensive.add(name);
    metrics.push(name);
    return { kind: 'metric' as const, name };
  });

  const points: TracePoint[] = rows.map((row) => {
    const point: TracePoint = { time: Number.NaN, replicas: 1, values: {} };
    roles.forEach((role, i) => {
      const value = numberCell(row, i, columns[i] as string, what);
      if (value === undefined) {
        if (role.kind === 'time') throw new Error(`${what} line ${row.line}: missing time`);
        return;
      }
      if (role.kind === 'time') point.time = value;
      else if (role.kind === 'replicas') point.replicas = value;
      else if (role.kind === 'load') point.load = value;
      else point.values[role.name] = value;
    });
    if (!(point.replicas > 0)) {
      throw new Error(`${what} line ${row.line}, column "replicas": must be > 0`);
    }
    return point;
  });
  checkIncreasingTimes(
    points.map((p, i) => [(rows[i] as CsvRow).line, p.time] as const),
    what,
  );
  return { metrics, intensive, points };
}

/** A Prometheus metric name. */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Writes a trace back as CSV (the format {@link parseTraceCsv} reads).
 *
 * @param trace - the trace
 * @returns CSV text with a header row
 * @example
 * formatTraceCsv(trace);
 */
export function formatTraceCsv(trace: Trace): string {
  const hasLoad = trace.points.some((p) => p.load !== undefined);
  const header = [
    'time',
    'replicas',
    ...(hasLoad ? ['load'] : []),
    ...trace.metrics.map((m) => (trace.intensive.has(m) ? `each:${m}` : m)),
  ];
  const rows = trace.points.map((p) =>
    [
      round(p.time),
      p.replicas,
      ...(hasLoad ? [p.load === undefined ? '' : round(p.load)] : []),
      ...trace.metrics.map((m) => (p.values[m] === undefined ? '' : round(p.values[m]))),
    ].join(','),
  );
  return `${header.join(',')}\n${rows.join('\n')}\n`;
}

function round(value: number): string {
  return String(Math.round(value * 1e6) / 1e6);
}

/**
 * Builds a trace from Prometheus range-query results, one per metric: at each timestamp the
 * per-pod mean is the mean over the series (one series per pod), and the recorded replica count
 * is the number of series with a value.
 *
 * @param results - metric name → matrix of that metric's per-pod series
 * @param options - metrics reported unchanged by every pod
 * @returns the trace
 * @example
 * traceFromMatrices({ request_queue_depth: matrix });
 */
export function traceFromMatrices(
  results: Record<string, MatrixSeries[]>,
  options: { intensive?: Iterable<string> } = {},
): Trace {
  const byTime = new Map<number, TracePoint>();
  const replicasSeen = new Map<number, number>();
  for (const [name, series] of Object.entries(results)) {
    const sums = new Map<number, { sum: number; count: number }>();
    for (const s of series) {
      for (const [time, value] of s.values) {
        if (!Number.isFinite(value)) continue;
        const entry = sums.get(time) ?? { sum: 0, count: 0 };
        entry.sum += value;
        entry.count += 1;
        sums.set(time, entry);
      }
    }
    for (const [time, { sum, count }] of sums) {
      const point = byTime.get(time) ?? { time, replicas: 1, values: {} };
      point.values[name] = sum / count;
      replicasSeen.set(time, Math.max(replicasSeen.get(time) ?? 0, count));
      byTime.set(time, point);
    }
  }
  const points = [...byTime.values()].sort((a, b) => a.time - b.time);
  for (const point of points) point.replicas = replicasSeen.get(point.time) ?? 1;
  return { metrics: Object.keys(results), intensive: new Set(options.intensive ?? []), points };
}
