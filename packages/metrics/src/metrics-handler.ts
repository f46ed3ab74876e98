import type { Context, Handler } from 'hono';
import type { Registry, RegistryContentType } from 'prom-client';

// prom-client's Registry.OPENMETRICS_CONTENT_TYPE and PROMETHEUS_CONTENT_TYPE, without importing
// the value (the registry may come from another copy of prom-client).
const OPENMETRICS = 'application/openmetrics-text';

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  /** The registry to serve. */
  registry: Registry<RegistryContentType>;
}

/**
 * A Hono handler serving `registry` in its own format: Prometheus text (0.0.4) for a default
 * registry, OpenMetrics (exemplars included) for one created with prom-client's OpenMetrics
 * content type. An OpenMetrics registry cannot be rendered as Prometheus text, so a scraper whose
 * `Accept` rules OpenMetrics out gets 406. A failing collector gives a 500 that names the error.
 *
 * @param options.registry - the registry to serve
 * @example
 * app.get('/metrics', metricsHandler({ registry }));
 */
export function metricsHandler({ registry }: MetricsHandlerOptions): Handler {
  return async function metricsHandler(c: Context) {
    const contentType = registry.contentType;
    if (contentType.startsWith(OPENMETRICS) && !acceptsOpenMetrics(c)) {
      return c.json(
        {
          error: `this registry serves ${OPENMETRICS} only; send an Accept header that allows it`,
        },
        406,
      );
    }
    let body: string;
    try {
      body = await registry.metrics();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return c.text(`# collecting metrics failed: ${reason}\n`, 500);
    }
    return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  };
}

/** Whether some media range of `Accept` with q > 0 covers OpenMetrics (no header: anything goes). */
function acceptsOpenMetrics(c: Context): boolean {
  const header = c.req.header('Accept');
  if (!header) return true;
  return header.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) return false;
    return type === OPENMETRICS || type === 'application/*' || type === '*/*';
  });
}
