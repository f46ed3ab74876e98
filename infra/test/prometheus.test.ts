import {
  compileRuleNamer,
  metricNameForSeries,
  readAdapterValues,
  readScaledObject,
  renderMetricsQuery,
} from '@mlscale/autoscale';
import {
  type QueryResponse,
  type Running,
  type RunningPrometheus,
  startModelServer,
  startPrometheus,
} from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadYaml } from './helpers.js';

// The real Prometheus (Debian's `prometheus`, or PROMETHEUS_BIN; without it these tests fail and
// say how to install it) parses and evaluates the queries: once with nothing scraped (what
// Prometheus returns when it lost the targets) and once scraping the live model server as pod
// model-server-0 of namespace default.
const podLabels = { namespace: 'default', pod: 'model-server-0', service: 'model-server' };

const values = readAdapterValues(loadYaml('helm/prometheus-adapter-values.yaml'));
if (!values.ok) throw new Error(values.error);
const adapterQueries = values.value.custom.map((rule) => {
  const series = /^[a-z_]+/.exec(rule.seriesQuery)?.[0] ?? '';
  const query = renderMetricsQuery(rule, {
    series,
    namespace: 'default',
    names: ['model-server-0'],
  });
  if (!query.ok) throw new Error(query.error);
  const namer = compileRuleNamer(rule);
  if (!namer.ok) throw new Error(namer.error);
  return [metricNameForSeries(namer.value, series) ?? series, query.value] as const;
});
const scaledObject = readScaledObject(loadYaml('keda/scaledobject.yaml'));
if (!scaledObject.ok) throw new Error(scaledObject.error);
const kedaQueries = scaledObject.value.prometheusTriggers.map(
  (t) => [t.name ?? t.metricName, t.query] as const,
);

describe('the queries on a real Prometheus', () => {
  describe('with no target scraped', () => {
    let prometheus: RunningPrometheus;
    beforeAll(async () => {
      prometheus = await startPrometheus();
    }, 40_000);
    afterAll(async () => {
      await prometheus?.stop();
    });

    it.each([...adapterQueries, ...kedaQueries])(
      '%s parses and returns nothing',
      async (_name, query) => {
        const result = await prometheus.query(query);
        expect(result, query).toMatchObject({
          status: 'success',
          data: { resultType: 'vector', result: [] },
        });
      },
    );

    it('rejects a broken query (the check is real)', async () => {
      expect(await prometheus.query('sum(rate(x[1m])')).toMatchObject({
        status: 'error',
        errorType: 'bad_data',
      });
    });
  });

  describe('scraping the live model server', () => {
    let prometheus: RunningPrometheus;
    let app: Running;
    beforeAll(async () => {
      app = await startModelServer();
      prometheus = await startPrometheus({
        targets: [{ address: new URL(app.url).host, labels: podLabels }],
      });
    }, 60_000);
    afterAll(async () => {
      await prometheus?.stop();
      await app?.stop();
    });

    async function waitFor(
      query: string,
      done: (r: QueryResponse) => boolean,
    ): Promise<QueryResponse> {
      const deadline = Date.now() + 20_000;
      let last = await prometheus.query(query);
      while (!done(last) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        last = await prometheus.query(query);
      }
      return last;
    }

    it('an idle pod reads 0 on every KEDA query: empty means lost targets only', async () => {
      for (const [, query] of kedaQueries) {
        const result = await waitFor(query, (r) => (r.data?.result.length ?? 0) > 0);
        expect(
          result.data?.result.map((r) => Number(r.value[1])),
          query,
        ).toEqual([0]);
      }
    }, 30_000);

    it('under requests, the time-averaged queue depth and the end-to-end latency read above 0', async () => {
      const body = JSON.stringify({ features: Array.from({ length: 768 }, () => 0.5) });
      const stopAt = Date.now() + 4000;
      while (Date.now() < stopAt) {
        await Promise.all(
          Array.from({ length: 8 }, () =>
            fetch(`${app.url}/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            }),
          ),
        );
      }
      const byName = new Map<string, string>([...adapterQueries, ...kedaQueries]);
      for (const name of [
        'http_request_duration_seconds_avg',
        'request_queue_depth_avg',
        'e2e-latency',
      ]) {
        const query = byName.get(name) as string;
        const result = await waitFor(query, (r) => Number(r.data?.result[0]?.value[1] ?? 0) > 0);
        expect(Number(result.data?.result[0]?.value[1]), `${name}: ${query}`).toBeGreaterThan(0);
      }
      // The adapter's rules answer per pod, labelled by the pod (what the adapter maps back to pods).
      const perPod = await prometheus.query(byName.get('request_queue_depth_avg') as string);
      expect(perPod.data?.result.map((r) => r.metric)).toEqual([{ pod: 'model-server-0' }]);
    }, 40_000);
  });
});
