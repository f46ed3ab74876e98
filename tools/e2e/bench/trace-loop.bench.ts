/**
 * The closed loop on real traffic (issue 19, item 6), in one run (about 30 minutes): a 10-minute
 * window of the Azure LLM inference trace 2023 "conversation" (CC-BY 4.0 by Microsoft), its rates
 * scaled to the emulated 25 req/s pods, played in real time through the closed loop of
 * `closed-loop/run.ts`, for two configs:
 * 1. the guide's HPA (infra/hpa/guide-hpa.yaml with infra's adapter rules);
 * 2. the configuration `mlscale tune` chooses for the window, tuned with the loop's timings (sync,
 *    scrape, and the start-up the guide's run measured).
 * Each run is compared with `mlscale simulate --profile --load` of the same window (the same
 * `time,rps` file) within compare.ts's agreement bounds, on thirds of the window: at the scrape
 * phase the loop's samples had at its syncs (their mean age), and at every scrape phase.
 * `BENCH_RECORDS=<folder>` redoes the simulation side on an earlier run's loop records.
 *
 * `pnpm --filter @mlscale/e2e bench:trace-loop` (needs Prometheus and a build; take the cluster
 * lock, it is timing-sensitive). Prints the tables; writes the chart, the window, the tuned config,
 * the per-second records and a summary to tools/e2e/docs/trace-window*, the full records to
 * BENCH_OUT (default .bench/trace-loop at the repository root).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { REPO_ROOT, startModelServer } from '@mlscale/testkit';
import { parse } from 'yaml';
import { formatSideBySide } from '../closed-loop/agreement-table.js';
import { renderValidationChart } from '../closed-loop/chart.js';
import type { SimulatedRun } from '../closed-loop/compare.js';
import { EMULATED_POD, formatLoadCsv, formatSecondsCsv } from '../closed-loop/scenario.js';
import {
  CONVERSATION_TRACE,
  CONVERSATION_WINDOW,
  peakPods,
  replicasBefore,
  traceWindowLoad,
  windowPhases,
} from '../closed-loop/trace-window.js';
import {
  type LoopConfig,
  phaseRanges,
  runLoopTwin,
  SCRAPE,
  STARTUP,
  SYNC,
  startBench,
  WARMUP,
} from './loop-twin.js';

const bench = startBench('trace-loop');
const OUT = bench.out;
const { mlscale } = bench;
const DOCS = join(REPO_ROOT, 'tools/e2e/docs');

/** The most pods the loop on this 2-core machine has served (the step bench's guide: 8 to 10). */
const MAX_LOOP_PODS = 10;
/** The emulated pod's committed profile (calibrated by bench:closed-loop; CI simulates with it). */
const PROFILE = join(DOCS, 'emulated-pod.profile.json');
const TRACE = join(REPO_ROOT, CONVERSATION_TRACE);
const W = CONVERSATION_WINDOW;
const SLO_RPS = 23.75; // what the profile's pod serves within p95 = 200 ms (the clairvoyant bound's)

// 1. The window, as the loop plays it and the simulator reads it.
const window = traceWindowLoad(gunzipSync(readFileSync(TRACE)).toString('utf8'), W);
const loadCsv = join(DOCS, 'trace-window.load.csv');
writeFileSync(loadCsv, formatLoadCsv(window.load));
const peak = peakPods(window.load, SLO_RPS);
console.log(`== window: ${window.description}`);
console.log(`peak ${peak.peakRps} req/s: ${peak.pods} pods of ${SLO_RPS} req/s within the SLO`);
if (peak.pods >= MAX_LOOP_PODS) {
  console.error(
    `the peak needs ${peak.pods} pods; this machine's loop serves ${MAX_LOOP_PODS} at most`,
  );
  process.exit(1);
}
const phases = windowPhases(window.load);

/** The simulator's load step of the window (a rise of half its range within a sync), or 0. */
function simulatorStep(): number {
  const report = JSON.parse(
    mlscale([
      ...['simulate', '--profile', PROFILE, '--load', loadCsv],
      ...['--hpa', join(REPO_ROOT, 'infra/hpa/guide-hpa.yaml'), '--json'],
    ]),
  ) as { stepAt: number; timeBase: { step: string | null } };
  return report.timeBase.step === null ? 0 : report.stepAt;
}
const stepAt = simulatorStep();
console.log(
  stepAt > 0
    ? `load step (the simulator's: a rise of half the window's range within a sync) at t=${stepAt} s: recovery counts from it`
    : 'no load step in the window: recovery counts from its start, as the simulator counts it',
);

/** Seconds a model server takes to start and answer /readyz on this machine now (one pod, alone). */
async function coldStartSeconds(): Promise<number> {
  const started = performance.now();
  const pod = await startModelServer(EMULATED_POD.env);
  const seconds = (performance.now() - started) / 1000;
  await pod.stop();
  return seconds;
}

/**
 * The pods a config holds when the window begins: `simulate --profile` of the trace from its start
 * to the window's end, read just before the window's start.
 */
function initialReplicas(config: LoopConfig, startupSeconds: number): number {
  const report = JSON.parse(
    mlscale([
      ...['simulate', '--profile', PROFILE, '--load', TRACE, '--bin', String(W.binSeconds)],
      ...['--rate-scale', String(W.rateScale), '--to', String(W.toSeconds)],
      ...['--hpa', config.hpaFile, '--adapter-values', config.rulesFile],
      ...['--sync-period', String(SYNC), '--scrape-interval', String(SCRAPE)],
      ...['--startup-delay', startupSeconds.toFixed(2), '--json'],
    ]),
  ) as { results: SimulatedRun[] };
  const replicas = replicasBefore(report.results[0]?.seconds ?? [], W.fromSeconds);
  if (replicas === undefined)
    throw new Error(`${config.name}: the simulation has no second before the window`);
  return replicas;
}

