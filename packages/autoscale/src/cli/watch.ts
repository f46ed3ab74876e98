/** `mlscale watch`: what the HPA would do, sync after sync, from live Prometheus data. */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { type Command, InvalidArgumentError } from 'commander';
import type { PrometheusClient } from '../prometheus/client.js';
import { formatWatchHeader, formatWatchLine, Watcher, type WatchTick } from '../watch/watcher.js';
import { kubernetesName, numberFlag, urlFlag } from './args.js';
import { CliError, ExitCode } from './exit-codes.js';
import { loadAdapterValues, loadHpas } from './files.js';
import { checkOutputFile } from './output-path.js';

interface WatchFlags {
  prometheus: string;
  hpa: string;
  adapterValues?: string;
  namespace: string;
  syncPeriod: number;
  count?: number;
  replicas: 'pods' | 'follow' | number;
  record?: string;
  json?: boolean;
}

function replicasFlag(value: string): 'pods' | 'follow' | number {
  if (value === 'pods' || value === 'follow') return value;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError(
      `--replicas must be "pods", "follow" or a whole number >= 0, got "${value}"`,
    );
  }
  return n;
}

/**
 * Adds `watch` to the program.
 *
 * @param program - the root command
 * @param makeClient - builds a Prometheus client for a URL
 */
export function registerWatchCommand(
  program: Command,
  makeClient: (url: string) => PrometheusClient,
): void {
  const command = program
    .command('watch')
    .description(
      'every sync period, evaluate the adapter rules (or KEDA queries) for the pods found and print what the HPA would do, like `kubectl get hpa -w`, with the reason',
    );
  watchOptions(command);
  command
    .addHelpText(
      'after',
      `
Example:
  mlscale watch --prometheus http://127.0.0.1:9090 --hpa hpa.yaml --adapter-values adapter-values.yaml --namespace default`,
    )
    .action((flags: WatchFlags) => runWatch(flags, makeClient));
}

/** Where to read, what to watch, how often, and what to print or record. */
function watchOptions(command: Command): void {
  command
    .requiredOption(
      '-p, --prometheus <url>',
      'Prometheus base URL, e.g. http://127.0.0.1:9090',
      urlFlag('--prometheus'),
    )
    .requiredOption('--hpa <file>', 'HPA manifest or KEDA ScaledObject')
    .option(
      '--adapter-values <file>',
      'prometheus-adapter Helm values (needed when the HPA reads Pods, Object or External metrics)',
    )
    .option(
      '-n, --namespace <ns>',
      'namespace of the pods (the namespace label of the series)',
      kubernetesName('--namespace', { label: true }),
      'default',
    )
    .option(
      '--sync-period <seconds>',
      'seconds between evaluations',
      numberFlag('--sync-period', { min: 0.1 }),
      15,
    )
    .option(
      '--count <n>',
      'stop after n evaluations (default: until Ctrl-C)',
      numberFlag('--count', { min: 1, integer: true }),
    )
    .option(
      '--replicas <mode>',
      '"pods": current replicas = pods found (a real cluster); "follow": the HPA\'s own last decision; or a number',
      replicasFlag,
      'pods',
    )
    .option(
      '--record <csv>',
      "append each evaluation's per-pod means to a trace CSV that `mlscale simulate` reads",
    )
    .option('--json', 'print one JSON object per evaluation');
}

/** Evaluates the HPA every sync period until `--count` or Ctrl-C, printing (and recording) each. */
async function runWatch(
  flags: WatchFlags,
  makeClient: (url: string) => PrometheusClient,
): Promise<void> {
  if (flags.record) checkOutputFile(flags.record, '--record');
  const { hpa, watcher, metricNames } = startWatcher(flags, makeClient);
  const record = flags.record ? traceRecorder(flags.record, metricNames) : undefined;
  if (!flags.json) process.stdout.write(`${formatWatchHeader(hpa)}\n`);

  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  for (let i = 0; !stopped && (flags.count === undefined || i < flags.count); i++) {
    const started = Date.now();
    const tick = await watcher.tick();
    if (flags.json) process.stdout.write(`${JSON.stringify(tick)}\n`);
    else process.stdout.write(`${formatWatchLine(hpa, tick)}\n`);
    record?.(tick);
    if (flags.count !== undefined && i + 1 >= flags.count) break;
    await waitUnlessStopped(flags.syncPeriod * 1000 - (Date.now() - started), () => stopped);
  }
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
}

/** The watcher over the `--hpa` file's first HPA, with the adapter rules it needs. */
function startWatcher(
  flags: WatchFlags,
  makeClient: (url: string) => PrometheusClient,
): { hpa: HorizontalPodAutoscaler; watcher: Watcher; metricNames: string[] } {
  const [loaded] = loadHpas(flags.hpa);
  if (!loaded) throw new CliError('no HPA to watch', ExitCode.Usage);
  const needsRules =
    !loaded.keda &&
    (loaded.hpa.spec.metrics ?? []).some(
      (m) => m.type === 'Pods' || m.type === 'Object' || m.type === 'External',
    );
  if (needsRules && flags.adapterValues === undefined) {
    throw new CliError(
      `${flags.hpa} reads Pods/Object/External metrics: give the prometheus-adapter values that serve them (--adapter-values <file>)`,
      ExitCode.Usage,
    );
  }
  const values =
    needsRules && flags.adapterValues ? loadAdapterValues(flags.adapterValues) : undefined;
  const watcher = new Watcher({
    client: makeClient(flags.prometheus),
    hpa: loaded.hpa,
    namespace: flags.namespace,
    replicas: flags.replicas,
    ...(values ? { rules: values.custom, externalRules: values.external } : {}),
    ...(loaded.keda ? { keda: loaded.keda } : {}),
  });
  const metricNames = (loaded.hpa.spec.metrics ?? []).flatMap((m) => {
    const name = m.pods?.metric.name ?? m.object?.metric.name ?? m.external?.metric.name;
    return name ? [name] : [];
  });
  return { hpa: loaded.hpa, watcher, metricNames };
}

/**
 * Appends each evaluation's per-pod means to a trace CSV. The trace's clock starts at its first
 * sync (t=0), as every t that simulate prints does; the wall-clock start is a comment line.
 */
function traceRecorder(path: string, metricNames: string[]): (tick: WatchTick) => void {
  let recordStart: number | undefined;
  return (tick) => {
    if (recordStart === undefined) {
      recordStart = tick.time;
      writeFileSync(
        path,
        `# recorded by mlscale watch from ${new Date(tick.time * 1000).toISOString()}: time is seconds since then\ntime,replicas,${metricNames.join(',')}\n`,
      );
    }
    const means = metricNames.map((name) => {
      const values = Object.values(tick.collected[name]?.values ?? {});
      return values.length ? String(values.reduce((a, b) => a + b, 0) / values.length) : '';
    });
    appendFileSync(
      path,
      // No pod found is no count: an empty cell (a missing value), not a made-up 1.
      `${Math.round(tick.time - recordStart)},${tick.pods.length > 0 ? tick.pods.length : ''},${means.join(',')}\n`,
    );
  };
}

/** Waits `ms` (at least 0), or less once `stopped()` says so. */
function waitUnlessStopped(ms: number, stopped: () => boolean): Promise<void> {
  const wait = Math.max(0, ms);
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, wait);
    const poll = setInterval(() => {
      if (stopped()) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 100);
    timer.unref?.();
    setTimeout(() => clearInterval(poll), wait + 10);
  });
}
