/**
 * The `--load` flags shared by `simulate --profile`, `tune` and `envelope`: the file (a rate trace
 * or a request-level trace) and how it becomes rates (`--bin`, `--rate-scale`, `--time-scale`,
 * `--from`, `--to`).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { type Command, InvalidArgumentError } from 'commander';
import { type ReadLoad, readLoad } from '../traffic/requests.js';
import { numberFlag } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { readText } from './files.js';

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
}

/**
 * Parses a duration flag: seconds (`90`, `1.5`) or with a unit (`30s`, `15m`, `1h`, `1h30m`).
 *
 * @param name - the flag, for the message
 * @returns the parser
 * @example
 * durationArg('--from')('30m'); // 1800
 */
export function durationArg(name: string) {
  return (value: string): number => {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join('') === text) {
      const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
      return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
    }
    throw new InvalidArgumentError(
      `${name} must be seconds or a duration such as 90, 30s, 15m or 1h30m (got "${value}")`,
    );
  };
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
    );
}

/**
 * Reads `--load` with the load flags, or fails with a usage error naming the file.
 *
 * @param flags - the parsed flags (`load` required)
 * @param window - `from`/`to` overriding the flags' (for `tune --train/--test`)
 * @returns the trace and how it was read
 */
export function readLoadFlags(
  flags: LoadFlags & { load: string },
  window: { from?: number; to?: number } = {},
): ReadLoad {
  const from = window.from ?? flags.from;
  const to = window.to ?? flags.to;
  try {
    return readLoad(readLoadText(flags.load), {
      ...(flags.bin !== undefined ? { binSeconds: flags.bin } : {}),
      ...(flags.rateScale !== undefined ? { rateScale: flags.rateScale } : {}),
      ...(flags.timeScale !== undefined ? { timeScale: flags.timeScale } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${flags.load}: ${(error as Error).message}`, ExitCode.Usage);
  }
}
