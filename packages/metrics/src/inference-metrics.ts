import { Histogram, type Registry, type RegistryContentType } from 'prom-client';
import { checkConstLabels, getOrCreateMetric } from './registry-metric.js';

/**
 * The reference guide's buckets for `inference_latency_seconds`, kept so its dashboards and
 * adapter rules read this histogram unchanged.
 */
export const DEFAULT_INFERENCE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** Options of {@link inferenceMetrics}. */
export interface InferenceMetricsOptions {
  /** Where `inference_latency_seconds` is registered. Never prom-client's global registry. */
  registry: Registry<RegistryContentType>;
  /** Histogram buckets in seconds. Default: {@link DEFAULT_INFERENCE_BUCKETS}. */
  buckets?: readonly number[];
  /** Labels whose values are fixed for the process, such as `{ model: 'resnet50' }`. */
  constLabels?: Readonly<Record<string, string>>;
}

/** Records the time spent in the model itself, apart from the end-to-end request. */
export interface InferenceMetrics {
  /** Records one model call that took `seconds`. Non-finite or negative values are ignored. */
  observe(seconds: number): void;
  /** Runs `fn`, records how long it took (also when it throws), and returns its result. */
  time<T>(fn: () => T | Promise<T>): Promise<T>;
  /** Starts a timer; calling the returned function records and returns the elapsed seconds. */
  startTimer(): () => number;
}

/**
 * Creates the `inference_latency_seconds` histogram on `registry` (or reuses it) and returns
 * ways to record exactly the model call.
 *
 * @param options.registry - the registry to record on
 * @param options.buckets - default: the guide's 0.01 … 5 s
 * @param options.constLabels - default: none
 * @example
 * const inference = inferenceMetrics({ registry });
 * const output = await inference.time(() => session.run(feeds));
 */
export function inferenceMetrics({
  registry,
  buckets = DEFAULT_INFERENCE_BUCKETS,
  constLabels,
}: InferenceMetricsOptions): InferenceMetrics {
  const labelNames = checkConstLabels(constLabels, []);
  const histogram = getOrCreateMetric(
    registry,
    'histogram',
    'inference_latency_seconds',
    labelNames,
    () =>
      new Histogram({
        name: 'inference_latency_seconds',
        help: 'Time spent in the model itself, per request, in seconds',
        labelNames,
        buckets: [...buckets],
        registers: [registry],
      }),
  );
  const recorder = labelNames.length > 0 ? histogram.labels({ ...constLabels }) : histogram;

  function observe(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) recorder.observe(seconds);
  }
  function startTimer(): () => number {
    const start = performance.now();
    return function stopInferenceTimer() {
      const seconds = (performance.now() - start) / 1000;
      observe(seconds);
      return seconds;
    };
  }
  return {
    observe,
    startTimer,
    async time<T>(fn: () => T | Promise<T>): Promise<T> {
      const stop = startTimer();
      try {
        return await fn();
      } finally {
        stop();
      }
    },
  };
}
