/** `mlscale check`: every link of the autoscaling chain in the user's own manifests and values. */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { checkChain } from '../chain/check.js';
import { chainSummary, formatChainReport } from '../chain/format.js';
import { field } from '../chain/manifests.js';
import type { ChainInput, ChainReport, WorkloadAssumptions } from '../chain/types.js';
import { envName, kubernetesName, numberFlag, re2Flag, urlFlag, urlPath } from './args.js';
import {
  addLiveCheckOptions,
  isLiveCheck,
  type LiveCheckFlags,
  runLiveCommand,
} from './check-live.js';
import { CliError, ExitCode } from './exit-codes.js';
import { InputError, type ReadInputsOptions, readCheckInputs } from './inputs.js';

/** Options of `mlscale check`. */
export interface CheckOptions {
  /** Files, folders (kustomizations are built with kubectl) and `-` (stdin). */
  readonly paths: readonly string[];
  /** A running pod's metrics URL: its body is checked and its probe paths asked. */
  readonly metricsUrl?: string;
  /** A recorded metrics body, instead of a URL. */
  readonly metricsFile?: string;
  /** Namespace to render adapter queries for (default `default`). */
  readonly namespace?: string;
  /** kube-prometheus-stack release name (default `prometheus`). */
  readonly release?: string;
  /** kube-prometheus-stack namespace (default `monitoring`). */
  readonly prometheusNamespace?: string;
  /** Milliseconds to wait for the workload (default 5000). */
  readonly timeoutMs?: number;
  /** What to assume about the workload (defaults: `DEFAULT_ASSUMPTIONS`). */
  readonly assumptions?: Partial<WorkloadAssumptions>;
  /** How to read stdin and which kubectl to run. */
  readonly read?: ReadInputsOptions;
}

/** What {@link runCheck} found: the report, or why it could not run. */
export type CheckOutcome =
  | { readonly ok: true; readonly report: ChainReport; readonly files: readonly string[] }
  | { readonly ok: false; readonly error: string };

async function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

function probePaths(manifests: readonly unknown[]): Set<string> {
  const paths = new Set<string>();
  for (const manifest of manifests) {
    const containers = field(manifest, 'spec', 'template', 'spec', 'containers');
    for (const container of Array.isArray(containers) ? containers : []) {
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const path = field(container, probe, 'httpGet', 'path');
        if (typeof path === 'string') paths.add(path);
      }
    }
  }
  return paths;
}

type CheckInputs = Awaited<ReturnType<typeof readCheckInputs>>;

/** The workload's metrics body and its probes' answers, as the check was given them. */
type MetricsRead =
  | {
      readonly ok: true;
      readonly exposition?: string;
      readonly probeStatus?: Record<string, number>;
    }
  | { readonly ok: false; readonly error: string };

/** Reads `--metrics-file`. */
async function readMetricsFile(file: string): Promise<MetricsRead> {
  try {
    return { ok: true, exposition: await readFile(file, 'utf8') };
  } catch (error) {
    return { ok: false, error: `cannot read ${file}: ${(error as Error).message}` };
  }
}

/** GETs `--metrics-url`, then each probe path of the manifests on the same origin. */
async function readMetricsUrl(
  metricsUrl: string,
  manifests: readonly unknown[],
  timeoutMs: number,
): Promise<MetricsRead> {
  let url: URL;
  try {
    url = new URL(metricsUrl);
  } catch {
    return {
      ok: false,
      error: `--metrics-url ${metricsUrl} is not a URL (e.g. http://127.0.0.1:8080/metrics)`,
    };
  }
  let exposition: string;
  try {
    const metrics = await get(url.href, timeoutMs);
    if (metrics.status !== 200) {
      return { ok: false, error: `GET ${url.href} answered ${metrics.status}` };
    }
    exposition = metrics.body;
  } catch (error) {
    return {
      ok: false,
      error: `cannot reach ${url.href}: ${(error as Error).message} (is the workload running, and is that its metrics URL?)`,
    };
  }
  const probeStatus: Record<string, number> = {};
  for (const path of probePaths(manifests)) {
    try {
      probeStatus[path] = (await get(new URL(path, url).href, timeoutMs)).status;
    } catch {
      probeStatus[path] = 0;
    }
  }
  return { ok: true, exposition, probeStatus };
}

