export {
  FORECAST_METRICS,
  type ForecastKind,
  type ForecastMetricDefinition,
  INFERENCE_ROUTES,
} from './forecast.js';
export {
  BATCH_SIZE_BUCKETS,
  HISTOGRAM_SUFFIXES,
  HTTP_BUCKETS,
  INFERENCE_BUCKETS,
  SERIES,
  type SeriesDefinition,
  type SeriesKey,
  type SeriesName,
  type SeriesType,
  seriesOfSample,
  WAIT_BUCKETS,
} from './series.js';
