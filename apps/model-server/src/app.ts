// The Hono apps: a small one while the model loads, the full one once it is warm.
import { httpMetrics, metricsHandler } from '@mlscale/metrics';
import { queueGauge, RequestQueue, shedWhenFull } from '@mlscale/queue-gauge';
import { type Context, Hono } from 'hono';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config.js';
import type { ConnectionTracker } from './connections.js';
import { problem, turnBarrier } from './http/body.js';
import { connectionLimits } from './http/connection-limits.js';
import { mountHealth, type ServerState } from './http/health.js';
import { bodyIntake } from './http/intake.js';
import { methodNotAllowed } from './http/methods.js';
import { checkModel, inferHandler, modelCheck, modelMetadata } from './http/oip.js';
import { predictHandler } from './http/predict.js';
import type { Serving } from './http/serving.js';

const MODEL_BASES = ['/v2/models/:name', '/v2/models/:name/versions/:version'] as const;
/** The routes that reach the model, as `route` labels; infra's adapter rules select them. */
export const INFERENCE_ROUTES = ['/predict', ...MODEL_BASES.map((base) => `${base}/infer`)];

/** What {@link createApp} needs. */
export interface AppOptions {
  config: Pick<
    Config,
    | 'predictStrict'
    | 'maxConcurrency'
    | 'maxQueue'
    | 'maxWaitMs'
    | 'bodyTimeoutMs'
    | 'maxReceiving'
    | 'maxPipelined'
    | 'maxConnectionAgeSeconds'
  > & {
    /** The body limit in bytes, resolved ('auto' sized to the model by the server). */
    bodyLimitBytes: number;
  };
  serving: Serving;
  state: ServerState;
  registry: Registry;
  logger: Logger;
  /**
   * Labels on every serving series (HTTP, queue), such as {@link modelLabels}' `model` and
   * `version`, so dashboards and alerts tell models apart. Default: none.
   */
  metricLabels?: Readonly<Record<string, string>>;
  /** The request queue, when the caller made it (the server counts its own refusals in it). */
  queue?: RequestQueue;
  /** The server's connections (per-connection limits, drain); none with `app.request()`. */
  connections?: ConnectionTracker;
}

/**
 * The `model` and `version` labels of the serving series, from `MODEL_NAME` and `MODEL_VERSION`
 * (as Triton and vLLM label theirs). Aggregations by pod (the adapter's `<<.GroupBy>>`, KEDA's
 * `sum`) drop them, so the autoscaling rules read the same with or without them.
 */
export function modelLabels(
  config: Pick<Config, 'modelName' | 'modelVersion'>,
): Readonly<{ model: string; version: string }> {
  return { model: config.modelName, version: config.modelVersion };
}

/** The inference queue of {@link createApp}: `MAX_CONCURRENCY`, `MAX_QUEUE`, `MAX_WAIT_MS`. */
export function createQueue(
  config: Pick<Config, 'maxConcurrency' | 'maxQueue' | 'maxWaitMs'>,
  registry: Registry,
  metricLabels?: Readonly<Record<string, string>>,
): RequestQueue {
  return new RequestQueue({
    registry,
    constLabels: metricLabels,
    concurrency: config.maxConcurrency,
    maxWaiting: config.maxQueue,
    maxWaitMs: config.maxWaitMs,
    // The wait ends when the model starts on the request, after the batch queue, not at the slot.
    waitEndsAt: 'started',
  });
}

function fallbacks(app: Hono, logger: Logger): void {
  app.notFound((c) => problem(c, 404, `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return problem(c, 500, 'internal server error');
  });
}

/** The `Retry-After` of a request refused while the model loads, seconds. */
const LOADING_RETRY_AFTER_SECONDS = 1;

/**
 * The app served while the model loads: health and readiness (503 until warm), an empty
 * `/metrics` (serving metrics appear only once the model is warm, so an autoscaler never averages
 * in a cold pod's zeros), and 503 for everything else.
 */
export function createLoadingApp({
  state,
  registry,
  logger,
}: Pick<AppOptions, 'state' | 'registry' | 'logger'>): Hono {
  const app = new Hono();
  mountHealth(app, state);
  app.get('/metrics', metricsHandler({ registry }));
  app.all('*', (c) => {
    // Loading takes seconds; a client that honours Retry-After comes back as the queue's
    // refusals tell it to.
    c.header('Retry-After', String(LOADING_RETRY_AFTER_SECONDS));
    return problem(c, 503, 'the model is loading; try again shortly');
  });
  fallbacks(app, logger);
  return app;
}

/**
 * The full app. An inference request goes through, in order: `shedWhenFull` (503 on arrival when
 * the queue is full, nothing read), the model check (404), `receive` (body limits and timeout,
 * `requests_receiving`), `queueGauge` (a slot, or 503; from here it counts in
 * `request_queue_depth`), `parse` (JSON), the handler (validation, the model). A slow upload holds
 * neither a slot nor a place in the depth the autoscaler reads, and a refused request costs no
 * parsing.
 */
export function createApp({
  config,
  serving,
  state,
  registry,
  logger,
  metricLabels,
  queue = createQueue(config, registry, metricLabels),
  connections,
}: AppOptions): Hono {
  const app = new Hono();
  app.use(
    httpMetrics({
      registry,
      constLabels: metricLabels,
      // Exported at zero from the start, so prometheus-adapter discovers the end-to-end latency
      // of the inference routes before their first request (infra's HPA targets it).
      primeRoutes: INFERENCE_ROUTES.map((route) => ({ method: 'POST', route })),
    }),
  );
  app.use(
    connectionLimits({
      connections,
      state,
      queue,
      maxPipelined: config.maxPipelined,
      maxConnectionAgeSeconds: config.maxConnectionAgeSeconds,
    }),
  );
  mountHealth(app, state);
  app.get('/metrics', metricsHandler({ registry }));

  const shed = shedWhenFull({ queue });
  const admit = queueGauge({ queue });
  const { model } = serving;
  // Requests arriving in one event-loop turn are all taken in before any body is parsed.
  const { receive, parse } = bodyIntake({
    registry,
    queue,
    maxBytes: config.bodyLimitBytes,
    timeoutMs: config.bodyTimeoutMs,
    maxReceiving: config.maxReceiving,
    nextTurn: turnBarrier(),
    constLabels: metricLabels,
  });
  app.post(
    '/predict',
    shed,
    receive,
    admit,
    parse,
    predictHandler({ serving, strict: config.predictStrict }),
  );

  const metadata = (c: Context) => checkModel(c, model) ?? c.json(modelMetadata(model));
  const ready = (c: Context) =>
    checkModel(c, model) ??
    (state.phase === 'ready'
      ? c.json({ name: model.name, ready: true })
      : c.json({ name: model.name, ready: false }, 503));
  const infer = inferHandler({ serving });
  const rightModel = modelCheck(model);
  for (const base of MODEL_BASES) {
    app.get(base, metadata);
    app.get(`${base}/ready`, ready);
    app.post(`${base}/infer`, shed, rightModel, receive, admit, parse, infer);
  }
  methodNotAllowed(app);
  fallbacks(app, logger);
  return app;
}
