// The autoscaling queries this repository ships, as the Prometheus tests send them.
import {
  compileRuleNamer,
  metricNameForSeries,
  readAdapterValues,
  readScaledObject,
  renderMetricsQuery,
} from '@mlscale/autoscale';
import { loadYaml } from './helpers.js';

/**
 * Each custom rule of `helm/prometheus-adapter-values.yaml`, as [the metric it serves, its
 * metricsQuery rendered as the adapter would for `pods` of namespace `default`]. Throws on a rule
 * that does not read, render or name.
 *
 * @param pods - the pod names the adapter would ask for
 */
export function shippedAdapterQueries(pods: readonly string[]): (readonly [string, string])[] {
  const values = readAdapterValues(loadYaml('helm/prometheus-adapter-values.yaml'));
  if (!values.ok) throw new Error(values.error);
  return values.value.custom.map((rule) => {
    const series = /^[a-z_]+/.exec(rule.seriesQuery)?.[0] ?? '';
    const query = renderMetricsQuery(rule, { series, namespace: 'default', names: [...pods] });
    if (!query.ok) throw new Error(query.error);
    const namer = compileRuleNamer(rule);
    if (!namer.ok) throw new Error(namer.error);
    return [metricNameForSeries(namer.value, series) ?? series, query.value] as const;
  });
}

/**
 * Each Prometheus trigger of `keda/scaledobject.yaml`, as [its name, its query]. Throws when the
 * ScaledObject does not read.
 */
export function shippedKedaQueries(): (readonly [string, string])[] {
  const scaledObject = readScaledObject(loadYaml('keda/scaledobject.yaml'));
  if (!scaledObject.ok) throw new Error(scaledObject.error);
  return scaledObject.value.prometheusTriggers.map(
    (t) => [t.name ?? t.metricName, t.query] as const,
  );
}
