export {
  type KedaPrometheusTrigger,
  type KedaScaledObject,
  parseGoBool,
  readScaledObject,
} from './keda.js';
export {
  goQuote,
  labelForResource,
  type MetricsQueryArgs,
  type MetricsQueryRequest,
  metricsQueryArgs,
  renderMetricsQuery,
  renderMetricsTemplate,
} from './render.js';
export type { Result as AdapterResult } from './result.js';
export {
  type AdapterRule,
  type AdapterValues,
  parseAdapterValues,
  type ResourceOverride,
  readAdapterValues,
  type SeriesFilter,
} from './rules.js';
export {
  compileRuleNamer,
  type DiscoveredMetric,
  discoverMetrics,
  invalidMatchers,
  type LabelMatcher,
  metricNameForSeries,
  parseSeriesSelector,
  type RuleNamer,
  type SeriesLabels,
  seriesMatches,
} from './series.js';
