// The apps the middleware benchmark compares: one trivial route, with and without metrics.
import { prometheus } from '@hono/prometheus';
import { httpMetrics, metricsHandler } from '@mlscale/metrics';
import { queueGauge, RequestQueue } from '@mlscale/queue-gauge';
import { Hono } from 'hono';
import { Registry } from 'prom-client';

// 'two-empty-middlewares' is the floor: what Hono charges for any two async middlewares.
export const variants = ['bare', 'two-empty-middlewares', 'mlscale', 'hono-prometheus'] as const;
export type Variant = (typeof variants)[number];

function route(app: Hono): Hono {
  app.get('/hello', (c) => c.json({ hello: 'world' }));
  return app;
}

/** Builds the app for one variant. */
export function buildApp(variant: Variant): Hono {
  const app = new Hono();
  const registry = new Registry();
  if (variant === 'mlscale') {
    app.use(httpMetrics({ registry }));
    app.use('/hello', queueGauge({ queue: new RequestQueue({ registry }) }));
    app.get('/metrics', metricsHandler({ registry }));
  } else if (variant === 'two-empty-middlewares') {
    app.use(async (_c, next) => {
      await next();
    });
    app.use('/hello', async (_c, next) => {
      await next();
    });
  } else if (variant === 'hono-prometheus') {
    const { printMetrics, registerMetrics } = prometheus({ registry });
    app.use(registerMetrics);
    app.get('/metrics', printMetrics);
  }
  return route(app);
}
