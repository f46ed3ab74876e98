/** `mlscale simulate --profile P --load L.csv`: the reactive simulator on the command line. */
import type { Command } from 'commander';
import { type PodModel, podModel } from '../capacity/model.js';
import type { LatencySlo } from '../capacity/slo.js';
import { closestName } from '../chain/similar.js';
import {
  type ReactiveConfig,
  type ReactiveOptions,
  type ReactiveReport,
  simulateReactive,
} from '../simulate/reactive.js';
import { formatReactivePhaseTable, sweepReactivePhases } from '../simulate/reactive-phases.js';
import {
  formatReactiveTable,
  formatReactiveTimeline,
  renderReactiveChart,
} from '../simulate/reactive-report.js';
import {
  defaultAdapterRules,
  type Signal,
  signalFromQuery,
  signalsFromRules,
} from '../simulate/signals.js';
import { describeTimeBase } from '../simulate/time-base.js';
import { clairvoyantBound, formatBoundLines } from '../traffic/clairvoyant.js';
import { sloArg } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { loadAdapterValues, loadHpas, missingFileFlag } from './files.js';
import { type LoadFlags, loadOptions, readLoadFlags, readLoadSource } from './load-args.js';
import { readProfile, writeOutput } from './profile-args.js';
import { scrapeOffsetSetting, syncOffsetSetting } from './timing-args.js';

/** The flags of a profile simulation (with the ones shared with the replay). */
export interface ProfileFlags extends LoadFlags {
  profile?: string;
  slo?: LatencySlo;
  scrapeInterval?: number;
  adapterValues?: string;
  hpa?: string[];
  syncPeriod: number;
  syncOffset?: number;
  scrapeOffset?: number;
  startupDelay: number;
  stepAt?: number;
  tolerance?: number;
  initialReplicas?: number;
  svg?: string;
  json?: boolean;
  timeline?: boolean;
  phases?: boolean;
}

/**
 * Adds the `--profile` mode's options to `simulate`.
 *
 * @param command - the simulate command
 */
export function profileOptions(command: Command): void {
  command
    .option(
      '--profile <json>',
      'capacity profile (mlscale calibrate): simulate pods that serve as it says',
    )
    .option(
      '--load <file|url>',
      'with --profile: the load, a rate trace (time,rps), a request-level trace (one row per request: Azure, BurstGPT, a log with a timestamp column), or a Prometheus URL (with --load-query, --load-start)',
    )
    .option('--slo <objective>', 'with --profile: latency objective (default p95=200ms)', sloArg)
    .option(
      '--adapter-values <yaml>',
      "with --profile: prometheus-adapter values whose rules give the HPA metrics (default: the guide's and the project's rules, see README)",
    );
  loadOptions(command);
}

function signalsFor(
  file: string,
  keda: ReturnType<typeof loadHpas>[number]['keda'],
  rules: ReturnType<typeof signalsFromRules>,
  hpaMetrics: string[],
  /** The --adapter-values file the rules came from; undefined for the default rules. */
  valuesFile: string | undefined,
): Map<string, Signal> {
  const signals = new Map<string, Signal>();
  if (keda) {
    for (const trigger of keda.prometheusTriggers) {
      const signal = signalFromQuery(trigger.query);
      if (!signal.ok) {
        throw new CliError(
          `${file}: trigger ${trigger.name ?? trigger.index} cannot be simulated: ${signal.error}`,
          ExitCode.Usage,
        );
      }
      signals.set(trigger.metricName, signal.value);
    }
    return signals;
  }
  for (const name of hpaMetrics) {
    const found = rules.get(name);
    if (!found) {
      const served = [...rules.keys()];
      const close = closestName(name, served);
      throw new CliError(
        valuesFile === undefined
          ? `${file}: the HPA scales on "${name}", which no default rule serves (they serve ${served.join(', ')}): pass --adapter-values with the rule that serves it`
          : `${file}: the HPA scales on "${name}", but no rules.custom or rules.external rule in ${valuesFile} serves it (they serve ${served.join(', ') || 'nothing'})${close ? `: did you mean ${close}?` : ''}; add a rule whose name.as yields "${name}", or rename the HPA's metric`,
        ExitCode.Usage,
      );
    }
    if (!found.ok)
      throw new CliError(`${file}: ${name} cannot be simulated: ${found.error}`, ExitCode.Usage);
    signals.set(name, found.value);
  }
  return signals;
}

/**
 * Labels for HPAs loaded from several files: `name (file.yaml)`, and where two would read the same
 * (two `hpa.yaml` in different folders), `name (folder/file.yaml)` with as many folders as it
 * takes to tell them apart.
 *
 * @param loaded - `[file, label, HPA name]` per config
 * @returns one label per config, all different
 * @example
 * uniqueLabels([['x/a/hpa.yaml', 'm (hpa.yaml)', 'm'], ['x/b/hpa.yaml', 'm (hpa.yaml)', 'm']]);
 * // ['m (a/hpa.yaml)', 'm (b/hpa.yaml)']
 */
export function uniqueLabels(
  loaded: readonly (readonly [file: string, label: string, name: string])[],
): string[] {
  const labels = loaded.map(([, label]) => label);
  const parts = loaded.map(([file]) => file.split(/[\\/]/).filter((p) => p !== ''));
  for (let depth = 2; ; depth++) {
    const counts = new Map<string, number>();
    for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
    const clashing = labels.map((label) => (counts.get(label) ?? 0) > 1);
    if (!clashing.includes(true) || depth > 64) return labels;
    loaded.forEach(([file, label, name], i) => {
      if (!clashing[i]) return;
      const path = (parts[i] ?? []).slice(-depth).join('/') || file;
      labels[i] = `${name} (${path}${label.endsWith(', KEDA)') ? ', KEDA' : ''})`;
    });
  }
}

