/**
 * `helm install` of charts/model-server on the real control plane, as its README's local example
 * writes it (the chart's defaults and examples/local-cluster.yaml), plus only the emulated device of
 * the step load (40 ms per request on one worker: 25 req/s per pod, whatever this machine's CPUs),
 * so that a known load scales it:
 * - the release's prometheus-adapter values (`output=prometheus-adapter-values`) are the rules the
 *   running adapter serves (cluster:up renders them from infra/helm/prometheus-adapter-values.yaml;
 *   equal rules need no restart, a difference fails here);
 * - the HPA reads every metric (no `<unknown>`, ScalingActive True); how long after the first ready
 *   pod the custom metrics API serves them all, and the HPA reads them, is printed, and the same for
 *   each pod the scale-up adds (two scrape intervals is 10 s; a timing is a figure here, not an
 *   assertion, on a shared machine). The first pod of a fresh cluster waits for the adapter's next
 *   relist (metricsRelistInterval, 1 min: it discovers metric names only then); a pod added once
 *   the names are known is served as soon as Prometheus has scraped it;
 * - under 4x one pod's capacity the real HPA scales the Deployment up and the new pods become ready;
 * - `helm uninstall` removes what the release made;
 * - what the chart renders with each documented values example (KEDA's ScaledObject, the PodMonitor,
 *   the GPU Deployment among them) is accepted by the real API server with the CRDs' schemas
 *   (server-side dry-run, nothing stored).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startOpenLoop } from '@mlscale/autoscale';
import { waitFor } from '@mlscale/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureBinaries } from '../src/binaries.js';
import { CLUSTER_DIR, clusterInfo, REPO_ROOT } from '../src/control-plane.js';
import { customMetric } from './hpa-observer.js';
import { getJson, kubectl, services } from './kube.js';
import { EMULATED_POD_ENV, POD_CAPACITY_RPS } from './step-scenario.js';

const run = promisify(execFile);
const chartReadme = join(REPO_ROOT, 'charts/model-server/README.md');
/** Prometheus' scrape interval on this cluster (the ServiceMonitor's). */
const SCRAPE_INTERVAL_SECONDS = 5;

/** The `helm install` line of the chart README's local example, as its arguments. */
function readmeInstall(): string[] {
  const readme = readFileSync(chartReadme, 'utf8');
  const section = readme.slice(readme.indexOf('### On the local control plane'));
  const line = section.split('\n').find((l) => l.startsWith('helm install '));
  if (!line)
    throw new Error(`${chartReadme}: no \`helm install\` line in "On the local control plane"`);
  return line.trim().split(/\s+/).slice(1);
}

const installArgs = readmeInstall();
const namespace = installArgs[installArgs.indexOf('-n') + 1] ?? '';
const release = installArgs[1] ?? '';
// The step load's emulated pod, as values of the chart (no patch of what it renders).
const emulatedDevice = [
  '--set',
  `server.workers=${EMULATED_POD_ENV.WORKERS}`,
  '--set',
  `server.ortIntraOpThreads=${EMULATED_POD_ENV.ORT_INTRA_OP_THREADS}`,
  '--set',
  `server.batchMaxSize=${EMULATED_POD_ENV.BATCH_MAX_SIZE}`,
  '--set-json',
  `extraEnv=[{"name":"EMULATED_DEVICE_MS","value":"${EMULATED_POD_ENV.EMULATED_DEVICE_MS}"}]`,
];

async function helm(args: readonly string[]): Promise<string> {
  const { helm: binary } = await ensureBinaries(() => {});
  try {
    const { stdout } = await run(binary, [...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, KUBECONFIG: clusterInfo().kubeconfig },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`helm ${args.join(' ')}: ${stderr ?? String(error)}`);
  }
}

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
}

async function readyPods(): Promise<{ name: string; readySince: number }[]> {
  const pods = await getJson<{ items: Pod[] }>([
    'pods',
    '-n',
    namespace,
    '-l',
    `app.kubernetes.io/instance=${release}`,
  ]);
  return pods.items.flatMap((pod) => {
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready || pod.metadata.deletionTimestamp) return [];
    return [{ name: pod.metadata.name, readySince: Date.parse(ready.lastTransitionTime ?? '') }];
  });
}

