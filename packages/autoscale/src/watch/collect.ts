/**
 * Reads the values an HPA would get from prometheus-adapter (or KEDA), straight from Prometheus:
 * discover the series as the adapter does, render each rule's `metricsQuery` for the namespace and
 * the pods found, and run it.
 */
import type { KedaScaledObject } from '../adapter/keda.js';
import {
  type LabelSelector,
  labelForResource,
  renderExternalMetricsQuery,
  renderMetricsQuery,
} from '../adapter/render.js';
import type { AdapterRule } from '../adapter/rules.js';
import { discoverMetrics, type SeriesLabels } from '../adapter/series.js';
import type { PrometheusClient } from '../prometheus/client.js';
import { mayServe, whyNoSeries } from './why-no-series.js';

/** One metric's values for the pods, as the custom metrics API would return them. */
export interface CollectedMetric {
  /** Metric name in the custom metrics API. */
  metric: string;
  /** The PromQL the adapter would run (absent when no rule serves the metric). */
  query?: string;
  /** Value per pod (pods absent from the map returned nothing); for an External or KEDA metric, per series of the answer. */
  values: Record<string, number>;
  /** Why there are no values. */
  error?: string;
}

/** What one collection found. */
export interface Collection {
  /** Pods of the namespace that have series for the rules, sorted. */
  pods: string[];
  /** Per requested metric. */
  metrics: Record<string, CollectedMetric>;
}

/**
 * Collects per-pod values of custom metrics served by prometheus-adapter rules.
 *
 * @param options - Prometheus client, the adapter's `rules.custom`, namespace, the metric names wanted, and optionally the pods (default: every pod with series in the namespace)
 * @returns pods and values; failures are reported per metric (a refused connection is thrown)
 * @throws PrometheusError when Prometheus cannot be reached
 * @example
 * await collectAdapterMetrics({ client, rules: values.custom, namespace: 'e2e', metrics: ['request_queue_depth'] });
 */
export async function collectAdapterMetrics(options: {
  client: PrometheusClient;
  rules: readonly AdapterRule[];
  namespace: string;
  metrics: readonly string[];
  pods?: readonly string[];
  signal?: AbortSignal;
}): Promise<Collection> {
  const { client, rules, namespace } = options;
  const series: SeriesLabels[] = [];
  const pods = new Set<string>(options.pods ?? []);
  for (const rule of rules) {
    const found = await client.series(
      [rule.seriesQuery],
      options.signal ? { signal: options.signal } : {},
    );
    const nsLabel = labelForResource(rule, 'namespaces');
    const podLabel = labelForResource(rule, 'pods');
    for (const labels of found) {
      if (nsLabel.ok && labels[nsLabel.value] !== namespace) continue;
      series.push({ name: labels.__name__ ?? '', labels });
      if (!options.pods && podLabel.ok && labels[podLabel.value])
        pods.add(labels[podLabel.value] as string);
    }
  }
  const podList = [...pods].sort();
  const { metrics: discovered, errors } = discoverMetrics(rules, series);
  const result: Collection = { pods: podList, metrics: {} };
  for (const metric of options.metrics) {
    const entry = discovered.find((d) => d.metric === metric);
    if (!entry) {
      result.metrics[metric] = {
        metric,
        values: {},
        error:
          errors.length > 0
            ? `no adapter rule serves ${metric} (${errors.join('; ')})`
            : await unservedReason(client, rules, metric, namespace, options.signal),
      };
      continue;
    }
    if (podList.length === 0) {
      result.metrics[metric] = {
        metric,
        values: {},
        error: `no pods with series in namespace "${namespace}": ${await whyNoSeries(client, entry.rule, namespace, options.signal)}`,
      };
      continue;
    }
    const query = renderMetricsQuery(entry.rule, {
      series: entry.series,
      namespace,
      names: podList,
    });
    if (!query.ok) {
      result.metrics[metric] = { metric, values: {}, error: query.error };
      continue;
    }
    const answer = await client.query(
      query.value,
      options.signal ? { signal: options.signal } : {},
    );
    const podLabel = labelForResource(entry.rule, 'pods');
    const values: Record<string, number> = {};
    if (answer.resultType === 'vector' && podLabel.ok) {
      for (const sample of answer.result) {
        const pod = sample.metric[podLabel.value];
        // The adapter drops samples it cannot convert (NaN, ±Inf): they read as missing.
        if (pod && Number.isFinite(sample.value)) values[pod] = sample.value;
      }
    }
    result.metrics[metric] = { metric, query: query.value, values };
  }
  return result;
}

/** Why no rule serves a metric for the namespace, asked of Prometheus for each rule that could. */
async function unservedReason(
  client: PrometheusClient,
  rules: readonly AdapterRule[],
  metric: string,
  namespace: string,
  signal?: AbortSignal,
): Promise<string> {
  const candidates = rules.filter((rule) => mayServe(rule, metric));
  if (candidates.length === 0) {
    return `no adapter rule serves "${metric}": no rule's name.matches/name.as yields that name`;
  }
  const reasons: string[] = [];
  for (const rule of candidates) reasons.push(await whyNoSeries(client, rule, namespace, signal));
  return `no adapter rule serves "${metric}" in namespace "${namespace}": ${reasons.join('; ')}`;
}