/** `mlscale tune` on the window with the loop's timings; reactive only when it picks a forecast. */
function tune(startupSeconds: number): LoopConfig {
  const dir = join(OUT, 'tuned');
  const args = [
    ...['tune', '--profile', PROFILE, '--load', TRACE, '--bin', String(W.binSeconds)],
    ...['--rate-scale', String(W.rateScale), '--from', String(W.fromSeconds)],
    ...['--to', String(W.toSeconds), '--slo', 'p95=200ms', '--budget', '1%'],
    ...['--startup-delay', startupSeconds.toFixed(2), '--sync-period', String(SYNC)],
    ...['--scrape-interval', String(SCRAPE), '-o', dir],
  ];
  console.log(`\n== mlscale ${args.join(' ')}`);
  console.log(mlscale(args));
  const hpa = parse(readFileSync(join(dir, 'hpa.yaml'), 'utf8')) as HorizontalPodAutoscaler;
  if ((hpa.spec.metrics ?? []).some((m) => m.type !== 'Pods')) {
    // The loop's HPA port reads Pods metrics through rules.custom; a forecast is an External one.
    console.log(
      'tune chose a forecast (an External metric the local loop does not serve): reactive only',
    );
    console.log(mlscale([...args, '--forecast', 'none']));
  }
  const kept = join(DOCS, 'trace-window-tuned');
  mkdirSync(kept, { recursive: true });
  for (const file of ['hpa.yaml', 'prometheus-adapter-values.yaml']) {
    copyFileSync(join(dir, file), join(kept, file));
  }
  return {
    name: 'tuned',
    hpaFile: join(dir, 'hpa.yaml'),
    rulesFile: join(dir, 'prometheus-adapter-values.yaml'),
  };
}

/** One config's run through the closed loop, from the pods it holds at the window's start, then its simulation twin. */
async function runConfig(config: LoopConfig, startupEstimate: number) {
  const initial = initialReplicas(config, startupEstimate);
  const run = await runLoopTwin(bench, config, {
    load: window.load,
    loadCsv,
    profile: PROFILE,
    phases,
    stepAt,
    startupFallback: startupEstimate,
    initialReplicas: initial,
  });
  writeFileSync(join(DOCS, `trace-window.${config.name}.seconds.csv`), formatSecondsCsv(run.loop));
  return { ...config, ...run, initial };
}

// 2. The guide's HPA, then tune with the start-up the loop measured, then the tuned config.
const coldStart = await coldStartSeconds();
const estimate = STARTUP + coldStart;
console.log(
  `a pod's process starts in ${coldStart.toFixed(1)} s: start-up estimate ${estimate.toFixed(1)} s`,
);
const runs: Awaited<ReturnType<typeof runConfig>>[] = [];
const guide: LoopConfig = {
  name: 'guide',
  hpaFile: join(REPO_ROOT, 'infra/hpa/guide-hpa.yaml'),
  rulesFile: join(REPO_ROOT, 'infra/helm/prometheus-adapter-values.yaml'),
};
runs.push(await runConfig(guide, estimate));
const tuneStartup = runs[0]?.startup ?? estimate;
if (!bench.signal.aborted) runs.push(await runConfig(tune(tuneStartup), tuneStartup));

// 3. The summary (first: it keeps the figures whatever fails next), the tables side by side, the chart.
writeFileSync(
  join(DOCS, 'trace-window.summary.json'),
  `${JSON.stringify(
    {
      trace: 'Azure LLM inference trace 2023, "conversation" (Microsoft, CC-BY 4.0)',
      window: { ...W, description: window.description, requests: window.requests, peak },
      timings: {
        syncPeriodSeconds: SYNC,
        scrapeIntervalSeconds: SCRAPE,
        startupDelaySeconds: STARTUP,
        warmupSeconds: WARMUP,
        coldStartSeconds: coldStart,
        tuneStartupSeconds: tuneStartup,
      },
      stepAt,
      phases,
      runs: runs.map((r) => ({
        name: r.name,
        initialReplicas: r.initial,
        measuredStartupSeconds: r.startup,
        sampleAge: r.scrape,
        // A string: JSON.stringify would spread the list over lines where biome keeps it on one.
        scrapeOffsetsHeld: r.phases
          .filter((p) => p.held)
          .map((p) => p.offsetSeconds)
          .join(', '),
        overScrapePhases: phaseRanges(r.phases),
        loop: r.loop.summary,
        failedBy: r.loop.failedBy,
        sim: r.sim.summary,
        agreement: r.agreement,
      })),
    },
    null,
    2,
  )}\n`,
);
console.log(`\n== simulated against the closed loop (phases: thirds of the window)\n`);
try {
  console.log(formatSideBySide(runs));
} catch (error) {
  console.log(`no side-by-side table: ${(error as Error).message}`);
}
const held = runs.every((r) => r.agreement.every((a) => a.ok));
console.log(`\nagreement bounds: ${held ? 'all held' : 'some OUT (see the tables above)'}`);
writeFileSync(
  join(DOCS, 'trace-window.svg'),
  renderValidationChart(runs, {
    sloSeconds: 0.2,
    stepAt,
    title: `Azure "conversation" trace, minutes ${W.fromSeconds / 60}–${W.toSeconds / 60} ×${W.rateScale}: simulated (dashed), closed loop (solid)`,
  }),
);
console.log(
  `written: ${DOCS}/trace-window.{svg,summary.json,load.csv,*.seconds.csv}, trace-window-tuned/; raw files in ${OUT}`,
);
