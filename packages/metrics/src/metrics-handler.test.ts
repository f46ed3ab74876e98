import { Hono } from 'hono';
import {
  Counter,
  type OpenMetricsContentType,
  Registry,
  type RegistryContentType,
} from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricsHandler } from './metrics-handler.js';

function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

function serve(registry: Registry<RegistryContentType>) {
  const app = new Hono();
  app.get('/metrics', metricsHandler({ registry }));
  return app;
}

describe('metricsHandler', () => {
  it('serves Prometheus text with the registry content type', async () => {
    const registry = new Registry();
    new Counter({ name: 'jobs_total', help: 'Jobs', registers: [registry] }).inc(3);
    const res = await serve(registry).request('/metrics', {
      headers: { Accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toBe(
      '# HELP jobs_total Jobs\n# TYPE jobs_total counter\njobs_total 3\n',
    );
  });

  it('serves OpenMetrics from an OpenMetrics registry when the scraper accepts it', async () => {
    const registry = openMetricsRegistry();
    new Counter({ name: 'jobs_total', help: 'Jobs', registers: [registry] }).inc();
    const app = serve(registry);
    for (const accept of [
      'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      '*/*',
      '',
    ]) {
      const res = await app.request('/metrics', { headers: accept ? { Accept: accept } : {} });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        'application/openmetrics-text; version=1.0.0; charset=utf-8',
      );
      expect(await res.text()).toMatch(/jobs_total 1\n# EOF\n$/);
    }
  });

  it('answers 406 when the scraper rules OpenMetrics out', async () => {
    const registry = openMetricsRegistry();
    const res = await serve(registry).request('/metrics', {
      headers: { Accept: 'text/plain;version=0.0.4, application/openmetrics-text;q=0' },
    });
    expect(res.status).toBe(406);
    expect(await res.json()).toEqual({
      error:
        'this registry serves application/openmetrics-text only; send an Accept header that allows it',
    });
  });

  it('answers 500 with the reason when a collector fails, without a stack trace', async () => {
    const registry = new Registry();
    new Counter({
      name: 'broken_total',
      help: 'Broken',
      registers: [registry],
      collect() {
        throw new Error('sensor unplugged');
      },
    });
    const res = await serve(registry).request('/metrics');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('# collecting metrics failed: sensor unplugged\n');
  });
});
