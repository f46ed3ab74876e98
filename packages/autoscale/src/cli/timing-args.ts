/** The timing flags `simulate` and `tune` share: the pods' start-up, the HPA's sync, the scrape. */
import type { Command } from 'commander';
import { numberFlag } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';

/** The parsed timing flags. */
export interface TimingFlags {
  startupDelay: number;
  syncPeriod: number;
  /** Undefined where the command gives it no default (`simulate`, where only `--profile` reads it). */
  scrapeInterval?: number;
  /** `simulate` only: seconds from the trace's start to the first sync. */
  syncOffset?: number;
  /** `simulate --profile` only: seconds from the trace's start to the first scrape. */
  scrapeOffset?: number;
  phases?: boolean;
}

/**
 * Adds `--startup-delay` (30 s), `--sync-period` (15 s) and `--scrape-interval` to a command.
 *
 * @param command - the command
 * @param scrapeInterval - `'default'`: 5 s; `'profile only'`: no default, as simulate's trace replay
 *   refuses it (it reads the scraped metrics from the trace)
 * @example timingOptions(program.command('tune'), 'default');
 */
export function timingOptions(command: Command, scrapeInterval: 'default' | 'profile only'): void {
  command
    .option(
      '--startup-delay <seconds>',
      'seconds until a new pod is ready and serves',
      numberFlag('--startup-delay', { min: 0 }),
      30,
    )
    .option(
      '--sync-period <seconds>',
      'HPA sync period',
      numberFlag('--sync-period', { min: 1 }),
      15,
    );
  const parse = numberFlag('--scrape-interval', { min: 0.25 });
  if (scrapeInterval === 'default') {
    command.option('--scrape-interval <seconds>', 'Prometheus scrape interval', parse, 5);
  } else {
    command.option(
      '--scrape-interval <seconds>',
      'with --profile: Prometheus scrape interval (default 5)',
      parse,
    );
  }
}

/**
 * Adds `--sync-offset` and `--scrape-offset` to `simulate`: where the first HPA sync and the first
 * Prometheus scrape fall in the trace. A real controller syncs every period from a phase of its own
 * (when it started watching the HPA), and a real Prometheus scrapes each target at a phase of its
 * own (a hash of the target), so the samples a sync reads are up to a scrape interval old; a
 * simulation compared sync by sync with a recorded run takes that run's phases.
 *
 * @param command - the simulate command
 */
export function offsetOptions(command: Command): void {
  command
    .option(
      '--sync-offset <seconds>',
      "seconds from the trace's start to the first HPA sync, below --sync-period (default 0; a recorded run's phase)",
      numberFlag('--sync-offset', { min: 0 }),
    )
    .option(
      '--scrape-offset <seconds>',
      "with --profile: seconds from the trace's start to the first scrape, below --scrape-interval (default 0; a sync reads samples (sync offset - scrape offset) mod the interval old)",
      numberFlag('--scrape-offset', { min: 0 }),
    );
}

/** Refuses an offset that is not within the first period: `--x-offset 15 must be below --x-period 15`. */
function checkWithinFirst(
  offset: { flag: string; value: number },
  period: { flag: string; value: number },
  what: string,
): void {
  if (offset.value >= period.value) {
    throw new CliError(
      `${offset.flag} ${offset.value} must be below ${period.flag} ${period.value}: ${what}`,
      ExitCode.Usage,
    );
  }
}

/**
 * The simulation option `--sync-offset` gives, refused where it means nothing.
 *
 * @param flags - the parsed timing flags
 * @returns `{ syncOffsetSeconds }`, or nothing when the flag is absent
 * @throws CliError (usage) when the offset is not within the first sync period, or with `--phases`
 */
export function syncOffsetSetting(flags: TimingFlags): { syncOffsetSeconds?: number } {
  if (flags.syncOffset === undefined) return {};
  checkWithinFirst(
    { flag: '--sync-offset', value: flags.syncOffset },
    { flag: '--sync-period', value: flags.syncPeriod },
    'the first sync falls within the first period',
  );
  if (flags.phases) {
    throw new CliError(
      '--phases runs every sync offset (0, 1, … s); --sync-offset picks one: give one or the other',
      ExitCode.Usage,
    );
  }
  return { syncOffsetSeconds: flags.syncOffset };
}

/**
 * The simulation option `--scrape-offset` gives, refused outside the first scrape interval.
 *
 * @param flags - the parsed timing flags
 * @returns `{ scrapeOffsetSeconds }`, or nothing when the flag is absent
 * @throws CliError (usage) when the offset is not below the scrape interval
 */
export function scrapeOffsetSetting(flags: TimingFlags): { scrapeOffsetSeconds?: number } {
  if (flags.scrapeOffset === undefined) return {};
  checkWithinFirst(
    { flag: '--scrape-offset', value: flags.scrapeOffset },
    { flag: '--scrape-interval', value: flags.scrapeInterval ?? 5 },
    'the first scrape falls within the first interval',
  );
  return { scrapeOffsetSeconds: flags.scrapeOffset };
}
