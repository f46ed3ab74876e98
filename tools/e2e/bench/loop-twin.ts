/**
 * What the closed-loop benches share (`closed-loop.bench.ts`, the step; `trace-loop.bench.ts`, a
 * window of a real trace): their start (Prometheus found, Ctrl-C stops the loop, an output folder),
 * the loop's timings, and one configuration run through the closed loop, then through its
 * simulation twin (`simulate --profile --load` of the same rates with the start-up the loop
 * measured), compared within compare.ts's bounds.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { findPrometheus, REPO_ROOT } from '@mlscale/testkit';
import { parse } from 'yaml';
import {
  type Agreement,
  compareRuns,
  formatAgreement,
  measuredScrapeOffset,
  measuredStartupSeconds,
  type Phase,
  type SimulatedRun,
} from '../closed-loop/compare.js';
import { type ClosedLoopTrace, type RateTrace, runClosedLoop } from '../closed-loop/run.js';
import { adapterRules, EMULATED_POD, SMALL_BODY, writeTrace } from '../closed-loop/scenario.js';
import { CLI, simulateLikeLoop } from '../closed-loop/simulate.js';

/** The loop's timings (seconds): HPA sync, Prometheus scrape, a new pod's delay, the warm-up. */
export const SYNC = 15;
export const SCRAPE = 5;
export const STARTUP = 10;
export const WARMUP = 125; // longer than the longest rule window (the guide's 2m)

/** A bench's output folder, its stop signal, and `mlscale` (the built CLI) to run. */
export interface Bench {
  out: string;
  signal: AbortSignal;
  mlscale: (args: string[]) => string;
}

/**
 * Starts a bench: exits 1 when no Prometheus is found, stops the loop on SIGINT/SIGTERM, and makes
 * the output folder (`BENCH_OUT`, default `.bench/<name>` at the repository root).
 *
 * @param name - the bench's folder under .bench
 * @returns the output folder, the stop signal and the CLI runner
 */
