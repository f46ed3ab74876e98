/**
 * `mlscale tune`: the cheapest configuration that keeps the SLO on the user's own traffic, found by
 * simulating the search space (src/tune) on the trace; prints the Pareto front with the guide's and
 * the plan's configurations on it, writes the chosen HPA and adapter rules (every number
 * commented) and a chart, and with `--train`/`--test` reports the choice on traffic it was not
 * tuned on.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { podModel } from '../capacity/model.js';
import { formatSlo, type LatencySlo } from '../capacity/slo.js';
import { planAutoscaling } from '../plan/plan.js';
import type { LoadTrace } from '../simulate/load.js';
import { simulateReactive } from '../simulate/reactive.js';
import { renderReactiveChart } from '../simulate/reactive-report.js';
import { DEFAULT_ADAPTER_VALUES } from '../simulate/signals.js';
import { formatTable } from '../simulate/table.js';
import { clairvoyantBound, formatBoundRatio } from '../traffic/clairvoyant.js';
import { type ConfigFiles, reactiveConfigFromFiles } from '../tune/evaluate.js';
import { startPool } from '../tune/pool.js';
import { paretoFront, peakRate, searchConfigurations, type Tried } from '../tune/search.js';
import { candidateFiles } from '../tune/space.js';
import { numberFlag } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { EXAMPLES_DIR, readText } from './files.js';
import { durationArg, type LoadFlags, loadOptions, readLoadFlags } from './load-args.js';
import { checkOutputFolder } from './output-path.js';
import { readProfile, sloArg, writeOutput } from './profile-args.js';
import { numberArg } from './simulate.js';

interface TuneFlags extends LoadFlags {
  profile: string;
  load: string;
  slo: LatencySlo;
  budget: number;
  startupDelay: number;
  syncPeriod: number;
  scrapeInterval: number;
  train?: Window;
  test?: Window;
  guide?: string;
  workers?: number;
  outDir?: string;
  json?: boolean;
}

interface Window {
  from: number;
  to: number;
  text: string;
}

function budgetArg(value: string): number {
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  const n = percent ? Number(percent[1]) / 100 : Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) {
    throw new CliError(
      `--budget must be a share of the trace's seconds, such as 1% or 0.01 (got "${value}")`,
      ExitCode.Usage,
    );
  }
  return n;
}

function windowArg(flag: string) {
  return (value: string): Window => {
    const parts = value.split(/\.\.|(?<=[0-9smh])-(?=[0-9])/);
    if (parts.length !== 2) {
      throw new CliError(
        `${flag} must be FROM-TO after the trace's start, such as 0-30m or 30m-60m (got "${value}")`,
        ExitCode.Usage,
      );
    }
    const from = durationArg(flag)(parts[0] as string);
    const to = durationArg(flag)(parts[1] as string);
    if (!(to > from)) throw new CliError(`${flag}: ${value} ends before it starts`, ExitCode.Usage);
    return { from, to, text: value };
  };
}

/**
 * Adds `tune` to the program.
 *
 * @param program - the root command
 */
