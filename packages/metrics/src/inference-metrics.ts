import { INFERENCE_BUCKETS, SERIES } from '@mlscale/metric-contract';
import { Histogram, type Registry, type RegistryContentType } from 'prom-client';
import { checkPrefix, isExemplar, isOpenMetrics } from './names.js';
import { checkConstLabels, getOrCreateMetric } from './registry-metric.js';

/**
 * Buckets of `inference_latency_seconds`, 100 µs to 10 s in 1-2.5-5 steps, so that a model of
 * 0.2 ms and one of 3 s both spread over several buckets. The reference guide's buckets
 * (0.01 … 5) are all among them, so its queries and dashboards read this histogram unchanged
 * (the metric contract's `INFERENCE_BUCKETS`, from `@mlscale/metric-contract`).
 */
export const DEFAULT_INFERENCE_BUCKETS = INFERENCE_BUCKETS;

/** Labels of one exemplar, such as `{ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }`. */
export type ExemplarLabels = Readonly<Record<string, string>>;

/** Options of {@link inferenceMetrics}. */
export interface InferenceMetricsOptions {
  /** Where `inference_latency_seconds` is registered. Never prom-client's global registry. */
  registry: Registry<RegistryContentType>;
  /** Histogram buckets in seconds. Default: {@link DEFAULT_INFERENCE_BUCKETS}. */
  buckets?: readonly number[];
  /** Labels whose values are fixed for the process, such as `{ model: 'resnet50' }`. */
  constLabels?: Readonly<Record<string, string>>;
  /** Prepended to the metric name, such as `myapp_` for `myapp_inference_latency_seconds`. Default: `''`. */
  prefix?: string;
}

/**
 * Records the time spent in the model itself, apart from the end-to-end request. Each method
 * takes an optional exemplar: on an OpenMetrics registry it becomes the latest exemplar of the
 * bucket the value falls in; Prometheus text has no place for exemplars, so there it is not kept.
 * A set over OpenMetrics' 128 characters (names and values together) is not kept either.
 */
export interface InferenceMetrics {
  /** Records one model call that took `seconds`. Non-finite or negative values are ignored. */
  observe(seconds: number, exemplar?: ExemplarLabels): void;
  /** Runs `fn`, records how long it took (also when it throws), and returns its result. */
  time<T>(fn: () => T | Promise<T>, exemplar?: ExemplarLabels): Promise<T>;
  /** Starts a timer; calling the returned function records and returns the elapsed seconds. */
  startTimer(exemplar?: ExemplarLabels): () => number;
}

/**
 * Creates the `inference_latency_seconds` histogram on `registry` (or reuses it) and returns
 * ways to record exactly the model call.
 *
 * @param options.registry - the registry to record on
 * @param options.buckets - default: the guide's 0.01 … 5 s
 * @param options.constLabels - default: none
 * @param options.prefix - default: `''`
 * @example
 * const inference = inferenceMetrics({ registry });
 * const output = await inference.time(() => session.run(feeds));
 */
export function inferenceMetrics({
  registry,
  buckets = DEFAULT_INFERENCE_BUCKETS,
  constLabels,
  prefix = '',
}: InferenceMetricsOptions): InferenceMetrics {
  const labelNames = checkConstLabels(constLabels, []);
  const name = `${checkPrefix(prefix)}${SERIES.inferenceLatency.name}`;
  const exemplars = isOpenMetrics(registry);
  const histogram = getOrCreateMetric(
    registry,
    'histogram',
    name,
    labelNames,
    () =>
      new Histogram({
        name,
        help: SERIES.inferenceLatency.help,
        labelNames,
        buckets: [...buckets],
        registers: [registry],
        enableExemplars: exemplars,
      }),
  );
  const labels = { ...constLabels };
  const recorder = labelNames.length > 0 ? histogram.labels(labels) : histogram;

  function observe(seconds: number, exemplar?: ExemplarLabels): void {
    if (!(Number.isFinite(seconds) && seconds >= 0)) return;
    // prom-client's exemplar-enabled histogram takes one object, and needs it for every call.
    if (exemplars) {
      histogram.observe({
        labels,
        value: seconds,
        exemplarLabels: isExemplar(exemplar) ? { ...exemplar } : {},
      });
    } else {
      recorder.observe(seconds);
    }
  }
  function startTimer(exemplar?: ExemplarLabels): () => number {
    const start = performance.now();
    return function stopInferenceTimer() {
      const seconds = (performance.now() - start) / 1000;
      observe(seconds, exemplar);
      return seconds;
    };
  }
  return {
    observe,
    startTimer,
    async time<T>(fn: () => T | Promise<T>, exemplar?: ExemplarLabels): Promise<T> {
      const stop = startTimer(exemplar);
      try {
        return await fn();
      } finally {
        stop();
      }
    },
  };
}
