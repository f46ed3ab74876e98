/** `mlscale check --kubeconfig` / `--live`: the chain of a running cluster's HPAs and ScaledObjects. */
import { type Command, Option } from 'commander';
import { formatLiveReport, liveSummary } from '../live-check/format.js';
import { ClusterError, connectKube } from '../live-check/kube-api.js';
import { LiveCheckError, runLiveCheck } from '../live-check/run.js';
import { urlFlag } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';

/** The flags the live check reads. */
export interface LiveCheckFlags {
  kubeconfig?: string;
  context?: string;
  live?: boolean;
  prometheus?: string;
  adapterConfig?: string;
  namespace?: string;
  metricsUrl?: string;
  metricsFile?: string;
  timeout: number;
  json?: boolean;
  verbose?: boolean;
}

/** Whether the flags ask for the live check. */
export function isLiveCheck(flags: LiveCheckFlags): boolean {
  return flags.live === true || flags.kubeconfig !== undefined || flags.context !== undefined;
}

/** Adds the live check's flags to `mlscale check`. */
export function addLiveCheckOptions(command: Command): Command {
  return command
    .option(
      '--live',
      'check the running cluster of the current kubeconfig context ($KUBECONFIG, else ~/.kube/config); the arguments are then HPA or ScaledObject names',
    )
    .option('--kubeconfig <file>', 'check the running cluster of this kubeconfig (implies --live)')
    .option('--context <name>', 'the kubeconfig context to use (implies --live)')
    .addOption(
      new Option(
        '--prometheus <url>',
        "live: Prometheus' URL (default: the adapter's --prometheus-url, found in the cluster)",
      ).argParser(urlFlag('--prometheus')),
    )
    .option(
      '--adapter-config <file>',
      "live: prometheus-adapter's config file or chart values (default: found in the cluster from the adapter's --config)",
    );
}

/**
 * Runs the live check and prints its report; throws a {@link CliError}: exit 1 when a link is
 * broken, 2 when the cluster cannot be reached or the input is wrong.
 *
 * @param names - HPA or ScaledObject names (all of the namespace when empty)
 * @param flags - the command's flags
 */
export async function runLiveCommand(
  names: readonly string[],
  flags: LiveCheckFlags,
): Promise<void> {
  if (flags.metricsUrl !== undefined || flags.metricsFile !== undefined) {
    throw new CliError(
      'check: --metrics-url and --metrics-file check files; the live check reads the pods itself',
      ExitCode.Usage,
    );
  }
  let report: Awaited<ReturnType<typeof runLiveCheck>>;
  try {
    const api = await connectKube({
      ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
      ...(flags.context !== undefined ? { context: flags.context } : {}),
    });
    report = await runLiveCheck({
      api,
      namespace: flags.namespace ?? api.namespace ?? 'default',
      names,
      ...(flags.prometheus !== undefined ? { prometheusUrl: flags.prometheus } : {}),
      ...(flags.adapterConfig !== undefined ? { adapterConfig: flags.adapterConfig } : {}),
      podTimeoutMs: flags.timeout * 1000,
    });
  } catch (error) {
    if (error instanceof ClusterError || error instanceof LiveCheckError) {
      throw new CliError(`check: ${error.message}`, ExitCode.Usage);
    }
    throw error;
  }
  process.stdout.write(
    flags.json
      ? `${JSON.stringify({ ...report, summary: liveSummary(report) }, null, 2)}\n`
      : `${formatLiveReport(report, flags.verbose === true)}\n`,
  );
  if (!report.ok) {
    throw new CliError(
      'check: a link of the running chain is broken (see above)',
      ExitCode.Findings,
    );
  }
}