export function registerTuneCommand(program: Command): void {
  const command = program
    .command('tune')
    .description(
      'find the configuration with the least replica-seconds that keeps the seconds over the SLO within a budget on your traffic, by simulating the search space (headroom, minReplicas, scale-down window) on a trace; prints the Pareto front with the guide and the plan on it, writes the chosen HPA and adapter rules (every number commented) and a chart',
    )
    .requiredOption('--profile <json>', 'capacity profile written by mlscale calibrate')
    .requiredOption(
      '--load <file>',
      'the traffic: a rate trace (time,rps) or a request-level trace (Azure, BurstGPT, a log with a timestamp column; .gz too)',
    )
    .option('--slo <objective>', 'latency objective (default p95=200ms)', sloArg, {
      statistic: 'p95',
      seconds: 0.2,
    } as LatencySlo)
    .option(
      '--budget <share>',
      'seconds over the SLO allowed, as a share of the trace (default 1%)',
      budgetArg,
      0.01,
    );
  loadOptions(command);
  command
    .option(
      '--startup-delay <seconds>',
      'seconds until a new pod serves',
      numberArg('--startup-delay', { min: 0 }),
      30,
    )
    .option(
      '--sync-period <seconds>',
      'HPA sync period',
      numberArg('--sync-period', { min: 1 }),
      15,
    )
    .option(
      '--scrape-interval <seconds>',
      'Prometheus scrape interval',
      numberArg('--scrape-interval', { min: 0.25 }),
      5,
    )
    .option(
      '--train <from-to>',
      'tune on this window of the trace only, e.g. 0-30m (default: the whole trace)',
      windowArg('--train'),
    )
    .option(
      '--test <from-to>',
      'report the chosen configuration on this window, e.g. 30m-60m (out of sample)',
      windowArg('--test'),
    )
    .option(
      '--guide <hpa.yaml>',
      "the HPA to compare against, read with the guide's and the project's adapter rules as simulate reads them (default: the guide's HPA that ships with this package)",
    )
    .option(
      '--workers <n>',
      `worker threads (default: every core, ${availableParallelism()} here)`,
      numberFlag('--workers', { min: 0, integer: true }),
    )
    .option('-o, --out-dir <dir>', 'write hpa.yaml, prometheus-adapter-values.yaml and tune.svg')
    .option('--json', 'print every configuration simulated and the choice as JSON')
    .addHelpText(
      'after',
      `
Examples:
  mlscale tune --profile pod.profile.json --load requests.csv --slo p95=200ms --budget 1% -o tuned/
  mlscale tune --profile pod.profile.json --load trace.csv.gz --rate-scale 20 \\
    --startup-delay 120 --train 0-30m --test 30m-60m -o tuned/`,
    )
    .action(async (flags: TuneFlags) => runTune(flags));
}

function label(t: Tried, chosen: Tried | undefined): string {
  return t === chosen ? `${t.files.name}  ← chosen` : t.files.name;
}