export function startBench(name: string): Bench {
  const found = findPrometheus();
  if ('error' in found) {
    console.error(found.error);
    process.exit(1);
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const out = process.env.BENCH_OUT ?? join(REPO_ROOT, `.bench/${name}`);
  mkdirSync(out, { recursive: true });
  return {
    out,
    signal: stop.signal,
    mlscale: (args) => execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' }),
  };
}

/** A configuration: its HPA and the adapter values whose rules serve its metrics. */
export interface LoopConfig {
  name: string;
  hpaFile: string;
  rulesFile: string;
}

/** The rates both sides play, and what the simulation is given besides the config. */
export interface LoopTwinSettings {
  /** The rates, as the loop plays them, and the same as a `time,rps` file for the simulation. */
  load: RateTrace;
  loadCsv: string;
  /** The capacity profile the simulation reads. */
  profile: string;
  phases: readonly Phase[];
  stepAt: number;
  /** The simulation's start-up when no pod started in the loop (seconds). */
  startupFallback: number;
  /** Pods at the start (default the HPA's minReplicas). */
  initialReplicas?: number;
}

/** One configuration's loop, its simulation twin and their agreement. */
export interface LoopTwin {
  name: string;
  loop: ClosedLoopTrace;
  sim: SimulatedRun;
  agreement: Agreement[];
  /** The start-up the loop measured; undefined when no pod started. */
  startup: number | undefined;
  /** The samples' mean age at a sync and the scrape phase simulated; undefined when not recorded. */
  scrape: { offsetSeconds: number; meanAgeSeconds: number } | undefined;
  /** The twin at every scrape phase. */
  phases: PhaseTwin[];
}

/** The simulation twin at one scrape phase, and its agreement with the loop. */
export interface PhaseTwin {
  /** `--scrape-offset` (seconds): the samples a sync reads are (0 - offset) mod the interval old. */
  offsetSeconds: number;
  agreement: Agreement[];
  /** Every bound held at this phase. */
  held: boolean;
}

/**
 * The loop's record: run now, or read from `BENCH_RECORDS` (a folder of an earlier run's
 * `closed-loop-<name>.json`), so the simulation side can be redone without the real-time run.
 */
async function loopRecord(
  bench: Bench,
  config: LoopConfig,
  settings: LoopTwinSettings,
): Promise<ClosedLoopTrace> {
  const records = process.env.BENCH_RECORDS;
  if (records) {
    const file = join(records, `closed-loop-${config.name}.json`);
    console.log(`\n== closed loop: ${config.name}, read from ${file} (BENCH_RECORDS)`);
    return JSON.parse(readFileSync(file, 'utf8')) as ClosedLoopTrace;
  }
  const hpa = parse(readFileSync(config.hpaFile, 'utf8')) as HorizontalPodAutoscaler;
  const initial = settings.initialReplicas;
  console.log(
    `\n== closed loop: ${config.name} (${config.hpaFile}), ${initial === undefined ? '' : `${initial} pods, `}${WARMUP} s warm-up, then the trace`,
  );
  const loop = await runClosedLoop({
    load: settings.load,
    hpa,
    rules: adapterRules(config.rulesFile),
    podEnv: EMULATED_POD.env,
    body: SMALL_BODY,
    syncPeriodSeconds: SYNC,
    scrapeIntervalSeconds: SCRAPE,
    startupDelaySeconds: STARTUP,
    warmupSeconds: WARMUP,
    stepAt: settings.stepAt,
    ...(initial !== undefined ? { initialReplicas: initial } : {}),
    signal: bench.signal,
    onSync: (s) => console.log(`  t=${Math.round(s.time)}s ${s.explanation}`),
    // A replaced pod is a start-up the simulation does not have: the figures after it disagree.
    onPodFailure: (error) =>
      console.log(`  POD FAILED (replaced; figures now suspect): ${error.message}`),
  });
  writeTrace(bench.out, `closed-loop-${config.name}`, loop);
  return loop;
}

/**
 * Runs a configuration through the closed loop, then its simulation twin with the loop's start-up
 * and the samples' mean age at its syncs, and prints the agreement; then the twin at every scrape
 * phase (a real Prometheus scrapes each pod at a phase of its own, so a decision at a target's
 * edge can go either way: which phases hold every bound, and each figure's range over them). The
 * loop's record and the simulation's report go to the bench's folder.
 *
 * @param bench - from {@link startBench}
 * @param config - the HPA and its rules
 * @param settings - the rates, the profile, the phases and the start-up fallback
 * @returns the loop, the simulation, the agreement, the measured start-up and sample age, and
 *   the agreement at every scrape phase
 */
export async function runLoopTwin(
  bench: Bench,
  config: LoopConfig,
  settings: LoopTwinSettings,
): Promise<LoopTwin> {
  const initial = settings.initialReplicas;
  const loop = await loopRecord(bench, config, settings);
  const startup = measuredStartupSeconds(loop);
  // The loop's Prometheus scrapes each pod at a phase of its own: the simulation's syncs read
  // samples as old as the loop's did on average.
  const scrape = measuredScrapeOffset(loop, 0, SCRAPE);
  const simulateAt = (scrapeOffsetSeconds: number | undefined) =>
    simulateLikeLoop({
      profile: settings.profile,
      load: settings.loadCsv,
      hpa: config.hpaFile,
      adapterValues: config.rulesFile,
      syncPeriodSeconds: SYNC,
      scrapeIntervalSeconds: SCRAPE,
      ...(scrapeOffsetSeconds !== undefined ? { scrapeOffsetSeconds } : {}),
      startupSeconds: startup ?? settings.startupFallback,
      stepAt: settings.stepAt,
      ...(initial !== undefined ? { initialReplicas: initial } : {}),
    });
  const { report, run: sim } = simulateAt(scrape?.offsetSeconds);
  writeFileSync(
    join(bench.out, `simulated-${config.name}.json`),
    `${JSON.stringify(report, null, 1)}\n`,
  );
  const agreement = compareRuns(sim, loop, settings.phases);
  console.log(
    startup === undefined
      ? `no pod started in the loop: simulated with ${settings.startupFallback.toFixed(1)} s of start-up`
      : `pods served ${startup.toFixed(1)} s after the decision on average (simulated with that)`,
  );
  console.log(
    scrape === undefined
      ? "no sample ages recorded: simulated with the scrapes on the syncs' second"
      : `samples were ${scrape.meanAgeSeconds.toFixed(2)} s old at a sync on average: simulated with --scrape-offset ${scrape.offsetSeconds}`,
  );
  console.log(formatAgreement(`${config.name}: simulated against measured`, agreement));
  const phases: PhaseTwin[] = Array.from({ length: SCRAPE / 0.25 }, (_, i) => {
    const offsetSeconds = i * 0.25;
    const rows = compareRuns(simulateAt(offsetSeconds).run, loop, settings.phases);
    return { offsetSeconds, agreement: rows, held: rows.every((row) => row.ok) };
  });
  console.log(formatPhaseRange(config.name, phases));
  return { name: config.name, loop, sim, agreement, startup, scrape, phases };
}

/** One figure over every scrape phase: the loop's value, the simulated range, where the bound held. */
export interface PhaseRange {
  figure: string;
  bound: string;
  /** The loop's value (for the replica rows: the difference to the simulation, as a range). */
  loop: string;
  simulated: string;
  heldAt: number;
  of: number;
}

/**
 * Per figure, the range over every scrape phase: the simulated values against the loop's.
 *
 * @param phases - the twin at every scrape phase
 * @returns one row per figure of the agreement
 */
export function phaseRanges(phases: readonly PhaseTwin[]): PhaseRange[] {
  const range = (values: (number | undefined)[]) => {
    const known = values.filter((v): v is number => v !== undefined);
    if (known.length === 0) return '-';
    const [low, high] = [Math.min(...known), Math.max(...known)];
    const text = (v: number) => String(Math.round(v * 1000) / 1000);
    return low === high ? text(low) : `${text(low)} to ${text(high)}`;
  };
  return (phases[0]?.agreement ?? []).map((row, i) => {
    const at = phases.map((p) => p.agreement[i]);
    // The replica rows carry the difference to the simulation as `measured`, and no simulated value.
    const difference = at.every((a) => a?.simulated === undefined);
    return {
      figure: row.figure.replace(/ of \d+ syncs/, ''),
      bound: row.bound,
      loop: difference ? `difference ${range(at.map((a) => a?.measured))}` : range([row.measured]),
      simulated: difference ? '-' : range(at.map((a) => a?.simulated)),
      heldAt: at.filter((a) => a?.ok).length,
      of: phases.length,
    };
  });
}

/** The phases at which every bound holds, and each figure's range over them all. */
function formatPhaseRange(name: string, phases: readonly PhaseTwin[]): string {
  const held = phases.filter((p) => p.held).map((p) => p.offsetSeconds);
  return [
    `== ${name}: simulated at every scrape phase (--scrape-offset 0 to ${SCRAPE - 0.25} s)`,
    held.length > 0
      ? `every bound holds at ${held.length} of ${phases.length} phases: --scrape-offset ${held.join(', ')}`
      : `at no phase does every bound hold (of ${phases.length})`,
    ...phaseRanges(phases).map(
      (r) =>
        `  ${r.figure}: loop ${r.loop}, simulated ${r.simulated}; within ${r.bound} at ${r.heldAt} of ${r.of}`,
    ),
  ].join('\n');
}
