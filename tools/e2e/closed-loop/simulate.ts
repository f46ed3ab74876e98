/**
 * The simulation twin of a closed-loop run: `mlscale simulate --profile --load --json` (the built
 * CLI, as a user runs it) of the same trace, HPA and adapter rules, with the loop's timings.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@mlscale/testkit';
import type { SimulatedRun } from './compare.js';

/** The built CLI (`pnpm build` makes it). */
export const CLI = join(REPO_ROOT, 'packages/autoscale/dist/cli.js');

/** What {@link simulateLikeLoop} takes: files, and the loop's timings. */
export interface LoopTwin {
  /** Capacity profile (JSON). */
  profile: string;
  /** Arrival-rate trace (`time,rps` CSV). */
  load: string;
  /** The HPA manifest. */
  hpa: string;
  /** prometheus-adapter values whose rules serve its metrics. */
  adapterValues: string;
  syncPeriodSeconds: number;
  /** Seconds from the trace's start to the first sync (the loop's phase); 0 when not given. */
  syncOffsetSeconds?: number;
  scrapeIntervalSeconds: number;
  /** Seconds from the trace's start to the first scrape (what ages the samples a sync reads); 0 when not given. */
  scrapeOffsetSeconds?: number;
  /** Seconds from the decision until a new pod served, as the loop measured it. */
  startupSeconds: number;
  /** Trace time of the load step. */
  stepAt: number;
  /** Pods at the start (`--initial-replicas`). @default the HPA's minReplicas */
  initialReplicas?: number;
}

/**
 * Runs the simulation of one config with the loop's settings.
 *
 * @param twin - the files and the timings
 * @returns the whole `--json` report and its one config
 * @throws Error when the CLI fails (its stderr in the message)
 */
export function simulateLikeLoop(twin: LoopTwin): { report: unknown; run: SimulatedRun } {
  const text = execFileSync(
    process.execPath,
    [
      CLI,
      'simulate',
      '--profile',
      twin.profile,
      '--load',
      twin.load,
      '--hpa',
      twin.hpa,
      '--adapter-values',
      twin.adapterValues,
      '--slo',
      'p95=200ms',
      '--sync-period',
      String(twin.syncPeriodSeconds),
      '--scrape-interval',
      String(twin.scrapeIntervalSeconds),
      '--startup-delay',
      twin.startupSeconds.toFixed(2),
      '--step-at',
      String(twin.stepAt),
      ...(twin.syncOffsetSeconds ? ['--sync-offset', String(twin.syncOffsetSeconds)] : []),
      ...(twin.scrapeOffsetSeconds ? ['--scrape-offset', String(twin.scrapeOffsetSeconds)] : []),
      ...(twin.initialReplicas === undefined
        ? []
        : ['--initial-replicas', String(twin.initialReplicas)]),
      '--json',
    ],
    { encoding: 'utf8' },
  );
  const report = JSON.parse(text) as { results: SimulatedRun[] };
  if (report.results.length !== 1) {
    throw new Error(`simulate reported ${report.results.length} configs, expected 1`);
  }
  return { report, run: report.results[0] as SimulatedRun };
}
