// Start-up and shutdown: listen at once, load and warm the model, then serve; on SIGTERM go unready,
// keep serving through the delay, stop accepting, drain, close the workers.
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdaptorServer } from '@hono/node-server';
import { SERIES } from '@mlscale/metric-contract';
import { inferenceMetrics } from '@mlscale/metrics';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { createApp, createLoadingApp, createQueue, modelLabels } from './app.js';
import type { Config } from './config.js';
import { ConnectionTracker } from './connections.js';
import { setupGpuProbe } from './gpu.js';
import { autoBodyLimit } from './http/body-limit.js';
import type { ServerState } from './http/health.js';
import {
  answerClientError,
  clientErrorReason,
  dropLintFailingDefaults,
  serverTimeouts,
} from './http/limits.js';
import { registerEmulatedDeviceInfo } from './inference/emulated-device-info.js';
import { InferencePool, type WorkerEntry } from './inference/pool.js';
import { predictTarget, type ServedModel } from './model.js';

/** A started server. */
export interface RunningServer {
  /** The port it listens on (useful with PORT=0). */
  port: number;
  state: ServerState;
  registry: Registry;
  /** Resolves once the model is warm and the server is ready, or rejects with the load error. */
  ready: Promise<void>;
  /**
   * Shuts down gracefully: unready at once, serve through `SHUTDOWN_DELAY_SECONDS`, stop accepting,
   * drain requests in flight for up to `SHUTDOWN_DRAIN_SECONDS`, close the workers.
   */
  shutdown(reason: string): Promise<void>;
}

/** Options of {@link startServer}. */
export interface StartOptions {
  config: Config;
  logger: Logger;
  /** Where the inference worker module is (tests run it from source). */
  worker?: WorkerEntry;
}

/** The model as the routes present it: name and version from the config, the rest from the pool. */
export function servedModel(
  config: Pick<Config, 'modelName' | 'modelVersion'>,
  pool: Pick<InferencePool, 'signature' | 'batchable'>,
): ServedModel {
  return {
    name: config.modelName,
    version: config.modelVersion,
    signature: pool.signature,
    batchable: pool.batchable,
    predict: predictTarget(pool.signature, pool.batchable),
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * What the HTTP server hands on to, swapped once the model is warm: the app that answers, and where
 * the refusals made before the app (client errors, connection limits) are counted.
 */
interface Handoff {
  app: Hono;
  countRejected?: (reason: string) => void;
}

/** What start-up opens and shutdown closes; set as the model loads. */
interface Resources {
  pool?: InferencePool;
  gpu?: { close(): void };
  batchSize?: Histogram;
}

/** The HTTP server and its connection tracker; requests go to `handoff.app`. */
function createHttpServer(
  config: Config,
  handoff: Handoff,
): { server: Server; tracker: ConnectionTracker } {
  const server = createAdaptorServer({
    // A request read after its connection's closing answer never reaches the app.
    fetch: (request, env) =>
      tracker.refuseAfterClose((env as { incoming?: IncomingMessage }).incoming) ??
      handoff.app.fetch(request, env),
    hostname: config.host,
    serverOptions: serverTimeouts(config),
  }) as Server;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const reason = clientErrorReason(error);
    if (reason !== undefined) handoff.countRejected?.(reason);
    answerClientError(error, socket);
  });
  // `Expect: 100-continue`: no 100 before the app has decided to read the body (bodyIntake sends
  // it then); a refusal goes out instead, and the client never sends a body it would discard.
  server.on('checkContinue', (req, res) => server.emit('request', req, res));
  const tracker = new ConnectionTracker(
    server,
    { maxPipelined: config.maxPipelined, writeTimeoutMs: config.writeTimeoutMs },
    (reason) => handoff.countRejected?.(reason),
  );
  return { server, tracker };
}

