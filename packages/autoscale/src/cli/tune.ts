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
import { type Command, InvalidArgumentError } from 'commander';
import { podModel } from '../capacity/model.js';
import { formatSlo, type LatencySlo } from '../capacity/slo.js';
import type { ForecastMethod } from '../forecast/signal.js';
import { planAutoscaling } from '../plan/plan.js';
import type { LoadTrace } from '../simulate/load.js';
import { simulateReactive } from '../simulate/reactive.js';
import { renderReactiveChart } from '../simulate/reactive-report.js';
import { DEFAULT_ADAPTER_VALUES } from '../simulate/signals.js';
import { formatTable } from '../simulate/table.js';
import {
  type ClairvoyantBound,
  clairvoyantBound,
  formatBoundRatio,
} from '../traffic/clairvoyant.js';
import { type ConfigFiles, reactiveConfigFromFiles } from '../tune/evaluate.js';
import { startPool } from '../tune/pool.js';
import {
  paretoFront,
  peakRate,
  type SearchResult,
  searchConfigurations,
  type Tried,
} from '../tune/search.js';
import { candidateFiles } from '../tune/space.js';
import { durationArg, numberFlag, sloArg } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { EXAMPLES_DIR, readText } from './files.js';
import { type LoadFlags, loadOptions, readLoadFlags, readLoadSource } from './load-args.js';
import { checkOutputFolder } from './output-path.js';
import { readProfile, writeOutput } from './profile-args.js';
import { timingOptions } from './timing-args.js';

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
  forecast: ForecastMethod[];
  forecastPeriod?: number;
}

function forecastsArg(value: string): ForecastMethod[] {
  const kinds = value.split(',').map((k) => k.trim());
  if (kinds.length === 1 && kinds[0] === 'none') return [];
  const known = ['linear', 'smoothed', 'seasonal'];
  const unknown = kinds.filter((k) => !known.includes(k));
  if (unknown.length > 0 || kinds.length === 0)
    throw new InvalidArgumentError(
      `--forecast takes none, or a list of linear, smoothed and seasonal (got "${value}")`,
    );
  return [...new Set(kinds)] as ForecastMethod[];
}

interface Window {
  from: number;
  to: number;
  text: string;
}

