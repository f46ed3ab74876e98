import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLoadingApp } from './app.js';
import { post, withBundledModel } from './bundled-app.fixture.js';

const silent = pino({ level: 'silent' });
const { setup } = withBundledModel();

describe('health and lifecycle', () => {
  it('is healthy and ready while serving, unready (but alive) when shutting down', async () => {
    const { app, state } = setup();
    expect(await (await app.request('/health')).json()).toEqual({ status: 'healthy' });
    expect((await app.request('/readyz')).status).toBe(200);
    state.phase = 'shutting-down';
    const health = await app.request('/health');
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'shutting down' });
    expect((await app.request('/readyz')).status).toBe(503);
    expect((await app.request('/v2/health/ready')).status).toBe(503);
    expect((await app.request('/v2/models/linear-768x2/ready')).status).toBe(503);
    expect((await app.request('/livez')).status).toBe(200);
    // Requests still in the delay are served.
    expect((await post(app, '/predict', '{"features": [1]}')).status).toBe(200);
    state.draining = true;
    const last = await post(app, '/predict', '{"features": [1]}');
    expect(last.status).toBe(200);
    expect(last.headers.get('Connection')).toBe('close');
  });

  it('while loading: alive, not ready, inference 503, metrics without serving series', async () => {
    const registry = new Registry();
    const app = createLoadingApp({
      state: { phase: 'loading', draining: false },
      registry,
      logger: silent,
    });
    expect((await app.request('/livez')).status).toBe(200);
    const health = await app.request('/health');
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'loading' });
    const res = await post(app, '/predict', '{"features": [1]}');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'the model is loading; try again shortly' });
    expect(res.headers.get('Retry-After')).toBe('1');
    const metrics = await app.request('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).not.toMatch(/request_queue_depth|inference_latency_seconds/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app } = setup();
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no route for GET /nope' });
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const { app } = setup();
    await post(app, '/predict', '{"features": [1]}');
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await res.text();
    expect(text).toMatch(/^request_queue_depth 0$/m);
    expect(text).toMatch(/^request_queue_depth_seconds_total /m);
    expect(text).toMatch(/^inference_latency_seconds_count 1$/m);
  });

  it('exports the inference routes at zero before their first request', async () => {
    const { registry } = setup();
    const text = await registry.metrics();
    for (const route of [
      '/predict',
      '/v2/models/:name/infer',
      '/v2/models/:name/versions/:version/infer',
    ]) {
      expect(text).toContain(
        `http_request_duration_seconds_count{method="POST",route="${route}",status="200"} 0`,
      );
    }
  });

  it('records the wait until the model starts, for requests that reach the model only', async () => {
    const { app, registry } = setup();
    await Promise.all([
      post(app, '/predict', '{"features": [1]}'),
      post(app, '/predict', '{"features": [2]}'),
      post(app, '/predict', '{"features": "nope"}'),
    ]);
    const text = await registry.metrics();
    expect(text).toMatch(/^request_queue_wait_seconds_count 2$/m);
    expect(Number(/^request_queue_wait_seconds_sum (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });
});
