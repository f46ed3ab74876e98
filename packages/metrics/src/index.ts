export {
  DEFAULT_HTTP_BUCKETS,
  type HttpMetricsOptions,
  httpMetrics,
  KNOWN_METHODS,
  OTHER_METHOD,
  UNMATCHED_ROUTE,
} from './http-metrics.js';
export {
  DEFAULT_INFERENCE_BUCKETS,
  type ExemplarLabels,
  type InferenceMetrics,
  type InferenceMetricsOptions,
  inferenceMetrics,
} from './inference-metrics.js';
export { type MetricsHandlerOptions, metricsHandler } from './metrics-handler.js';
export { checkConstLabels, getOrCreateMetric, type MetricKind } from './registry-metric.js';
export {
  CountsCounter,
  type HistogramSeries,
  registerSeriesMetric,
  SeriesHistogram,
} from './series-histogram.js';
