/**
 * Forecast signals: the service's request rate ahead, in pods, as a prometheus-adapter external
 * rule (or a KEDA trigger) asks Prometheus for it, and as the simulator evaluates the same query
 * on the simulated pods' `http_requests_total` samples, with Prometheus' own functions
 * (`../promql/forecast.ts`). The rate is `sum(rate(http_requests_total[w]))` over the service's
 * pods; the three forecasts of it, each divided by the per-pod SLO rate so that the value is the
 * pods needed (the HPA targets it with an `AverageValue` of 1):
 *
 * - `linear`: `predict_linear(rate[range:step], horizon)`, the least-squares line through the last
 *   `range` of the rate, read `horizon` (the pods' start-up, a sync and a scrape) ahead;
 * - `smoothed`: `holt_winters(rate[range:step], sf, tf) + horizon * deriv(rate[range:step])`, the
 *   double-exponentially smoothed rate (Prometheus 2.x's name) plus the least-squares trend over the
 *   horizon: `holt_winters` gives the smoothed level now, not a value ahead;
 * - `seasonal`: `rate offset (period − horizon)`, the rate one period ago, `horizon` ahead of now
 *   ("same time last period"), falling back to the rate now while there is no period behind.
 */
import { SERIES } from '@mlscale/metric-contract';
import {
  deriv,
  extrapolatedRate,
  holtWinters,
  inRange,
  predictLinear,
  subquerySteps,
  type TimedValue,
} from '../promql/forecast.js';

/** The kinds of forecast. */
export type ForecastMethod = 'linear' | 'smoothed' | 'seasonal';

/** A forecast's parameters, all in seconds and requests per second. */
export interface ForecastParameters {
  method: ForecastMethod;
  /** The window of `rate()` (default 60). */
  rateWindowSeconds: number;
  /** The subquery's range (linear, smoothed). */
  rangeSeconds: number;
  /** The subquery's step (the scrape interval). */
  stepSeconds: number;
  /** How far ahead (linear, smoothed, seasonal). */
  horizonSeconds: number;
  /** holt_winters' smoothing and trend factors (smoothed). */
  smoothing: number;
  trend: number;
  /** The season's length (seasonal). */
  periodSeconds: number;
  /** The per-pod SLO rate the forecast is divided by. */
  perPodRps: number;
}

/** A forecast signal, as read from a query. */
export interface ForecastSignal extends ForecastParameters {
  kind: 'forecast';
  query: string;
}

const requests = SERIES.httpRequests.name;

/** A PromQL duration in whole seconds (`300s`), as Prometheus reads it whatever the value. */
function seconds(value: number): string {
  return `${Math.round(value)}s`;
}

/** A number as PromQL reads it back exactly (up to 6 decimals). */
function number(value: number): string {
  return String(Number(value.toFixed(6)));
}

/**
 * The forecast's PromQL, over the series `matchers` select.
 *
 * @param p - the forecast
 * @param matchers - label matchers of `http_requests_total` (`<<.LabelMatchers>>` in an adapter rule)
 * @returns the query
 * @example
 * forecastQuery({ method: 'linear', rateWindowSeconds: 60, rangeSeconds: 300, stepSeconds: 5, horizonSeconds: 50, perPodRps: 23.75, ... }, 'namespace="default"');
 * // 'predict_linear(sum(rate(http_requests_total{namespace="default"}[60s]))[300s:5s], 50) / 23.75'
 */
export function forecastQuery(p: ForecastParameters, matchers: string): string {
  const rate = `sum(rate(${requests}{${matchers}}[${seconds(p.rateWindowSeconds)}]))`;
  const sub = `${rate}[${seconds(p.rangeSeconds)}:${seconds(p.stepSeconds)}]`;
  const perPod = number(p.perPodRps);
  if (p.method === 'linear')
    return `predict_linear(${sub}, ${number(p.horizonSeconds)}) / ${perPod}`;
  if (p.method === 'smoothed')
    return `(holt_winters(${sub}, ${number(p.smoothing)}, ${number(p.trend)}) + ${number(p.horizonSeconds)} * deriv(${sub})) / ${perPod}`;
  const back = `sum(rate(${requests}{${matchers}}[${seconds(p.rateWindowSeconds)}] offset ${seconds(p.periodSeconds - p.horizonSeconds)}))`;
  return `(${back} or ${rate}) / ${perPod}`;
}

function durationSeconds(text: string): number {
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as const;
  return [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)].reduce(
    (sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit],
    0,
  );
}

const NUM = '(\\d+(?:\\.\\d+)?)';
const DUR = '((?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d|w))+)';
const RATE = `sum\\(rate\\(${requests}\\{[^}]*\\}\\[${DUR}\\]\\)\\)`;
const SUB = `${RATE}\\[${DUR}:${DUR}\\]`;
const SHAPES: { method: ForecastMethod; pattern: RegExp }[] = [
  { method: 'linear', pattern: new RegExp(`^predict_linear\\(${SUB}, ${NUM}\\) / ${NUM}$`) },
  {
    method: 'smoothed',
    pattern: new RegExp(
      `^\\(holt_winters\\(${SUB}, ${NUM}, ${NUM}\\) \\+ ${NUM} \\* deriv\\(${SUB}\\)\\) / ${NUM}$`,
    ),
  },
  {
    method: 'seasonal',
    pattern: new RegExp(
      `^\\(sum\\(rate\\(${requests}\\{[^}]*\\}\\[${DUR}\\] offset ${DUR}\\)\\) or ${RATE}\\) / ${NUM}$`,
    ),
  },
];

