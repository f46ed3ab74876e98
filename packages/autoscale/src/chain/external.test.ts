import { describe, expect, it } from 'vitest';
import {
  adapterValues,
  broken,
  deployment,
  hpa,
  input,
  monitor,
  service,
} from './chain.fixture.js';
import { checkChain } from './check.js';
import type { ChainLink } from './types.js';

describe('HPA External metrics against rules.external', () => {
  const externalRule = {
    seriesQuery: 'nginx_ingress_controller_requests{exported_namespace!="",ingress!=""}',
    resources: { overrides: { exported_namespace: { resource: 'namespace' } } },
    name: {
      matches: '^nginx_ingress_controller_requests$',
      as: 'nginx_ingress_controller_requests_per_second',
    },
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m]))',
  };
  const withExternal = (rules: unknown[]) => ({
    ...adapterValues,
    rules: { ...adapterValues.rules, external: rules },
  });
  const hpaWith = (name: string) => ({
    ...hpa,
    spec: {
      ...hpa.spec,
      minReplicas: 0,
      metrics: [
        ...hpa.spec.metrics,
        {
          type: 'External',
          external: {
            metric: { name, selector: { matchLabels: { ingress: 'model-server' } } },
            target: { type: 'AverageValue', averageValue: '100' },
          },
        },
      ],
    },
  });
  const externalLinks = (links: readonly ChainLink[]) =>
    links.filter((link) => link.link === 'hpa-external-metric');

  it('says which external rule serves the metric, with the query the adapter would send', () => {
    const report = checkChain(
      input({
        manifests: [
          deployment,
          service,
          monitor,
          hpaWith('nginx_ingress_controller_requests_per_second'),
        ],
        adapterValues: withExternal([externalRule]),
      }),
    );
    expect(broken(report.links)).toEqual([]);
    const [link] = externalLinks(report.links);
    expect(link?.status).toBe('ok');
    // ok about what it saw: the rule and its query; the series is the seriesQuery link's (skipped).
    expect(link?.detail).toContain(
      "served by rules.external[0], whose query for this HPA's selector parses",
    );
    expect(link?.detail).toContain(
      'its series nginx_ingress_controller_requests: see the rules.external[0] seriesQuery link',
    );
    expect(link?.detail).toContain(
      'sum(rate(nginx_ingress_controller_requests{ingress="model-server",exported_namespace="default"}[1m]))',
    );
    // the rule's series is ingress-nginx's, not the workload's: skipped, not broken
    expect(
      report.links
        .filter((l) => l.subject.startsWith('rules.external[0] seriesQuery'))
        .map((l) => l.status),
    ).toEqual(['skipped']);
  });

  it('renders the selector as the HPA sends it: matchExpressions too, and no namespace for a rule that says namespaced: false', () => {
    const name = 'nginx_ingress_controller_requests_per_second';
    const withSelector = hpaWith(name);
    const external = withSelector.spec.metrics.at(-1) as { external: { metric: object } };
    external.external.metric = {
      name,
      selector: {
        matchLabels: { ingress: 'model-server' },
        matchExpressions: [{ key: 'status', operator: 'NotIn', values: ['503', '500'] }],
      },
    };
    const clusterWide = {
      ...externalRule,
      seriesQuery: 'nginx_ingress_controller_requests{ingress!=""}',
      resources: { namespaced: false },
    };
    const report = checkChain(
      input({
        manifests: [deployment, service, monitor, withSelector],
        adapterValues: withExternal([clusterWide]),
      }),
    );
    const [link] = externalLinks(report.links);
    expect(link?.status).toBe('ok');
    expect(link?.detail).toContain(
      'sum(rate(nginx_ingress_controller_requests{ingress="model-server",status!~"500|503"}[1m]))',
    );
    // The same rule without namespaced: false needs a namespace label, which it does not map.
    const namespaced = { ...clusterWide, resources: {} };
    const unmapped = checkChain(
      input({
        manifests: [deployment, service, monitor, withSelector],
        adapterValues: withExternal([namespaced]),
      }),
    );
    expect(externalLinks(unmapped.links).map((l) => [l.status, l.detail])).toEqual([
      ['skipped', expect.stringContaining('no label maps to the "namespace" resource')],
    ]);
  });

  it('breaks an External metric no external rule serves (the HPA would show <unknown>)', () => {
    const report = checkChain(
      input({
        manifests: [deployment, service, monitor, hpaWith('nginx_ingress_controller_request_rate')],
        adapterValues: withExternal([externalRule]),
      }),
    );
    const [link] = externalLinks(report.links);
    expect(link?.status).toBe('broken');
    expect(link?.detail).toContain('<unknown>');
    expect(link?.fix).toContain('did you mean nginx_ingress_controller_requests_per_second?');
  });

  it('skips it, saying why, when the adapter has no external rules or no values were given', () => {
    const name = 'nginx_ingress_controller_requests_per_second';
    const noRules = checkChain(input({ manifests: [deployment, service, monitor, hpaWith(name)] }));
    expect(externalLinks(noRules.links).map((l) => [l.status, l.detail])).toEqual([
      ['skipped', expect.stringContaining('no rules.external')],
    ]);
    const noValues = checkChain(
      input({ manifests: [deployment, service, monitor, hpaWith(name)], adapterValues: undefined }),
    );
    expect(externalLinks(noValues.links).map((l) => [l.status, l.detail])).toEqual([
      ['skipped', 'no prometheus-adapter values given'],
    ]);
  });

  it('skips it when an external rule names its series by regex (what it serves cannot be told)', () => {
    const byRegex = { ...externalRule, seriesQuery: '{__name__=~"nginx_.*",ingress!=""}' };
    const report = checkChain(
      input({
        manifests: [
          deployment,
          service,
          monitor,
          hpaWith('nginx_ingress_controller_requests_per_second'),
        ],
        adapterValues: withExternal([byRegex]),
      }),
    );
    expect(externalLinks(report.links).map((l) => l.status)).toEqual(['skipped']);
    expect(broken(report.links)).toEqual([]);
  });

  it('breaks an invalid custom or external rule as adapter-rule, saying what is wrong', () => {
    const badRegex = {
      ...externalRule,
      seriesQuery: 'nginx_ingress_controller_requests{ingress=~"("}',
    };
    const badName = { ...externalRule, name: { matches: '^(a)(b)$' } };
    const custom = {
      ...adapterValues.rules.custom[0],
      seriesQuery: 'request_queue_depth_seconds_total{pod=~"("}',
    };
    const report = checkChain(
      input({
        adapterValues: {
          ...adapterValues,
          rules: { custom: [custom], external: [badRegex, badName] },
        },
      }),
    );
    expect(
      report.links
        .filter((l) => l.link === 'adapter-rule')
        .map((l) => [l.subject, l.status, l.detail]),
    ).toEqual([
      [
        'rules.custom[0] (prometheus-adapter rule)',
        'broken',
        expect.stringMatching(/^rules\.custom\[0\]: seriesQuery pod=~: /),
      ],
      [
        'rules.external[0] (prometheus-adapter external rule)',
        'broken',
        expect.stringMatching(/^rules\.external\[0\]: seriesQuery ingress=~: /),
      ],
      [
        'rules.external[1] (prometheus-adapter external rule)',
        'broken',
        expect.stringContaining("rules.external[1]: must specify an 'as' value"),
      ],
    ]);
  });

  it("breaks an external rule over the workload's own series misnamed", () => {
    const misnamed = {
      ...externalRule,
      seriesQuery: 'request_queue_depth_seconds_totl{namespace!=""}',
      resources: { overrides: { namespace: { resource: 'namespace' } } },
      name: { matches: '^(.*)$', as: 'queue_total' },
    };
    const report = checkChain(input({ adapterValues: withExternal([misnamed]) }));
    expect(broken(report.links).map((l) => [l.link, l.fix])).toEqual([
      [
        'external-series',
        'did you mean request_queue_depth_seconds_total? (rename one side so they agree)',
      ],
    ]);
  });
});
