import { execFileSync } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import {
  type ChainInput,
  type ChainReport,
  checkChain,
  formatChainReport,
} from '../chain/check.js';
import { field, isRecord } from '../chain/manifests.js';
import { CliError, ExitCode } from './exit-codes.js';

/** Options of `mlscale check`. */
export interface CheckOptions {
  /** Files or folders to read; folders are walked for `*.yaml`/`*.yml` (kustomize overlays' patches skipped). */
  readonly paths: readonly string[];
  /** A running server's `/metrics` URL: its body is checked and its probe paths asked. */
  readonly metricsUrl?: string;
  /** A recorded `/metrics` body, instead of a URL. */
  readonly metricsFile?: string;
  /** Namespace to render adapter queries for (default `default`). */
  readonly namespace?: string;
  /** kube-prometheus-stack release name (default `prometheus`). */
  readonly release?: string;
  /** kube-prometheus-stack namespace (default `monitoring`). */
  readonly prometheusNamespace?: string;
  /** Milliseconds to wait for the server (default 5000). */
  readonly timeoutMs?: number;
  /**
   * A kustomization to build with `kubectl kustomize` (e.g. `infra/overlays/gpu`): its output
   * replaces the Kubernetes objects found under `paths`, which then contribute Helm values only.
   */
  readonly kustomize?: string;
}

/** What {@link runCheck} found: the report, or why it could not run. */
export type CheckOutcome =
  | { readonly ok: true; readonly report: ChainReport; readonly files: readonly string[] }
  | { readonly ok: false; readonly error: string };

async function yamlFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      if (['overlays', 'node_modules', 'test', 'dashboards'].includes(entry.name)) continue;
      out.push(...(await yamlFiles(child)));
    } else if (/\.ya?ml$/.test(entry.name) && basename(entry.name, '.yaml') !== 'kustomization') {
      out.push(child);
    }
  }
  return out;
}

function kustomizeBuild(
  dir: string,
): { ok: true; manifests: unknown[] } | { ok: false; error: string } {
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    return {
      ok: false,
      error: `kubectl kustomize ${dir} failed: ${stderr || (error as Error).message} (is kubectl on PATH?)`,
    };
  }
  const manifests: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    const value: unknown = doc.toJS();
    if (isRecord(value) && typeof value.kind === 'string') manifests.push(value);
  }
  return { ok: true, manifests };
}

async function readText(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

/**
 * Reads the infra files and (optionally) a live or recorded `/metrics`, then runs
 * {@link checkChain}. Files are told apart by content: Kubernetes objects by `kind`,
 * prometheus-adapter values by `rules`, kube-prometheus-stack values by `prometheus.prometheusSpec`.
 * Never throws; unreadable input comes back as `{ ok: false, error }`.
 *
 * @param options - what to read
 * @example
 * const outcome = await runCheck({ paths: ['infra'], metricsUrl: 'http://127.0.0.1:8080/metrics' });
 */
export async function runCheck(options: CheckOptions): Promise<CheckOutcome> {
  const files: string[] = [];
  try {
    for (const path of options.paths) files.push(...(await yamlFiles(path)));
  } catch (error) {
    return {
      ok: false,
      error: `cannot read ${options.paths.join(', ')}: ${(error as Error).message}`,
    };
  }
  if (files.length === 0)
    return { ok: false, error: `no YAML files under ${options.paths.join(', ')}` };
  const manifests: unknown[] = [];
  let adapterValues: unknown;
  let prometheusStackValues: unknown;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      return { ok: false, error: `cannot read ${file}: ${(error as Error).message}` };
    }
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0)
        return { ok: false, error: `${file}: invalid YAML: ${doc.errors[0]?.message}` };
      const value: unknown = doc.toJS();
      if (!isRecord(value)) continue;
      if (typeof value.kind === 'string') {
        if (options.kustomize === undefined) manifests.push(value);
      } else if (isRecord(value.rules)) adapterValues = value;
      else if (field(value, 'prometheus', 'prometheusSpec') !== undefined)
        prometheusStackValues = value;
    }
  }
  if (options.kustomize !== undefined) {
    const built = kustomizeBuild(options.kustomize);
    if (!built.ok) return built;
    manifests.push(...built.manifests);
  }
  let exposition: string | undefined;
  let probeStatus: Record<string, number> | undefined;
  const timeoutMs = options.timeoutMs ?? 5000;
  if (options.metricsFile) {
    try {
      exposition = await readFile(options.metricsFile, 'utf8');
    } catch (error) {
      return {
        ok: false,
        error: `cannot read ${options.metricsFile}: ${(error as Error).message}`,
      };
    }
  } else if (options.metricsUrl) {
    let url: URL;
    try {
      url = new URL(options.metricsUrl);
    } catch {
      return {
        ok: false,
        error: `--metrics-url ${options.metricsUrl} is not a URL (e.g. http://127.0.0.1:8080/metrics)`,
      };
    }
    try {
      const metrics = await readText(url.href, timeoutMs);
      if (metrics.status !== 200)
        return { ok: false, error: `GET ${url.href} answered ${metrics.status}` };
      exposition = metrics.body;
    } catch (error) {
      return {
        ok: false,
        error: `cannot reach ${url.href}: ${(error as Error).message} (is the server running? pnpm --filter @mlscale/model-server start)`,
      };
    }
    probeStatus = {};
    const paths = new Set<string>();
    for (const manifest of manifests) {
      for (const container of (field(
        manifest,
        'spec',
        'template',
        'spec',
        'containers',
      ) as unknown[]) ?? []) {
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          const path = field(container, probe, 'httpGet', 'path');
          if (typeof path === 'string') paths.add(path);
        }
      }
    }
    for (const path of paths) {
      try {
        probeStatus[path] = (await readText(new URL(path, url).href, timeoutMs)).status;
      } catch {
        probeStatus[path] = 0;
      }
    }
  }
  const input: ChainInput = {
    manifests,
    ...(adapterValues !== undefined ? { adapterValues } : {}),
    ...(prometheusStackValues !== undefined ? { prometheusStackValues } : {}),
    ...(exposition !== undefined ? { exposition } : {}),
    ...(probeStatus ? { probeStatus } : {}),
    namespace: options.namespace ?? 'default',
    prometheus: {
      release: options.release ?? 'prometheus',
      namespace: options.prometheusNamespace ?? 'monitoring',
    },
  };
  return { ok: true, report: checkChain(input), files };
}