async function runTune(flags: TuneFlags): Promise<void> {
  if (flags.outDir)
    checkOutputFolder(flags.outDir, '-o, --out-dir', [
      'hpa.yaml',
      'prometheus-adapter-values.yaml',
      'tune.svg',
    ]);
  if ((flags.train || flags.test) && (flags.from !== undefined || flags.to !== undefined)) {
    throw new CliError('give --train/--test or --from/--to, not both', ExitCode.Usage);
  }
  const profile = readProfile(flags.profile);
  const pod = podModel(profile);
  const train = readLoadFlags(flags, flags.train ?? {});
  const test = flags.test ? readLoadFlags(flags, flags.test) : undefined;
  const timings = {
    startupSeconds: flags.startupDelay,
    syncPeriodSeconds: flags.syncPeriod,
    scrapeIntervalSeconds: flags.scrapeInterval,
  };
  const budgetText = `${Number((flags.budget * 100).toPrecision(3))} %`;
  const why = `least replica-seconds with at most ${budgetText} of the seconds over ${formatSlo(flags.slo)}, simulated on ${flags.train ? `${flags.train.text} of ` : ''}${flags.load} (start-up ${timings.startupSeconds} s, sync ${timings.syncPeriodSeconds} s, scrape ${timings.scrapeIntervalSeconds} s)`;
  const references = referenceConfigs(flags, pod, train.load, timings);
  const pool = startPool(flags.workers ?? availableParallelism());
  const started = Date.now();
  const progress = (done: number, total: number, round: number) => {
    const line = `tune: ${done}/${total} simulations (round ${round}), ${Math.round((Date.now() - started) / 1000)} s, ${pool.threads} worker threads`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else if (done === total) process.stderr.write(`${line}\n`);
  };
  let result: Awaited<ReturnType<typeof searchConfigurations>>;
  try {
    result = await searchConfigurations({
      profile,
      pod,
      load: train.load,
      slo: flags.slo,
      timings,
      budget: flags.budget,
      references,
      why,
      pool,
      onProgress: progress,
    });
  } catch (error) {
    throw new CliError(`tune: ${(error as Error).message}`, ExitCode.Usage);
  } finally {
    await pool.close();
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
  const seconds = (Date.now() - started) / 1000;
  const bound = clairvoyantBound(pod, train.load, flags.slo);
  const front = paretoFront(result.tried);
  const shown = [...front, ...result.tried.filter((t) => !t.candidate && !front.includes(t))];
  const row = (t: Tried, b: typeof bound) => [
    label(t, result.chosen),
    String(t.result.sloViolationSeconds),
    String(Math.round(t.result.replicaSeconds)),
    formatBoundRatio(t.result.replicaSeconds, b),
    String(t.result.maxReplicas),
    t.candidate
      ? front.includes(t)
        ? 'front'
        : ''
      : front.includes(t)
        ? 'reference, front'
        : 'reference',
  ];
  const header = [
    'config',
    `s over ${formatSlo(flags.slo)}`,
    'replica-seconds',
    '× bound',
    'max replicas',
    '',
  ];
  const lines = [
    `load: ${train.description}${flags.train ? ` (training window ${flags.train.text})` : ''}`,
    `budget: ${budgetText} of ${Math.round(durationOf(train.load))} s = ${result.allowedSeconds} s over ${formatSlo(flags.slo)}; start-up ${timings.startupSeconds} s, sync ${timings.syncPeriodSeconds} s, scrape ${timings.scrapeIntervalSeconds} s`,
    `${result.simulations} simulations in ${seconds.toFixed(1)} s on ${pool.threads || 1} ${pool.threads ? 'worker threads' : 'thread'}`,
    '',
    'Pareto front (no configuration is cheaper with fewer seconds over the SLO), and the references:',
    '',
    formatTable(
      header,
      shown.map((t) => row(t, bound)),
    ),
    '',
    bound
      ? `clairvoyant bound: ${Math.round(bound.replicaSeconds)} replica-seconds (every 10 s, ⌈mean rate ÷ ${Number(bound.sloRps.toPrecision(4))} req/s⌉ pods, started ahead by an oracle)`
      : 'clairvoyant bound: none (the pod misses the SLO at its lowest measured rate)',
    result.chosen
      ? `chosen: ${result.chosen.files.name}`
      : `no configuration kept within ${result.allowedSeconds} s over the SLO: raise --budget, or the pods' capacity`,
  ];
  let testRows: Tried[] = [];
  if (test && result.chosen) {
    testRows = await evaluateOn(profile, test.load, [result.chosen.files, ...references], flags);
    const testBound = clairvoyantBound(pod, test.load, flags.slo);
    const allowed = Math.floor(flags.budget * durationOf(test.load));
    lines.push(
      '',
      `out of sample: the same configurations on ${flags.test?.text} (${test.description}); ${budgetText} there is ${allowed} s`,
      '',
      formatTable(
        header.slice(0, 5),
        testRows.map((t, i) => row({ ...t, ...(i === 0 ? {} : {}) }, testBound).slice(0, 5)),
      ),
      '',
      testBound
        ? `clairvoyant bound on the test window: ${Math.round(testBound.replicaSeconds)} replica-seconds`
        : '',
    );
  }
  if (flags.outDir && result.chosen) {
    const header = `# mlscale tune: ${why}.\n# On that window: ${result.chosen.result.sloViolationSeconds} s over the SLO (budget ${result.allowedSeconds} s), ${Math.round(result.chosen.result.replicaSeconds)} replica-seconds${bound ? ` (${formatBoundRatio(result.chosen.result.replicaSeconds, bound)} the clairvoyant bound)` : ''}.\n`;
    writeOutput(join(flags.outDir, 'hpa.yaml'), header + result.chosen.files.hpaYaml, {
      createFolder: '-o, --out-dir',
    });
    writeOutput(
      join(flags.outDir, 'prometheus-adapter-values.yaml'),
      header + (result.chosen.files.adapterYaml ?? ''),
    );
    const chartLoad = test?.load ?? train.load;
    const report = simulateReactive(
      pod,
      chartLoad,
      [result.chosen.files, ...references].map(reactiveConfigFromFiles),
      {
        slo: flags.slo,
        startupDelaySeconds: timings.startupSeconds,
        syncPeriodSeconds: timings.syncPeriodSeconds,
        scrapeIntervalSeconds: timings.scrapeIntervalSeconds,
        stepAt: chartLoad.points[0]?.time ?? 0,
      },
    );
    writeFileSync(
      join(flags.outDir, 'tune.svg'),
      renderReactiveChart(report, {
        title: `mlscale tune: the chosen configuration against the references on ${test ? `${flags.test?.text} (out of sample)` : 'the trace'}, ${formatSlo(flags.slo)}, start-up ${timings.startupSeconds} s`,
      }),
    );
    lines.push(
      '',
      `written to ${flags.outDir}: hpa.yaml, prometheus-adapter-values.yaml, tune.svg`,
    );
  }
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          load: train.description,
          budgetSeconds: result.allowedSeconds,
          seconds,
          simulations: result.simulations,
          clairvoyant: bound,
          chosen: result.chosen?.files.name ?? null,
          tried: result.tried.map((t) => ({ ...t.result, candidate: t.candidate ?? null })),
          test: testRows.map((t) => t.result),
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!result.chosen) throw new CliError('no configuration within the budget', ExitCode.Usage);
}

