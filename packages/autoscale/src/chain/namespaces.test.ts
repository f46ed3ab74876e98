/**
 * References resolve as Kubernetes resolves them (one namespace, a ServiceMonitor's
 * namespaceSelector), and what the input does not show is skipped, never broken.
 */
import { describe, expect, it } from 'vitest';
import { checkChain } from './check.js';
import { chainSummary, formatChainReport } from './format.js';
import type { ChainLink, ChainReport } from './types.js';

function deployment(namespace?: string, name = 'recsys') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    },
  };
}
function service(namespace?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'recsys', labels: { app: 'recsys' }, ...(namespace ? { namespace } : {}) },
    spec: { selector: { app: 'recsys' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}
function monitor(namespace?: string, namespaceSelector?: unknown, selector?: unknown) {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'recsys', ...(namespace ? { namespace } : {}) },
    spec: {
      selector: selector ?? { matchLabels: { app: 'recsys' } },
      ...(namespaceSelector ? { namespaceSelector } : {}),
      endpoints: [{ port: 'http' }],
    },
  };
}
function hpa(namespace?: string, target = 'recsys') {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'recsys', ...(namespace ? { namespace } : {}) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      maxReplicas: 4,
      metrics: [],
    },
  };
}

function status(report: ChainReport, link: string): ChainLink['status'][] {
  return report.links.filter((l) => l.link === link).map((l) => l.status);
}
function only(report: ChainReport, link: string): ChainLink {
  const found = report.links.filter((l) => l.link === link);
  expect(found).toHaveLength(1);
  return found[0] as ChainLink;
}

describe('references across namespaces (the false oks)', () => {
  it('breaks an HPA in serving that names a Deployment in ml, saying where each is', () => {
    const report = checkChain({ manifests: [deployment('ml'), hpa('serving')] });
    expect(only(report, 'hpa-target')).toMatchObject({
      status: 'broken',
      detail: expect.stringContaining('Deployment/recsys (namespace ml)'),
      fix: expect.stringContaining('namespace'),
    });
  });

  it('breaks a Service in other selecting pods in ml', () => {
    const report = checkChain({ manifests: [deployment('ml'), service('other')] });
    expect(only(report, 'service-selects-pods')).toMatchObject({
      status: 'broken',
      detail: expect.stringContaining('outside namespace other'),
    });
  });

  it('breaks a ServiceMonitor in serving selecting a Service in other, without namespaceSelector', () => {
    const report = checkChain({ manifests: [service('other'), monitor('serving')] });
    expect(only(report, 'servicemonitor-selects-service').status).toBe('broken');
  });

  it('honours namespaceSelector any: true and matchNames', () => {
    const any = checkChain({ manifests: [service('other'), monitor('serving', { any: true })] });
    expect(only(any, 'servicemonitor-selects-service')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('Service/recsys (namespace other) (every namespace)'),
    });
    const named = checkChain({
      manifests: [service('other'), monitor('serving', { matchNames: ['other'] })],
    });
    expect(status(named, 'servicemonitor-selects-service')).toEqual(['ok']);
    const wrong = checkChain({
      manifests: [service('other'), monitor('serving', { matchNames: ['ml'] })],
    });
    expect(status(wrong, 'servicemonitor-selects-service')).toEqual(['broken']);
  });

  it("reads a ServiceMonitor's matchExpressions, and an empty selector selects every Service", () => {
    const byExpression = checkChain({
      manifests: [
        service(),
        monitor(undefined, undefined, {
          matchExpressions: [{ key: 'app', operator: 'In', values: ['recsys', 'other'] }],
        }),
      ],
    });
    expect(status(byExpression, 'servicemonitor-selects-service')).toEqual(['ok']);
    const excluded = checkChain({
      manifests: [
        service(),
        monitor(undefined, undefined, {
          matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['recsys'] }],
        }),
      ],
    });
    expect(status(excluded, 'servicemonitor-selects-service')).toEqual(['broken']);
    const empty = checkChain({ manifests: [service(), monitor(undefined, undefined, {})] });
    expect(status(empty, 'servicemonitor-selects-service')).toEqual(['ok']);
  });

  it('puts objects without a namespace in the one given, as kubectl apply -n does', () => {
    const given = checkChain({ manifests: [deployment('serving'), hpa()], namespace: 'serving' });
    expect(status(given, 'hpa-target')).toEqual(['ok']);
    const defaulted = checkChain({ manifests: [deployment('serving'), hpa()] });
    expect(only(defaulted, 'hpa-target')).toMatchObject({
      status: 'broken',
      detail: expect.stringContaining('outside namespace default'),
    });
  });

  it('breaks a KEDA ScaledObject whose Deployment is in another namespace', () => {
    const scaledObject = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'recsys', namespace: 'serving' },
      spec: {
        scaleTargetRef: { name: 'recsys' },
        triggers: [
          {
            type: 'prometheus',
            metadata: {
              serverAddress: 'http://prometheus:9090',
              query: 'sum(request_queue_depth)',
              threshold: '10',
            },
          },
        ],
      },
    };
    const report = checkChain({ manifests: [deployment('ml'), scaledObject] });
    expect(status(report, 'keda-target')).toEqual(['broken']);
  });

  it('renders the adapter queries for the namespace of the workload', () => {
    const report = checkChain({
      manifests: [deployment('ml'), hpa('ml')],
      adapterValues: {
        rules: {
          custom: [
            {
              seriesQuery: 'request_queue_depth{namespace!="",pod!=""}',
              resources: { template: '<<.Resource>>' },
              metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)',
            },
          ],
        },
      },
    });
    const promql = report.links.filter((l) => l.link === 'promql');
    expect(promql.length).toBeGreaterThan(0);
    for (const link of promql) expect(link.detail).toContain('namespace="ml"');
  });
});

