/** The value types PromQL expressions evaluate to. */
export type PromqlType = 'scalar' | 'vector' | 'matrix' | 'string';

/** A PromQL function's signature: argument types, how many may be left out, and its result. */
export interface PromqlFunctionSignature {
  /** Argument types in order. */
  readonly args: readonly PromqlType[];
  /** How many trailing arguments are optional (0 when all are required). */
  readonly optional?: number;
  /** Whether the last argument may repeat (label_join's source labels). */
  readonly variadic?: boolean;
  /** The result type. */
  readonly returns: PromqlType;
}

const rangeToVector: PromqlFunctionSignature = { args: ['matrix'], returns: 'vector' };
const vectorToVector: PromqlFunctionSignature = { args: ['vector'], returns: 'vector' };
const timeOfVector: PromqlFunctionSignature = { args: ['vector'], optional: 1, returns: 'vector' };

/**
 * Signatures of the PromQL functions the checker types, after Prometheus' `promql/parser/functions.go`.
 * A function missing here is still parsed; only its arguments go unchecked.
 */
export const promqlFunctions: Readonly<Record<string, PromqlFunctionSignature>> = {
  abs: vectorToVector,
  absent: vectorToVector,
  absent_over_time: rangeToVector,
  acos: vectorToVector,
  asin: vectorToVector,
  atan: vectorToVector,
  avg_over_time: rangeToVector,
  ceil: vectorToVector,
  changes: rangeToVector,
  clamp: { args: ['vector', 'scalar', 'scalar'], returns: 'vector' },
  clamp_max: { args: ['vector', 'scalar'], returns: 'vector' },
  clamp_min: { args: ['vector', 'scalar'], returns: 'vector' },
  count_over_time: rangeToVector,
  day_of_month: timeOfVector,
  day_of_week: timeOfVector,
  day_of_year: timeOfVector,
  days_in_month: timeOfVector,
  delta: rangeToVector,
  deriv: rangeToVector,
  // Prometheus 3.x's name of holt_winters
  double_exponential_smoothing: { args: ['matrix', 'scalar', 'scalar'], returns: 'vector' },
  exp: vectorToVector,
  floor: vectorToVector,
  histogram_avg: vectorToVector,
  // Prometheus 2.x (double_exponential_smoothing from 3.0)
  holt_winters: { args: ['matrix', 'scalar', 'scalar'], returns: 'vector' },
  histogram_count: vectorToVector,
  histogram_fraction: { args: ['scalar', 'scalar', 'vector'], returns: 'vector' },
  histogram_quantile: { args: ['scalar', 'vector'], returns: 'vector' },
  histogram_sum: vectorToVector,
  hour: timeOfVector,
  idelta: rangeToVector,
  increase: rangeToVector,
  irate: rangeToVector,
  label_join: {
    args: ['vector', 'string', 'string', 'string'],
    variadic: true,
    returns: 'vector',
  },
  label_replace: { args: ['vector', 'string', 'string', 'string', 'string'], returns: 'vector' },
  last_over_time: rangeToVector,
  ln: vectorToVector,
  log10: vectorToVector,
  log2: vectorToVector,
  max_over_time: rangeToVector,
  min_over_time: rangeToVector,
  minute: timeOfVector,
  month: timeOfVector,
  predict_linear: { args: ['matrix', 'scalar'], returns: 'vector' },
  present_over_time: rangeToVector,
  quantile_over_time: { args: ['scalar', 'matrix'], returns: 'vector' },
  rate: rangeToVector,
  resets: rangeToVector,
  round: { args: ['vector', 'scalar'], optional: 1, returns: 'vector' },
  scalar: { args: ['vector'], returns: 'scalar' },
  sgn: vectorToVector,
  sort: vectorToVector,
  sort_desc: vectorToVector,
  sqrt: vectorToVector,
  stddev_over_time: rangeToVector,
  stdvar_over_time: rangeToVector,
  sum_over_time: rangeToVector,
  time: { args: [], returns: 'scalar' },
  timestamp: vectorToVector,
  vector: { args: ['scalar'], returns: 'vector' },
  year: timeOfVector,
};

/** Aggregations that take a parameter before the vector (`topk(3, x)`). */
export const parameterisedAggregations: ReadonlySet<string> = new Set([
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'limitk',
  'limit_ratio',
]);
