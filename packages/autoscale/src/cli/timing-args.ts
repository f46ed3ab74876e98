/** The timing flags `simulate` and `tune` share: the pods' start-up, the HPA's sync, the scrape. */
import type { Command } from 'commander';
import { numberFlag } from './args.js';

/** The parsed timing flags. */
export interface TimingFlags {
  startupDelay: number;
  syncPeriod: number;
  /** Undefined where the command gives it no default (`simulate`, where only `--profile` reads it). */
  scrapeInterval?: number;
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
