/** `mlscale plan`: an HPA (or KEDA ScaledObject) derived from a capacity profile and an SLO. */

import { join } from 'node:path';
import { SERIES } from '@mlscale/metric-contract';
import { type Command, InvalidArgumentError } from 'commander';
import { podModel } from '../capacity/model.js';
import type { LatencySlo } from '../capacity/slo.js';
import type { ForecastMethod } from '../forecast/signal.js';
import { planForecast } from '../plan/forecast.js';
import { planAutoscaling } from '../plan/plan.js';
import { renderPlan } from '../plan/render.js';
import { durationArg, numberFlag, sloArg } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { checkOutputFolder } from './output-path.js';
import { readProfile, writeOutput } from './profile-args.js';

interface PlanFlags {
  profile: string;
  slo: LatencySlo;
  headroom: number;
  baseRate?: number;
  peakRate?: number;
  minReplicas?: number;
  startupSeconds: number;
  syncPeriod: number;
  scrapeInterval: number;
  keda?: boolean;
  name: string;
  namespace: string;
  prometheusUrl?: string;
  outDir?: string;
  json?: boolean;
  gpuShare?: number;
  forecast?: ForecastMethod;
  forecastRange?: number;
  forecastPeriod?: number;
}

function forecastArg(value: string): ForecastMethod {
  if (value === 'linear' || value === 'smoothed' || value === 'seasonal') return value;
  throw new InvalidArgumentError(
    `--forecast must be linear (predict_linear), smoothed (holt_winters) or seasonal (offset), got "${value}"`,
  );
}

/**
 * Adds `plan` to the program.
 *
 * @param program - the root command
 */
export function registerPlanCommand(program: Command): void {
  const command = program
    .command('plan')
    .description(
      "derive autoscaling from a pod's measured capacity: per-pod targets that meet the SLO with headroom, minReplicas for the base rate and enough to absorb a burst to the peak within one pod start-up, maxReplicas for the peak; writes an HPA and its prometheus-adapter rules (or a KEDA ScaledObject), every number commented",
    );
  planOptions(command);
  command
    .addHelpText(
      'after',
      `
Examples:
  mlscale plan --profile pod.profile.json --slo p95=200ms
  mlscale plan --profile pod.profile.json --slo p95=200ms --base-rate 400 --peak-rate 1600 -o plan/
  mlscale plan --profile pod.profile.json --slo p99=500ms --keda --namespace serving`,
    )
    .action((flags: PlanFlags) => runPlan(flags));
}

/** The profile and the SLO, the rates and timings the plan is sized for, and where it goes. */
function planOptions(command: Command): void {
  command
    .requiredOption('--profile <json>', 'capacity profile written by mlscale calibrate')
    .requiredOption(
      '--slo <objective>',
      'latency objective, e.g. p95=200ms (p50, p95, p99 or mean)',
      sloArg,
    )
    .option(
      '--headroom <ratio>',
      'share of the SLO-meeting rate per pod kept free',
      numberFlag('--headroom', { min: 0 }),
      0.2,
    )
    .option(
      '--base-rate <rps>',
      'requests per second at the quietest time (sets minReplicas)',
      numberFlag('--base-rate', { min: 0 }),
    )
    .option(
      '--peak-rate <rps>',
      'requests per second at the busiest time (sets maxReplicas and the scale-up)',
      numberFlag('--peak-rate', { min: 0.001 }),
    )
    .option(
      '--min-replicas <n>',
      'minReplicas as given, instead of sized for the base rate and a burst to the peak',
      numberFlag('--min-replicas', { min: 1, integer: true }),
    )
    .option(
      '--startup-seconds <s>',
      'seconds from the decision until a new pod serves',
      numberFlag('--startup-seconds', { min: 0 }),
      30,
    )
    .option('--sync-period <s>', 'HPA sync period', numberFlag('--sync-period', { min: 1 }), 15)
    .option(
      '--scrape-interval <s>',
      'Prometheus scrape interval of the pods (the depth window is three)',
      numberFlag('--scrape-interval', { min: 1 }),
      5,
    )
    .option(
      '--gpu-share <pods per GPU>',
      `pods share a GPU (time-slicing, MPS): also target each pod's own GPU share (${SERIES.gpuProcessUtilization.name})`,
      numberFlag('--gpu-share', { min: 1, integer: true }),
    )
    .option(
      '--forecast <kind>',
      'also scale ahead on a forecast of the request rate, evaluated by Prometheus: linear (predict_linear), smoothed (holt_winters) or seasonal (offset by --forecast-period)',
      forecastArg,
    )
    .option(
      '--forecast-range <duration>',
      'with --forecast linear or smoothed: the span of request rate the trend is fitted over (default 5m)',
      durationArg('--forecast-range'),
    )
    .option(
      '--forecast-period <duration>',
      'with --forecast seasonal: the period (default 1d)',
      durationArg('--forecast-period'),
    )
    .option('--keda', 'write a KEDA ScaledObject instead of an HPA and adapter rules')
    .option('--name <name>', 'Deployment (and HPA) name', 'model-server')
    .option('--namespace <ns>', 'namespace written into KEDA queries', 'default')
    .option('--prometheus-url <url>', 'with --keda: the Prometheus server address')
    .option('-o, --out-dir <dir>', 'write the files there (default: print them)')
    .option('--json', 'print the plan (every number and its reason) as JSON');
}

