/**
 * Load traces as users have them, turned into the arrival-rate trace the simulator plays:
 *
 * - a rate trace, `time,rps` (see `parseLoadCsv`);
 * - a request-level trace, one row per request with its arrival time, as production traces and
 *   access logs are: the Azure LLM inference traces (`TIMESTAMP,ContextTokens,GeneratedTokens`,
 *   `2023-11-16 18:15:46.6805900`, UTC), BurstGPT (`Timestamp,...`, seconds from the trace start)
 *   and any CSV with a `timestamp` (or `time`, `ts`, `date`, `datetime`, `@timestamp`) column of
 *   epoch seconds, epoch milliseconds (values above 1e11) or ISO 8601 dates.
 *
 * A request-level trace is binned: requests arriving in `[start + i·bin, start + (i+1)·bin)` are
 * one row of `count / bin` requests per second. The trace starts at its first request (or
 * `from`); it ends at the first bin boundary after its last request (or `to`).
 *
 * Then, for both kinds: `from`/`to` (seconds after the trace's start) cut a window, which starts at
 * time 0; `timeScale` stretches the time axis (0.1 plays an hour in six minutes) keeping the rates;
 * `rateScale` multiplies the rates.
 */
import { type CsvRecord, parseCsvRecords } from '../simulate/csv.js';
import { type LoadTrace, parseLoadCsv } from '../simulate/load.js';

/** How a load file is read. */
export interface LoadReadOptions {
  /** Seconds per bin of a request-level trace (default 10). */
  binSeconds?: number;
  /** Multiplies every rate (default 1). */
  rateScale?: number;
  /** Multiplies every time, keeping the rates (default 1). */
  timeScale?: number;
  /** Seconds after the trace's start where the window begins (default 0). */
  from?: number;
  /** Seconds after the trace's start where the window ends (default: the trace's end). */
  to?: number;
}

/** A load trace and what was done to get it, for the output. */
export interface ReadLoad {
  load: LoadTrace;
  /** `rate trace` or the request-level format recognised. */
  format: string;
  /** Requests read (request-level traces), in the window. */
  requests?: number;
  /** Seconds per bin of a request-level trace, after the time scale. */
  binSeconds?: number;
  /** One line saying how the file became rates (format, binning, window, scales). */
  description: string;
}

const TIME_COLUMNS = ['timestamp', 'time', 'ts', 'date', 'datetime', '@timestamp'];

/** `2023-11-16 18:15:46.6805900` (the Azure traces: UTC, up to 7 decimals) and ISO 8601. */
function parseDate(text: string): number | undefined {
  const azure =
    /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (azure) {
    const [, day, h, m, s, fraction = '', zone = 'Z'] = azure;
    const whole = Date.parse(`${day}T${h}:${m}:${s}${zone}`);
    if (Number.isNaN(whole)) return undefined;
    return whole / 1000 + (fraction === '' ? 0 : Number(`0.${fraction}`));
  }
  const iso = Date.parse(text);
  return Number.isNaN(iso) ? undefined : iso / 1000;
}

interface Arrivals {
  /** Seconds, sorted, from an arbitrary origin. */
  times: number[];
  format: string;
}

function readArrivals(records: CsvRecord[]): Arrivals | null {
  const header = records[0];
  if (!header) return null;
  const names = header.record.map((c) => c.trim());
  const column = names.findIndex((n) => TIME_COLUMNS.includes(n.toLowerCase()));
  if (column < 0) return null;
  const name = names[column] as string;
  const format =
    name === 'TIMESTAMP' && names.includes('ContextTokens')
      ? 'Azure LLM inference trace'
      : name === 'Timestamp' && names.some((n) => /^Request tokens$/i.test(n))
        ? 'BurstGPT trace'
        : `request log (column "${name}")`;
  const times: number[] = [];
  let unit: 'seconds' | 'milliseconds' | 'dates' | undefined;
  for (const { record, info } of records.slice(1)) {
    const cell = (record[column] ?? '').trim();
    if (cell === '') throw new Error(`line ${info.lines}: no ${name}`);
    const number = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(cell) ? Number(cell) : undefined;
    const kind = number === undefined ? 'dates' : number > 1e11 ? 'milliseconds' : 'seconds';
    unit ??= kind;
    if ((kind === 'dates') !== (unit === 'dates')) {
      throw new Error(
        `line ${info.lines}, column "${name}": "${cell}" is ${kind === 'dates' ? 'not a number' : 'a number'} but the rows above are ${unit === 'dates' ? 'dates' : 'numbers'}`,
      );
    }
    const seconds =
      number === undefined ? parseDate(cell) : unit === 'milliseconds' ? number / 1000 : number;
    if (seconds === undefined || !Number.isFinite(seconds)) {
      throw new Error(
        `line ${info.lines}, column "${name}": "${cell}" is not a time (epoch seconds or milliseconds, or a date such as 2023-11-16 18:15:46.68)`,
      );
    }
    times.push(seconds);
  }
  if (times.length === 0) throw new Error(`a header but no requests`);
  // Logs are written as requests finish, so arrivals may be slightly out of order: sort them.
  times.sort((a, b) => a - b);
  return {
    times,
    format: `${format}, ${unit === 'dates' ? 'dates' : `epoch ${unit}`}`,
  };
}

