// The scale-to-zero queries on a real Prometheus, against the series shapes the other exporters
// give them: ingress-nginx (its own `namespace` label renamed `exported_namespace` by the scrape,
// as kube-prometheus-stack does) and kube-state-metrics (labels kept, honor_labels). A small HTTP
// server stands in for both exporters; no model-server pod is scraped, as at zero replicas.
import { createServer, type Server } from 'node:http';
import { PrometheusClient, parseAdapterValues, Watcher, type WatchTick } from '@mlscale/autoscale';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { type RunningPrometheus, startPrometheus } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kustomize, readInfra } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: walking built YAML
type Any = any;

/** What the stand-in exporters serve: requests counted at the ingress, ready pods. */
const state = { requests: 0, requestsPerScrape: 0, readyReplicas: 0 };

function exposition(path: string): string {
  if (path === '/ingress') {
    state.requests += state.requestsPerScrape;
    return [
      '# TYPE nginx_ingress_controller_requests counter',
      `nginx_ingress_controller_requests{controller_class="k8s.io/ingress-nginx",namespace="default",ingress="model-server",service="model-server",status="503",method="POST",path="/"} ${state.requests}`,
      '',
    ].join('\n');
  }
  return [
    '# TYPE kube_deployment_status_replicas_ready gauge',
    `kube_deployment_status_replicas_ready{namespace="default",deployment="model-server"} ${state.readyReplicas}`,
    '',
  ].join('\n');
}

// kustomize fails, saying how to install kubectl, when it is missing.
const scaledObject = kustomize('overlays/keda-scale-to-zero').find(
  (doc) => doc.kind === 'ScaledObject',
) as Any;
const trigger = (name: string): string =>
  scaledObject.spec.triggers.find((t: Any) => t.name === name).metadata.query;

/** The sum of a collected metric's values (what the HPA reads of an External metric). */
function sumOf(tick: WatchTick, name: string): number {
  return Object.values(tick.collected[name]?.values ?? {}).reduce((a, b) => a + b, 0);
}

describe('scale-to-zero queries on a real Prometheus', () => {
  let exporter: Server;
  let prometheus: RunningPrometheus;
  beforeAll(async () => {
    exporter = createServer((request, response) => {
      response.setHeader('content-type', 'text/plain; version=0.0.4');
      response.end(exposition(request.url ?? ''));
    });
    // Port 0: the OS picks a free one as it binds (no window for another run to take it).
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(exporter.address() as { port: number }).port}`;
    // No model-server pod (the pods' job scrapes nothing), the two exporters as their own jobs.
    prometheus = await startPrometheus({
      jobs: [
        {
          name: 'ingress-nginx',
          metricsPath: '/ingress',
          targets: [{ address, labels: { namespace: 'ingress-nginx' } }],
        },
        {
          name: 'kube-state-metrics',
          metricsPath: '/ksm',
          honorLabels: true,
          targets: [{ address, labels: { namespace: 'monitoring' } }],
        },
      ],
    });
    await prometheus.waitForTargets();
  }, 40_000);
  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => exporter?.close(resolve));
  });

  it('at zero with no request: the pod triggers read 0 (not an error), the activation trigger 0', async () => {
    state.readyReplicas = 0;
    state.requestsPerScrape = 0;
    for (const name of ['e2e-latency', 'queue-depth-avg']) {
      const answer = await prometheus.queryUntil(
        trigger(name),
        (a) => (a.data?.result.length ?? 0) > 0,
      );
      expect(
        answer.data?.result.map((r) => Number(r.value[1])),
        name,
      ).toEqual([0]);
    }
    const ingress = await prometheus.queryUntil(
      trigger('ingress-requests'),
      (a) => (a.data?.result.length ?? 0) > 0,
    );
    expect(ingress.data?.result.map((r) => Number(r.value[1]))).toEqual([0]);
  }, 30_000);

  it("the ingress series carries exported_namespace, the scrape's namespace beside it", async () => {
    const answer = await prometheus.query('nginx_ingress_controller_requests');
    expect(answer.data?.result[0]?.metric).toMatchObject({
      exported_namespace: 'default',
      namespace: 'ingress-nginx',
      ingress: 'model-server',
    });
  });

  it('requests at the ingress while no pod runs: the activation trigger and the External metric rise above 0', async () => {
    state.requestsPerScrape = 3;
    const ingress = await prometheus.queryUntil(
      trigger('ingress-requests'),
      (a) => Number(a.data?.result[0]?.value[1] ?? 0) > 0,
    );
    expect(Number(ingress.data?.result[0]?.value[1])).toBeGreaterThan(0);
    // The overlay's HPA as `mlscale watch` evaluates it: its External metric from the adapter's
    // rules.external, rendered as the adapter renders it for the HPA's selector in namespace
    // default (the selector's labels, then the namespace label), and summed as the HPA sums it.
    const values = parseAdapterValues(readInfra('helm/prometheus-adapter-values.yaml'));
    if (!values.ok) throw new Error(values.error);
    const hpa = kustomize('overlays/hpa-scale-to-zero').find(
      (doc) => doc.kind === 'HorizontalPodAutoscaler',
    ) as unknown as HorizontalPodAutoscaler;
    const watcher = new Watcher({
      client: new PrometheusClient({ url: prometheus.url }),
      hpa,
      rules: values.value.custom,
      externalRules: values.value.external,
      namespace: 'default',
    });
    const name = 'nginx_ingress_controller_requests_per_second';
    let tick = await watcher.tick();
    for (let i = 0; i < 20 && !(sumOf(tick, name) > 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      tick = await watcher.tick();
    }
    expect(tick.collected[name]?.query).toBe(
      'sum(rate(nginx_ingress_controller_requests{ingress="model-server",exported_namespace="default"}[1m]))',
    );
    expect(sumOf(tick, name)).toBeGreaterThan(0);
    const metric = tick.decision.metrics.find((m) => m.name === name);
    expect(metric?.error).toBeUndefined();
    expect(metric?.proposal).toBeGreaterThanOrEqual(1); // any request lifts the count above 0
  }, 30_000);

  it('a pod ready but not scraped: the pod triggers are empty again, so KEDA counts errors and falls back', async () => {
    state.readyReplicas = 1;
    for (const name of ['e2e-latency', 'queue-depth-avg']) {
      const answer = await prometheus.queryUntil(
        trigger(name),
        (a) => (a.data?.result.length ?? 1) === 0,
      );
      expect(answer.status).toBe('success');
      expect(answer.data?.result, name).toEqual([]);
    }
  }, 30_000);
});
