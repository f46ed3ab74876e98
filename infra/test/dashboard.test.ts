import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPromql, metricNamesInQuery, parseExposition } from '@mlscale/autoscale';
import { describe, expect, it } from 'vitest';
import { infraDir, readInfra } from './helpers.js';

interface Panel {
  readonly title: string;
  readonly targets: readonly { readonly expr: string }[];
}

const dashboard = JSON.parse(readInfra('dashboards/model-server.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};
// Series the server exposes, and families it declares that get series only once labelled (e.g.
// requests_rejected_total{reason} after the first rejection).
const exposed = new Set(
  ['metrics-cpu.txt', 'metrics-gpu.txt'].flatMap((file) => {
    const parsed = parseExposition(readFileSync(join(infraDir, 'test/fixtures', file), 'utf8'));
    return [...parsed.names, ...parsed.families.keys()];
  }),
);
const kubeStateMetrics = [
  'kube_horizontalpodautoscaler_status_current_replicas',
  'kube_horizontalpodautoscaler_status_desired_replicas',
  'kube_horizontalpodautoscaler_spec_max_replicas',
  'kube_horizontalpodautoscaler_spec_min_replicas',
];

/** Grafana substitutes its variables before Prometheus sees the query. */
function substitute(expr: string): string {
  return expr.replace(/\$(namespace|model|pod|hpa)\b/g, 'x').replace(/\$__rate_interval/g, '1m');
}

const targets = dashboard.panels.flatMap((panel) =>
  panel.targets.map((t) => [panel.title, t.expr] as const),
);

describe('the Grafana dashboard', () => {
  it('has the variables its queries use', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual([
      'datasource',
      'namespace',
      'model',
      'pod',
      'hpa',
    ]);
    expect(dashboard.uid).toBe('mlscale-model-server');
  });

  it.each(targets)('%s: %s is valid PromQL over series that exist', (_title, expr) => {
    const query = substitute(expr);
    expect(checkPromql(query), query).toMatchObject({ ok: true });
    for (const name of metricNamesInQuery(query)) {
      expect(
        exposed.has(name) || kubeStateMetrics.includes(name),
        `${name} is neither exposed nor from kube-state-metrics`,
      ).toBe(true);
    }
  });

  it('selects models: every query on a serving series filters by $model, and one panel splits by model and version', () => {
    // The serving series carry `model` and `version` (MODEL_NAME/MODEL_VERSION); the rest
    // (batch size, GPU) are narrowed to the model's pods through $pod, which $model filters.
    const labelled = /^(http_request|inference_latency|request_queue|requests_rejected)/;
    for (const [title, expr] of targets) {
      for (const name of metricNamesInQuery(substitute(expr))) {
        if (labelled.test(name))
          expect(expr, `${title}: ${name}`).toMatch(new RegExp(`${name}\\{[^}]*model=~"\\$model"`));
      }
    }
    const pod = dashboard.templating.list.find((v) => v.name === 'pod') as unknown as {
      query: { query: string };
    };
    expect(pod.query.query).toContain('model=~"$model"');
    expect(targets.some(([, expr]) => /by \(model, version\)/.test(expr))).toBe(true);
  });

  it("shows the HPA's replica counts from kube-state-metrics", () => {
    const names = new Set(targets.flatMap(([, expr]) => metricNamesInQuery(substitute(expr))));
    for (const metric of kubeStateMetrics) expect(names).toContain(metric);
    for (const metric of [
      'request_queue_depth',
      'request_queue_depth_seconds_total',
      'gpu_utilization_percent',
    ]) {
      expect(names).toContain(metric);
    }
  });
});
