// The manifests read the series of the metric contract (@mlscale/metric-contract) and nothing the
// model server does not export: every series name an adapter rule, a KEDA trigger, an alert or
// the dashboard reads is either a series of the contract (or a histogram's _bucket/_sum/_count)
// or a documented series of another exporter. A new signal is an entry in the contract first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricNamesInQuery, parseExposition, readScaledObject } from '@mlscale/autoscale';
import { type SeriesDefinition, seriesOfSample } from '@mlscale/metric-contract';
import { describe, expect, it } from 'vitest';
import { infraDir, loadYaml, readInfra } from './helpers.js';

// Series of other exporters, as their documentation names them: kube-state-metrics
// (docs/metrics/workload/*), KEDA (pkg/metricscollector/prommetrics.go), ingress-nginx
// (docs/user-guide/monitoring.md), Prometheus' own `up`.
const otherExporters = new Set([
  'up',
  'kube_deployment_status_replicas_ready',
  'kube_deployment_spec_replicas',
  'kube_horizontalpodautoscaler_status_condition',
  'kube_horizontalpodautoscaler_status_current_replicas',
  'kube_horizontalpodautoscaler_status_desired_replicas',
  'kube_horizontalpodautoscaler_spec_max_replicas',
  'kube_horizontalpodautoscaler_spec_min_replicas',
  'kube_customresource_scaledobject_condition',
  'keda_scaler_detail_errors_total',
  'keda_scaler_errors',
  'nginx_ingress_controller_requests',
]);

interface Rule {
  seriesQuery: string;
  metricsQuery: string;
}

/** An adapter rule's queries with its template filled in, so PromQL names can be read from them. */
function adapterQueries(rule: Rule): string[] {
  const series = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rule.seriesQuery)?.[0] ?? '';
  const filled = rule.metricsQuery
    .replaceAll('<<.Series>>', series)
    .replaceAll('<<.LabelMatchers>>', 'namespace="default"')
    .replaceAll('<<.GroupBy>>', 'pod');
  return [rule.seriesQuery, filled];
}

function queriesRead(): (readonly [string, string])[] {
  const adapter = loadYaml('helm/prometheus-adapter-values.yaml') as {
    rules: { custom?: Rule[]; external?: Rule[] };
  };
  const rules = [...(adapter.rules.custom ?? []), ...(adapter.rules.external ?? [])];
  const keda = ['keda/scaledobject.yaml', 'overlays/keda-scale-to-zero/scaledobject.yaml'].flatMap(
    (path) => {
      const read = readScaledObject(loadYaml(path));
      if (!read.ok) throw new Error(`${path}: ${read.error}`);
      return read.value.prometheusTriggers.map((t) => [path, t.query] as const);
    },
  );
  const alerts = (
    loadYaml('alerts/prometheusrule.yaml') as {
      spec: { groups: { rules: { alert: string; expr: string }[] }[] };
    }
  ).spec.groups.flatMap((g) => g.rules.map((r) => [`alert ${r.alert}`, r.expr] as const));
  const dashboard = (
    JSON.parse(readInfra('dashboards/model-server.json')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    }
  ).panels.flatMap((p) =>
    p.targets.map(
      (t) =>
        [
          `dashboard ${p.title}`,
          t.expr.replace(/\$(namespace|model|pod|hpa)\b/g, 'x').replace(/\$__rate_interval/g, '1m'),
        ] as const,
    ),
  );
  return [
    ...rules.flatMap((r) => adapterQueries(r).map((q) => ['adapter rule', q] as const)),
    ...keda,
    ...alerts,
    ...dashboard,
  ];
}

describe('the manifests read the metric contract', () => {
  it.each(queriesRead())('%s: %s', (_where, query) => {
    const names = metricNamesInQuery(query);
    expect(names.length, 'reads at least one series').toBeGreaterThan(0);
    for (const name of names) {
      expect(
        seriesOfSample(name) !== undefined || otherExporters.has(name),
        `${name}: neither a series of @mlscale/metric-contract nor a documented series of another exporter`,
      ).toBe(true);
    }
  });
});

describe("the model server's recorded /metrics follows the contract", () => {
  // Live-recorded expositions of the server on CPU and on a GPU.
  const expositions = ['metrics-cpu.txt', 'metrics-gpu.txt'].map(
    (file) =>
      [file, parseExposition(readFileSync(join(infraDir, 'test/fixtures', file), 'utf8'))] as const,
  );

  it.each(expositions)('%s: every family of the contract has its type and labels', (_f, page) => {
    let checked = 0;
    for (const [family, type] of page.families) {
      const series = seriesOfSample(family) as SeriesDefinition | undefined;
      if (series === undefined) continue;
      checked++;
      expect(type, family).toBe(series.type);
      const samples = page.samples.filter((s) => seriesOfSample(s.name) === series);
      for (const sample of samples) {
        for (const label of series.labels)
          expect(Object.keys(sample.labels), family).toContain(label);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});
