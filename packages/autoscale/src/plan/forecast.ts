/**
 * A forecast in a plan: the HPA gets a further `External` metric, the service's request rate a
 * pod's come-back time ahead in pods (target `AverageValue` 1: the HPA asks for that many pods),
 * served by a prometheus-adapter `rules.external` rule (or a KEDA trigger) whose PromQL Prometheus
 * evaluates: no new moving part. The HPA takes the largest proposal of its metrics, so the forecast
 * only adds pods before the reactive metrics would; they still act when it is wrong.
 */
import type { MetricSpec } from '@mlscale/hpa';
import { FORECAST_METRICS, INFERENCE_ROUTES, SERIES } from '@mlscale/metric-contract';
import { round } from '../capacity/model.js';
import { type ForecastMethod, type ForecastParameters, forecastQuery } from '../forecast/signal.js';
import type { AutoscalingPlan } from './plan.js';

/** A forecast of a plan. */
export interface PlannedForecast {
  parameters: ForecastParameters;
  /** The external metric's name (from `@mlscale/metric-contract`). */
  metric: string;
  /** Every number's reason, for the comments. */
  why: string;
}

/** What a forecast is sized from. */
export interface ForecastOptions {
  method: ForecastMethod;
  /** Seconds from the decision until a new pod serves. */
  startupSeconds: number;
  syncPeriodSeconds: number;
  scrapeIntervalSeconds: number;
  /** The range the trend is fitted over (default 300 s). */
  rangeSeconds?: number;
  /** seasonal: the period (default one day). */
  periodSeconds?: number;
  /** smoothed: holt_winters' factors (default 0.5 and 0.5). */
  smoothing?: number;
  trend?: number;
}

/**
 * Sizes a forecast for a plan: the horizon is a pod's come-back time (a sync and a scrape to see
 * it, then the start-up), the divisor the plan's per-pod rate.
 *
 * @param plan - the plan (its per-pod target rate)
 * @param options - the method and the cluster's timings
 * @returns the forecast, with its reasons
 * @example
 * plan.forecast = planForecast(plan, { method: 'linear', startupSeconds: 120, syncPeriodSeconds: 15, scrapeIntervalSeconds: 5 });
 */
export function planForecast(plan: AutoscalingPlan, options: ForecastOptions): PlannedForecast {
  const horizon =
    options.startupSeconds + options.syncPeriodSeconds + options.scrapeIntervalSeconds;
  const parameters: ForecastParameters = {
    method: options.method,
    rateWindowSeconds: 60,
    rangeSeconds: options.rangeSeconds ?? 300,
    stepSeconds: options.scrapeIntervalSeconds,
    horizonSeconds: horizon,
    smoothing: options.smoothing ?? 0.5,
    trend: options.trend ?? 0.5,
    periodSeconds: options.periodSeconds ?? 86_400,
    perPodRps: round(plan.targetRps.value),
  };
  const ahead = `${horizon} s ahead (a pod's come-back time: a sync ${options.syncPeriodSeconds} s and a scrape ${options.scrapeIntervalSeconds} s to see it, then the start-up ${options.startupSeconds} s)`;
  const what = {
    linear: `the least-squares line through the last ${parameters.rangeSeconds} s of the request rate (every ${parameters.stepSeconds} s), read ${ahead}`,
    smoothed: `the request rate smoothed over the last ${parameters.rangeSeconds} s (holt_winters, sf ${parameters.smoothing}, tf ${parameters.trend}) plus its least-squares trend ${ahead}`,
    seasonal: `the request rate one period (${parameters.periodSeconds} s) ago, ${ahead}; the rate now while no period lies behind`,
  }[options.method];
  return {
    parameters,
    metric: FORECAST_METRICS[options.method].name,
    why: `${what}, divided by ${parameters.perPodRps} req/s per pod (the per-pod rate held): the pods that rate needs; the HPA takes the largest proposal of its metrics, so the forecast only adds pods ahead of the reactive metrics`,
  };
}

/** The request counter's matchers besides the adapter's: the Deployment's pods, inference routes. */
function matchers(name: string): string {
  return `pod=~"${name}-.*",route=~"${INFERENCE_ROUTES}"`;
}

/**
 * The HPA metric that reads a forecast.
 *
 * @param forecast - the plan's forecast
 * @returns an `External` metric with a target `AverageValue` of 1 pod
 */
export function forecastMetricSpec(forecast: PlannedForecast): MetricSpec {
  return {
    type: 'External',
    external: {
      metric: { name: forecast.metric },
      target: { type: 'AverageValue', averageValue: '1' },
    },
  };
}

/**
 * The prometheus-adapter `rules.external` rule serving a forecast.
 *
 * @param forecast - the plan's forecast
 * @param name - the Deployment's name (its pods are `<name>-…`)
 * @returns the rule, as the Helm values write it
 */
export function forecastAdapterRule(forecast: PlannedForecast, name: string) {
  const counter = SERIES.httpRequests.name;
  return {
    seriesQuery: `${counter}{namespace!="",pod!=""}`,
    resources: { overrides: { namespace: { resource: 'namespace' } } },
    name: { matches: `^${counter}$`, as: forecast.metric },
    metricsQuery: forecastQuery(forecast.parameters, `<<.LabelMatchers>>,${matchers(name)}`),
  };
}

/**
 * The KEDA trigger of a forecast: the query's value is pods, so the threshold is 1.
 *
 * @param forecast - the plan's forecast
 * @param target - the Deployment, its namespace and the Prometheus address
 * @returns the trigger
 */
export function forecastTrigger(
  forecast: PlannedForecast,
  target: { name: string; namespace: string; prometheusUrl: string },
) {
  return {
    type: 'prometheus',
    name: forecast.metric.replaceAll('_', '-'),
    metricType: 'AverageValue',
    metadata: {
      serverAddress: target.prometheusUrl,
      query: forecastQuery(
        forecast.parameters,
        `namespace="${target.namespace}",${matchers(target.name)}`,
      ),
      threshold: '1',
      ignoreNullValues: 'false',
    },
  };
}
