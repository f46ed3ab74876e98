/**
 * `mlscale check --kubeconfig` against the real control plane: a healthy release (infra/overlays/local,
 * the project's HPA) is all `ok`, and each break made on purpose is reported as the one broken
 * link, with its fix:
 *   - an HPA naming a metric no adapter rule serves;
 *   - nothing Prometheus discovers selects the pods. This cluster's Prometheus finds pods through
 *     the targets file the node agent writes from the `prometheus.io/*` annotations (its stand-in
 *     for kubernetes_sd, see tools/cluster/README.md), not through a ServiceMonitor: the honest
 *     equivalent of a ServiceMonitor that selects nothing is the pods' `prometheus.io/scrape`
 *     annotation turned off, which removes their targets the same way;
 *   - the pods' metrics port wrong (`prometheus.io/port`, the ServiceMonitor's port here);
 *   - prometheus-adapter stopped (its process ended, then started again as cluster:up starts it);
 *   - a renamed metric: the adapter restarted with its request_queue_depth_avg rule reading
 *     `request_queue_depth_seconds` where the pods export `request_queue_depth_seconds_total`
 *     (what an app upgrade renaming the counter does to the same rule), then restored.
 * The adapter runs as a local process behind an ExternalName Service, so its configuration is not
 * in the cluster: the check is given the file it runs with (--adapter-config) and Prometheus' URL
 * (--prometheus); without them it says so and skips those links. Each break is undone before the
 * next, waiting until the check is all `ok` again, so the suites after this one find the cluster
 * as it was.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startAdapter, stopAdapter } from '../src/adapter.js';
import { CLUSTER_DIR, clusterInfo, REPO_ROOT } from '../src/control-plane.js';
import { alive, readState } from '../src/processes.js';
import { kubectl } from './kube.js';
import { withEmulatedPods } from './step-scenario.js';

const run = promisify(execFile);
const namespace = 'live-check';
const CLI = join(REPO_ROOT, 'packages/autoscale/dist/cli.js');
const ADAPTER_CONFIG = join(CLUSTER_DIR, 'prometheus-adapter.yaml');
const RENAMED_CONFIG = join(CLUSTER_DIR, 'prometheus-adapter-renamed.yaml');

interface Link {
  link: string;
  subject: string;
  status: string;
  detail: string;
  fix?: string;
}
interface Report {
  shared: Link[];
  scalers: { scaler: string; links: Link[] }[];
  summary: string;
}
interface CheckRun {
  code: number;
  report?: Report;
  text: string;
}

/** Runs the built CLI: `mlscale check --kubeconfig ... -n live-check <args>`. */
async function check(args: readonly string[], config = ADAPTER_CONFIG): Promise<CheckRun> {
  const info = clusterInfo();
  const base = [CLI, 'check', '--kubeconfig', info.kubeconfig, '-n', namespace];
  const flags = ['--prometheus', info.prometheus, '--adapter-config', config];
  try {
    const { stdout } = await run(process.execPath, [...base, ...flags, ...args]);
    return {
      code: 0,
      text: stdout,
      ...(args.includes('--json') ? { report: JSON.parse(stdout) } : {}),
    };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    const report = args.includes('--json') && stdout ? (JSON.parse(stdout) as Report) : undefined;
    return { code, text: `${stdout}${stderr}`, ...(report ? { report } : {}) };
  }
}

function links(report: Report | undefined): Link[] {
  return report ? [...report.shared, ...report.scalers.flatMap((s) => s.links)] : [];
}

/** Waits until the check of `names` reports exactly one broken link, of kind `kind`; returns it. */
async function waitForOneBroken(
  kind: string,
  names: string[] = [],
  config?: string,
  settled: (link: Link) => boolean = () => true,
): Promise<{ link: Link; run: CheckRun }> {
  let last: CheckRun | undefined;
  await waitFor(
    `the check to report one broken ${kind} link`,
    async () => {
      last = await check(['--json', ...names], config);
      const broken = links(last.report).filter((l) => l.status === 'broken');
      const [one] = broken;
      return last.code === 1 && broken.length === 1 && one?.link === kind && settled(one);
    },
    150_000,
    3000,
  ).catch((error: Error) => {
    throw new Error(
      `${error.message}\nlast report:\n${JSON.stringify(last?.report ?? last?.text, null, 2)}`,
    );
  });
  const run = last as CheckRun;
  return { link: links(run.report).find((l) => l.status === 'broken') as Link, run };
}

/** Waits until every link of the check is ok (exit 0). */
async function waitHealthy(what: string): Promise<CheckRun> {
  let last: CheckRun | undefined;
  await waitFor(
    `every link ok ${what}`,
    async () => {
      last = await check(['--json']);
      return last.code === 0 && links(last.report).every((l) => l.status === 'ok');
    },
    240_000,
    3000,
  ).catch((error: Error) => {
    throw new Error(
      `${error.message}\nlast report:\n${JSON.stringify(last?.report ?? last?.text, null, 2)}`,
    );
  });
  return last as CheckRun;
}

async function annotatePods(annotation: string): Promise<void> {
  await kubectl([
    'annotate',
    'pods',
    '-n',
    namespace,
    '-l',
    'app=model-server',
    '--overwrite',
    annotation,
  ]);
}

/** The adapter's config with the request_queue_depth_avg rule reading a renamed series. */
function renamedConfig(): string {
  const config = parse(readFileSync(ADAPTER_CONFIG, 'utf8')) as {
    rules: { seriesQuery: string; name: { matches: string } }[];
  };
  const rule = config.rules.find((r) =>
    r.seriesQuery.startsWith('request_queue_depth_seconds_total'),
  );
  if (!rule) throw new Error('no request_queue_depth_seconds_total rule in the adapter config');
  rule.seriesQuery = rule.seriesQuery.replace(
    'request_queue_depth_seconds_total',
    'request_queue_depth_seconds',
  );
  rule.name.matches = '^request_queue_depth_seconds$';
  return stringify(config);
}

