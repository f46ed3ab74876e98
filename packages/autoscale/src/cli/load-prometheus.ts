/**
 * `--load http://prometheus:9090`: the load from a Prometheus range query of the service's request
 * rate (`--load-query`, default `sum(rate(http_requests_total[1m]))`) between `--load-start` and
 * `--load-end`, one point per `--bin` seconds (the query's step). The answer becomes a rate trace,
 * each step's rate held until the next, so `--from`, `--to`, `--rate-scale` and `--time-scale`
 * apply as to any rate trace.
 */
import { SERIES } from '@mlscale/metric-contract';
import { PrometheusClient } from '../prometheus/client.js';
import { CliError, ExitCode } from './exit-codes.js';

/** What `--load` named, read: the text of a load file (a Prometheus answer as a rate trace). */
export interface LoadSource {
  text: string;
  /** For a Prometheus load: what was queried, for the output's `load:` line. */
  description?: string;
}

/** The default query: the rate of requests the pods answered, summed over them. */
export const DEFAULT_LOAD_QUERY = `sum(rate(${SERIES.httpRequests.name}[1m]))`;

/**
 * Whether `--load` names a Prometheus server rather than a file.
 *
 * @param load - the flag's value
 * @returns true for an http(s) URL
 */
export function isPrometheusLoad(load: string): boolean {
  return /^https?:\/\//i.test(load);
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Runs the range query and writes its one series as a `time,rps` trace.
 *
 * @param flags - `load` (the URL), `loadQuery`, `loadStart` (required), `loadEnd` (now), `bin` (10)
 * @returns the trace's text and what was queried
 * @throws CliError (exit 2) without `--load-start`, on an empty answer, several series or a
 *   negative or NaN rate; PrometheusError (exit 3 or 4) when Prometheus cannot be reached or fails
 */
export async function readPrometheusLoad(flags: {
  load: string;
  loadQuery?: string;
  loadStart?: number;
  loadEnd?: number;
  bin?: number;
}): Promise<LoadSource> {
  const query = flags.loadQuery ?? DEFAULT_LOAD_QUERY;
  const step = flags.bin ?? 10;
  const end = flags.loadEnd ?? Date.now() / 1000;
  if (flags.loadStart === undefined)
    throw new CliError(
      `--load ${flags.load} is a Prometheus: give --load-start (e.g. -1h) for the range to read`,
      ExitCode.Usage,
    );
  const start = flags.loadStart;
  if (!(end > start))
    throw new CliError(
      `--load-end (${isoTime(end)}) must be after --load-start (${isoTime(start)})`,
      ExitCode.Usage,
    );
  const client = new PrometheusClient({ url: flags.load, timeoutMs: 30_000 });
  const answer = await client.queryRange(query, { start, end, step });
  const what = `the range query ${query} at ${client.url}, ${isoTime(start)} to ${isoTime(end)} every ${step} s`;
  if (answer.resultType !== 'matrix')
    throw new CliError(`--load: ${what} gave a ${answer.resultType}, not a range`, ExitCode.Usage);
  const [series, ...more] = answer.result;
  if (!series || series.values.length === 0)
    throw new CliError(
      `--load: ${what} returned no samples: check the metric's name and labels, and that Prometheus scraped the pods in that range`,
      ExitCode.Usage,
    );
  if (more.length > 0)
    throw new CliError(
      `--load: ${what} returned ${more.length + 1} series (${JSON.stringify(series.metric)}, ${JSON.stringify(more[0]?.metric)}…): the load is one rate for the whole service; wrap the query in sum(...)`,
      ExitCode.Usage,
    );
  return rateTrace(series.values, { start: series.values[0]?.[0] ?? start, step, what });
}

/** The samples as `time,rps` from the first, steps without a sample holding the previous rate. */
function rateTrace(
  values: readonly [number, number][],
  { start, step, what }: { start: number; step: number; what: string },
): LoadSource {
  const rows = ['time,rps'];
  let missing = 0;
  let previous: number | undefined;
  for (const [time, value] of values) {
    if (!Number.isFinite(value) || value < 0)
      throw new CliError(
        `--load: ${what} gave ${value} at ${isoTime(time)}: a request rate is a number >= 0`,
        ExitCode.Usage,
      );
    if (previous !== undefined) missing += Math.max(0, Math.round((time - previous) / step) - 1);
    rows.push(`${Number((time - start).toFixed(3))},${value}`);
    previous = time;
  }
  const last = (values[values.length - 1]?.[0] ?? start) - start + step;
  rows.push(`${Number(last.toFixed(3))},${values[values.length - 1]?.[1] ?? 0}`);
  const gaps = missing > 0 ? `; ${missing} steps without a value hold the rate before them` : '';
  return {
    text: `${rows.join('\n')}\n`,
    description: `Prometheus, ${what} (${values.length} sample${values.length === 1 ? '' : 's'}${gaps}), each step's rate held until the next`,
  };
}