/**
 * Adds `mlscale check` to a commander program. It prints the report, then throws a
 * {@link CliError}: exit code 1 (`ExitCode.Findings`) when a link is broken, 2 (`ExitCode.Usage`)
 * when the input could not be read; it returns normally (exit 0) when every link holds.
 *
 * @param program - the `mlscale` program (commander 14)
 * @example
 * const program = new Command('mlscale');
 * registerCheckCommand(program);
 * await program.parseAsync();
 */
export function registerCheckCommand(program: Command): Command {
  return program
    .command('check')
    .description(
      'check each link of the autoscaling chain: /metrics -> ServiceMonitor -> Prometheus -> prometheus-adapter or KEDA -> HPA -> Deployment',
    )
    .argument('[paths...]', 'infra files or folders (Kubernetes manifests and Helm values)', [
      'infra',
    ])
    .option(
      '--metrics-url <url>',
      'a running model server /metrics URL; its probe paths are asked too',
    )
    .option('--metrics-file <path>', 'a recorded /metrics body, instead of --metrics-url')
    .option(
      '-k, --kustomize <dir>',
      'check the objects `kubectl kustomize <dir>` builds (e.g. infra/overlays/gpu); paths then give Helm values',
    )
    .option('-n, --namespace <name>', 'namespace to render adapter queries for', 'default')
    .option('--release <name>', 'kube-prometheus-stack release name', 'prometheus')
    .option('--prometheus-namespace <name>', 'kube-prometheus-stack namespace', 'monitoring')
    .option('--json', 'print the report as JSON')
    .option('-v, --verbose', 'show the detail of links that are ok')
    .addHelpText(
      'after',
      '\nExit codes: 0 every link ok (warnings allowed), 1 a link is broken, 2 input could not be read.\n\nExamples:\n  mlscale check infra --metrics-url http://127.0.0.1:8080/metrics\n  mlscale check infra/helm --kustomize infra/overlays/gpu --metrics-file gpu-metrics.txt',
    )
    .action(async function check(paths: string[], flags: Record<string, unknown>) {
      const outcome = await runCheck({
        paths,
        ...(typeof flags.metricsUrl === 'string' ? { metricsUrl: flags.metricsUrl } : {}),
        ...(typeof flags.metricsFile === 'string' ? { metricsFile: flags.metricsFile } : {}),
        ...(typeof flags.kustomize === 'string' ? { kustomize: flags.kustomize } : {}),
        namespace: String(flags.namespace),
        release: String(flags.release),
        prometheusNamespace: String(flags.prometheusNamespace),
      });
      if (!outcome.ok) throw new CliError(`check: ${outcome.error}`, ExitCode.Usage);
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ ...outcome.report, files: outcome.files }, null, 2)}\n`
          : `${formatChainReport(outcome.report, flags.verbose === true)}\n`,
      );
      const broken = outcome.report.links.filter((link) => link.status === 'broken').length;
      if (broken > 0) {
        throw new CliError(
          `check: ${broken} broken link${broken === 1 ? '' : 's'} in the autoscaling chain (see above)`,
          ExitCode.Findings,
        );
      }
    });
}
