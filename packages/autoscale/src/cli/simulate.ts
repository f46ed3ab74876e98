/**
 * `mlscale simulate`: replay a metric trace through HPA definitions, or (with `--profile` and
 * `--load`) run the reactive simulator on a capacity profile and an arrival-rate trace.
 */
import { SERIES } from '@mlscale/metric-contract';
import { type Command, Option } from 'commander';
import type { PrometheusClient } from '../prometheus/client.js';
import {
  formatPhaseTable,
  formatSummaryTable,
  formatTimeline,
  renderSvgChart,
} from '../simulate/report.js';
import {
  type SimulationConfig,
  type SimulationOptions,
  simulate,
  sweepSyncPhases,
} from '../simulate/simulate.js';
import { describeTimeBase } from '../simulate/time-base.js';
import { parseTraceCsv, type Trace, traceFromMatrices } from '../simulate/trace.js';
import { numberFlag, parseTimeArg } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { loadHpas, missingFileFlag, readText } from './files.js';
import { checkOutputFile } from './output-path.js';
import { writeOutput } from './profile-args.js';
import {
  type ProfileFlags,
  profileOptions,
  runProfileSimulation,
  uniqueLabels,
} from './simulate-profile.js';
import { offsetOptions, syncOffsetSetting, timingOptions } from './timing-args.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

interface SimulateFlags extends ProfileFlags {
  trace?: string;
  prometheus?: string;
  query?: string[];
  each?: string[];
  start?: number;
  end?: number;
  step: number;
  hpa?: string[];
  syncPeriod: number;
  startupDelay: number;
  stepAt?: number;
  latencyMetric?: string;
  latencyTarget: number;
  tolerance?: number;
  initialReplicas?: number;
  svg?: string;
  chartMetric?: string;
  json?: boolean;
  timeline?: boolean;
  phases?: boolean;
}

/**
 * Adds `simulate` to the program.
 *
 * @param program - the root command
 * @param makeClient - builds a Prometheus client for a URL
 */
export function registerSimulateCommand(
  program: Command,
  makeClient: (url: string) => PrometheusClient,
): void {
  const command = program
    .command('simulate')
    .description(
      'compare HPA definitions: replay a recorded metric trace (--trace, --prometheus), or simulate pods from a capacity profile under an arrival-rate trace with Prometheus, the adapter and the HPA in the loop (--profile with --load)',
    );
  replayOptions(command);
  timingOptions(command, 'profile only');
  offsetOptions(command);
  profileOptions(command);
  command
    .addHelpText(
      'after',
      `
Examples:
  mlscale simulate --trace node_modules/@mlscale/autoscale/examples/step-load.csv \\
    --hpa node_modules/@mlscale/autoscale/examples/guide-hpa.yaml
  mlscale simulate --trace run.csv --hpa guide-hpa.yaml --hpa hpa.yaml --svg sim.svg --timeline
  mlscale simulate --prometheus http://127.0.0.1:9090 --start -20m \\
    --query '${SERIES.queueDepth.name}=sum(${SERIES.queueDepth.name}{namespace="default"}) by (pod)' --hpa hpa.yaml
  mlscale simulate --profile pod.profile.json --load load.csv --slo p95=200ms \\
    --hpa guide-hpa.yaml --hpa plan/hpa.yaml --svg sim.svg`,
    )
    .action(async (flags: SimulateFlags) => {
      if (flags.svg) checkOutputFile(flags.svg, '--svg');
      if (flags.profile !== undefined || flags.load !== undefined) {
        checkProfileFlags(flags);
        await runProfileSimulation(flags);
        return;
      }
      await runReplay(flags, makeClient);
    });
}

