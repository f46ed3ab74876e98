/**
 * The forecast metrics: the service's request rate ahead (`http_requests_total`, see `SERIES`), in
 * pods, as prometheus-adapter serves them from Prometheus (`rules.external`) for an HPA's
 * `External` metric with a target `AverageValue` of 1: each is a PromQL forecast of the rate,
 * divided by the rate one pod serves within the SLO. `@mlscale/autoscale` writes their rules
 * (`mlscale plan --forecast`), simulates them and checks them.
 */

/** One forecast metric. */
export interface ForecastMetricDefinition {
  /** The external metric's name, as the adapter serves it and the HPA reads it. */
  readonly name: string;
  /** The PromQL function (or modifier) the forecast rests on. */
  readonly promql: string;
  /** What its value means. */
  readonly help: string;
}

/** The forecast metrics by kind. */
export const FORECAST_METRICS = {
  linear: {
    name: 'http_requests_linear_forecast_pods',
    promql: 'predict_linear',
    help: 'Pods for the request rate of the least-squares line through the last minutes, read a pod start-up ahead',
  },
  smoothed: {
    name: 'http_requests_smoothed_forecast_pods',
    promql: 'holt_winters',
    help: 'Pods for the double-exponentially smoothed request rate plus its trend over a pod start-up',
  },
  seasonal: {
    name: 'http_requests_seasonal_forecast_pods',
    promql: 'offset',
    help: 'Pods for the request rate one period ago, a pod start-up ahead of now (same time last period)',
  },
} as const satisfies Record<string, ForecastMetricDefinition>;

/** A kind of forecast: `linear`, `smoothed` or `seasonal`. */
export type ForecastKind = keyof typeof FORECAST_METRICS;

/**
 * The `route` label values of the model server's inference routes (the guide's `/predict` and the
 * Open Inference Protocol's `infer`), as a PromQL regex: the requests that need capacity, not
 * probes or scrapes.
 */
export const INFERENCE_ROUTES = '/predict|/v2/models/:name(/versions/:version)?/infer';
