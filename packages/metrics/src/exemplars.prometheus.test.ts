// Exemplars end to end: a real Prometheus (with --enable-feature=exemplar-storage) scrapes the
// OpenMetrics exposition and stores the exemplars, and reads the counters under their own names.
import { type ServerType, serve } from '@hono/node-server';
import { type RunningPrometheus, startPrometheus } from '@mlscale/testkit';
import { Hono } from 'hono';
import { type OpenMetricsContentType, openMetricsContentType, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpMetrics } from './http-metrics.js';
import { inferenceMetrics } from './inference-metrics.js';
import { metricsHandler } from './metrics-handler.js';

function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(openMetricsContentType);
  return registry;
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

let app: ServerType;
let prometheus: RunningPrometheus | undefined;

beforeAll(async () => {
  const registry = openMetricsRegistry();
  const inference = inferenceMetrics({ registry });
  const hono = new Hono();
  hono.use(httpMetrics({ registry, exemplar: () => ({ trace_id: traceId }) }));
  hono.post('/predict', (c) => {
    inference.observe(0.0002, { trace_id: traceId });
    return c.json({ prediction: [1] });
  });
  hono.get('/metrics', metricsHandler({ registry }));
  const appPort = await new Promise<number>((resolve) => {
    app = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(info.port),
    );
  });
  await fetch(`http://127.0.0.1:${appPort}/predict`, { method: 'POST' });
  // The test kit's Prometheus (it fails saying how to install Prometheus when it is missing).
  prometheus = await startPrometheus({
    jobName: 'app',
    targets: [{ address: `127.0.0.1:${appPort}` }],
    features: ['exemplar-storage'],
  });
}, 30_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
});

/** Asks Prometheus `path` until `found` holds on its `data` (at most 30 s). */
async function poll<T>(path: string, found: (data: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const body = (await (await fetch(`${prometheus?.url}${path}`)).json()) as { data: T };
      last = body.data;
      if (found(body.data)) return body.data;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Prometheus never answered ${path} as expected; last: ${JSON.stringify(last)}`);
}

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string }>;
}

describe('exemplars in a real Prometheus', () => {
  it('stores the exemplar of inference_latency_seconds on the bucket it fell in', async () => {
    const now = Date.now() / 1000;
    const data = await poll<ExemplarSeries[]>(
      `/api/v1/query_exemplars?query=inference_latency_seconds_bucket&start=${now - 600}&end=${now + 600}`,
      (series) => series.length > 0,
    );
    expect(
      data.map((s) => [s.seriesLabels.le, s.exemplars.map((e) => [e.labels, e.value])]),
    ).toEqual([['0.00025', [[{ trace_id: traceId }, '0.0002']]]]);
  }, 40_000);

  it('stores the exemplar of http_request_duration_seconds, and reads http_requests_total by its name', async () => {
    const now = Date.now() / 1000;
    const data = await poll<ExemplarSeries[]>(
      `/api/v1/query_exemplars?query=http_request_duration_seconds_bucket&start=${now - 600}&end=${now + 600}`,
      (series) => series.length > 0,
    );
    expect(data).toHaveLength(1);
    expect(data[0]?.seriesLabels).toMatchObject({
      route: '/predict',
      method: 'POST',
      status: '200',
    });
    expect(data[0]?.exemplars[0]?.labels).toEqual({ trace_id: traceId });
    const counter = await poll<{ result: Array<{ value: [number, string] }> }>(
      '/api/v1/query?query=http_requests_total%7Broute%3D%22%2Fpredict%22%7D',
      (d) => d.result.length > 0,
    );
    expect(counter.result[0]?.value[1]).toBe('1');
  }, 40_000);
});
