/**
 * The public API of `@mlscale/autoscale`: this list, and nothing else, is what the package
 * promises (the README's "Library" section says the same in words). Everything else under `src/`
 * is internal and may change in any release.
 */

export {
  type KedaPrometheusTrigger,
  type KedaScaledObject,
  readScaledObject,
} from './adapter/keda.js';
export {
  type ExternalQueryRequest,
  type LabelSelector,
  type LabelSelectorRequirement,
  type MetricsQueryRequest,
  readLabelSelector,
  renderExternalMetricsQuery,
  renderMetricsQuery,
} from './adapter/render.js';
// prometheus-adapter rules and KEDA triggers, as the adapter and KEDA read them.
export type { Result as AdapterResult } from './adapter/result.js';
export {
  type AdapterRule,
  type AdapterValues,
  parseAdapterValues,
  type ResourceOverride,
  readAdapterValues,
  type SeriesFilter,
} from './adapter/rules.js';
export {
  compileRuleNamer,
  type DiscoveredMetric,
  discoverMetrics,
  type LabelMatcher,
  metricNameForSeries,
  parseSeriesSelector,
  type RuleNamer,
  type SeriesLabels,
  seriesMatches,
} from './adapter/series.js';
// Calibration: one pod's capacity under an open-loop ramp (what `mlscale calibrate` runs).
export { renderCapacitySvg } from './calibrate/chart.js';
export {
  CalibrationError,
  type CalibrationOptions,
  type CalibrationProgress,
  calibrate,
  measureStep,
} from './calibrate/ramp.js';
export { formatProfileTable, formatStepLine } from './calibrate/report.js';
export { highestRateMeeting, stepMeetsSlo } from './calibrate/slo.js';
export { loadCapacityProfile } from './capacity/load.js';
export { type OperatingPoint, type PodModel, podModel, rateMeetingSlo } from './capacity/model.js';
// The capacity profile: what calibrate writes and plan and simulate --profile read.
export {
  CAPACITY_PROFILE_SCHEMA,
  type CapacityProfile,
  type CapacityStep,
  type LatencySummary,
} from './capacity/profile.js';
export {
  capacityProfileSchema,
  type ProfileValidation,
  parseCapacityProfile,
  validateCapacityProfile,
} from './capacity/schema.js';
export {
  formatSlo,
  type LatencySlo,
  type LatencyStatistic,
  parseSlo,
} from './capacity/slo.js';
// The chain check (what `mlscale check` runs).
export { checkChain } from './chain/check.js';
export { type ExposedSample, type Exposition, parseExposition } from './chain/exposition.js';
export { formatChainReport } from './chain/format.js';
export {
  type ChainInput,
  type ChainLink,
  type ChainReport,
  DEFAULT_ASSUMPTIONS,
  type LinkStatus,
  type WorkloadAssumptions,
} from './chain/types.js';
// Its pure functions, each the port of the upstream function of the same name.
export {
  calculateScaleDownLimit,
  calculateScaleUpLimit,
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  DEFAULT_DOWNSCALE_STABILIZATION_SECONDS,
  getReplicasChangePerPeriod,
  type ResolvedBehavior,
  type ResolvedScalingRules,
  resolveBehavior,
  stabilizeRecommendation,
  stabilizeRecommendationWithBehaviors,
  storeScaleEvent,
  type TimestampedRecommendation,
  type TimestampedScaleEvent,
} from './hpa/behavior.js';
// The HPA controller, ported from Kubernetes (pkg/controller/podautoscaler).
export {
  HpaController,
  type HpaControllerOptions,
  type HpaDecision,
  type MetricEvaluation,
  type MetricInput,
  type StabilizationStep,
  type SyncInput,
} from './hpa/controller.js';
export { describeDecision, formatQuantity, formatTargets } from './hpa/describe.js';
export { parseQuantity, quantityToMilli } from './hpa/quantity.js';
export {
  calcPlainMetricReplicas,
  DEFAULT_TOLERANCE,
  DEFAULT_TOLERANCES,
  externalMetricReplicas,
  getMetricUsageRatio,
  getUsageRatioReplicaCount,
  groupPods,
  isWithinTolerance,
  objectMetricReplicas,
  type PodGroups,
  perPodMetricReplicas,
  type ReplicaCalculation,
} from './hpa/replica-calculator.js';
export type {
  Behavior,
  HorizontalPodAutoscaler,
  HpaSpec,
  MetricIdentifier,
  MetricSpec,
  MetricTarget,
  PodInfo,
  QuantityValue,
  ScalingPolicy,
  ScalingRules,
  Tolerances,
} from './hpa/types.js';
// Open-loop load: requests at a fixed arrival rate or a rate trace, latency from the intended send time.
export {
  type ArrivalProcess,
  arrivalTimes,
  type RateFunction,
  type RatePoint,
  rateFromTrace,
} from './load/arrivals.js';
export { percentile, summarizeLatency } from './load/latency.js';
export {
  type OpenLoop,
  type OpenLoopOptions,
  type OpenLoopTotals,
  type RequestResult,
  startOpenLoop,
} from './load/open-loop.js';
// Planning from a capacity profile (what `mlscale plan` runs).
export {
  type AutoscalingPlan,
  type Explained,
  type PlanOptions,
  planAutoscaling,
} from './plan/plan.js';
export { type PlanManifests, type PlanTarget, renderPlan } from './plan/render.js';
// Prometheus: the HTTP API client and PromQL checks.
export {
  type Labels,
  type MatrixSeries,
  PrometheusClient,
  type PrometheusClientOptions,
  type PromTime,
  type QueryResult,
  type VectorSample,
} from './prometheus/client.js';
export { PrometheusError, type PrometheusErrorKind } from './prometheus/errors.js';
export {
  checkPromql,
  formatPromqlIssue,
  type PromqlCheckResult,
  type PromqlIssue,
} from './promql/check.js';
export { metricNamesInQuery } from './promql/names.js';
// RE2 (Go and Prometheus regular expressions).
export {
  compileGoRegexp,
  compileLabelMatcher,
  expandGoTemplate,
  type Re2Match,
  type Re2Regexp,
} from './regexp/re2.js';
// Reactive simulation: pods from a capacity profile under an arrival-rate trace (`mlscale simulate --profile`).
export { type LoadTrace, parseLoadCsv, rateAt } from './simulate/load.js';
export {
  type ReactiveConfig,
  type ReactiveOptions,
  type ReactiveReport,
  type ReactiveSummary,
  simulateReactive,
} from './simulate/reactive.js';
export { sweepReactivePhases } from './simulate/reactive-phases.js';
export { formatReactiveTable, renderReactiveChart } from './simulate/reactive-report.js';
// Simulation of recorded traces (what `mlscale simulate` runs).
export {
  formatPhaseTable,
  formatSummaryTable,
  formatTimeline,
  renderSvgChart,
} from './simulate/report.js';
export {
  type PhaseSummary,
  type SimulationConfig,
  type SimulationOptions,
  type SimulationReport,
  type SimulationSummary,
  simulate,
  sweepSyncPhases,
  type TimelineEntry,
} from './simulate/simulate.js';
export {
  formatTraceCsv,
  parseTraceCsv,
  type Trace,
  type TracePoint,
  traceFromMatrices,
} from './simulate/trace.js';
// Live evaluation against Prometheus (what `mlscale watch` runs).
export {
  type CollectedMetric,
  type Collection,
  collectAdapterMetrics,
  collectExternalMetrics,
  collectKedaMetrics,
  meanPerPod,
} from './watch/collect.js';
export {
  formatWatchHeader,
  formatWatchLine,
  hpaFromScaledObject,
  WATCH_HEADER,
  Watcher,
  type WatcherOptions,
  type WatchTick,
} from './watch/watcher.js';
