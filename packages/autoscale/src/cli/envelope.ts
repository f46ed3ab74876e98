/**
 * `mlscale envelope`: the largest step and the fastest ramp from a base rate that an autoscaling
 * configuration holds within an SLO budget, simulated on a capacity profile (src/envelope).
 */
import type { Command } from 'commander';
import { podModel } from '../capacity/model.js';
import { formatSlo, type LatencySlo } from '../capacity/slo.js';
import { renderEnvelopeSvg } from '../envelope/chart.js';
import { type Envelope, type EnvelopeScenario, envelopeOf } from '../envelope/envelope.js';
import { formatTable } from '../simulate/table.js';
import { durationArg, numberFlag, sloArg } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { readProfile, writeOutput } from './profile-args.js';
import { profileConfigs } from './simulate-profile.js';
import { type TimingFlags, timingOptions } from './timing-args.js';
import { budgetArg } from './tune.js';

interface EnvelopeFlags extends TimingFlags {
  profile: string;
  hpa: string[];
  adapterValues?: string;
  slo: LatencySlo;
  budget: number;
  baseRate?: number;
  lead: number;
  hold: number;
  svg?: string;
  json?: boolean;
}

/**
 * Adds `envelope` to the program.
 *
 * @param program - the root command
 */
export function registerEnvelopeCommand(program: Command): void {
  const command = program
    .command('envelope')
    .description(
      'the traffic a configuration survives: the largest step (× a base rate) and the fastest ramp to the peak it holds within the SLO budget, simulated on a capacity profile; a table per config and a chart',
    )
    .requiredOption('--profile <json>', 'capacity profile written by mlscale calibrate')
    .requiredOption(
      '--hpa <file>',
      'HPA manifest or KEDA ScaledObject (repeat to compare)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option(
      '--adapter-values <yaml>',
      "prometheus-adapter values whose rules give the HPA metrics (default: the guide's and the project's rules)",
    )
    .option('--slo <objective>', 'latency objective (default p95=200ms)', sloArg, {
      statistic: 'p95',
      seconds: 0.2,
    } as LatencySlo)
    .option(
      '--budget <share>',
      'seconds over the SLO allowed, as a share of each scenario (default 1%)',
      budgetArg,
      0.01,
    )
    .option(
      '--base-rate <rps>',
      'the rate before the rise (default: half of what minReplicas pods serve within the SLO)',
      numberFlag('--base-rate', { min: 0.001 }),
    )
    .option(
      '--lead <duration>',
      'time at the base rate before and after the rise',
      durationArg('--lead'),
      300,
    )
    .option('--hold <duration>', 'time at the top', durationArg('--hold'), 600);
  timingOptions(command, 'default');
  command
    .option('--svg <file>', 'write the chart')
    .option('--json', 'print every scenario simulated as JSON')
    .action((flags: EnvelopeFlags) => runEnvelope(flags));
}

function scenarioRow(s: EnvelopeScenario, base: number): string[] {
  const name =
    s.kind === 'step' ? `step to ${Number(s.times.toPrecision(3))}×` : `ramp in ${s.riseSeconds} s`;
  const slope = Number.isFinite(s.slopePerMinute)
    ? `${Number(s.slopePerMinute.toPrecision(3))}`
    : 'a step';
  return [
    name,
    `${Number((s.times * base).toPrecision(4))}`,
    slope,
    String(s.sloViolationSeconds),
    String(s.allowedSeconds),
    s.held ? 'yes' : 'no',
    String(Math.round(s.replicaSeconds)),
    String(s.maxReplicas),
  ];
}

function envelopeLines(e: Envelope, slo: LatencySlo): string[] {
  const r = (x: number) => Number(x.toPrecision(4));
  const step =
    e.largestStep === undefined
      ? 'no step held (not even 1.5× the base)'
      : `a step to ${r(e.largestStep)}× the base (${r(e.largestStep * e.baseRps)} req/s)${e.largestStep * e.baseRps >= e.peakRps * 0.999 ? ', the peak: every step the pods can serve' : ''}`;
  const ramp =
    e.fastestRampPerMinute === undefined
      ? 'no ramp to the peak held (not even over 20 minutes)'
      : `a ramp to the peak of ${r(e.fastestRampPerMinute)} req/s per minute (in ${e.fastestRampSeconds} s)`;
  return [
    `${e.name}: holds ${step}, and ${ramp}`,
    `  base ${r(e.baseRps)} req/s (${e.baseWhy}); peak ${r(e.peakRps)} req/s (maxReplicas × ${r(e.sloRps)} req/s, the rate a pod serves within ${formatSlo(slo)})`,
    '',
    formatTable(
      [
        'scenario',
        'top req/s',
        'req/s per min',
        `s over ${formatSlo(slo)}`,
        'allowed',
        'held',
        'replica-seconds',
        'max replicas',
      ],
      e.scenarios.map((s) => scenarioRow(s, e.baseRps)),
    ),
  ];
}

function runEnvelope(flags: EnvelopeFlags): void {
  const pod = podModel(readProfile(flags.profile));
  const configs = profileConfigs({
    ...flags,
    syncPeriod: flags.syncPeriod,
    startupDelay: flags.startupDelay,
  });
  let envelopes: Envelope[];
  try {
    envelopes = configs.map((config) =>
      envelopeOf(config, pod, {
        slo: flags.slo,
        budget: flags.budget,
        ...(flags.baseRate !== undefined ? { baseRps: flags.baseRate } : {}),
        leadSeconds: flags.lead,
        holdSeconds: flags.hold,
        simulation: {
          startupDelaySeconds: flags.startupDelay,
          syncPeriodSeconds: flags.syncPeriod,
          ...(flags.scrapeInterval !== undefined
            ? { scrapeIntervalSeconds: flags.scrapeInterval }
            : {}),
        },
      }),
    );
  } catch (error) {
    throw new CliError(`envelope: ${(error as Error).message}`, ExitCode.Usage);
  }
  if (flags.svg) writeOutput(flags.svg, renderEnvelopeSvg(envelopes));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(envelopes, null, 2)}\n`);
    return;
  }
  const lines = [
    `each scenario: ${flags.lead} s at the base, the rise, ${flags.hold} s at the top, ${flags.lead} s at the base; held: at most ${Number((flags.budget * 100).toPrecision(3))} % of its seconds over ${formatSlo(flags.slo)}`,
    `start-up ${flags.startupDelay} s, sync ${flags.syncPeriod} s, scrape ${flags.scrapeInterval ?? 5} s`,
    '',
    ...envelopes.flatMap((e) => [...envelopeLines(e, flags.slo), '']),
  ];
  if (flags.svg) lines.push(`chart written to ${flags.svg}`);
  process.stdout.write(`${lines.join('\n').trimEnd()}\n`);
}