/** Checks the flags, derives the plan and prints it (or writes its files). */
function runPlan(flags: PlanFlags): void {
  if (flags.headroom >= 1) throw new CliError('--headroom must be below 1', ExitCode.Usage);
  if (flags.gpuShare !== undefined && flags.keda) {
    throw new CliError(
      `--gpu-share writes an HPA metric and its adapter rule; with --keda add a Prometheus trigger on ${SERIES.gpuProcessUtilization.name} yourself`,
      ExitCode.Usage,
    );
  }
  if (flags.outDir) {
    checkOutputFolder(
      flags.outDir,
      '-o, --out-dir',
      flags.keda ? ['scaledobject.yaml'] : ['hpa.yaml', 'prometheus-adapter-values.yaml'],
    );
  }
  const { plan, files } = derivePlan(flags);
  if (plan.caveat) process.stderr.write(`warning: ${plan.caveat}\n`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    return;
  }
  if (flags.outDir) {
    for (const [name, text] of Object.entries(files))
      writeOutput(join(flags.outDir, name), text, { createFolder: '-o, --out-dir' });
    process.stdout.write(
      `${Object.keys(files)
        .map((name) => `wrote ${join(flags.outDir as string, name)}`)
        .join('\n')}\n`,
    );
    return;
  }
  process.stdout.write(
    Object.entries(files)
      .map(([name, text]) => `# --- ${name}\n${text}`)
      .join('---\n'),
  );
}

/** The plan and its files; a plan that cannot be derived is a usage error. */
function derivePlan(flags: PlanFlags): {
  plan: ReturnType<typeof planAutoscaling>;
  files: Record<string, string>;
} {
  const profile = readProfile(flags.profile);
  try {
    const plan = planAutoscaling(podModel(profile), {
      slo: flags.slo,
      headroom: flags.headroom,
      startupSeconds: flags.startupSeconds,
      syncPeriodSeconds: flags.syncPeriod,
      scrapeIntervalSeconds: flags.scrapeInterval,
      ...(flags.baseRate !== undefined ? { baseRps: flags.baseRate } : {}),
      ...(flags.peakRate !== undefined ? { peakRps: flags.peakRate } : {}),
      ...(flags.minReplicas !== undefined ? { minReplicas: flags.minReplicas } : {}),
      ...(flags.gpuShare !== undefined ? { podsPerGpu: flags.gpuShare } : {}),
    });
    if (flags.forecast) {
      plan.forecast = planForecast(plan, {
        method: flags.forecast,
        startupSeconds: flags.startupSeconds,
        syncPeriodSeconds: flags.syncPeriod,
        scrapeIntervalSeconds: flags.scrapeInterval,
        ...(flags.forecastRange !== undefined ? { rangeSeconds: flags.forecastRange } : {}),
        ...(flags.forecastPeriod !== undefined ? { periodSeconds: flags.forecastPeriod } : {}),
      });
    }
    const { files } = renderPlan(plan, {
      keda: flags.keda === true,
      name: flags.name,
      namespace: flags.namespace,
      ...(flags.prometheusUrl !== undefined ? { prometheusUrl: flags.prometheusUrl } : {}),
    });
    return { plan, files };
  } catch (error) {
    throw new CliError((error as Error).message, ExitCode.Usage);
  }
}
