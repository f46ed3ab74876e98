import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { checkPromql, metricNamesInQuery, parseExposition } from '@mlscale/autoscale';
import { describe, expect, it } from 'vitest';
import { infraDir, loadYaml, readInfra } from './helpers.js';
import { promtoolMissing, runPromtool } from './promtool.js';
import { unknownFields } from './strict.js';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleSpec {
  groups: { name: string; rules: AlertRule[] }[];
}
interface UnitTests {
  rule_files: string[];
  tests: {
    name: string;
    alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
  }[];
}

const rule = loadYaml('alerts/prometheusrule.yaml') as {
  metadata: { labels: Record<string, string> };
  spec: RuleSpec;
};
const alerts = rule.spec.groups.flatMap((group) => group.rules);
const unitTests = loadYaml('alerts/test/model-server-alerts.test.yaml') as UnitTests;

/** Fails (never skips) when promtool is missing, saying how to get it. */
function requirePromtool(): void {
  const missing = promtoolMissing();
  if (missing) throw new Error(missing);
}

// Series the model server exposes (live-recorded fixtures), and the families it declares that get
// series only once labelled (requests_rejected_total{reason} after the first rejection).
const exposed = new Set(
  ['metrics-cpu.txt', 'metrics-gpu.txt'].flatMap((file) => {
    const parsed = parseExposition(readFileSync(join(infraDir, 'test/fixtures', file), 'utf8'));
    return [...parsed.names, ...parsed.families.keys()];
  }),
);
// Series of other exporters, as their documentation names them:
// kube-state-metrics docs/metrics/workload/{deployment,horizontalpodautoscaler}-metrics.md, and
// KEDA's pkg/metricscollector/prommetrics.go (keda_scaler_detail_errors_total from 2.15;
// keda_scaler_errors before).
const external = new Set([
  'up',
  'kube_deployment_status_replicas_ready',
  'kube_deployment_spec_replicas',
  'kube_horizontalpodautoscaler_status_condition',
  'kube_horizontalpodautoscaler_status_current_replicas',
  'kube_horizontalpodautoscaler_spec_max_replicas',
  'keda_scaler_detail_errors_total',
  'keda_scaler_errors',
]);

