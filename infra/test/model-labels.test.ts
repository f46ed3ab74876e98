// Per-model labels (`model`, `version` from MODEL_NAME/MODEL_VERSION) on a real Prometheus: the
// serving series carry them, and every adapter rule and KEDA query still answers one value per pod
// (or one in all), because each aggregates by the adapter's <<.GroupBy>> or sums.
import {
  type Running,
  type RunningPrometheus,
  startModelServer,
  startPrometheus,
} from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedAdapterQueries, shippedKedaQueries } from './queries.js';

const pods = ['model-server-0', 'model-server-1'];
const adapterQueries = shippedAdapterQueries(pods);
// The GPU rules need gpu_* series, which a CPU server does not export.
const cpuAdapterQueries = adapterQueries.filter(([, query]) => !query.includes('gpu_'));
const kedaQueries = shippedKedaQueries();

const quick = { SHUTDOWN_DELAY_SECONDS: '0', SHUTDOWN_DRAIN_SECONDS: '1', WORKERS: '1' };
const body = JSON.stringify({ features: Array.from({ length: 768 }, () => 0.5) });

describe('per-model labels on a real Prometheus', () => {
  const apps: Running[] = [];
  let prometheus: RunningPrometheus;
  beforeAll(async () => {
    // startModelServer fails, saying how to build the app, when it has not been built;
    // startPrometheus fails, saying how to install Prometheus, when it is missing.
    // Pod model-server-0 carries two label sets (the same model in versions 1 and 2, as a pod
    // serving two versions, or a version changed within a rate window, would); pod
    // model-server-1 serves another model.
    apps.push(await startModelServer({ ...quick, MODEL_NAME: 'linear-768x2', MODEL_VERSION: '1' }));
    apps.push(await startModelServer({ ...quick, MODEL_NAME: 'linear-768x2', MODEL_VERSION: '2' }));
    apps.push(await startModelServer({ ...quick, MODEL_NAME: 'ranker', MODEL_VERSION: '7' }));
    const target = (app: Running, pod: string) => ({
      address: new URL(app.url).host,
      labels: { namespace: 'default', pod, service: 'model-server' },
    });
    prometheus = await startPrometheus({
      targets: [
        target(apps[0] as Running, 'model-server-0'),
        target(apps[1] as Running, 'model-server-0'),
        target(apps[2] as Running, 'model-server-1'),
      ],
    });
    // Every target scraped once, then load on every server across further scrapes, so the rate
    // windows of the rules hold requests.
    await prometheus.waitForTargets();
    const stopAt = Date.now() + 3000;
    while (Date.now() < stopAt) {
      await Promise.all(
        apps.flatMap((app) =>
          Array.from({ length: 4 }, () =>
            fetch(`${app.url}/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            }).then((r) => r.arrayBuffer()),
          ),
        ),
      );
    }
    // Every series has two samples in a 15 s window (what rate() needs), instead of a fixed wait.
    await prometheus.queryUntil(
      'rate(request_queue_depth_seconds_total[15s])',
      (a) => (a.data?.result.length ?? 0) === 3,
    );
  }, 90_000);
  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(apps.map((app) => app.stop()));
  });

  it('the serving series carry model and version', async () => {
    const answer = await prometheus.queryUntil(
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
      const answer = await prometheus.queryUntil(
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
      const answer = await prometheus.queryUntil(query, (a) => (a.data?.result.length ?? 0) > 0);
      expect(answer.data?.result, query).toHaveLength(1);
      expect(Number.isFinite(Number(answer.data?.result[0]?.value[1])), query).toBe(true);
    },
    30_000,
  );

  it('the dashboard can tell the models apart', async () => {
    const answer = await prometheus.queryUntil(
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