export function budgetArg(value: string): number {
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
      'find the configuration with the least replica-seconds that keeps the seconds over the SLO within a budget on your traffic, by simulating the search space (headroom, minReplicas, scale-down window, scale-up limit, forecasts) on a trace; prints the Pareto front with the guide and the plan on it, writes the chosen HPA and adapter rules (every number commented) and a chart',
    )
    .requiredOption('--profile <json>', 'capacity profile written by mlscale calibrate')
    .requiredOption(
      '--load <file|url>',
      'the traffic: a rate trace (time,rps), a request-level trace (Azure, BurstGPT, a log with a timestamp column; .gz too), or a Prometheus URL (with --load-query, --load-start)',
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
  timingOptions(command, 'default');
  command
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
    .option(
      '--forecast <kinds>',
      'forecasts of the request rate searched beside none (linear, smoothed, seasonal, comma-separated; none for reactive only)',
      forecastsArg,
      ['linear', 'smoothed'],
    )
    .option(
      '--forecast-period <duration>',
      'the period of a seasonal forecast (default 1d)',
      durationArg('--forecast-period'),
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

interface TuneRun {
  flags: TuneFlags;
  pod: ReturnType<typeof podModel>;
  profile: ReturnType<typeof readProfile>;
  train: ReturnType<typeof readLoadFlags>;
  test: ReturnType<typeof readLoadFlags> | undefined;
  timings: { startupSeconds: number; syncPeriodSeconds: number; scrapeIntervalSeconds: number };
  budgetText: string;
  why: string;
  references: ConfigFiles[];
}

async function prepare(flags: TuneFlags): Promise<TuneRun> {
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
  const source = await readLoadSource(flags);
  const train = readLoadFlags(flags, flags.train ?? {}, source);
  const test = flags.test ? readLoadFlags(flags, flags.test, source) : undefined;
  const timings = {
    startupSeconds: flags.startupDelay,
    syncPeriodSeconds: flags.syncPeriod,
    scrapeIntervalSeconds: flags.scrapeInterval,
  };
  const budgetText = `${Number((flags.budget * 100).toPrecision(3))} %`;
  const why = `least replica-seconds with at most ${budgetText} of the seconds over ${formatSlo(flags.slo)}, simulated on ${flags.train ? `${flags.train.text} of ` : ''}${flags.load} (start-up ${timings.startupSeconds} s, sync ${timings.syncPeriodSeconds} s, scrape ${timings.scrapeIntervalSeconds} s)`;
  const references = referenceConfigs(flags, pod, train.load, timings);
  return { flags, pod, profile, train, test, timings, budgetText, why, references };
}

async function search(
  run: TuneRun,
): Promise<{ result: SearchResult; seconds: number; threads: number }> {
  const { flags } = run;
  const pool = startPool(flags.workers ?? availableParallelism());
  const started = Date.now();
  const progress = (done: number, total: number, round: number) => {
    const line = `tune: ${done}/${total} simulations (round ${round}), ${Math.round((Date.now() - started) / 1000)} s, ${pool.threads} worker threads`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else if (done === total) process.stderr.write(`${line}\n`);
  };
  try {
    const result = await searchConfigurations({
      profile: run.profile,
      pod: run.pod,
      load: run.train.load,
      slo: flags.slo,
      timings: run.timings,
      budget: flags.budget,
      references: run.references,
      why: run.why,
      pool,
      forecasts: flags.forecast,
      ...(flags.forecastPeriod !== undefined
        ? { forecastPeriodSeconds: flags.forecastPeriod }
        : {}),
      onProgress: progress,
    });
    return { result, seconds: (Date.now() - started) / 1000, threads: pool.threads };
  } catch (error) {
    throw new CliError(`tune: ${(error as Error).message}`, ExitCode.Usage);
  } finally {
    await pool.close();
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
}

const TABLE_HEADER = (slo: LatencySlo) => [
  'config',
  `s over ${formatSlo(slo)}`,
  'replica-seconds',
  '× bound',
  'max replicas',
  '',
];

function tableRow(
  t: Tried,
  bound: ClairvoyantBound | null,
  chosen: Tried | undefined,
  front: readonly Tried[],
): string[] {
  const where = t.candidate ? '' : 'reference';
  return [
    t === chosen ? `${t.files.name}  ← chosen` : t.files.name,
    String(t.result.sloViolationSeconds),
    String(Math.round(t.result.replicaSeconds)),
    formatBoundRatio(t.result.replicaSeconds, bound),
    String(t.result.maxReplicas),
    [where, front.includes(t) ? 'front' : ''].filter((w) => w !== '').join(', '),
  ];
}

function searchLines(
  run: TuneRun,
  searched: Awaited<ReturnType<typeof search>>,
  bound: ClairvoyantBound | null,
): string[] {
  const { flags, train, timings } = run;
  const { result } = searched;
  const front = paretoFront(result.tried);
  const shown = [
    ...front,
    ...result.tried.filter((t) => (!t.candidate || t === result.chosen) && !front.includes(t)),
  ];
  return [
    `load: ${train.description}${flags.train ? ` (training window ${flags.train.text})` : ''}`,
    `budget: ${run.budgetText} of ${Math.round(durationOf(train.load))} s = ${result.allowedSeconds} s over ${formatSlo(flags.slo)}; start-up ${timings.startupSeconds} s, sync ${timings.syncPeriodSeconds} s, scrape ${timings.scrapeIntervalSeconds} s`,
    `${result.simulations} simulations in ${searched.seconds.toFixed(1)} s on ${searched.threads || 1} ${searched.threads ? 'worker threads' : 'thread'}`,
    '',
    'Pareto front (no configuration is cheaper with fewer seconds over the SLO), and the references:',
    '',
    formatTable(
      TABLE_HEADER(flags.slo),
      shown.map((t) => tableRow(t, bound, result.chosen, front)),
    ),
    '',
    bound
      ? `clairvoyant bound: ${Math.round(bound.replicaSeconds)} replica-seconds (every 10 s, ⌈mean rate ÷ ${Number(bound.sloRps.toPrecision(4))} req/s⌉ pods, started ahead by an oracle)`
      : 'clairvoyant bound: none (the pod misses the SLO at its lowest measured rate)',
    result.chosen
      ? `chosen: ${result.chosen.files.name}`
      : `no configuration kept within ${result.allowedSeconds} s over the SLO: raise --budget, or the pods' capacity`,
  ];
}

async function outOfSample(
  run: TuneRun,
  chosen: Tried,
): Promise<{ lines: string[]; rows: Tried[] }> {
  const { flags, test } = run;
  if (!test || !flags.test) return { lines: [], rows: [] };
  // The configurations live through the whole trace up to the test window's end, as deployed
  // ones do, and are counted on the test window only: a window played on its own would start
  // every configuration at its minReplicas in the middle of the traffic.
  const lived = readLoadFlags(flags, { from: 0, to: flags.test.to });
  const countFrom = (lived.load.points[0]?.time ?? 0) + flags.test.from * (flags.timeScale ?? 1);
  const rows = await evaluateOn(
    run.profile,
    lived.load,
    [chosen.files, ...run.references.filter((r) => r !== chosen.files)],
    flags,
    countFrom,
  );
  const bound = clairvoyantBound(run.pod, test.load, flags.slo);
  const allowed = Math.floor(flags.budget * durationOf(test.load));
  return {
    rows,
    lines: [
      '',
      `out of sample: the same configurations on ${flags.test.text} (${test.description}); ${run.budgetText} there is ${allowed} s. Each ran from the trace's start and is counted on ${flags.test.text} only (replica-seconds: the pods of each second).`,
      '',
      formatTable(
        TABLE_HEADER(flags.slo).slice(0, 5),
        rows.map((t) => tableRow(t, bound, undefined, []).slice(0, 5)),
      ),
      ...(bound
        ? [
            '',
            `clairvoyant bound on the test window: ${Math.round(bound.replicaSeconds)} replica-seconds`,
          ]
        : []),
    ],
  };
}

function writeTuneFiles(run: TuneRun, chosen: Tried, bound: ClairvoyantBound | null): string[] {
  const { flags, timings } = run;
  const dir = flags.outDir;
  if (!dir) return [];
  const header = `# mlscale tune: ${run.why}.\n# On that window: ${chosen.result.sloViolationSeconds} s over the SLO, ${Math.round(chosen.result.replicaSeconds)} replica-seconds${bound ? ` (${formatBoundRatio(chosen.result.replicaSeconds, bound)} the clairvoyant bound)` : ''}.\n`;
  writeOutput(join(dir, 'hpa.yaml'), header + chosen.files.hpaYaml, {
    createFolder: '-o, --out-dir',
  });
  writeOutput(
    join(dir, 'prometheus-adapter-values.yaml'),
    header + (chosen.files.adapterYaml ?? ''),
  );
  const chartLoad = run.test?.load ?? run.train.load;
  const report = simulateReactive(
    run.pod,
    chartLoad,
    [chosen.files, ...run.references.filter((r) => r !== chosen.files)].map(
      reactiveConfigFromFiles,
    ),
    {
      slo: flags.slo,
      startupDelaySeconds: timings.startupSeconds,
      syncPeriodSeconds: timings.syncPeriodSeconds,
      scrapeIntervalSeconds: timings.scrapeIntervalSeconds,
      stepAt: chartLoad.points[0]?.time ?? 0,
    },
  );
  writeFileSync(
    join(dir, 'tune.svg'),
    renderReactiveChart(report, {
      title: `mlscale tune: the chosen configuration against the references on ${run.test ? `${flags.test?.text} (out of sample)` : 'the trace'}, ${formatSlo(flags.slo)}, start-up ${timings.startupSeconds} s`,
    }),
  );
  return ['', `written to ${dir}: hpa.yaml, prometheus-adapter-values.yaml, tune.svg`];
}

async function runTune(flags: TuneFlags): Promise<void> {
  const run = await prepare(flags);
  const searched = await search(run);
  const { result } = searched;
  const bound = clairvoyantBound(run.pod, run.train.load, flags.slo);
  const lines = searchLines(run, searched, bound);
  let testRows: Tried[] = [];
  if (result.chosen) {
    const test = await outOfSample(run, result.chosen);
    testRows = test.rows;
    lines.push(...test.lines, ...writeTuneFiles(run, result.chosen, bound));
  }
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          load: run.train.description,
          budgetSeconds: result.allowedSeconds,
          seconds: searched.seconds,
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
  const sizedOn = flags.train
    ? 'the training window'
    : flags.from !== undefined || flags.to !== undefined
      ? 'the window'
      : 'the trace';
  // Three significant digits: a quiet trace's lowest minute (1.5 req/s) rounded to 0 named a plan
  // that `plan --base-rate 0` does not make.
  const rate = (rps: number) => String(Number(rps.toPrecision(3)));
  return [
    { name: "the guide's HPA", hpaYaml: readText(guidePath), adapterYaml: DEFAULT_ADAPTER_VALUES },
    candidateFiles(
      plan,
      `plan --base-rate ${rate(base)} --peak-rate ${rate(peak)} (${sizedOn}'s lowest minute and highest bin)`,
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
  countFrom: number,
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
        countFrom,
      })),
    );
    return configs.map((files, i) => ({ files, result: results[i] as Tried['result'] }));
  } finally {
    await pool.close();
  }
}
