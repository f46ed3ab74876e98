// Test helper (not a test, not built into dist/): the app as the route tests mount it.
import { inferenceMetrics } from '@mlscale/metrics';
import type { Hono } from 'hono';
import pino from 'pino';
import { Registry } from 'prom-client';
import { type AppOptions, createApp } from './app.js';
import type { ServerState } from './http/health.js';
import type { InferencePool } from './inference/pool.js';
import { servedModel } from './server.js';

/** What {@link testApp} needs: the pool, the body limit, and any limit that differs. */
export interface TestAppOptions {
  /** The pool that runs the model (the bundled one, or a stand-in). */
  pool: InferencePool;
  /** The app's limits; left out: not strict, no concurrency, queue or wait limit. */
  config: Partial<AppOptions['config']> & Pick<AppOptions['config'], 'bodyLimitBytes'>;
  /** The health state the routes read. Default: ready, not draining. */
  state?: ServerState;
}

/**
 * The app over a fresh `Registry`, serving model `linear-768x2` version 1 from `pool`, logging
 * nothing. Defaults: `predictStrict` off, no concurrency, queue or wait limit, a 10 s body timeout,
 * 256 bodies received at once.
 *
 * @example
 * const { app, registry } = testApp({ pool, config: { bodyLimitBytes: 64 * 1024, maxQueue: 2 } });
 */
export function testApp({
  pool,
  config,
  state = { phase: 'ready', draining: false },
}: TestAppOptions): { app: Hono; registry: Registry } {
  const registry = new Registry();
  const app = createApp({
    config: {
      predictStrict: false,
      maxConcurrency: Number.POSITIVE_INFINITY,
      maxQueue: Number.POSITIVE_INFINITY,
      maxWaitMs: Number.POSITIVE_INFINITY,
      bodyTimeoutMs: 10_000,
      maxReceiving: 256,
      maxPipelined: 16,
      maxConnectionAgeSeconds: 30,
      ...config,
    },
    serving: {
      model: servedModel({ modelName: 'linear-768x2', modelVersion: '1' }, pool),
      pool,
      inference: inferenceMetrics({ registry }),
    },
    state,
    registry,
    logger: pino({ level: 'silent' }),
  });
  return { app, registry };
}
