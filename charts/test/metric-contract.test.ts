// The chart's metric names are the metric contract's (@mlscale/metric-contract, its SERIES table):
// every series the adapter rules, the KEDA triggers and the alerts read is a series of the contract
// (or a histogram's _bucket/_sum/_count), or a documented series of another exporter; and the metric
// names values.schema.json accepts for the HPA are exactly those the chart's adapter rules serve.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricNamesInQuery } from '@mlscale/autoscale';
import { SERIES, seriesOfSample } from '@mlscale/metric-contract';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartDir, type Doc, only, parseDocs, template } from './helm.js';

// As infra/test/metric-contract.test.ts: kube-state-metrics, KEDA, ingress-nginx, Prometheus' `up`.
const otherExporters = new Set([
  'up',
  'kube_deployment_status_replicas_ready',
  'kube_deployment_spec_replicas',
  'kube_horizontalpodautoscaler_status_condition',
  'kube_horizontalpodautoscaler_status_current_replicas',
  'kube_horizontalpodautoscaler_spec_max_replicas',
  'kube_customresource_scaledobject_condition',
  'keda_scaler_detail_errors_total',
  'keda_scaler_errors',
  'nginx_ingress_controller_requests',
]);

interface Rule {
  seriesQuery: string;
  metricsQuery: string;
  name: { matches: string; as: string };
}

async function adapterRules(): Promise<{ custom: Rule[]; external: Rule[] }> {
  return parse(await template(['--set', 'output=prometheus-adapter-values'])).rules;
}

function seriesOf(rule: Rule): string {
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rule.seriesQuery)?.[0] ?? '';
}

/** The metric a rule serves, named as prometheus-adapter names it (Go's regexp Expand of name.as). */
function servedName(rule: Rule): string {
  const as = rule.name.as.replace(/\$\{(\d+)\}/g, '$$$1');
  return seriesOf(rule).replace(new RegExp(rule.name.matches), as);
}

function expectContract(where: string, query: string): void {
  const names = metricNamesInQuery(query);
  expect(names.length, `${where} reads at least one series`).toBeGreaterThan(0);
  for (const name of names) {
    expect(
      seriesOfSample(name) !== undefined || otherExporters.has(name),
      `${where}: ${name} is neither a series of @mlscale/metric-contract nor a documented series of another exporter`,
    ).toBe(true);
  }
}

describe("the chart's series are the metric contract's", () => {
  it('every adapter rule', async () => {
    const { custom, external } = await adapterRules();
    for (const rule of [...custom, ...external]) {
      const filled = rule.metricsQuery
        .replaceAll('<<.Series>>', seriesOf(rule))
        .replaceAll('<<.LabelMatchers>>', 'namespace="default"')
        .replaceAll('<<.GroupBy>>', 'pod');
      expectContract(`rule ${rule.seriesQuery}`, rule.seriesQuery);
      expectContract(`rule ${rule.seriesQuery}`, filled);
    }
    // every series of the contract the HPA can scale on has a rule
    const read = new Set(custom.map(seriesOf).map((name) => seriesOfSample(name)?.name));
    for (const series of [
      SERIES.inferenceLatency,
      SERIES.queueDepth,
      SERIES.queueDepthSeconds,
      SERIES.httpDuration,
      SERIES.gpuUtilization,
    ]) {
      expect(read, series.name).toContain(series.name);
    }
  });

  it.each([
    ['the ServiceMonitor', []],
    ['a PodMonitor', ['-f', join(chartDir, 'examples/pod-monitor.yaml')]],
  ] as const)('every alert, and every KEDA trigger, scraped through %s', async (_how, args) => {
    const docs = parseDocs(await template([...args, '--set', 'autoscaling.engine=keda']));
    const rule = only(docs, 'PrometheusRule');
    for (const group of rule.spec.groups) {
      for (const alert of group.rules) expectContract(`alert ${alert.alert}`, alert.expr);
    }
    const triggers = only(docs, 'ScaledObject').spec.triggers as Doc[];
    expect(triggers.length).toBe(2);
    for (const trigger of triggers)
      expectContract(`trigger ${trigger.name}`, trigger.metadata.query);
  });
});

describe('values.schema.json names the metrics the adapter rules serve', () => {
  it('no more, no fewer', async () => {
    const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8'));
    const accepted: string[] =
      schema.properties.autoscaling.properties.metrics.items.properties.name.enum;
    const { custom } = await adapterRules();
    expect([...accepted].sort()).toEqual(custom.map(servedName).sort());
  });

  it("the HPA's metrics are those names, for the defaults and the GPU example", async () => {
    const { custom } = await adapterRules();
    const served = new Set(custom.map(servedName));
    for (const args of [[], ['-f', join(chartDir, 'examples/gpu.yaml')]]) {
      const hpa = only(parseDocs(await template(args)), 'HorizontalPodAutoscaler');
      for (const metric of hpa.spec.metrics) expect(served).toContain(metric.pods.metric.name);
    }
  });
});
