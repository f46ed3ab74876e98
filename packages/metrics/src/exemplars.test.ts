import { Hono } from 'hono';
import { type OpenMetricsContentType, openMetricsContentType, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { httpMetrics } from './http-metrics.js';
import { inferenceMetrics } from './inference-metrics.js';
import { metricsHandler } from './metrics-handler.js';

function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(openMetricsContentType);
  return registry;
}

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const exemplarLine = (metric: string, le: string, value: string) =>
  new RegExp(
    `^${metric}_bucket\\{${le}\\} 1 # \\{trace_id="${traceId}"\\} ${value} \\d+(\\.\\d+)?$`,
    'm',
  );

/** An app with both histograms on an OpenMetrics registry; the trace id comes from `traceparent`. */
function tracedApp() {
  const registry = openMetricsRegistry();
  const inference = inferenceMetrics({ registry });
  const app = new Hono();
  app.use(
    httpMetrics({
      registry,
      buckets: [0.5, 1],
      exemplar: (c) => {
        const traceparent = c.req.header('traceparent');
        return traceparent ? { trace_id: traceparent.split('-')[1] ?? '' } : undefined;
      },
    }),
  );
  app.post('/predict', async (c) => {
    const id = c.req.header('traceparent')?.split('-')[1];
    inference.observe(0.0002, id ? { trace_id: id } : undefined);
    return c.json({ prediction: [1] });
  });
  app.get('/metrics', metricsHandler({ registry }));
  return app;
}

async function scrape(app: Hono): Promise<string> {
  const res = await app.request('/metrics', {
    headers: { Accept: 'application/openmetrics-text;version=1.0.0' },
  });
  expect(res.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
  return res.text();
}

describe('exemplars, scraped in OpenMetrics', () => {
  it('carries the trace id on the bucket each duration fell in, for both histograms', async () => {
    const app = tracedApp();
    await app.request('/predict', {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    const text = await scrape(app);
    expect(text).toMatch(exemplarLine('inference_latency_seconds', 'le="0.00025"', '0.0002'));
    expect(text).toMatch(
      exemplarLine(
        'http_request_duration_seconds',
        'le="0.5",method="POST",route="/predict",status="200"',
        '[0-9.e-]+',
      ),
    );
    // Exactly one exemplar per histogram: the buckets the values did not fall in carry none.
    expect(text.match(/ # \{/g)).toHaveLength(2);
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('records the value without an exemplar when there is none, or it is too long', async () => {
    const app = tracedApp();
    await app.request('/predict', { method: 'POST' });
    const registry = openMetricsRegistry();
    const inference = inferenceMetrics({ registry });
    inference.observe(0.0002, { trace_id: 'x'.repeat(200) });
    inference.observe(0.0003, {});
    const own = await registry.metrics();
    expect(own).toContain('inference_latency_seconds_count 2');
    expect(own).not.toContain(' # {');
    const text = await scrape(app);
    expect(text).toContain(
      'http_request_duration_seconds_count{method="POST",route="/predict",status="200"} 1',
    );
    expect(text).not.toContain(' # {');
  });

  it('keeps no exemplar on a Prometheus text registry, which has no place for one', async () => {
    const registry = new Registry();
    inferenceMetrics({ registry }).observe(0.0002, { trace_id: traceId });
    const text = await registry.metrics();
    expect(text).toContain('inference_latency_seconds_count 1');
    expect(text).not.toContain(traceId);
  });

  it('starts afresh after a reset', async () => {
    const app = tracedApp();
    await app.request('/predict', {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    const registry = openMetricsRegistry();
    const inference = inferenceMetrics({ registry });
    inference.observe(7, { trace_id: traceId });
    expect(await registry.metrics()).toMatch(
      exemplarLine('inference_latency_seconds', 'le="10"', '7'),
    );
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain(traceId);
  });
});