/** What `checkChain` reads, from the files, the metrics read and the options. */
function chainInput(
  options: CheckOptions,
  inputs: CheckInputs,
  metrics: MetricsRead & { ok: true },
): ChainInput {
  const metricsPath = options.metricsUrl ? new URL(options.metricsUrl).pathname : undefined;
  const prometheus =
    options.release !== undefined || options.prometheusNamespace !== undefined
      ? {
          ...(options.release !== undefined ? { release: options.release } : {}),
          ...(options.prometheusNamespace !== undefined
            ? { namespace: options.prometheusNamespace }
            : {}),
        }
      : undefined;
  return {
    manifests: inputs.manifests,
    ...(inputs.adapterValues !== undefined ? { adapterValues: inputs.adapterValues } : {}),
    ...(inputs.prometheusStackValues !== undefined
      ? { prometheusStackValues: inputs.prometheusStackValues }
      : {}),
    ...(metrics.exposition !== undefined ? { exposition: metrics.exposition } : {}),
    ...(metrics.probeStatus ? { probeStatus: metrics.probeStatus } : {}),
    namespace: options.namespace ?? 'default',
    ...(prometheus ? { prometheus } : {}),
    assumptions: { ...(metricsPath ? { metricsPath } : {}), ...options.assumptions },
  };
}

/**
 * Reads the manifests and values (see `readCheckInputs`) and, optionally, a live or recorded
 * metrics body, then runs `checkChain`. Never throws; unreadable input comes back as
 * `{ ok: false, error }`.
 *
 * @param options - what to read
 * @example
 * const outcome = await runCheck({ paths: ['deploy/'], metricsUrl: 'http://127.0.0.1:8080/metrics' });
 */
export async function runCheck(options: CheckOptions): Promise<CheckOutcome> {
  if (options.metricsUrl && options.metricsFile) {
    return { ok: false, error: 'give --metrics-url or --metrics-file, not both' };
  }
  let inputs: CheckInputs;
  try {
    inputs = await readCheckInputs(options.paths, options.read);
  } catch (error) {
    if (error instanceof InputError) return { ok: false, error: error.message };
    throw error;
  }
  const timeoutMs = options.timeoutMs ?? 5000;
  const metrics: MetricsRead = options.metricsFile
    ? await readMetricsFile(options.metricsFile)
    : options.metricsUrl
      ? await readMetricsUrl(options.metricsUrl, inputs.manifests, timeoutMs)
      : { ok: true };
  if (!metrics.ok) return metrics;
  const input = chainInput(options, inputs, metrics);
  const report = checkChain(input);
  if (report.links.length === 0) {
    const kinds = [...new Set(inputs.manifests.map((m) => String(field(m, 'kind'))))];
    return {
      ok: false,
      error: `nothing to check in ${inputs.sources.join(', ')}: ${kinds.length > 0 ? `it holds ${kinds.join(', ')}, but` : 'it holds'} no Deployment, Service, ServiceMonitor, HorizontalPodAutoscaler or ScaledObject, and no usable prometheus-adapter values`,
    };
  }
  return { ok: true, report, files: inputs.sources };
}

/** Reads stdin to the end. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface CheckFlags extends LiveCheckFlags {
  release?: string;
  prometheusNamespace?: string;
  metricsPath?: string;
  shutdownDelayEnv?: string;
  shutdownDrainEnv?: string;
  optionalSeries?: string;
  workload?: string;
}

const CHECK_HELP = `
Links it cannot verify with the input given are "skip" with the reason, never broken.
References resolve as Kubernetes resolves them: in the object's own namespace (its metadata.namespace,
the kustomization's namespace, else --namespace), a ServiceMonitor's in its namespaceSelector's.
With --live, --kubeconfig or --context it checks a running cluster instead: every HPA and ScaledObject
of the namespace (or those named), link by link, from the pods' /metrics to the HPA's status.
Exit codes: 0 no link broken (warnings and skips allowed), 1 a link is broken, 2 input could not be read,
holds nothing to check, or the cluster could not be reached.

Examples:
  mlscale check deploy/ --metrics-url http://127.0.0.1:8080/metrics
  mlscale check deploy/overlays/prod helm/prometheus-adapter-values.yaml
  kustomize build deploy/overlays/prod | mlscale check - helm/ --metrics-file metrics.txt
  mlscale check --kubeconfig ~/.kube/prod -n serving model-server
  mlscale check --live -n serving --prometheus http://127.0.0.1:9090`;

/** The flags of the check of files. */
function addFileOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--metrics-url <url>',
        "a running pod's metrics URL; its probe paths are asked too",
      )
        .argParser(urlFlag('--metrics-url'))
        .conflicts('metricsFile'),
    )
    .option(
      '--metrics-file <path>',
      'a recorded metrics body (Prometheus text format), instead of --metrics-url',
    )
    .option(
      '-n, --namespace <name>',
      "the namespace of objects that name none (as kubectl apply -n puts them; default: default); queries are rendered for the workload's. Live: the namespace checked (default: the context's, else default)",
      kubernetesName('--namespace', { label: true }),
    )
    .option(
      '--release <name>',
      'kube-prometheus-stack release name (default prometheus; Prometheus addresses are checked against it when it or the stack values are given)',
      kubernetesName('--release', { label: true }),
    )
    .option(
      '--prometheus-namespace <name>',
      'kube-prometheus-stack namespace (default monitoring)',
      kubernetesName('--prometheus-namespace', { label: true }),
    )
    .option(
      '--metrics-path <path>',
      'the path the workload serves metrics on (default: that of --metrics-url, else /metrics)',
      urlPath('--metrics-path'),
    );
}

