import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { httpMetrics } from './http-metrics.js';

async function series(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.getSingleMetricAsString(name);
  return text.split('\n').filter((line) => !line.startsWith('#'));
}

function appWith(registry: Registry, options: Partial<Parameters<typeof httpMetrics>[0]> = {}) {
  const app = new Hono();
  app.use(httpMetrics({ registry, ...options }));
  app.get('/models/:name', (c) => c.json({ name: c.req.param('name') }));
  app.post('/fail', () => {
    throw new Error('boom');
  });
  app.get('/metrics', (c) => c.text('scraped'));
  return app;
}

describe('httpMetrics', () => {
  it('labels requests with the route pattern, never the raw URL', async () => {
    const registry = new Registry();
    const app = appWith(registry);
    await app.request('/models/a');
    await app.request('/models/b?x=1');
    await app.request('/nowhere');
    await app.request('/fail', { method: 'POST' });
    expect(await series(registry, 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="/models/:name",status="200"} 2',
      'http_requests_total{method="GET",route="unmatched",status="404"} 1',
      'http_requests_total{method="POST",route="/fail",status="500"} 1',
    ]);
  });

  it('folds methods outside the standard ones into one value, so clients cannot add series', async () => {
    const registry = new Registry();
    const app = appWith(registry);
    for (const method of ['PROPFIND', 'MKCOL', 'PURGE', 'SEARCH']) {
      await app.request('/models/a', { method });
    }
    await app.request('/models/a', { method: 'DELETE' });
    expect(await series(registry, 'http_requests_total')).toEqual([
      'http_requests_total{method="_OTHER",route="unmatched",status="404"} 4',
      'http_requests_total{method="DELETE",route="unmatched",status="404"} 1',
    ]);
  });

  it('records one duration per request, in seconds', async () => {
    const registry = new Registry();
    const app = new Hono();
    app.use(httpMetrics({ registry, buckets: [0.01, 1] }));
    app.get('/slow', async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return c.text('ok');
    });
    await app.request('/slow');
    const lines = await series(registry, 'http_request_duration_seconds');
    expect(lines).toContain(
      'http_request_duration_seconds_bucket{le="0.01",method="GET",route="/slow",status="200"} 0',
    );
    expect(lines).toContain(
      'http_request_duration_seconds_bucket{le="1",method="GET",route="/slow",status="200"} 1',
    );
    const sum = lines.find((line) => line.startsWith('http_request_duration_seconds_sum'));
    expect(Number(sum?.split(' ')[1])).toBeGreaterThanOrEqual(0.025);
  });

  it('exports primed routes at zero before their first request', async () => {
    const registry = new Registry();
    appWith(registry, { primeRoutes: [{ method: 'GET', route: '/models/:name' }] });
    expect(await series(registry, 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="/models/:name",status="200"} 0',
    ]);
    expect(await series(registry, 'http_request_duration_seconds')).toContain(
      'http_request_duration_seconds_count{method="GET",route="/models/:name",status="200"} 0',
    );
  });

  it('does not count the metrics path', async () => {
    const registry = new Registry();
    const app = appWith(registry);
    await app.request('/metrics');
    expect(await series(registry, 'http_requests_total')).toEqual([]);
  });

  it('adds constant labels to every sample', async () => {
    const registry = new Registry();
    const app = appWith(registry, { constLabels: { model: 'linear', version: '3' } });
    await app.request('/models/a');
    expect(await series(registry, 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="/models/:name",status="200",model="linear",version="3"} 1',
    ]);
  });

  it('counts a response that a later route-level middleware gave, under that route', async () => {
    const registry = new Registry();
    const app = new Hono();
    app.use(httpMetrics({ registry }));
    app.post('/predict', (c) => c.json({ error: 'too large' }, 413));
    await app.request('/predict', { method: 'POST' });
    expect(await series(registry, 'http_requests_total')).toEqual([
      'http_requests_total{method="POST",route="/predict",status="413"} 1',
    ]);
  });

  it('labels a request no route matched "unmatched", also behind another middleware', async () => {
    const registry = new Registry();
    const app = new Hono();
    app.use(httpMetrics({ registry }));
    app.use('/v2/*', async (_c, next) => next());
    app.use(async (_c, next) => next());
    app.get('/v2/models', (c) => c.json([]));
    await app.request('/v2/nowhere');
    await app.request('/elsewhere');
    await app.request('/v2/models');
    expect(await series(registry, 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="unmatched",status="404"} 2',
      'http_requests_total{method="GET",route="/v2/models",status="200"} 1',
    ]);
  });

  it('counts a refusal by a middleware under the route the request was going to', async () => {
    const registry = new Registry();
    const app = new Hono();
    app.use(httpMetrics({ registry }));
    app.use('/admin/*', async (c, next) => {
      if (c.req.header('authorization') === undefined) return c.json({ error: 'no' }, 401);
      return next();
    });
    app.get('/admin/users', (c) => c.json([]));
    await app.request('/admin/users');
    await app.request('/admin/unknown');
    expect(await series(registry, 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="/admin/users",status="401"} 1',
      'http_requests_total{method="GET",route="unmatched",status="401"} 1',
    ]);
  });

  it('counts an application mounted with app.mount() as middleware: unmatched', async () => {
    const registry = new Registry();
    const app = new Hono();
    app.use(httpMetrics({ registry }));
    app.mount('/legacy', () => new Response('from the mounted app'));
    const res = await app.request('/legacy/anything');
    expect(await res.text()).toBe('from the mounted app');
    expect(await series(registry, 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="unmatched",status="200"} 1',
    ]);
  });

  it('prefixes both names', async () => {
    const registry = new Registry();
    const app = appWith(registry, { prefix: 'myapp_' });
    await app.request('/models/a');
    expect(await series(registry, 'myapp_http_requests_total')).toEqual([
      'myapp_http_requests_total{method="GET",route="/models/:name",status="200"} 1',
    ]);
    expect(registry.getSingleMetric('http_requests_total')).toBeUndefined();
    expect(await series(registry, 'myapp_http_request_duration_seconds')).toContain(
      'myapp_http_request_duration_seconds_count{method="GET",route="/models/:name",status="200"} 1',
    );
  });

  it('refuses an exemplar function on a registry that serves Prometheus text', () => {
    expect(() => httpMetrics({ registry: new Registry(), exemplar: () => undefined })).toThrow(
      /exemplars need an OpenMetrics registry/,
    );
  });

  it('can be set up twice on one registry, and refuses other label names', () => {
    const registry = new Registry();
    httpMetrics({ registry });
    expect(() => httpMetrics({ registry })).not.toThrow();
    expect(() => httpMetrics({ registry, constLabels: { model: 'x' } })).toThrow(
      /http_request_duration_seconds is already registered with labels \[method,route,status\]/,
    );
  });

  it('rejects constant labels that would clash with its own', () => {
    expect(() => httpMetrics({ registry: new Registry(), constLabels: { route: 'x' } })).toThrow(
      /"route" is set by the metric itself/,
    );
    expect(() =>
      httpMetrics({ registry: new Registry(), constLabels: { 'bad-name': 'x' } }),
    ).toThrow(/not a valid Prometheus label name/);
  });
});
