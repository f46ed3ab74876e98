/**
 * The `--load` flags shared by `simulate --profile`, `tune` and `envelope`: the file (a rate trace
 * or a request-level trace) and how it becomes rates (`--bin`, `--rate-scale`, `--time-scale`,
 * `--from`, `--to`).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { type ReadLoad, readLoad } from '../traffic/requests.js';
import { durationArg, numberFlag, parseTimeArg } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { readText } from './files.js';
import {
  DEFAULT_LOAD_QUERY,
  isPrometheusLoad,
  type LoadSource,
  readPrometheusLoad,
} from './load-prometheus.js';

/**
 * Reads a load file; a name ending in `.gz` is gunzipped (traces are often published so).
 *
 * @param path - the `--load` file
 * @returns its text
 */
export function readLoadText(path: string): string {
  if (!path.endsWith('.gz')) return readText(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return readText(path); // the same message as any other file that cannot be read
  }
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (error) {
    throw new CliError(
      `${path}: not gzip data (${(error as Error).message}); drop the .gz from the name if it is plain text`,
      ExitCode.Usage,
    );
  }
}

/** The parsed load flags. */
export interface LoadFlags {
  load?: string;
  bin?: number;
  rateScale?: number;
  timeScale?: number;
  from?: number;
  to?: number;
  /** With a Prometheus `--load`: the query, and the range's start and end (epoch seconds). */
  loadQuery?: string;
  loadStart?: number;
  loadEnd?: number;
}

/**
 * Adds the load flags (except `--load` itself) to a command.
 *
 * @param command - the command
 */
export function loadOptions(command: Command): void {
  command
    .option(
      '--bin <seconds>',
      'with a request-level --load: seconds per bin, each bin’s requests ÷ its length as the rate (default 10)',
      numberFlag('--bin', { above: 0 }),
    )
    .option(
      '--rate-scale <x>',
      'multiply the load’s rates (default 1)',
      numberFlag('--rate-scale', { above: 0 }),
    )
    .option(
      '--time-scale <x>',
      'stretch the load’s time axis, keeping its rates (0.5 plays it twice as fast; default 1)',
      numberFlag('--time-scale', { above: 0 }),
    )
    .option(
      '--from <duration>',
      'start of the load window, after the trace’s start (e.g. 30m; default 0)',
      durationArg('--from'),
    )
    .option(
      '--to <duration>',
      'end of the load window, after the trace’s start (default: its end)',
      durationArg('--to'),
    )
    .option(
      '--load-query <promql>',
      `with a Prometheus URL as --load: the service’s request rate, one series (default ${DEFAULT_LOAD_QUERY})`,
    )
    .option(
      '--load-start <time>',
      'with a Prometheus URL as --load: range start (epoch s, ISO date, or -1h)',
      (v) => parseTimeArg(v),
    )
    .option('--load-end <time>', 'with a Prometheus URL as --load: range end (default now)', (v) =>
      parseTimeArg(v),
    );
}

/**
 * Reads what `--load` names once: a file's text, or a Prometheus range query's rates as a rate
 * trace (see `load-prometheus.ts`). `tune` cuts its `--train` and `--test` windows from one read.
 *
 * @param flags - the parsed flags (`load` required)
 * @returns the text and, for Prometheus, what was queried
 */
export async function readLoadSource(flags: LoadFlags & { load: string }): Promise<LoadSource> {
  if (isPrometheusLoad(flags.load)) return readPrometheusLoad(flags);
  if (flags.loadQuery !== undefined || flags.loadStart !== undefined || flags.loadEnd !== undefined)
    throw new CliError(
      '--load-query, --load-start and --load-end go with a Prometheus URL as --load (http://…), not a file',
      ExitCode.Usage,
    );
  return { text: readLoadText(flags.load) };
}

/**
 * Reads `--load` with the load flags, or fails with a usage error naming the file.
 *
 * @param flags - the parsed flags (`load` required)
 * @param window - `from`/`to` overriding the flags' (for `tune --train/--test`)
 * @param source - what `--load` names, read by {@link readLoadSource} (default: the file, read now)
 * @returns the trace and how it was read
 */
export function readLoadFlags(
  flags: LoadFlags & { load: string },
  window: { from?: number; to?: number } = {},
  source: LoadSource = { text: readLoadText(flags.load) },
): ReadLoad {
  const from = window.from ?? flags.from;
  const to = window.to ?? flags.to;
  try {
    const read = readLoad(source.text, {
      ...(flags.bin !== undefined ? { binSeconds: flags.bin } : {}),
      ...(flags.rateScale !== undefined ? { rateScale: flags.rateScale } : {}),
      ...(flags.timeScale !== undefined ? { timeScale: flags.timeScale } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    });
    if (source.description === undefined) return read;
    return {
      ...read,
      format: 'Prometheus range query',
      description: read.description.replace(
        /^rate trace \(time,rps\), each row's rate held until the next/,
        source.description,
      ),
    };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${flags.load}: ${(error as Error).message}`, ExitCode.Usage);
  }
}