/** The flags of what the check assumes about the workload. */
function addAssumptionOptions(command: Command): Command {
  return command
    .option(
      '--shutdown-delay-env <name>',
      'env variable with the seconds the app keeps serving after SIGTERM ("" for none; default SHUTDOWN_DELAY_SECONDS)',
      envName('--shutdown-delay-env'),
    )
    .option(
      '--shutdown-drain-env <name>',
      'env variable with the seconds the app drains requests ("" for none; default SHUTDOWN_DRAIN_SECONDS)',
      envName('--shutdown-drain-env'),
    )
    .option(
      '--optional-series <re2>',
      'series only some pods expose (a missing one warns; default ^gpu_)',
      re2Flag('--optional-series'),
    )
    .option(
      '--workload <deployment>',
      'the Deployment serving the metrics (default: the one the HPA scales)',
      kubernetesName('--workload'),
    )
    .option(
      '--timeout <seconds>',
      "seconds to wait for the workload (live: for each pod's /metrics)",
      numberFlag('--timeout', { min: 0.1 }),
      5,
    )
    .option('--json', 'print the report as JSON')
    .option('-v, --verbose', 'show the detail of links that are ok');
}

/** The check of files: reads them, prints the report, exit 1 on a broken link. */
async function runFileCheck(paths: string[], flags: CheckFlags): Promise<void> {
  if (paths.length === 0) {
    throw new CliError(
      'check: give manifests, folders or - (stdin) to check, or --live / --kubeconfig <file> to check a running cluster',
      ExitCode.Usage,
    );
  }
  const assumptions: Partial<WorkloadAssumptions> = {
    ...(flags.metricsPath !== undefined ? { metricsPath: flags.metricsPath } : {}),
    ...(flags.shutdownDelayEnv !== undefined ? { shutdownDelayEnv: flags.shutdownDelayEnv } : {}),
    ...(flags.shutdownDrainEnv !== undefined ? { shutdownDrainEnv: flags.shutdownDrainEnv } : {}),
    ...(flags.optionalSeries !== undefined ? { optionalSeries: flags.optionalSeries } : {}),
    ...(flags.workload !== undefined ? { workload: flags.workload } : {}),
  };
  const outcome = await runCheck({
    paths,
    ...(flags.metricsUrl !== undefined ? { metricsUrl: flags.metricsUrl } : {}),
    ...(flags.metricsFile !== undefined ? { metricsFile: flags.metricsFile } : {}),
    namespace: flags.namespace ?? 'default',
    ...(flags.release !== undefined ? { release: flags.release } : {}),
    ...(flags.prometheusNamespace !== undefined
      ? { prometheusNamespace: flags.prometheusNamespace }
      : {}),
    timeoutMs: flags.timeout * 1000,
    assumptions,
    read: { readStdin },
  });
  if (!outcome.ok) throw new CliError(`check: ${outcome.error}`, ExitCode.Usage);
  process.stdout.write(
    flags.json
      ? `${JSON.stringify({ ...outcome.report, summary: chainSummary(outcome.report), files: outcome.files }, null, 2)}\n`
      : `${formatChainReport(outcome.report, flags.verbose === true)}\n`,
  );
  const broken = outcome.report.links.filter((link) => link.status === 'broken').length;
  if (broken > 0) {
    throw new CliError(
      `check: ${broken} broken link${broken === 1 ? '' : 's'} in the autoscaling chain (see above)`,
      ExitCode.Findings,
    );
  }
}

/**
 * Adds `mlscale check` to a commander program. It prints the report, then throws a
 * {@link CliError}: exit code 1 (`ExitCode.Findings`) when a link is broken, 2 (`ExitCode.Usage`)
 * when the input could not be read or the cluster reached; it returns normally (exit 0) when no
 * link is broken.
 *
 * @param program - the `mlscale` program (commander 14)
 * @example
 * const program = new Command('mlscale');
 * registerCheckCommand(program);
 * await program.parseAsync();
 */
export function registerCheckCommand(program: Command): Command {
  const command = program
    .command('check')
    .description(
      'check each link of the autoscaling chain: /metrics -> ServiceMonitor -> Prometheus -> prometheus-adapter or KEDA -> HPA -> Deployment, in files or (--live) on a running cluster',
    )
    .argument(
      '[paths...]',
      'manifest files, folders, kustomizations (built with kubectl), Helm values files, or - for stdin; with --live: HPA or ScaledObject names (default: all of the namespace)',
    );
  addAssumptionOptions(addLiveCheckOptions(addFileOptions(command)));
  return command.addHelpText('after', CHECK_HELP).action(async function check(
    paths: string[],
    flags: CheckFlags,
  ) {
    if (isLiveCheck(flags)) await runLiveCommand(paths, flags);
    else await runFileCheck(paths, flags);
  });
}