function checkOptions(options: LoadReadOptions): Required<Omit<LoadReadOptions, 'to'>> & {
  to?: number;
} {
  const { binSeconds = 10, rateScale = 1, timeScale = 1, from = 0, ...rest } = options;
  for (const [name, value] of [
    ['the bin', binSeconds],
    ['the rate scale', rateScale],
    ['the time scale', timeScale],
  ] as const) {
    if (!(Number.isFinite(value) && value > 0))
      throw new Error(`${name} must be > 0 (got ${value})`);
  }
  if (!(Number.isFinite(from) && from >= 0)) throw new Error(`--from must be >= 0 s (got ${from})`);
  if (rest.to !== undefined && !(Number.isFinite(rest.to) && rest.to > from)) {
    throw new Error(`--to (${rest.to} s) must be after --from (${from} s)`);
  }
  return { binSeconds, rateScale, timeScale, from, ...rest };
}

function binArrivals(
  arrivals: Arrivals,
  options: ReturnType<typeof checkOptions>,
): { points: LoadTrace['points']; requests: number } {
  const { binSeconds: bin, from } = options;
  const first = arrivals.times[0] as number;
  const last = arrivals.times[arrivals.times.length - 1] as number;
  const start = first + from;
  const end =
    options.to !== undefined
      ? first + options.to
      : first + (Math.floor((last - first) / bin) + 1) * bin;
  if (!(end > start)) {
    throw new Error(
      `the window starts at ${from} s, after the trace's last request (${Math.round(last - first)} s after its first)`,
    );
  }
  const bins = Math.ceil((end - start) / bin - 1e-9);
  const counts = new Array<number>(bins).fill(0);
  let requests = 0;
  for (const t of arrivals.times) {
    if (t < start || t >= end) continue;
    const i = Math.floor((t - start) / bin);
    counts[Math.min(i, bins - 1)] = (counts[Math.min(i, bins - 1)] ?? 0) + 1;
    requests++;
  }
  const points = counts.map((count, i) => {
    // a last bin cut short by --to counts its requests over its own length
    const length = Math.min(bin, end - start - i * bin);
    return { time: i * bin, rps: count / length };
  });
  points.push({ time: end - start, rps: points[points.length - 1]?.rps ?? 0 });
  return { points, requests };
}

function windowRates(load: LoadTrace, options: ReturnType<typeof checkOptions>): LoadTrace {
  const { from } = options;
  const origin = load.points[0]?.time ?? 0;
  const lastTime = load.points[load.points.length - 1]?.time ?? 0;
  const start = origin + from;
  const end = options.to !== undefined ? Math.min(origin + options.to, lastTime) : lastTime;
  if (!(end > start)) {
    throw new Error(
      `the window starts at ${from} s, at or after the trace's end (${lastTime - origin} s)`,
    );
  }
  let rate = load.points[0]?.rps ?? 0;
  const points: LoadTrace['points'] = [];
  for (const point of load.points) {
    if (point.time <= start) rate = point.rps;
    else if (point.time < end) {
      if (points.length === 0) points.push({ time: 0, rps: rate });
      points.push({ time: point.time - start, rps: point.rps });
    }
  }
  if (points.length === 0) points.push({ time: 0, rps: rate });
  points.push({ time: end - start, rps: points[points.length - 1]?.rps ?? 0 });
  return { points };
}

function scaled(load: LoadTrace, timeScale: number, rateScale: number): LoadTrace {
  return {
    points: load.points.map((p) => ({ time: p.time * timeScale, rps: p.rps * rateScale })),
  };
}

function describeScales(options: ReturnType<typeof checkOptions>): string {
  const parts = [
    options.from > 0 || options.to !== undefined
      ? `window ${options.from} s to ${options.to !== undefined ? `${options.to} s` : 'the end'} of the trace`
      : '',
    options.timeScale !== 1 ? `time ×${options.timeScale}` : '',
    options.rateScale !== 1 ? `rates ×${options.rateScale}` : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? `; ${parts.join(', ')}` : '';
}

/**
 * Reads a load file of either kind (see the module comment) into an arrival-rate trace.
 *
 * @param text - the file's text
 * @param options - bin (10 s), rate and time scales (1), window (the whole trace)
 * @returns the trace and a line saying how it was read
 * @throws Error naming the line of the first problem, or what header was expected
 * @example
 * readLoad('TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n', { rateScale: 20 });
 */
export function readLoad(text: string, options: LoadReadOptions = {}): ReadLoad {
  const checked = checkOptions(options);
  const records = parseCsvRecords(
    text,
    (line, message) => `${line !== undefined ? `line ${line}: ` : ''}${message}`,
  );
  const names = (records[0]?.record ?? []).map((c) => c.trim());
  if (names.length === 2 && names[0] === 'time' && names[1] === 'rps') {
    const rates = windowRates(parseLoadCsv(text), checked);
    return {
      load: scaled(rates, checked.timeScale, checked.rateScale),
      format: 'rate trace',
      description: `rate trace (time,rps), each row's rate held until the next${describeScales(checked)}`,
    };
  }
  const arrivals = readArrivals(records);
  if (!arrivals) {
    throw new Error(
      `line ${records[0]?.info.lines ?? 1}: expected "time,rps" (a rate trace) or a request-level trace with a ${TIME_COLUMNS.map((c) => `"${c}"`).join(', ')} or "TIMESTAMP" column (one row per request), found "${names.join(',')}"`,
    );
  }
  const binned = binArrivals(arrivals, checked);
  const bin = checked.binSeconds * checked.timeScale;
  return {
    load: scaled({ points: binned.points }, checked.timeScale, checked.rateScale),
    format: arrivals.format,
    requests: binned.requests,
    binSeconds: bin,
    description: `${arrivals.format}: ${binned.requests} requests counted in ${checked.binSeconds} s bins, each bin's count ÷ ${checked.binSeconds} s as its rate${describeScales(checked)}${checked.timeScale !== 1 ? ` (bins of ${bin} s played)` : ''}`,
  };
}
