/** `mlscale calibrate <url>`: measure one pod's capacity with an open-loop ramp. */
import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { renderCapacitySvg } from '../calibrate/chart.js';
import { CalibrationError, type CalibrationProgress, calibrate } from '../calibrate/ramp.js';
import { formatProfileTable, formatStepLine } from '../calibrate/report.js';
import { highestRateMeeting } from '../calibrate/slo.js';
import { capacityLowerBound, rampCutShort } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { formatSlo, type LatencySlo } from '../capacity/slo.js';
import { numberFlag, parseHttpUrl, sloArg } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { readText } from './files.js';
import { checkOutputFile } from './output-path.js';

interface CalibrateFlags {
  path: string;
  metricsPath: string;
  body?: string;
  startRps: number;
  stepRps: number;
  stepSeconds: number;
  warmupSeconds: number;
  timeout: number;
  maxRps?: number;
  maxSteps: number;
  refineSteps: number;
  connections: number;
  arrivals: 'uniform' | 'poisson';
  slo?: LatencySlo;
  out: string;
  svg?: string;
  json?: boolean;
}

/** The request calibrate sends when no `--body` is given: the guide's 768 features. */
export function defaultPredictBody(): string {
  return JSON.stringify({ features: Array.from({ length: 768 }, (_, i) => ((i % 17) - 8) / 8) });
}

function baseUrl(value: string): string {
  const parsed = parseHttpUrl(value);
  if (!parsed.ok) {
    throw new CliError(
      parsed.problem === 'not a URL'
        ? `"${value}" is not a URL: give the pod's base URL, e.g. http://127.0.0.1:8080`
        : `"${value}": only http and https URLs can be calibrated`,
      ExitCode.Usage,
    );
  }
  const { url } = parsed;
  if (url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new CliError(
      `"${value}": give the base URL only (the route goes in --path, default /predict)`,
      ExitCode.Usage,
    );
  }
  return url.origin;
}

/** Writes progress to stderr: a line per step, and a live status line on a terminal. */
function progressPrinter(stream: NodeJS.WriteStream): (event: CalibrationProgress) => void {
  const live = stream.isTTY === true;
  return (event) => {
    if (event.kind === 'step-start') {
      if (!live)
        stream.write(
          `step ${event.index + 1}: ${event.offeredRps} req/s for ${event.seconds} s...\n`,
        );
    } else if (event.kind === 'tick') {
      if (live) {
        stream.write(
          `\r\x1b[Kstep ${event.index + 1}: ${Math.floor(event.elapsedSeconds)}/${event.seconds} s, ${event.inFlight} in flight`,
        );
      }
    } else {
      stream.write(
        `${live ? '\r\x1b[K' : ''}step ${event.index + 1}: ${formatStepLine(event.step)}\n`,
      );
    }
  };
}

/**
 * A short account of the profile: capacity, the device, the SLO's rate.
 *
 * @param profile - the measured profile
 * @param slo - the objective asked for, if any
 */
export function summarizeProfile(profile: CapacityProfile, slo?: LatencySlo): string {
  const lines: string[] = [];
  const lowerBound = capacityLowerBound(profile);
  const cutShort = rampCutShort(profile);
  if (lowerBound) {
    lines.push(
      `capacity: at least ${Math.max(profile.maxSustainableRps, profile.peakAchievedRps ?? 0).toFixed(1)} req/s, a lower bound: ${lowerBound} (the profile says so; plan and simulate will too). To measure it, calibrate again until two steps in a row saturate${profile.ramp.endedBy === 'max-rps' ? ' (raise --max-rps)' : profile.ramp.endedBy === 'max-steps' ? ' (raise --max-steps)' : ''}`,
    );
  } else {
    lines.push(
      `capacity: ${profile.maxSustainableRps.toFixed(1)} req/s sustained, ${(profile.peakAchievedRps ?? 0).toFixed(1)} req/s flat out (saturated at ${profile.saturationRps} req/s offered)`,
    );
    if (cutShort) lines.push(`note: ${cutShort}`);
    const knee = profile.steps.find((s) => s.offeredRps === profile.saturationRps);
    if (knee?.saturatedBecause) {
      lines.push(`saturated at ${knee.offeredRps} req/s because ${knee.saturatedBecause}`);
    }
  }
  const device = profile.target.emulatedDevice;
  if (device) {
    lines.push(
      `emulated device: ${device.batchMs} ms per batch + ${device.rowMs} ms per row (a test device, not the model's real speed)`,
    );
  }
  const lag = Math.max(0, ...profile.steps.map((s) => s.sendLagP99Seconds ?? 0));
  if (lag > 0.02) {
    lines.push(
      `warning: the generator sent requests up to ${Math.round(lag * 1000)} ms late (p99): this machine was busy, the figures are pessimistic`,
    );
  }
  if (slo) {
    const best = highestRateMeeting(profile, slo);
    lines.push(
      best
        ? `SLO ${formatSlo(slo)}: met up to ${best.offeredRps} req/s (${slo.statistic} ${Math.round(best.latency[slo.statistic] * 1000)} ms, ${best.achievedRps.toFixed(1)} ok/s)${lowerBound && best === profile.steps.at(-1) ? ', the last step measured: where it stops being met is not known' : ''}`
        : `SLO ${formatSlo(slo)}: not met at any measured rate (lower --start-rps)`,
    );
  }
  return lines.join('\n');
}

/**
 * Adds `calibrate` to the program.
 *
 * @param program - the root command
 */