/**
 * Runs a profile simulation from the flags and prints (or writes) its report.
 *
 * @param flags - the parsed flags
 */
export async function runProfileSimulation(flags: ProfileFlags): Promise<void> {
  if (!flags.profile || !flags.load) {
    throw new CliError(
      'a profile simulation needs both --profile <json> and --load <csv>',
      ExitCode.Usage,
    );
  }
  const pod = podModel(readProfile(flags.profile));
  const withLoad = { ...flags, load: flags.load };
  const read = readLoadFlags(withLoad, {}, await readLoadSource(withLoad));
  const { load } = read;
  const first = load.points[0]?.time ?? 0;
  const last = load.points[load.points.length - 1]?.time ?? 0;
  if (flags.stepAt !== undefined && (flags.stepAt < first || flags.stepAt > last)) {
    throw new CliError(
      `--step-at ${flags.stepAt} is outside the load trace (${first} to ${last} s)`,
      ExitCode.Usage,
    );
  }
  const configs = profileConfigs(flags);
  const options: ReactiveOptions = {
    syncPeriodSeconds: flags.syncPeriod,
    startupDelaySeconds: flags.startupDelay,
    ...syncOffsetSetting(flags),
    ...scrapeOffsetSetting(flags),
    ...(flags.slo ? { slo: flags.slo } : {}),
    ...(flags.scrapeInterval !== undefined ? { scrapeIntervalSeconds: flags.scrapeInterval } : {}),
    ...(flags.stepAt !== undefined ? { stepAt: flags.stepAt } : {}),
    ...(flags.initialReplicas !== undefined ? { initialReplicas: flags.initialReplicas } : {}),
    ...(flags.tolerance !== undefined ? { controller: { tolerance: flags.tolerance } } : {}),
  };
  let report: ReturnType<typeof simulateReactive>;
  try {
    report = simulateReactive(pod, load, configs, options);
  } catch (error) {
    throw new CliError((error as Error).message, ExitCode.Usage);
  }
  const bound = clairvoyantBound(pod, load, report.slo);
  if (flags.svg) writeOutput(flags.svg, renderReactiveChart(report));
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ ...report, load: read.description, clairvoyant: bound }, null, 2)}\n`,
    );
    return;
  }
  const lines = profileReportLines(pod, report, read.description, bound);
  if (flags.phases) {
    const phases = sweepReactivePhases(pod, load, configs, options);
    lines.push(
      '',
      `over all ${phases[0]?.phases ?? 0} sync phases (the first sync 0, 1, … s after the trace starts):`,
      '',
      formatReactivePhaseTable(phases),
    );
  }
  if (flags.timeline) lines.push('', formatReactiveTimeline(report));
  if (flags.svg) lines.push('', `chart written to ${flags.svg}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The `--hpa` files' HPAs with the signals their metrics read (from the adapter rules or KEDA). */
export function profileConfigs(flags: ProfileFlags): ReactiveConfig[] {
  const values = flags.adapterValues ? loadAdapterValues(flags.adapterValues) : undefined;
  const rules = values
    ? signalsFromRules(values.custom, values.external)
    : signalsFromRules(defaultAdapterRules());
  const files = flags.hpa?.length ? flags.hpa : missingFileFlag('--hpa', 'guide-hpa.yaml');
  const loaded = files.flatMap((file) => loadHpas(file).map((hpa) => ({ file, ...hpa })));
  const labels = uniqueLabels(
    loaded.map((l) => [l.file, l.label, l.keda?.name ?? l.hpa.metadata?.name ?? 'hpa'] as const),
  );
  return loaded.map(({ file, ...loaded }, index) => ({
    name: labels[index] as string,
    hpa: loaded.hpa,
    signals: signalsFor(
      file,
      loaded.keda,
      rules,
      (loaded.hpa.spec.metrics ?? []).flatMap((m) => {
        const name = (m.pods ?? m.object ?? m.external)?.metric.name;
        return name ? [name] : [];
      }),
      flags.adapterValues,
    ),
  }));
}

/** The report's heading (the pod, the clock, the load), its table and the clairvoyant bound. */
function profileReportLines(
  pod: PodModel,
  report: ReactiveReport,
  loadDescription: string,
  bound: ReturnType<typeof clairvoyantBound>,
): string[] {
  return [
    `pod: ${Math.round(pod.capacityRps)} req/s at most (${pod.capacitySource}); ${pod.queueLimit === null ? 'no shedding' : `sheds above ${Math.round(pod.queueLimit)} requests`}`,
    ...(pod.lowerBound
      ? [
          `warning: the pods are modelled at a capacity the profile only bounds from below (${pod.lowerBound}): real pods may serve more, and the SLO figures below are not measured at their limit`,
        ]
      : pod.cutShort
        ? [`note: ${pod.cutShort}`]
        : []),
    describeTimeBase(report.timeBase),
    `sync every ${report.syncPeriodSeconds}s, scrape every ${report.scrapeIntervalSeconds}s${report.scrapeOffsetSeconds > 0 ? ` (from ${report.scrapeOffsetSeconds}s)` : ''}, pods serve ${report.startupDelaySeconds}s after a scale-up`,
    `load: ${loadDescription}`,
    '',
    formatReactiveTable(report),
    '',
    ...formatBoundLines(
      report.results.map((r) => r.summary),
      bound,
    ),
  ];
}