/** The flags of a trace replay, and the ones both modes read (`--hpa`, `--svg`, `--json`, …). */
function replayOptions(command: Command): void {
  command
    .option(
      '-t, --trace <csv>',
      'trace CSV: time,[replicas],[load],<metric>...,[each:<metric>] (per-pod means; see README)',
    )
    .option(
      '--prometheus <url>',
      'read the trace from Prometheus instead (range queries, one per --query)',
    )
    .option(
      '--query <name=promql>',
      'with --prometheus: a metric and the PromQL giving it per pod (repeat)',
      collect,
    )
    .option(
      '--each <name>',
      'with --prometheus: a metric every pod reports unchanged (not shared by replicas; repeat)',
      collect,
    )
    .option('--start <time>', 'with --prometheus: range start (epoch s, ISO, or -15m)', (v) =>
      parseTimeArg(v),
    )
    .option('--end <time>', 'with --prometheus: range end (default now)', (v) => parseTimeArg(v))
    .option(
      '--step <seconds>',
      'with --prometheus: resolution',
      numberFlag('--step', { min: 0.001 }),
      5,
    )
    .option(
      '--hpa <file>',
      'HPA manifest or KEDA ScaledObject to simulate (repeat to compare)',
      collect,
    )
    .option(
      '--step-at <seconds>',
      'trace time of the load step (default: detected)',
      numberFlag('--step-at'),
    )
    .option(
      '--latency-metric <name>',
      'trace metric for "time above the latency target" (default: first *latency*/*duration* column)',
    )
    .option(
      '--latency-target <value>',
      'latency target in the metric unit',
      numberFlag('--latency-target', { min: 0 }),
      0.2,
    )
    .option(
      '--tolerance <ratio>',
      'controller tolerance (default 0.1)',
      numberFlag('--tolerance', { min: 0 }),
    )
    .option(
      '--initial-replicas <n>',
      "replicas at the start (default: the trace's, within min/max)",
      numberFlag('--initial-replicas', { min: 0 }),
    )
    .option('--svg <file>', 'write an SVG chart of replicas and the metric over time')
    .option(
      '--chart-metric <name>',
      'one metric for the lower panel of the chart (default: the metric that drove each config, with its target)',
    )
    .option('--timeline', 'print every scale event with its reason')
    .option(
      '--phases',
      'also run every sync phase (the first sync 0, 1, … s after the trace starts) and print the spread',
    )
    .addOption(new Option('--json', 'print the full report as JSON'));
}

/** Refuses the replay's flags in a profile simulation. */
function checkProfileFlags(flags: SimulateFlags): void {
  if (flags.trace || flags.prometheus) {
    throw new CliError(
      '--profile/--load simulate pods from a capacity profile; --trace/--prometheus replay recorded metrics: give one or the other',
      ExitCode.Usage,
    );
  }
  for (const [flag, given] of [
    ['--chart-metric', flags.chartMetric],
    ['--latency-metric', flags.latencyMetric],
  ] as const) {
    if (given !== undefined) {
      throw new CliError(
        `${flag} applies to a metric-trace replay (--trace), not to --profile`,
        ExitCode.Usage,
      );
    }
  }
}