/**
 * Collects the values of `External` metrics served by prometheus-adapter `rules.external`, as the
 * adapter's external provider answers the HPA: every series a rule's `seriesQuery` selects is named
 * (in any namespace: external series are not tied to pods), the rule's `metricsQuery` is rendered
 * for the HPA's namespace (unless the rule says `resources.namespaced: false`) and the metric's
 * whole selector, and each sample of the answer is one item of the list the HPA sums. An empty
 * answer is the HPA's error "no metrics returned from external metrics API".
 *
 * @param options - Prometheus client, the adapter's `rules.external`, the HPA's namespace, the metrics wanted with their selectors
 * @returns metric name → values (one per sample, keyed by its labels) or an error
 * @throws PrometheusError when Prometheus cannot be reached
 * @example
 * await collectExternalMetrics({ client, rules: values.external, namespace: 'default', metrics: [{ name: 'queue_messages', selector: { matchLabels: { queue: 'infer' } } }] });
 */
export async function collectExternalMetrics(options: {
  client: PrometheusClient;
  rules: readonly AdapterRule[];
  namespace: string;
  metrics: readonly { name: string; selector?: LabelSelector }[];
  signal?: AbortSignal;
}): Promise<Record<string, CollectedMetric>> {
  const { client, rules, namespace } = options;
  const signal = options.signal ? { signal: options.signal } : {};
  const series: SeriesLabels[] = [];
  for (const rule of rules) {
    for (const labels of await client.series([rule.seriesQuery], signal)) {
      series.push({ name: labels.__name__ ?? '', labels });
    }
  }
  const { metrics: discovered, errors } = discoverMetrics(rules, series);
  const out: Record<string, CollectedMetric> = {};
  for (const { name, selector } of options.metrics) {
    const entry = discovered.find((d) => d.metric === name);
    if (!entry) {
      out[name] = {
        metric: name,
        values: {},
        error:
          errors.length > 0
            ? `no rules.external rule serves ${name} (${errors.join('; ')})`
            : `no rules.external rule serves "${name}": the adapter lists an external metric only once a series its seriesQuery selects exists, and only under the name its name.as gives`,
      };
      continue;
    }
    const query = renderExternalMetricsQuery(entry.rule, {
      series: entry.series,
      namespace,
      ...(selector ? { selector } : {}),
    });
    if (!query.ok) {
      out[name] = { metric: name, values: {}, error: query.error };
      continue;
    }
    const answer = await client.query(query.value, signal);
    const values: Record<string, number> = {};
    if (answer.resultType === 'vector') {
      for (const sample of answer.result) {
        if (Number.isFinite(sample.value)) values[JSON.stringify(sample.metric)] = sample.value;
      }
    } else if (answer.resultType === 'scalar' && Number.isFinite(answer.result.value)) {
      values.scalar = answer.result.value;
    }
    out[name] =
      Object.keys(values).length > 0
        ? { metric: name, query: query.value, values }
        : {
            metric: name,
            query: query.value,
            values,
            error: `the query returned nothing: the HPA reads "no metrics returned from external metrics API" and does not scale on ${name}`,
          };
  }
  return out;
}

/**
 * The mean over the pods of each metric of a collection: one row of a trace
 * (`mlscale simulate`'s per-pod means). Metrics with no value for any pod are left out.
 *
 * @param collection - from `collectAdapterMetrics`
 * @returns metric name → mean per pod
 * @example
 * trace.points.push({ time, replicas: 2, values: meanPerPod(await collectAdapterMetrics(options)) });
 */
export function meanPerPod(collection: Collection): Record<string, number> {
  const means: Record<string, number> = {};
  for (const [name, collected] of Object.entries(collection.metrics)) {
    const values = Object.values(collected.values);
    if (values.length > 0) means[name] = values.reduce((a, b) => a + b, 0) / values.length;
  }
  return means;
}

/**
 * Runs each Prometheus trigger of a KEDA ScaledObject as KEDA does (the query as written; an
 * empty result reads as 0 when `ignoreNullValues` is true, the default) and returns the value of
 * each external metric (`s<index>-prometheus`).
 *
 * @param client - Prometheus client
 * @param scaledObject - from `readScaledObject`
 * @returns metric name → value, or an error message per trigger
 * @throws PrometheusError when Prometheus cannot be reached
 * @example
 * await collectKedaMetrics(client, scaledObject);
 */
export async function collectKedaMetrics(
  client: PrometheusClient,
  scaledObject: KedaScaledObject,
): Promise<Record<string, CollectedMetric>> {
  const out: Record<string, CollectedMetric> = {};
  for (const trigger of scaledObject.prometheusTriggers) {
    const answer = await client.query(trigger.query);
    const samples =
      answer.resultType === 'vector'
        ? answer.result.map((s) => s.value)
        : answer.resultType === 'scalar'
          ? [answer.result.value]
          : [];
    if (samples.length === 0 && !trigger.ignoreNullValues) {
      out[trigger.metricName] = {
        metric: trigger.metricName,
        query: trigger.query,
        values: {},
        error:
          'empty result and ignoreNullValues is false: KEDA reports an error (fallback applies)',
      };
      continue;
    }
    if (samples.length > 1) {
      out[trigger.metricName] = {
        metric: trigger.metricName,
        query: trigger.query,
        values: {},
        error: `the query returned ${samples.length} series; KEDA's prometheus scaler needs exactly one (wrap it in sum(...))`,
      };
      continue;
    }
    const value = samples[0] ?? 0;
    out[trigger.metricName] = {
      metric: trigger.metricName,
      query: trigger.query,
      values: { total: value },
    };
  }
  return out;
}