function durationOf(load: LoadTrace): number {
  return (load.points[load.points.length - 1]?.time ?? 0) - (load.points[0]?.time ?? 0);
}

/** The guide's HPA (default rules) and the plan sized from the training window. */
function referenceConfigs(
  flags: TuneFlags,
  pod: ReturnType<typeof podModel>,
  load: LoadTrace,
  timings: { startupSeconds: number; syncPeriodSeconds: number; scrapeIntervalSeconds: number },
): ConfigFiles[] {
  const guidePath = flags.guide ?? join(EXAMPLES_DIR, 'guide-hpa.yaml');
  const base = lowestMinuteRate(load);
  const peak = peakRate(load);
  const plan = planAutoscaling(pod, {
    slo: flags.slo,
    baseRps: base,
    peakRps: Math.max(peak, base, 0.001),
    startupSeconds: timings.startupSeconds,
    syncPeriodSeconds: timings.syncPeriodSeconds,
    scrapeIntervalSeconds: timings.scrapeIntervalSeconds,
  });
  return [
    { name: "the guide's HPA", hpaYaml: readText(guidePath), adapterYaml: DEFAULT_ADAPTER_VALUES },
    candidateFiles(
      plan,
      `plan --base-rate ${Math.round(base)} --peak-rate ${Math.round(peak)} (the window's lowest minute and highest bin)`,
    ),
  ];
}

/** The lowest mean rate over a minute of the load (its base). */
function lowestMinuteRate(load: LoadTrace): number {
  const start = load.points[0]?.time ?? 0;
  const end = load.points[load.points.length - 1]?.time ?? 0;
  let lowest = Number.POSITIVE_INFINITY;
  for (let t = start; t + 60 <= end + 1e-9; t += 60) {
    let sum = 0;
    for (let i = 0; i + 1 < load.points.length; i++) {
      const p = load.points[i] as LoadTrace['points'][number];
      const next = (load.points[i + 1] as LoadTrace['points'][number]).time;
      const lo = Math.max(t, p.time);
      const hi = Math.min(t + 60, next);
      if (hi > lo) sum += p.rps * (hi - lo);
    }
    lowest = Math.min(lowest, sum / 60);
  }
  return Number.isFinite(lowest) ? lowest : (load.points[0]?.rps ?? 0);
}

async function evaluateOn(
  profile: ReturnType<typeof readProfile>,
  load: LoadTrace,
  configs: ConfigFiles[],
  flags: TuneFlags,
): Promise<Tried[]> {
  const pool = startPool(flags.workers ?? availableParallelism());
  try {
    const results = await pool.run(
      configs.map((config) => ({
        profile,
        load,
        options: {
          slo: flags.slo,
          startupDelaySeconds: flags.startupDelay,
          syncPeriodSeconds: flags.syncPeriod,
          scrapeIntervalSeconds: flags.scrapeInterval,
        },
        config,
      })),
    );
    return configs.map((files, i) => ({ files, result: results[i] as Tried['result'] }));
  } finally {
    await pool.close();
  }
}
