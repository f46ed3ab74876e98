import { HTTP_BUCKETS, SERIES } from '@mlscale/metric-contract';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Registry, RegistryContentType } from 'prom-client';
import { checkPrefix, isExemplar, isOpenMetrics } from './names.js';
import { checkConstLabels } from './registry-metric.js';
import {
  CountsCounter,
  type HistogramSeries,
  registerSeriesMetric,
  SeriesHistogram,
} from './series-histogram.js';

/** prom-client's default buckets (Prometheus clients' usual 5 ms … 10 s layout); the metric contract's `HTTP_BUCKETS`. */
export const DEFAULT_HTTP_BUCKETS = HTTP_BUCKETS;

/**
 * The `route` label of a request that no route matched: only middleware (`app.use`) matched its
 * path, so Hono's `notFound` answered it (or one of those middlewares did).
 */
export const UNMATCHED_ROUTE = 'unmatched';

const httpLabelNames = SERIES.httpDuration.labels;

/**
 * The `method` label of a request whose method is not one of {@link KNOWN_METHODS}: Node's parser
 * accepts 34 methods (WebDAV's PROPFIND, MKCOL...), and each would otherwise be a series a client
 * creates at will. OpenTelemetry's HTTP conventions use the same value for the same reason.
 */
export const OTHER_METHOD = '_OTHER';

/** The methods recorded by name (RFC 9110's and PATCH); any other is {@link OTHER_METHOD}. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** The `method` label of `method`: itself when known, else {@link OTHER_METHOD}. */
function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
}

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
  /** Prepended to both metric names, such as `myapp_` for `myapp_http_requests_total`. Default: `''`. */
  prefix?: string;
  /**
   * The exemplar of a request's duration, such as `{ trace_id }` from its trace context, or
   * `undefined` for none. Called once per request after the handler. Needs an OpenMetrics registry
   * (the only format that carries exemplars); label names and values together may be at most 128
   * characters (OpenMetrics' limit), a longer or invalid set is not recorded. Default: none.
   */
  exemplar?: (c: Context) => Readonly<Record<string, string>> | undefined;
}

/**
 * Hono middleware recording `http_requests_total` and `http_request_duration_seconds` with the
 * labels `method` (one of {@link KNOWN_METHODS}, any other folded into {@link OTHER_METHOD}), `route` (the matched route pattern, such as `/v2/models/:name/infer`, never the
 * raw URL; {@link UNMATCHED_ROUTE} when no route matched) and `status`. Mount it before the routes
 * it should see.
 *
 * The duration runs from the moment the middleware is entered until the handler has returned
 * its response; a streamed body is not waited for.
 *
 * @param options.registry - the registry to record on
 * @param options.buckets - default: 5 ms … 10 s
 * @param options.constLabels - default: none
 * @param options.ignorePaths - default: `['/metrics']`
 * @param options.primeRoutes - default: none
 * @param options.prefix - default: `''`
 * @param options.exemplar - default: none; needs an OpenMetrics registry
 * @throws at setup, on an exemplar function with a registry that serves Prometheus text
 * @example
 * app.use(httpMetrics({ registry }));
 */
export function httpMetrics({
  registry,
  buckets = DEFAULT_HTTP_BUCKETS,
  constLabels,
  ignorePaths = ['/metrics'],
  primeRoutes = [],
  prefix = '',
  exemplar,
}: HttpMetricsOptions): MiddlewareHandler {
  const labelNames = [...httpLabelNames, ...checkConstLabels(constLabels, httpLabelNames)];
  checkPrefix(prefix);
  if (exemplar !== undefined && !isOpenMetrics(registry)) {
    throw new Error(
      'httpMetrics: exemplars need an OpenMetrics registry (registry.setContentType(openMetricsContentType) before setting up); Prometheus text has no place for them',
    );
  }
  const durations = registerSeriesMetric(
    registry,
    new SeriesHistogram(
      `${prefix}${SERIES.httpDuration.name}`,
      SERIES.httpDuration.help,
      labelNames,
      buckets,
    ),
    SeriesHistogram.is,
  );
  registerSeriesMetric(
    registry,
    durations.countsAsCounter(`${prefix}${SERIES.httpRequests.name}`, SERIES.httpRequests.help),
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

  function record(c: Context, status: number, seconds: number): void {
    const series = seriesOf(methodLabel(c.req.method), routeOf(c), status);
    const labels = exemplar?.(c);
    series.observe(seconds, isExemplar(labels) ? labels : undefined);
  }

  return async function httpMetrics(c, next) {
    if (ignored.has(c.req.path)) return next();
    const start = performance.now();
    try {
      await next();
    } catch (error) {
      record(c, 500, (performance.now() - start) / 1000);
      throw error;
    }
    record(c, c.res.status, (performance.now() - start) / 1000);
  };
}

type MatchedRoute = ReturnType<typeof matchedRoutes>[number];

/**
 * A route, as opposed to a middleware mounted with `app.use` (method `ALL` and a handler that
 * takes `next`, the test Hono's own `matchedRoutes` example uses).
 */
function isRoute(route: MatchedRoute): boolean {
  return route.method !== 'ALL' || route.handler.length < 2;
}

/**
 * The pattern of the route that answered; when a middleware answered before it (a refusal, an
 * auth check), the route the request was going to; {@link UNMATCHED_ROUTE} when no route matched.
 */
function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  const answered = routes[c.req.routeIndex];
  if (answered !== undefined && isRoute(answered)) return answered.path;
  return routes.find(isRoute)?.path ?? UNMATCHED_ROUTE;
}
