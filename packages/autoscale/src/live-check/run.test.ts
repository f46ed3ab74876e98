import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChainLink } from '../chain/types.js';
import { rootCauses } from './check-hpa.js';
import { formatLiveReport } from './format.js';
import {
  ADAPTER_CONFIG,
  type Cluster,
  healthyCluster,
  PROMETHEUS,
  recordedApi,
  recordedFetch,
} from './live-check.fixture.js';
import { LiveCheckError, runLiveCheck } from './run.js';

let adapterConfig: string;
beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'live-check-'));
  adapterConfig = join(dir, 'adapter.yaml');
  await writeFile(adapterConfig, ADAPTER_CONFIG);
});

function check(cluster: Cluster, options: { flags?: boolean; names?: string[] } = {}) {
  const flags = options.flags ?? true;
  return runLiveCheck({
    api: recordedApi(cluster),
    namespace: 'serving',
    ...(options.names ? { names: options.names } : {}),
    ...(flags ? { prometheusUrl: PROMETHEUS, adapterConfig } : {}),
    fetch: recordedFetch(cluster),
  });
}

function all(report: Awaited<ReturnType<typeof check>>): ChainLink[] {
  return [...report.shared, ...report.scalers.flatMap((s) => s.links)];
}

function onlyBroken(report: Awaited<ReturnType<typeof check>>): ChainLink {
  const broken = all(report).filter((l) => l.status === 'broken');
  expect(broken.map((l) => l.link)).toHaveLength(1);
  return broken[0] as ChainLink;
}