interface Hpa {
  spec: { minReplicas: number; metrics: { pods: { metric: { name: string } } }[] };
  status?: {
    desiredReplicas?: number;
    currentMetrics?: { pods?: { metric: { name: string }; current: { averageValue?: string } } }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** The HPA's metrics it has no value for (what `kubectl get hpa` shows as `<unknown>`). */
function unknownMetrics(hpa: Hpa): string[] {
  const read = new Set(
    (hpa.status?.currentMetrics ?? []).flatMap((m) =>
      m.pods?.current.averageValue !== undefined ? [m.pods.metric.name] : [],
    ),
  );
  return hpa.spec.metrics.map((m) => m.pods.metric.name).filter((name) => !read.has(name));
}

const examplesDir = join(REPO_ROOT, 'charts/model-server/examples');
const examples = readdirSync(examplesDir).filter((file) => file.endsWith('.yaml'));

describe('charts/model-server rendered with each values example, on the real API server (server-side dry-run)', () => {
  const dryRun = 'helm-dry-run';
  afterAll(async () => {
    await kubectl(['delete', 'namespace', dryRun, '--wait=false']).catch(() => {});
  });

  it.each(['(defaults)', ...examples])('%s', async (example) => {
    await kubectl(['create', 'namespace', dryRun]).catch(() => {});
    const values = example === '(defaults)' ? [] : ['-f', join(examplesDir, example)];
    const rendered = await helm([
      'template',
      'model-server',
      'charts/model-server',
      '-n',
      dryRun,
      ...values,
    ]);
    const applied = await kubectl(['apply', '--dry-run=server', '-n', dryRun, '-f', '-'], rendered);
    const kinds = applied.split('\n').filter((line) => line.includes('(server dry run)'));
    expect(kinds.length, applied).toBeGreaterThanOrEqual(4);
  });
});

describe('helm install of charts/model-server (its README, local control plane)', () => {
  afterAll(async () => {
    await helm(['uninstall', release, '-n', namespace, '--ignore-not-found']).catch(() => {});
    await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => {});
  });

  it("the running adapter serves the rules the chart renders for the release's HPA", async () => {
    const rendered = parse(
      await helm([
        'template',
        ...installArgs.slice(1).filter((a) => !['--create-namespace', '--wait'].includes(a)),
        '--set',
        'output=prometheus-adapter-values',
      ]),
    ) as { rules: { custom: unknown[]; external: unknown[] } };
    const running = parse(readFileSync(join(CLUSTER_DIR, 'prometheus-adapter.yaml'), 'utf8')) as {
      rules: unknown[];
      externalRules: unknown[];
    };
    expect(running.rules).toEqual(rendered.rules.custom);
    expect(running.externalRules).toEqual(rendered.rules.external);
  });

  it('installs; the HPA reads every metric, and scales the release under load', async () => {
    // A release left by an interrupted run goes first.
    await helm(['uninstall', release, '-n', namespace, '--ignore-not-found', '--wait']).catch(
      () => {},
    );
    const started = Date.now();
    console.log(`[helm-install] helm ${installArgs.join(' ')} ${emulatedDevice.join(' ')}`);
    console.log(await helm([...installArgs, ...emulatedDevice]));
    console.log(
      `[helm-install] helm install --wait returned after ${(Date.now() - started) / 1000} s with ${(await readyPods()).length} ready pods`,
    );

    const hpa = await getJson<Hpa>(['hpa', release, '-n', namespace]);
    const metrics = hpa.spec.metrics.map((m) => m.pods.metric.name);
    expect(metrics).toEqual(['http_request_duration_seconds_avg', 'request_queue_depth_avg']);

    // The first ready pod, then every metric of the HPA for it in the custom metrics API.
    let first: { name: string; readySince: number } | undefined;
    await waitFor(
      'a ready pod',
      async () => {
        first = (await readyPods()).sort((a, b) => a.readySince - b.readySince)[0];
        return first !== undefined;
      },
      180_000,
      500,
    );
    const pod = first as { name: string; readySince: number };
    await waitFor(
      `every metric of the HPA for ${pod.name} in custom.metrics.k8s.io`,
      async () => {
        for (const metric of metrics) {
          const values = await customMetric(namespace, metric).catch(() => ({ items: [] }));
          if (!values.items.some((v) => v.describedObject.name === pod.name)) return false;
        }
        return true;
      },
      150_000,
      500,
    );
    const served = (Date.now() - pod.readySince) / 1000;
    let status: Hpa = hpa;
    await waitFor(
      'the HPA reading every metric (ScalingActive True, no <unknown>)',
      async () => {
        status = await getJson<Hpa>(['hpa', release, '-n', namespace]);
        const active = status.status?.conditions?.find((c) => c.type === 'ScalingActive');
        return active?.status === 'True' && unknownMetrics(status).length === 0;
      },
      120_000,
      500,
    );
    const read = (Date.now() - pod.readySince) / 1000;
    console.log(
      `[helm-install] first ready pod ${pod.name}: every metric served by the adapter ${served.toFixed(1)} s after it was ready, read by the HPA ${read.toFixed(1)} s after (two scrape intervals: ${2 * SCRAPE_INTERVAL_SECONDS} s; the HPA syncs every 15 s)`,
    );
    expect(unknownMetrics(status)).toEqual([]);

    // 4x one pod's capacity through the Service: the HPA scales up, the new pods become ready.
    await waitFor(
      'minReplicas ready pods',
      async () => (await readyPods()).length >= hpa.spec.minReplicas,
      180_000,
      1000,
    );
    const before = new Set((await readyPods()).map((p) => p.name));
    const url = services()[`${namespace}/${release}`];
    if (!url) throw new Error(`no local port for Service ${namespace}/${release}`);
    const loadStarted = Date.now();
    const load = startOpenLoop({
      targets: url,
      body: JSON.stringify({ features: [0.1, 0.2, 0.3, 0.4, 0.5] }),
      rate: () => 4 * POD_CAPACITY_RPS,
      durationSeconds: 150,
      timeoutMs: 60_000,
      connectionsPerTarget: 256 * 10,
    });
    try {
      await waitFor(
        'the HPA to scale the Deployment above minReplicas and a new pod to be ready',
        async () => {
          status = await getJson<Hpa>(['hpa', release, '-n', namespace]);
          return (
            (status.status?.desiredReplicas ?? 0) > hpa.spec.minReplicas &&
            (await readyPods()).length > hpa.spec.minReplicas
          );
        },
        150_000,
        1000,
      );
      // The pods the scale-up added: once the adapter knows the metrics' names, a new pod's values
      // are served as soon as Prometheus has scraped it.
      const added = (await readyPods()).filter((p) => !before.has(p.name));
      for (const newPod of added) {
        await waitFor(
          `every metric of the HPA for the new pod ${newPod.name}`,
          async () => {
            for (const metric of metrics) {
              const values = await customMetric(namespace, metric).catch(() => ({ items: [] }));
              if (!values.items.some((v) => v.describedObject.name === newPod.name)) return false;
            }
            return true;
          },
          90_000,
          500,
        );
        console.log(
          `[helm-install] new pod ${newPod.name}: every metric served ${((Date.now() - newPod.readySince) / 1000).toFixed(1)} s after it was ready (at most this; readiness times have 1 s resolution)`,
        );
      }
    } finally {
      load.stop();
      await load.done;
    }
    const deployment = await getJson<{ spec: { replicas: number } }>([
      'deployment',
      release,
      '-n',
      namespace,
    ]);
    console.log(
      `[helm-install] scaled to ${deployment.spec.replicas} replicas (HPA desired ${status.status?.desiredReplicas}; ${JSON.stringify(status.status?.currentMetrics?.map((m) => [m.pods?.metric.name, m.pods?.current.averageValue]))}) ${(Date.now() - loadStarted) / 1000} s after the load started`,
    );
    expect(deployment.spec.replicas).toBeGreaterThan(hpa.spec.minReplicas);

    await helm(['uninstall', release, '-n', namespace, '--wait']);
    const left = await kubectl([
      'get',
      'deployment,service,hpa,servicemonitor,prometheusrule,configmap,pdb',
      '-n',
      namespace,
      '-l',
      `app.kubernetes.io/instance=${release}`,
      '-o',
      'name',
    ]);
    expect(left.trim()).toBe('');
  });
});