describe('partial input is skipped with the reason, never broken (the false BROKENs)', () => {
  it('skips an HPA whose Deployment was not given', () => {
    const report = checkChain({ manifests: [hpa()] });
    expect(only(report, 'hpa-target')).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('no Deployment in namespace default was given'),
    });
    expect(report.ok).toBe(true);
  });

  it('still breaks a misnamed target when Deployments of that namespace were given', () => {
    const report = checkChain({ manifests: [deployment(), hpa(undefined, 'recsis')] });
    expect(only(report, 'hpa-target')).toMatchObject({
      status: 'broken',
      detail: expect.stringContaining('given there: Deployment/recsys'),
    });
  });

  it('skips a Service whose pods were not given, and a Service without a selector', () => {
    expect(status(checkChain({ manifests: [service()] }), 'service-selects-pods')).toEqual([
      'skipped',
    ]);
    const bare = service();
    const { selector: _, ...spec } = bare.spec;
    expect(status(checkChain({ manifests: [{ ...bare, spec }] }), 'service-selects-pods')).toEqual([
      'skipped',
    ]);
  });

  it('skips a ServiceMonitor whose Service was not given', () => {
    expect(
      status(checkChain({ manifests: [monitor()] }), 'servicemonitor-selects-service'),
    ).toEqual(['skipped']);
  });
});

describe('the summary says what was checked', () => {
  it('says there was nothing to check, not "chain ok", for input with no chain', () => {
    const report = checkChain({
      manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }],
    });
    expect(chainSummary(report)).toMatch(/^nothing to check/);
    expect(formatChainReport(report)).not.toContain('chain ok');
  });

  it('says the chain to a scaler was not checked when no HPA or ScaledObject was given', () => {
    const report = checkChain({ manifests: [deployment(), service()] });
    expect(chainSummary(report)).toMatch(/^no broken link, but no HorizontalPodAutoscaler/);
  });

  it('says chain ok only with a scaler and every link seen and holding', () => {
    const partial = checkChain({ manifests: [hpa()] });
    expect(chainSummary(partial)).toBe(
      'no broken link (1 of 1 link skipped: not verifiable with the input given)',
    );
    const whole = checkChain({
      manifests: [deployment(), service(), hpa()],
      assumptions: { shutdownDelayEnv: '', shutdownDrainEnv: '' },
    });
    expect(chainSummary(whole)).toBe('chain ok');
  });
});