describe('runLiveCheck on recorded answers', () => {
  it('a healthy release: every link ok, in chain order', async () => {
    const report = await check(healthyCluster());
    expect(report.ok).toBe(true);
    expect(all(report).map((l) => `${l.status} ${l.link}`)).toEqual([
      'ok adapter-config',
      'ok prometheus',
      'ok hpa-target',
      'ok pod-metrics',
      'ok scrape-targets',
      'ok adapter-rule',
      'ok rule-query',
      'ok apiservice',
      'ok discovery',
      'ok metric-value',
      'ok hpa-status',
    ]);
    expect(formatLiveReport(report).split('\n').at(-1)).toBe('1 scaler: every link ok');
  });

  it('the APIService not Available: the one broken link; discovery, value and the HPA follow from it', async () => {
    const cluster = healthyCluster();
    cluster.apiServiceAvailable = {
      type: 'Available',
      status: 'False',
      reason: 'FailedDiscoveryCheck',
      message:
        'failing or missing response from https://localhost:443/apis/custom.metrics.k8s.io/v1beta2: connection refused',
    };
    cluster.values = {};
    const link = onlyBroken(await check(cluster));
    expect(link.link).toBe('apiservice');
    expect(link.detail).toContain(
      'v1beta2.custom.metrics.k8s.io is not Available (FailedDiscoveryCheck: failing or missing response',
    );
    expect(link.detail).toContain('served by Service monitoring/prometheus-adapter:443');
    const followers = all(await check(cluster)).filter((l) => l.detail.startsWith('follows from'));
    expect(followers.map((l) => l.link)).toEqual(['discovery', 'metric-value']);
  });

  it('a pod with no scrape target (nothing selects it): the scrape targets are broken', async () => {
    const cluster = healthyCluster();
    delete cluster.targets['model-server-b'];
    const link = onlyBroken(await check(cluster));
    expect(link.link).toBe('scrape-targets');
    expect(link.detail).toBe(
      'model-server-b: Prometheus has no active scrape target labelled namespace="serving", pod="model-server-b": nothing Prometheus discovers selects this pod',
    );
  });

  it('the scrape on the wrong port: broken, naming the port the pod serves /metrics on', async () => {
    const cluster = healthyCluster();
    cluster.targets['model-server-a'] = {
      port: 9999,
      health: 'down',
      lastError: 'connect: connection refused',
    };
    const link = onlyBroken(await check(cluster));
    expect(link.detail).toBe(
      'model-server-a: target http://10.0.0.11:9999/metrics is down: connect: connection refused; the pod serves /metrics on 10.0.0.11:8080 (containerPort http (8080)), the scrape goes to 10.0.0.11:9999',
    );
    expect(link.fix).toContain('(containerPort http (8080))');
  });

  it('a renamed series: the adapter rule is broken, naming the close name the pods export', async () => {
    const cluster = healthyCluster();
    cluster.prometheusSeries = ['request_queue_depth_total'];
    cluster.exposed = ['request_queue_depth_total'];
    const link = onlyBroken(await check(cluster));
    expect(link.link).toBe('adapter-rule');
    expect(link.detail).toContain(
      "the pods' /metrics has no request_queue_depth but has request_queue_depth_total (renamed?)",
    );
  });

  it('an HPA metric no rule serves: the adapter rule is broken', async () => {
    const cluster = healthyCluster();
    const spec = cluster.hpa.spec as { metrics: { pods: { metric: { name: string } } }[] };
    (spec.metrics[0] as { pods: { metric: { name: string } } }).pods.metric.name =
      'request_queue_depth_p99';
    const link = onlyBroken(await check(cluster));
    expect(link.link).toBe('adapter-rule');
    expect(link.detail).toContain('no rule in --adapter-config');
  });

  it('pod IPs that do not answer from here, and no flags: those links are skipped with why, none broken', async () => {
    const cluster = healthyCluster();
    cluster.podsReachable = false;
    const report = await check(cluster, { flags: false });
    expect(report.ok).toBe(true);
    const skippedLinks = all(report).filter((l) => l.status === 'skipped');
    expect(skippedLinks.map((l) => l.link)).toEqual([
      'adapter-config',
      'prometheus',
      'pod-metrics',
      'scrape-targets',
      'adapter-rule',
      'rule-query',
    ]);
    expect(skippedLinks[0]?.detail).toContain(
      'Service monitoring/prometheus-adapter is ExternalName localhost: the adapter runs outside the cluster',
    );
    expect(skippedLinks[2]?.detail).toContain('pod IPs do not answer from where the check runs');
  });

  it('pods refusing the check while Prometheus scrapes them: out of reach, skipped, not broken', async () => {
    const cluster = healthyCluster();
    const prometheusOnly = recordedFetch(cluster);
    const report = await runLiveCheck({
      api: recordedApi(cluster),
      namespace: 'serving',
      prometheusUrl: PROMETHEUS,
      adapterConfig,
      fetch: async (input, init) => {
        if (String(input).startsWith(PROMETHEUS)) return prometheusOnly(input, init);
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
        });
      },
    });
    expect(report.ok).toBe(true);
    const podMetrics = all(report).find((l) => l.link === 'pod-metrics');
    expect(podMetrics?.status).toBe('skipped');
    expect(podMetrics?.detail).toMatch(
      /^Prometheus scrapes these pods \(their targets are up\), but they do not answer from where the check runs:\nmodel-server-a serves no \/metrics: 10\.0\.0\.11:8080\/metrics: ECONNREFUSED/,
    );
  });

  it('a named scaler that does not exist is a usage error naming what there is', async () => {
    await expect(check(healthyCluster(), { names: ['nope'] })).rejects.toThrow(
      new LiveCheckError(
        'no HorizontalPodAutoscaler or ScaledObject named nope in namespace serving (it has model-server)',
      ),
    );
  });
});

describe('rootCauses', () => {
  const link = (name: string, status: ChainLink['status']): ChainLink => ({
    link: name,
    subject: name,
    status,
    detail: `${name} detail`,
  });

  it('keeps the first break of each chain, turns the later ones and the sink into skipped, and shows a shared link once', () => {
    const out = rootCauses(
      [link('pods', 'ok')],
      [
        [link('rule-a', 'ok'), link('apiservice', 'broken'), link('value-a', 'broken')],
        [link('rule-b', 'broken'), link('apiservice', 'broken'), link('value-b', 'broken')],
      ],
      link('hpa', 'broken'),
    );
    expect(out.map((l) => `${l.status} ${l.link}`)).toEqual([
      'ok pods',
      'ok rule-a',
      'broken apiservice',
      'skipped value-a',
      'broken rule-b',
      'skipped value-b',
      'skipped hpa',
    ]);
    expect(out[3]?.detail).toBe('follows from the broken link "apiservice": value-a detail');
  });
});
