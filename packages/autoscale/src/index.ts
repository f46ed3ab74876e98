/**
 * The public API of `@mlscale/autoscale`: this list, and nothing else, is what the package
 * promises (the README's "Library" section says the same in words). Everything else under `src/`
 * is internal and may change in any release. The HPA's own math is `@mlscale/hpa`; the metric
 * names are `@mlscale/metric-contract`. At most 60 names: an option or result type that a
 * function's signature already gives (`Parameters<typeof calibrate>[0]`) is not listed again.
 */

// prometheus-adapter rules and KEDA triggers, read and rendered as the adapter and KEDA do.
export { readScaledObject } from './adapter/keda.js';
export { renderMetricsQuery } from './adapter/render.js';
export { type AdapterRule, parseAdapterValues, readAdapterValues } from './adapter/rules.js';
export { compileRuleNamer, metricNameForSeries } from './adapter/series.js';

// Calibration: one pod's capacity under an open-loop ramp (`mlscale calibrate`).
export { renderCapacitySvg } from './calibrate/chart.js';
export { CalibrationError, calibrate } from './calibrate/ramp.js';
export { highestRateMeeting } from './calibrate/slo.js';

// The capacity profile calibrate writes and plan and simulate --profile read.
export { loadCapacityProfile } from './capacity/load.js';
export { podModel } from './capacity/model.js';
export { CAPACITY_PROFILE_SCHEMA, type CapacityProfile } from './capacity/profile.js';
export { type LatencySlo, parseSlo } from './capacity/slo.js';

// The chain check: metric → adapter rule → HPA (`mlscale check`).
export { checkChain } from './chain/check.js';
export { parseExposition } from './chain/exposition.js';
export { formatChainReport } from './chain/format.js';
export type { ChainInput, ChainLink, ChainReport } from './chain/types.js';

// Open-loop load: requests at a fixed rate or a rate trace, latency from the intended send time.
export { rateFromTrace } from './load/arrivals.js';
export { percentile } from './load/latency.js';
export { type RequestResult, startOpenLoop } from './load/open-loop.js';

// Planning from a capacity profile (`mlscale plan`).
export { type AutoscalingPlan, type PlanOptions, planAutoscaling } from './plan/plan.js';
export { renderPlan } from './plan/render.js';

// Prometheus: the HTTP API client and PromQL checks.
export { PrometheusClient } from './prometheus/client.js';
export { PrometheusError } from './prometheus/errors.js';
export { checkPromql } from './promql/check.js';
export { metricNamesInQuery } from './promql/names.js';

// Reactive simulation: pods from a capacity profile under a load trace (`mlscale simulate --profile`).
export { parseLoadCsv } from './simulate/load.js';
export { type ReactiveConfig, type ReactiveReport, simulateReactive } from './simulate/reactive.js';
// Simulation of recorded traces (`mlscale simulate`).
export {
  formatPhaseTable,
  formatSummaryTable,
  renderSvgChart,
} from './simulate/report.js';
export {
  type SimulationConfig,
  type SimulationReport,
  simulate,
  sweepSyncPhases,
} from './simulate/simulate.js';
// The figures of a per-second timeline, as the simulator computes them (for runs on real processes).
export { timelineFigures } from './simulate/timeline-figures.js';
export { formatTraceCsv, parseTraceCsv, type Trace } from './simulate/trace.js';
// Real traffic: request-level traces binned into rates, and the clairvoyant bound.
export { clairvoyantBound } from './traffic/clairvoyant.js';
export { readLoad } from './traffic/requests.js';

// Live evaluation against Prometheus (`mlscale watch`).
export { type Collection, collectAdapterMetrics, meanPerPod } from './watch/collect.js';
export {
  formatWatchHeader,
  formatWatchLine,
  Watcher,
  type WatcherOptions,
  type WatchTick,
} from './watch/watcher.js';