/** Starts the worker pool, which loads and warms the model. */
function startPool(
  { config, logger, worker }: StartOptions,
  resources: Resources,
): Promise<InferencePool> {
  return InferencePool.start({
    modelPath: config.modelPath,
    workers: config.workers,
    intraOpThreads: config.intraOpThreads,
    allowSpinning: config.allowSpinning,
    nice: config.workerNice,
    batchMaxSize: config.batchMaxSize,
    batchMaxWaitMs: config.batchMaxWaitMs,
    ...(config.emulatedDevice ? { emulatedDevice: config.emulatedDevice } : {}),
    ...(worker ? { worker } : {}),
    onBatch: (event) => resources.batchSize?.observe(event.rows),
    onWorkerError: (error) =>
      logger.error({ err: error }, 'inference worker died; starting a replacement'),
  });
}

/**
 * Registers the serving metrics (they exist only from here on: a cold pod exports none) and starts
 * the GPU probe. Returns the `model` and `version` labels of the serving series.
 */
function registerServingMetrics(
  { config, logger }: StartOptions,
  registry: Registry,
  resources: Resources,
): Record<string, string> {
  collectDefaultMetrics({ register: registry });
  dropLintFailingDefaults(registry);
  resources.batchSize = new Histogram({
    name: SERIES.batchSize.name,
    help: SERIES.batchSize.help,
    buckets: [...SERIES.batchSize.buckets],
    registers: [registry],
  });
  // `model` and `version` on the serving series (the inference histogram, HTTP, queue, GPU).
  const metricLabels = modelLabels(config);
  if (config.emulatedDevice) registerEmulatedDeviceInfo(registry, config.emulatedDevice);
  try {
    resources.gpu = setupGpuProbe({
      mode: config.gpuProbe,
      registry,
      logger,
      constLabels: metricLabels,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`GPU_PROBE=${config.gpuProbe}: ${reason}`, { cause: error });
  }
  return metricLabels;
}

function logReady(
  { config, logger }: StartOptions,
  model: ServedModel,
  pool: InferencePool,
  bodyLimit: { bytes: number; basis: string },
): void {
  logger.info(
    {
      model: config.modelPath,
      name: model.name,
      version: model.version,
      inputs: model.signature.inputs,
      outputs: model.signature.outputs,
      batchable: model.batchable,
      predict: model.predict.ok ? 'available' : model.predict.reason,
      workers: config.workers,
      intraOpThreads: config.intraOpThreads,
      workerNice: pool.niceProblem ? `not set: ${pool.niceProblem}` : config.workerNice,
      batchMaxSize: model.batchable ? config.batchMaxSize : 1,
      batchMaxWaitMs: config.batchMaxWaitMs,
      bodyLimitBytes: bodyLimit.bytes,
      bodyLimitBasis: bodyLimit.basis,
      emulatedDevice: config.emulatedDevice ?? 'off',
      warmupSeconds: pool.warmupSeconds,
    },
    'model warm; ready',
  );
}

/** Loads and warms the model, then hands requests to the serving app and turns ready. */
async function loadAndServe(
  options: StartOptions,
  context: {
    registry: Registry;
    state: ServerState;
    handoff: Handoff;
    tracker: ConnectionTracker;
    resources: Resources;
  },
): Promise<void> {
  const { config, logger } = options;
  const { registry, state, handoff, tracker, resources } = context;
  const pool = await startPool(options, resources);
  resources.pool = pool;
  if (state.phase !== 'loading') return; // shut down while loading
  const model = servedModel(config, pool);
  const metricLabels = registerServingMetrics(options, registry, resources);
  const bodyLimit =
    config.bodyLimitBytes === 'auto'
      ? autoBodyLimit(pool.signature, pool.batchable)
      : { bytes: config.bodyLimitBytes, basis: 'BODY_LIMIT_BYTES' };
  const queue = createQueue(config, registry, metricLabels);
  handoff.countRejected = (reason) => queue.countRejected(reason);
  handoff.app = createApp({
    config: { ...config, bodyLimitBytes: bodyLimit.bytes },
    serving: {
      model,
      pool,
      inference: inferenceMetrics({ registry, constLabels: metricLabels }),
    },
    state,
    registry,
    logger,
    metricLabels,
    queue,
    connections: tracker,
  });
  state.phase = 'ready';
  logReady(options, model, pool, bodyLimit);
}

/**
 * Stops accepting and waits for the connections to finish, for up to `SHUTDOWN_DRAIN_SECONDS`.
 * Returns the requests in flight when it began and those cut off at its end.
 */
async function drain(
  config: Config,
  state: ServerState,
  server: Server,
  tracker: ConnectionTracker,
): Promise<{ inFlight: number; cut: number }> {
  // Stop accepting. net.Server's close, not http.Server's: the latter also drops idle keep-alive
  // connections at once, which races a client sending its next request on one. Instead every
  // response from now on says `Connection: close`, and an idle connection closes when its
  // keep-alive timeout (announced to the client in `Keep-Alive: timeout=5`) runs out.
  state.draining = true;
  NetServer.prototype.close.call(server);
  const deadline = performance.now() + config.shutdownDrainSeconds * 1000;
  const inFlight = tracker.requests;
  while (tracker.connections > 0 && performance.now() < deadline) {
    // Connections that never carried a request have no keep-alive timer: close them past it.
    tracker.closeIdle(server.keepAliveTimeout + 1000);
    await sleep(50);
  }
  const cut = tracker.requests;
  tracker.closeAll();
  return { inFlight, cut };
}

/** Unready at once, serve through the delay, drain, close the workers and the GPU probe. */
async function shutDown(
  reason: string,
  { config, logger }: StartOptions,
  context: {
    state: ServerState;
    server: Server;
    tracker: ConnectionTracker;
    ready: Promise<void>;
    resources: Resources;
  },
): Promise<void> {
  const { state, server, tracker, ready, resources } = context;
  const wasReady = state.phase === 'ready';
  state.phase = 'shutting-down';
  logger.info(
    {
      reason,
      delaySeconds: config.shutdownDelaySeconds,
      drainSeconds: config.shutdownDrainSeconds,
    },
    'shutting down: unready now, serving through the delay',
  );
  if (wasReady && config.shutdownDelaySeconds > 0) await sleep(config.shutdownDelaySeconds * 1000);
  const { inFlight, cut } = await drain(config, state, server, tracker);
  await ready.catch(() => {});
  await resources.pool?.close();
  resources.gpu?.close();
  const log = cut > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
  log({ inFlightAtStop: inFlight, cutOff: cut }, cut > 0 ? 'stopped; drain timed out' : 'stopped');
}

/**
 * Starts the model server: listens at once (liveness answers, readiness is 503), loads and warms
 * the model on the worker pool, then serves.
 *
 * @example
 * const server = await startServer({ config: loadConfig(), logger });
 * await server.ready;
 * process.once('SIGTERM', () => server.shutdown('SIGTERM').then(() => process.exit(0)));
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const registry = new Registry();
  const state: ServerState = { phase: 'loading', draining: false };
  const handoff: Handoff = { app: createLoadingApp({ state, registry, logger }) };
  const { server, tracker } = createHttpServer(config, handoff);
  const port = await listen(server, config.port, config.host);
  logger.info({ host: config.host, port }, 'listening; loading the model');
  if (config.emulatedDevice) {
    logger.warn(
      { emulatedDevice: config.emulatedDevice },
      "EMULATED DEVICE: every batch holds its worker batchMs + rowMs per row on top of the model; a test device, not this model's real speed",
    );
  }
  const resources: Resources = {};
  const ready = loadAndServe(options, { registry, state, handoff, tracker, resources });
  // The caller awaits `ready`; this keeps an early failure from being an unhandled rejection first.
  ready.catch(() => {});

  let stopping: Promise<void> | undefined;
  return {
    port,
    state,
    registry,
    ready,
    shutdown(reason) {
      stopping ??= shutDown(reason, options, { state, server, tracker, ready, resources });
      return stopping;
    },
  };
}
