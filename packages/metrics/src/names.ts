import type { Registry, RegistryContentType } from 'prom-client';

const metricNamePrefix = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** OpenMetrics' limit on an exemplar's label names and values together, in characters. */
export const EXEMPLAR_MAX_CHARS = 128;

/**
 * Checks a metric name prefix (`''`, or something like `myapp_`) and returns it. Throws at setup
 * on one that would make invalid metric names.
 *
 * @param prefix - prepended to every metric name
 * @example
 * checkPrefix('myapp_'); // 'myapp_'
 */
export function checkPrefix(prefix: string): string {
  if (prefix !== '' && !metricNamePrefix.test(prefix)) {
    throw new Error(
      `prefix: "${prefix}" would make invalid metric names (letters, digits, _ and :, not starting with a digit)`,
    );
  }
  return prefix;
}

/**
 * Whether `registry` renders OpenMetrics, the only exposition format that carries exemplars.
 *
 * @param registry - a prom-client registry
 * @example
 * isOpenMetrics(new Registry(Registry.OPENMETRICS_CONTENT_TYPE)); // true
 */
export function isOpenMetrics(registry: Registry<RegistryContentType>): boolean {
  return registry.contentType.startsWith('application/openmetrics-text');
}

/**
 * Whether `labels` can be an OpenMetrics exemplar: valid label names, string values, and at most
 * {@link EXEMPLAR_MAX_CHARS} characters of names and values together. An empty set is no exemplar.
 *
 * @param labels - the exemplar's labels, such as `{ trace_id: '4bf92f35…' }`
 * @example
 * isExemplar({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }); // true
 */
export function isExemplar(labels: Readonly<Record<string, string>> | undefined): boolean {
  if (labels === undefined) return false;
  let chars = 0;
  let count = 0;
  for (const [name, value] of Object.entries(labels)) {
    if (!labelName.test(name) || typeof value !== 'string') return false;
    chars += [...name].length + [...value].length;
    count++;
  }
  return count > 0 && chars <= EXEMPLAR_MAX_CHARS;
}