describe('mlscale check --kubeconfig on the real control plane', () => {
  let adapterArgv: string[] | undefined;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', namespace]).catch(() => {});
    await kubectl(
      ['apply', '--server-side', '-f', '-'],
      await withEmulatedPods('infra/overlays/local', namespace),
    );
    // The pods start, the adapter's relist (1 m) lists their metrics, the HPA syncs (15 s).
    const healthy = await waitHealthy('on the healthy release');
    console.log((await check([])).text);
    expect(healthy.report?.scalers.map((s) => s.scaler)).toEqual([
      `HorizontalPodAutoscaler/model-server (namespace ${namespace})`,
    ]);
  });

  afterAll(async () => {
    if (
      adapterArgv &&
      !readState(CLUSTER_DIR).processes.some((p) => p.name === 'prometheus-adapter' && alive(p.pid))
    ) {
      startAdapter(adapterArgv, ADAPTER_CONFIG);
    }
    await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => {});
  });

  it('a healthy release: every link ok, exit 0; without --adapter-config and --prometheus those links are skipped, saying why', async () => {
    const healthy = await check(['--json']);
    expect(healthy.code).toBe(0);
    const kinds = new Set(links(healthy.report).map((l) => l.link));
    for (const kind of [
      'hpa-target',
      'pod-metrics',
      'scrape-targets',
      'adapter-rule',
      'rule-query',
      'apiservice',
      'discovery',
      'metric-value',
      'hpa-status',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    const info = clusterInfo();
    const bare = await run(process.execPath, [
      CLI,
      'check',
      '--kubeconfig',
      info.kubeconfig,
      '-n',
      namespace,
      '--json',
    ]);
    const report = JSON.parse(bare.stdout) as Report;
    expect(links(report).filter((l) => l.status === 'broken')).toEqual([]);
    const config = report.shared.find((l) => l.link === 'adapter-config');
    expect(config?.status).toBe('skipped');
    expect(config?.detail).toContain(
      'ExternalName localhost: the adapter runs outside the cluster',
    );
  });

  it('an HPA naming a metric no rule serves: the adapter rule is the broken link', async () => {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'unserved', namespace },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'model-server' },
        minReplicas: 2,
        maxReplicas: 3,
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: 'request_queue_depth_p99' },
              target: { type: 'AverageValue', averageValue: '10' },
            },
          },
        ],
      },
    };
    await kubectl(['apply', '-f', '-'], JSON.stringify(hpa));
    try {
      const { link, run: found } = await waitForOneBroken('adapter-rule', ['unserved']);
      expect(link.detail).toContain('no rule in --adapter-config');
      expect(link.fix).toContain('add a rule serving request_queue_depth_p99');
      expect(found.report?.scalers.map((s) => s.scaler)).toEqual([
        `HorizontalPodAutoscaler/unserved (namespace ${namespace})`,
      ]);
    } finally {
      await kubectl(['delete', 'hpa', 'unserved', '-n', namespace]);
    }
  });

  it('nothing Prometheus discovers selects the pods (the ServiceMonitor that selects nothing): the scrape targets are the broken link', async () => {
    await annotatePods('prometheus.io/scrape=false');
    try {
      const { link } = await waitForOneBroken('scrape-targets');
      expect(link.detail).toContain('Prometheus has no active scrape target labelled');
      expect(link.fix).toContain('make a ServiceMonitor select');
    } finally {
      await annotatePods('prometheus.io/scrape=true');
    }
    await waitHealthy('after the scrape annotation is restored');
  });

  it('the metrics port wrong: the scrape targets are broken, naming the port the pod serves /metrics on', async () => {
    await annotatePods('prometheus.io/port=9999');
    try {
      // Until Prometheus has scraped the new address once, the target is not down yet but unknown.
      const { link } = await waitForOneBroken('scrape-targets', [], undefined, (l) =>
        /is down/.test(l.detail),
      );
      expect(link.detail).toMatch(
        /is down: .*connection refused.*the pod serves \/metrics on 127\.[\d.]+:8080 \(containerPort http \(8080\)\), the scrape goes to 127\.[\d.]+:9999/s,
      );
      expect(link.fix).toContain('containerPort http (8080)');
    } finally {
      await annotatePods('prometheus.io/port=8080');
    }
    await waitHealthy('after the port is restored');
  });

  it('the adapter stopped: the APIService is the broken link; a renamed metric: the adapter rule is', async () => {
    adapterArgv = await stopAdapter();
    const stopped = await waitForOneBroken('apiservice');
    expect(stopped.link.detail).toContain('is not Available');
    expect(stopped.link.fix).toContain('the adapter behind the APIService is not answering');
    console.log(stopped.run.report && JSON.stringify(stopped.link, null, 2));

    writeFileSync(RENAMED_CONFIG, renamedConfig());
    startAdapter(adapterArgv, RENAMED_CONFIG);
    const renamed = await waitForOneBroken('adapter-rule', [], RENAMED_CONFIG);
    expect(renamed.link.detail).toContain(
      "the pods' /metrics has no request_queue_depth_seconds but has request_queue_depth_seconds_total",
    );
    expect(renamed.link.fix).toContain(
      "name in the rule's seriesQuery and metricsQuery the series the pods export",
    );
    const text = await check([], RENAMED_CONFIG);
    console.log(text.text);

    await stopAdapter();
    startAdapter(adapterArgv, ADAPTER_CONFIG);
    await waitHealthy('after the adapter is restarted with its own configuration');
  });
});