/**
 * Reads a forecast query written by {@link forecastQuery} (after the adapter rendered it) back
 * into its parameters; any other query that uses a forecast function is refused, never guessed.
 *
 * @param query - the rendered query
 * @returns the signal, undefined when the query uses no forecast, or why it cannot be simulated
 */
export function forecastFromQuery(
  query: string,
): { ok: true; value: ForecastSignal } | { ok: false; error: string } | undefined {
  if (!/\b(predict_linear|holt_winters|double_exponential_smoothing|offset)\b/.test(query))
    return undefined;
  const text = query.trim();
  for (const { method, pattern } of SHAPES) {
    const m = pattern.exec(text);
    if (!m) continue;
    const g = m.slice(1).map((x) => x ?? '');
    const base = { kind: 'forecast' as const, method, query, smoothing: 0.5, trend: 0.5 };
    if (method === 'linear')
      return {
        ok: true,
        value: {
          ...base,
          rateWindowSeconds: durationSeconds(g[0] as string),
          rangeSeconds: durationSeconds(g[1] as string),
          stepSeconds: durationSeconds(g[2] as string),
          horizonSeconds: Number(g[3]),
          periodSeconds: 0,
          perPodRps: Number(g[4]),
        },
      };
    if (method === 'smoothed')
      return {
        ok: true,
        value: {
          ...base,
          rateWindowSeconds: durationSeconds(g[0] as string),
          rangeSeconds: durationSeconds(g[1] as string),
          stepSeconds: durationSeconds(g[2] as string),
          smoothing: Number(g[3]),
          trend: Number(g[4]),
          horizonSeconds: Number(g[5]),
          periodSeconds: 0,
          perPodRps: Number(g[9]),
        },
      };
    const back = durationSeconds(g[1] as string);
    return {
      ok: true,
      value: {
        ...base,
        rateWindowSeconds: durationSeconds(g[0] as string),
        rangeSeconds: 0,
        stepSeconds: 0,
        horizonSeconds: 0,
        periodSeconds: back,
        perPodRps: Number(g[3]),
      },
    };
  }
  return {
    ok: false,
    error: `a forecast the simulator does not read: it evaluates the shapes mlscale writes (predict_linear, holt_winters + deriv, offset over sum(rate(${requests}[w])), divided by the per-pod rate; see the README)`,
  };
}

/**
 * `sum(rate(http_requests_total[w]))` at `at` over the pods' counter samples, as Prometheus
 * evaluates it: the series with two samples in the window, each rate extrapolated, summed.
 *
 * @param series - each pod's counter samples, in time order (pods gone included while in the window)
 * @param at - seconds
 * @param window - the rate's window, seconds
 * @returns requests per second, or undefined when no series has a rate
 */
export function summedRate(
  series: readonly (readonly TimedValue[])[],
  at: number,
  window: number,
): number | undefined {
  let sum: number | undefined;
  for (const samples of series) {
    const rate = extrapolatedRate(inRange(samples, at, window), at, window);
    if (rate !== undefined) sum = (sum ?? 0) + rate;
  }
  return sum;
}

/**
 * The forecast's value at `at` (pods), as Prometheus would answer the query.
 *
 * @param signal - the forecast
 * @param series - each pod's `http_requests_total` samples
 * @param at - evaluation time, seconds
 * @returns the pods the forecast asks for, or undefined when the query has no answer
 */
export function forecastValue(
  signal: ForecastParameters,
  series: readonly (readonly TimedValue[])[],
  at: number,
): number | undefined {
  const w = signal.rateWindowSeconds;
  if (signal.method === 'seasonal') {
    const back = at - (signal.periodSeconds - signal.horizonSeconds);
    const rate = summedRate(series, back, w) ?? summedRate(series, at, w);
    return rate === undefined ? undefined : rate / signal.perPodRps;
  }
  const points: TimedValue[] = [];
  for (const time of subquerySteps(at, signal.rangeSeconds, signal.stepSeconds)) {
    const value = summedRate(series, time, w);
    if (value !== undefined) points.push({ time, value });
  }
  const value =
    signal.method === 'linear'
      ? predictLinear(points, at, signal.horizonSeconds)
      : plus(
          holtWinters(points, signal.smoothing, signal.trend),
          signal.horizonSeconds,
          deriv(points),
        );
  return value === undefined ? undefined : value / signal.perPodRps;
}

function plus(level: number | undefined, horizon: number, slope: number | undefined) {
  return level === undefined || slope === undefined ? undefined : level + horizon * slope;
}
