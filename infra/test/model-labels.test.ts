// Per-model labels (`model`, `version` from MODEL_NAME/MODEL_VERSION) on a real Prometheus: the
// serving series carry them, and every adapter rule and KEDA query still answers one value per pod
// (or one in all), because each aggregates by the adapter's <<.GroupBy>> or sums.
import {
  compileRuleNamer,
  metricNameForSeries,
  readAdapterValues,
  readScaledObject,
  renderMetricsQuery,
} from '@mlscale/autoscale';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBuilt, appEntry, loadYaml, type RunningApp, startApp } from './helpers.js';
import { PrometheusServer } from './prometheus-server.js';

const pods = ['model-server-0', 'model-server-1'];
const values = readAdapterValues(loadYaml('helm/prometheus-adapter-values.yaml'));
if (!values.ok) throw new Error(values.error);
const adapterQueries = values.value.custom.map((rule) => {
  const series = /^[a-z_]+/.exec(rule.seriesQuery)?.[0] ?? '';
  const query = renderMetricsQuery(rule, { series, namespace: 'default', names: pods });
  if (!query.ok) throw new Error(query.error);
  const namer = compileRuleNamer(rule);
  if (!namer.ok) throw new Error(namer.error);
  return [metricNameForSeries(namer.value, series) ?? series, query.value] as const;
});
// The GPU rules need gpu_* series, which a CPU server does not export.
const cpuAdapterQueries = adapterQueries.filter(([, query]) => !query.includes('gpu_'));
const scaledObject = readScaledObject(loadYaml('keda/scaledobject.yaml'));
if (!scaledObject.ok) throw new Error(scaledObject.error);
const kedaQueries = scaledObject.value.prometheusTriggers.map(
  (t) => [t.name ?? t.metricName, t.query] as const,
);

const quick = { SHUTDOWN_DELAY_SECONDS: '0', SHUTDOWN_DRAIN_SECONDS: '1', WORKERS: '1' };
const body = JSON.stringify({ features: Array.from({ length: 768 }, () => 0.5) });

describe('per-model labels on a real Prometheus', () => {
  const apps: RunningApp[] = [];
  let prometheus: PrometheusServer;
  beforeAll(async () => {
    if (!appBuilt) throw new Error(`${appEntry} is missing: run pnpm build first`);
    // Pod model-server-0 carries two label sets (the same model in versions 1 and 2, as a pod
    // serving two versions, or a version changed within a rate window, would); pod
    // model-server-1 serves another model.
    apps.push(await startApp({ ...quick, MODEL_NAME: 'linear-768x2', MODEL_VERSION: '1' }));
    apps.push(await startApp({ ...quick, MODEL_NAME: 'linear-768x2', MODEL_VERSION: '2' }));
    apps.push(await startApp({ ...quick, MODEL_NAME: 'ranker', MODEL_VERSION: '7' }));
    const target = (app: RunningApp, pod: string) => ({
      address: new URL(app.base).host,
      labels: { namespace: 'default', pod, service: 'model-server' },
    });
    prometheus = await PrometheusServer.start([
      target(apps[0] as RunningApp, 'model-server-0'),
      target(apps[1] as RunningApp, 'model-server-0'),
      target(apps[2] as RunningApp, 'model-server-1'),
    ]);
    // Every target scraped once, then load on every server across further scrapes, so the rate
    // windows of the rules hold requests.
    await prometheus.waitFor('count(up == 1)', (a) => a.data?.result[0]?.value[1] === '3');
    const stopAt = Date.now() + 3000;
    while (Date.now() < stopAt) {
      await Promise.all(
        apps.flatMap((app) =>
          Array.from({ length: 4 }, () =>
            fetch(`${app.base}/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            }).then((r) => r.arrayBuffer()),
          ),
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }, 90_000);
  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(apps.map((app) => app.stop()));
  });

  it('the serving series carry model and version', async () => {
    const answer = await prometheus.waitFor(
      'request_queue_depth_seconds_total',
      (a) => (a.data?.result.length ?? 0) === 3,
    );
    const labels = answer.data?.result
      .map((r) => `${r.metric.pod} ${r.metric.model} ${r.metric.version}`)
      .sort();
    expect(labels).toEqual([
      'model-server-0 linear-768x2 1',
      'model-server-0 linear-768x2 2',
      'model-server-1 ranker 7',
    ]);
  }, 30_000);

  it('without aggregation a pod would answer twice (the check is real)', async () => {
    const raw = await prometheus.query(
      'rate(request_queue_depth_seconds_total{namespace="default",pod="model-server-0"}[15s])',
    );
    expect(raw.data?.result).toHaveLength(2);
  });

  it.each(cpuAdapterQueries)(
    'adapter rule %s answers exactly one value per pod, labelled by the pod alone',
    async (_name, query) => {
      const answer = await prometheus.waitFor(
        query,
        (a) =>
          (a.data?.result.length ?? 0) >= 2 &&
          (a.data?.result ?? []).every((r) => Number.isFinite(Number(r.value[1]))),
      );
      expect(answer.status, query).toBe('success');
      expect(
        answer.data?.result
          .map((r) => r.metric)
          .sort((a, b) => (a.pod ?? '').localeCompare(b.pod ?? '')),
        query,
      ).toEqual(pods.map((pod) => ({ pod })));
      for (const sample of answer.data?.result ?? []) {
        expect(Number.isFinite(Number(sample.value[1])), query).toBe(true);
      }
    },
    30_000,
  );

  it.each(kedaQueries)(
    'KEDA query %s answers one value in all',
    async (_name, query) => {
      const answer = await prometheus.waitFor(query, (a) => (a.data?.result.length ?? 0) > 0);
      expect(answer.data?.result, query).toHaveLength(1);
      expect(Number.isFinite(Number(answer.data?.result[0]?.value[1])), query).toBe(true);
    },
    30_000,
  );

  it('the dashboard can tell the models apart', async () => {
    const answer = await prometheus.waitFor(
      'sum by (model, version) (rate(inference_latency_seconds_count[1m]))',
      (a) => (a.data?.result.length ?? 0) === 3,
    );
    expect(answer.data?.result.map((r) => `${r.metric.model}:${r.metric.version}`).sort()).toEqual([
      'linear-768x2:1',
      'linear-768x2:2',
      'ranker:7',
    ]);
  }, 30_000);
});
