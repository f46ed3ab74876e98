import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Registry, RegistryContentType } from 'prom-client';
import { checkConstLabels } from './registry-metric.js';
import {
  CountsCounter,
  type HistogramSeries,
  registerSeriesMetric,
  SeriesHistogram,
} from './series-histogram.js';

/** prom-client's default buckets (Prometheus clients' usual 5 ms … 10 s layout). */
export const DEFAULT_HTTP_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** The `route` label of a request that no route handler matched (a 404 from `notFound`). */
export const UNMATCHED_ROUTE = 'unmatched';

const httpLabelNames = ['method', 'route', 'status'] as const;

/** Options of {@link httpMetrics}. */
export interface HttpMetricsOptions {
  /** Where the metrics are registered. Never prom-client's global registry. */
  registry: Registry<RegistryContentType>;
  /** Buckets of `http_request_duration_seconds`. Default: {@link DEFAULT_HTTP_BUCKETS}. */
  buckets?: readonly number[];
  /** Labels whose values are fixed for the process, such as `{ model: 'resnet50' }`. */
  constLabels?: Readonly<Record<string, string>>;
  /** Request paths that are not recorded. Default: `['/metrics']`, so scrapes are not counted. */
  ignorePaths?: readonly string[];
  /**
   * Routes whose `status="200"` series exist, at zero, from the start. prometheus-adapter only
   * discovers a metric once a series of it exists, so without this an HPA on the latency of a
   * route reads `<unknown>` until the route's first request. Default: none.
   */
  primeRoutes?: ReadonlyArray<{ method: string; route: string }>;
}

/**
 * Hono middleware recording `http_requests_total` and `http_request_duration_seconds` with the
 * labels `method`, `route` (the matched route pattern, such as `/v2/models/:name/infer`, never the
 * raw URL) and `status`. Mount it before the routes it should see.
 *
 * The duration runs from the moment the middleware is entered until the handler has returned
 * its response; a streamed body is not waited for.
 *
 * @param options.registry - the registry to record on
 * @param options.buckets - default: 5 ms … 10 s
 * @param options.constLabels - default: none
 * @param options.ignorePaths - default: `['/metrics']`
 * @param options.primeRoutes - default: none
 * @example
 * app.use(httpMetrics({ registry }));
 */
export function httpMetrics({
  registry,
  buckets = DEFAULT_HTTP_BUCKETS,
  constLabels,
  ignorePaths = ['/metrics'],
  primeRoutes = [],
}: HttpMetricsOptions): MiddlewareHandler {
  const labelNames = [...httpLabelNames, ...checkConstLabels(constLabels, httpLabelNames)];
  const durations = registerSeriesMetric(
    registry,
    new SeriesHistogram(
      'http_request_duration_seconds',
      'Time from the request reaching the server until its response, in seconds',
      labelNames,
      buckets,
    ),
    SeriesHistogram.is,
  );
  registerSeriesMetric(
    registry,
    durations.countsAsCounter(
      'http_requests_total',
      'HTTP requests answered, by method, route pattern and status',
    ),
    CountsCounter.is,
  );
  const ignored = new Set(ignorePaths);
  // The series of each (method, route, status), looked up once: the set is bounded by the app's
  // routes, not by its traffic.
  const seriesByKey = new Map<string, HistogramSeries>();

  function seriesOf(method: string, route: string, status: number): HistogramSeries {
    const key = `${method} ${status} ${route}`;
    let series = seriesByKey.get(key);
    if (series === undefined) {
      series = durations.series({ method, route, status: String(status), ...constLabels });
      seriesByKey.set(key, series);
    }
    return series;
  }
  for (const { method, route } of primeRoutes) seriesOf(method, route, 200);

  function record(method: string, route: string, status: number, seconds: number): void {
    seriesOf(method, route, status).observe(seconds);
  }

  return async function httpMetrics(c, next) {
    if (ignored.has(c.req.path)) return next();
    const start = performance.now();
    try {
      await next();
    } catch (error) {
      record(c.req.method, routeOf(c, httpMetrics), 500, (performance.now() - start) / 1000);
      throw error;
    }
    record(c.req.method, routeOf(c, httpMetrics), c.res.status, (performance.now() - start) / 1000);
  };
}

/** The pattern of the route that answered, or {@link UNMATCHED_ROUTE} when only `self` ran. */
function routeOf(c: Parameters<MiddlewareHandler>[0], self: MiddlewareHandler): string {
  const route = matchedRoutes(c)[c.req.routeIndex];
  if (route === undefined || route.handler === self) return UNMATCHED_ROUTE;
  return route.path;
}