/** Replays a recorded trace (`--trace` or `--prometheus`) through the HPAs and prints the report. */
async function runReplay(
  flags: SimulateFlags,
  makeClient: (url: string) => PrometheusClient,
): Promise<void> {
  if (
    flags.slo !== undefined ||
    flags.adapterValues !== undefined ||
    flags.scrapeInterval !== undefined ||
    flags.scrapeOffset !== undefined
  ) {
    throw new CliError(
      '--slo, --adapter-values, --scrape-interval and --scrape-offset apply to --profile simulations; a --trace replay reads the HPA metrics from the trace (use --latency-target)',
      ExitCode.Usage,
    );
  }
  const trace = await loadTrace(flags, makeClient);
  checkTraceFlags(flags, trace);
  const configs = replayConfigs(flags);
  const simulationOptions = replaySimulationOptions(flags);
  let report: ReturnType<typeof simulate>;
  try {
    report = simulate(trace, configs, simulationOptions);
  } catch (error) {
    throw new CliError((error as Error).message, ExitCode.Usage);
  }
  if (flags.svg) {
    writeOutput(
      flags.svg,
      renderSvgChart(report, flags.chartMetric ? { metric: flags.chartMetric } : {}),
    );
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const lines = [
    describeTimeBase(report.timeBase),
    `sync every ${report.syncPeriodSeconds}s, pods ready ${flags.startupDelay}s after a scale-up`,
    '',
    formatSummaryTable(report),
  ];
  if (flags.phases) {
    const phases = sweepSyncPhases(trace, configs, simulationOptions);
    lines.push(
      '',
      `over all ${phases[0]?.phases ?? 0} sync phases (where the first sync falls in the sync period):`,
      '',
      formatPhaseTable(phases),
    );
  }
  if (flags.timeline) lines.push('', formatTimeline(report));
  if (flags.svg) lines.push('', `chart written to ${flags.svg}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Refuses a `--step-at` outside the trace and a `--chart-metric` the trace lacks. */
function checkTraceFlags(flags: SimulateFlags, trace: Trace): void {
  const first = trace.points[0]?.time ?? 0;
  const last = trace.points[trace.points.length - 1]?.time ?? 0;
  if (flags.stepAt !== undefined && (flags.stepAt < first || flags.stepAt > last)) {
    throw new CliError(
      `--step-at ${flags.stepAt} is outside the trace (${first} to ${last} s)`,
      ExitCode.Usage,
    );
  }
  if (flags.chartMetric !== undefined && !trace.metrics.includes(flags.chartMetric)) {
    throw new CliError(
      `--chart-metric "${flags.chartMetric}" is not in the trace (metrics: ${trace.metrics.join(', ') || 'none'})`,
      ExitCode.Usage,
    );
  }
}

/** The `--hpa` files' HPAs, each labelled so that no two read the same. */
function replayConfigs(flags: SimulateFlags): SimulationConfig[] {
  const files = flags.hpa?.length ? flags.hpa : missingFileFlag('--hpa', 'guide-hpa.yaml');
  const loaded = files.flatMap((file) => loadHpas(file).map((h) => ({ file, ...h })));
  const labels = uniqueLabels(
    loaded.map((l) => [l.file, l.label, l.keda?.name ?? l.hpa.metadata?.name ?? 'hpa'] as const),
  );
  return loaded.map((h, i) => ({ name: labels[i] as string, hpa: h.hpa }));
}

function replaySimulationOptions(flags: SimulateFlags): SimulationOptions {
  return {
    syncPeriodSeconds: flags.syncPeriod,
    startupDelaySeconds: flags.startupDelay,
    latencyTarget: flags.latencyTarget,
    ...syncOffsetSetting(flags),
    ...(flags.stepAt !== undefined ? { stepAt: flags.stepAt } : {}),
    ...(flags.latencyMetric !== undefined ? { latencyMetric: flags.latencyMetric } : {}),
    ...(flags.initialReplicas !== undefined ? { initialReplicas: flags.initialReplicas } : {}),
    ...(flags.tolerance !== undefined ? { controller: { tolerance: flags.tolerance } } : {}),
  };
}

async function loadTrace(
  flags: SimulateFlags,
  makeClient: (url: string) => PrometheusClient,
): Promise<Trace> {
  if (flags.trace && flags.prometheus)
    throw new CliError('give either --trace or --prometheus, not both', ExitCode.Usage);
  if (flags.trace) {
    try {
      return parseTraceCsv(readText(flags.trace));
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`${flags.trace}: ${(error as Error).message}`, ExitCode.Usage);
    }
  }
  if (!flags.prometheus)
    throw new CliError(
      'give a trace: --trace <csv> or --prometheus <url> with --query',
      ExitCode.Usage,
    );
  if (!flags.query?.length || flags.start === undefined) {
    throw new CliError(
      'with --prometheus, give --start and at least one --query name=promql',
      ExitCode.Usage,
    );
  }
  const client = makeClient(flags.prometheus);
  const results: Record<string, import('../prometheus/client.js').MatrixSeries[]> = {};
  for (const spec of flags.query) {
    const at = spec.indexOf('=');
    if (at <= 0) throw new CliError(`--query "${spec}": expected name=promql`, ExitCode.Usage);
    const name = spec.slice(0, at);
    const answer = await client.queryRange(spec.slice(at + 1), {
      start: flags.start,
      end: flags.end ?? Date.now() / 1000,
      step: flags.step,
    });
    results[name] = answer.resultType === 'matrix' ? answer.result : [];
  }
  const trace = traceFromMatrices(results, { intensive: flags.each ?? [] });
  if (trace.points.length === 0) {
    throw new CliError(
      'the range queries returned no samples: check the time range and the queries',
      ExitCode.Usage,
    );
  }
  return trace;
}