export function registerCalibrateCommand(program: Command): void {
  const command = program
    .command('calibrate')
    .description(
      "measure one pod's capacity: an open-loop ramp of fixed arrival rates (latency from each request's intended send time) until past saturation; writes a capacity profile (JSON) and an SVG chart",
    )
    .argument(
      '<url>',
      'base URL of one pod, e.g. http://127.0.0.1:8080 (not a load-balanced Service)',
    );
  rampOptions(command);
  command
    .addHelpText(
      'after',
      `
Examples:
  mlscale calibrate http://127.0.0.1:8080 --slo p95=200ms
  mlscale calibrate http://127.0.0.1:8080 --start-rps 50 --step-rps 50 --step-seconds 5 -o pod.json`,
    )
    .action((url: string, flags: CalibrateFlags) => runCalibrate(url, flags));
}

/** The ramp's flags: the request, the steps, their pace and limits, the SLO and the outputs. */
function rampOptions(command: Command): void {
  command
    .option('--path <path>', 'inference route', '/predict')
    .option('--metrics-path <path>', "the pod's Prometheus metrics", '/metrics')
    .option('--body <file>', 'JSON request body to send (default: 768 features for /predict)')
    .option(
      '--start-rps <n>',
      'rate of the first step',
      numberFlag('--start-rps', { above: 0 }),
      10,
    )
    .option('--step-rps <n>', 'added at every step', numberFlag('--step-rps', { above: 0 }), 10)
    .option(
      '--step-seconds <s>',
      'measured seconds per step',
      numberFlag('--step-seconds', { above: 0 }),
      10,
    )
    .option(
      '--warmup-seconds <s>',
      'seconds each step runs before it is measured',
      numberFlag('--warmup-seconds', { min: 0 }),
      3,
    )
    .option(
      '--timeout <s>',
      'seconds before an unanswered request fails',
      numberFlag('--timeout', { above: 0 }),
      10,
    )
    .option('--max-rps <n>', 'no step above this rate', numberFlag('--max-rps', { above: 0 }))
    .option(
      '--max-steps <n>',
      'at most this many steps',
      numberFlag('--max-steps', { min: 1, integer: true }),
      50,
    )
    .option(
      '--refine-steps <n>',
      'steps added after the ramp, each halving the gap between the last unsaturated and the first saturated rate',
      numberFlag('--refine-steps', { min: 0, integer: true }),
      2,
    )
    .option(
      '--connections <n>',
      'keep-alive connections, at most',
      numberFlag('--connections', { min: 1, integer: true }),
      256,
    )
    .addOption(
      new Option('--arrivals <process>', 'arrival spacing')
        .choices(['uniform', 'poisson'])
        .default('uniform'),
    )
    .option(
      '--slo <objective>',
      'latency objective, e.g. p95=200ms: prints the highest rate that meets it',
      sloArg,
    )
    .option(
      '-o, --out <file>',
      'where to write the capacity profile (JSON)',
      'capacity-profile.json',
    )
    .option('--svg <file>', 'where to write the chart (default: --out with .svg)')
    .option('--json', 'print the profile as JSON on stdout instead of the table');
}

/** Measures the pod, writes the profile and the chart, and prints the table and the summary. */
async function runCalibrate(url: string, flags: CalibrateFlags): Promise<void> {
  const base = baseUrl(url);
  const svg = flags.svg ?? flags.out.replace(/(\.json)?$/i, '.svg');
  checkOutputFile(flags.out, '-o, --out');
  checkOutputFile(svg, '--svg');
  const body = flags.body ? readText(flags.body) : defaultPredictBody();
  try {
    JSON.parse(body);
  } catch {
    throw new CliError(`--body ${flags.body}: not JSON`, ExitCode.Usage);
  }
  const profile = await measure(base, body, flags);
  const json = `${JSON.stringify(profile, null, 2)}\n`;
  const written = writeProfile(profile, json, [flags.out, svg], flags.slo);
  const summary = `${summarizeProfile(profile, flags.slo)}\nwrote ${written.join(', ')}\n`;
  if (flags.json) {
    process.stdout.write(json);
    process.stderr.write(summary);
  } else {
    process.stdout.write(`${formatProfileTable(profile)}\n${summary}`);
  }
}

/** Runs the ramp; a first Ctrl-C stops after the current step, a second quits. */
async function measure(
  base: string,
  body: string,
  flags: CalibrateFlags,
): Promise<CapacityProfile> {
  const stop = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nstopping after this step (Ctrl-C again to quit now)\n');
    stop.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  try {
    return await calibrate({
      url: base,
      path: flags.path,
      metricsPath: flags.metricsPath,
      body,
      startRps: flags.startRps,
      stepRps: flags.stepRps,
      stepSeconds: flags.stepSeconds,
      warmupSeconds: flags.warmupSeconds,
      timeoutSeconds: flags.timeout,
      ...(flags.maxRps === undefined ? {} : { maxRps: flags.maxRps }),
      maxSteps: flags.maxSteps,
      refineSteps: flags.refineSteps,
      connections: flags.connections,
      arrivals: flags.arrivals,
      onProgress: progressPrinter(process.stderr),
      signal: stop.signal,
    });
  } catch (error) {
    if (error instanceof CalibrationError) {
      throw new CliError(error.message, ExitCode.TargetUnreachable);
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Writes the profile and the chart; a profile that cannot be written goes to stdout. */
function writeProfile(
  profile: CapacityProfile,
  json: string,
  [out, svg]: [string, string],
  slo: LatencySlo | undefined,
): string[] {
  const written: string[] = [];
  for (const [file, content] of [
    [out, json],
    [svg, renderCapacitySvg(profile, slo ? { slo } : {})],
  ] as const) {
    try {
      writeFileSync(file, content);
      written.push(file);
    } catch (error) {
      // Never lose a measurement: the profile goes to stdout when its file cannot be written.
      process.stdout.write(json);
      throw new CliError(`cannot write ${file}: ${(error as Error).message}`, ExitCode.Usage);
    }
  }
  return written;
}