describe('the PrometheusRule (infra/alerts/prometheusrule.yaml)', () => {
  it('validates against the prometheus-operator schema with no unknown field', async () => {
    const doc = loadYaml('alerts/prometheusrule.yaml') as Record<string, unknown>;
    new PrometheusRule(doc as never).validate();
    expect(await unknownFields(doc)).toEqual([]);
  });

  it("carries the release label kube-prometheus-stack's ruleSelector matches", () => {
    const values = loadYaml('helm/kube-prometheus-stack-values.yaml') as {
      prometheus: { prometheusSpec: Record<string, unknown> };
    };
    const spec = values.prometheus.prometheusSpec;
    expect(spec.ruleSelectorNilUsesHelmValues).toBe(false);
    expect(spec.ruleSelector).toEqual({ matchLabels: { release: 'prometheus' } });
    expect(spec.ruleNamespaceSelector).toEqual({});
    expect(rule.metadata.labels.release).toBe('prometheus');
  });

  it('has the alerts the issue asks for, one per broken link', () => {
    expect(alerts.map((a) => a.alert)).toEqual([
      'ModelServerTargetDown',
      'ModelServerMetricsAbsent',
      'ModelServerHpaMetricUnavailable',
      'ModelServerHpaAtMaxReplicas',
      'ModelServerKedaFallbackActive',
      'ModelServerKedaScalerErrors',
      'ModelServerGpuProbeDown',
      'ModelServerSheddingLoad',
      'ModelServerQueueWaitHigh',
    ]);
  });

  const readme = readInfra('README.md');
  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s: a for, a severity, a summary, a description that says what to check first, the runbook',
    (_name, alert) => {
      expect(alert.for).toMatch(/^\d+m$/);
      expect(['warning', 'critical']).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary).toBeTruthy();
      expect(alert.annotations?.description).toMatch(/Check first:/);
      const anchor = /README\.md#([a-z0-9-]+)$/.exec(alert.annotations?.runbook_url ?? '')?.[1];
      expect(anchor, 'runbook_url links into infra/README.md').toBeTruthy();
      const headings = [...readme.matchAll(/^#+ (.+)$/gm)].map((m) =>
        (m[1] as string)
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      );
      expect(headings).toContain(anchor);
    },
  );

  it.each(alerts.map((a) => [a.alert, a.expr] as const))(
    '%s: valid PromQL over series that exist',
    (_name, expr) => {
      expect(checkPromql(expr), expr).toMatchObject({ ok: true });
      for (const name of metricNamesInQuery(expr)) {
        const known =
          exposed.has(name) ||
          external.has(name) ||
          name === 'kube_customresource_scaledobject_condition';
        expect(
          known,
          `${name}: neither exposed by the server nor a documented exporter series`,
        ).toBe(true);
      }
    },
  );

  it('the KEDA Fallback series is what the kube-state-metrics custom-resource config exports', () => {
    const values = loadYaml('helm/kube-prometheus-stack-values.yaml') as Record<string, unknown>;
    const ksm = values['kube-state-metrics'] as {
      customResourceState: { enabled: boolean; config: { spec: { resources: unknown[] } } };
      rbac: { extraRules: { apiGroups: string[]; resources: string[] }[] };
    };
    expect(ksm.customResourceState.enabled).toBe(true);
    const [resource] = ksm.customResourceState.config.spec.resources as {
      groupVersionKind: Record<string, string>;
      labelsFromPath: Record<string, string[]>;
      metrics: { name: string; each: { gauge: { path: string[]; valueFrom: string[] } } }[];
    }[];
    expect(resource?.groupVersionKind).toEqual({
      group: 'keda.sh',
      version: 'v1alpha1',
      kind: 'ScaledObject',
    });
    expect(resource?.labelsFromPath).toMatchObject({
      namespace: ['metadata', 'namespace'],
      scaledobject: ['metadata', 'name'],
    });
    // the default prefix kube_customresource_ + the metric name
    expect(resource?.metrics.map((m) => `kube_customresource_${m.name}`)).toContain(
      'kube_customresource_scaledobject_condition',
    );
    expect(ksm.rbac.extraRules.flatMap((r) => r.resources)).toContain('scaledobjects');
  });

  it('every alert has a unit test where it fires and one where it stays silent', () => {
    const checks = unitTests.tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of alerts) {
      const own = checks.filter((c) => c.alertname === alert);
      expect(
        own.some((c) => c.exp_alerts.length > 0),
        `${alert} has no test where it fires`,
      ).toBe(true);
      expect(
        own.some((c) => c.exp_alerts.length === 0),
        `${alert} has no test where it stays silent`,
      ).toBe(true);
    }
    expect(unitTests.rule_files).toEqual(['rules.yaml']);
  });
});

describe('promtool', () => {
  it('check rules: the rule groups are valid', () => {
    requirePromtool();
    const run = runPromtool(rule.spec, ['check', 'rules', 'rules.yaml']);
    expect(run.output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(run.status, run.output).toBe(0);
  });

  it('test rules: every alert fires on its failure and stays silent on a healthy series', () => {
    requirePromtool();
    const run = runPromtool(rule.spec, ['test', 'rules', 'model-server-alerts.test.yaml']);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });

  it('test rules fails when an alert no longer catches its failure (the tests are real)', () => {
    requirePromtool();
    // ModelServerGpuProbeDown made to look at the wrong value: its firing test must fail.
    const broken = structuredClone(rule.spec);
    for (const group of broken.groups) {
      for (const r of group.rules) {
        if (r.alert === 'ModelServerGpuProbeDown') r.expr = r.expr.replace('== 0', '== 2');
      }
    }
    const run = runPromtool(broken, ['test', 'rules', 'model-server-alerts.test.yaml']);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('ModelServerGpuProbeDown fires when NVML stops answering');
  });
});
