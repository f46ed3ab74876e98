import { describe, expect, it } from 'vitest';
import {
  adapterValues,
  broken,
  deployment,
  exposition,
  hpa,
  input,
  monitor,
  service,
} from './chain.fixture.js';
import { checkChain } from './check.js';
import { formatChainReport } from './format.js';

describe('checkChain', () => {
  it('passes a consistent chain', () => {
    const report = checkChain(input());
    expect(broken(report.links)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.links.map((link) => link.link)).toEqual(
      expect.arrayContaining([
        'service-selects-pods',
        'service-port',
        'probe',
        'shutdown-budget',
        'servicemonitor-selects-service',
        'servicemonitor-port',
        'servicemonitor-release',
        'prometheus-address',
        'rule-series',
        'promql',
        'hpa-target',
        'hpa-metric',
      ]),
    );
  });

  it('names the HPA metric no rule serves, and the likely intended one', () => {
    const renamed = structuredClone(hpa);
    const metric = renamed.spec.metrics[0];
    if (!metric) throw new Error('fixture');
    metric.pods.metric.name = 'request_queue_depth_average';
    const report = checkChain(input({ manifests: [deployment, service, monitor, renamed] }));
    expect(report.ok).toBe(false);
    expect(broken(report.links)).toEqual([
      expect.objectContaining({
        link: 'hpa-metric',
        subject: 'HorizontalPodAutoscaler/model-server → request_queue_depth_average',
        detail: expect.stringContaining('no adapter rule serves request_queue_depth_average'),
        fix: expect.stringContaining('did you mean request_queue_depth_avg?'),
      }),
    ]);
  });

  it('names the series the server stopped exposing', () => {
    const report = checkChain(
      input({
        exposition: exposition.replaceAll(
          'request_queue_depth_seconds_total',
          'queue_depth_seconds_total',
        ),
      }),
    );
    const links = broken(report.links);
    expect(links[0]).toMatchObject({
      link: 'rule-series',
      detail: expect.stringContaining('the workload exposes no request_queue_depth_seconds_total'),
      fix: 'did you mean queue_depth_seconds_total? (rename one side so they agree)',
    });
    expect(links.map((link) => link.link)).toContain('hpa-metric');
  });

  it('names a ServiceMonitor port that the Service does not have', () => {
    const wrong = structuredClone(monitor);
    const endpoint = wrong.spec.endpoints[0];
    if (!endpoint) throw new Error('fixture');
    endpoint.port = 'metrics';
    const report = checkChain(input({ manifests: [deployment, service, wrong, hpa] }));
    expect(broken(report.links)).toEqual([
      expect.objectContaining({
        link: 'servicemonitor-port',
        detail: expect.stringContaining(
          'no selected Service has a port named "metrics" (names: http)',
        ),
      }),
    ]);
  });

  it('finds a Service that selects no pods and a targetPort that is no container port', () => {
    const wrong = structuredClone(service);
    wrong.spec.selector = { app: 'model-serve' };
    expect(
      broken(checkChain(input({ manifests: [deployment, wrong, monitor, hpa] })).links)[0],
    ).toMatchObject({
      link: 'service-selects-pods',
    });
    const port = structuredClone(service);
    const first = port.spec.ports[0];
    if (!first) throw new Error('fixture');
    first.targetPort = 'web';
    expect(
      broken(checkChain(input({ manifests: [deployment, port, monitor, hpa] })).links)[0],
    ).toMatchObject({
      link: 'service-port',
      detail: expect.stringContaining('targetPort "web" is no container port'),
    });
  });

  it('finds a ServiceMonitor without the release label Prometheus selects', () => {
    const unlabelled = structuredClone(monitor);
    unlabelled.metadata.labels = { release: 'kube-prom' };
    const links = broken(
      checkChain(input({ manifests: [deployment, service, unlabelled, hpa] })).links,
    );
    expect(links[0]).toMatchObject({
      link: 'servicemonitor-release',
      fix: expect.stringContaining('release: prometheus'),
    });
  });

  it('uses the release label when the selector is left to the chart', () => {
    const report = checkChain(input({ prometheusStackValues: {}, prometheus: { release: 'kps' } }));
    expect(broken(report.links).map((link) => link.link)).toEqual([
      'servicemonitor-release',
      'prometheus-address',
    ]);
  });

  it('checks that the shutdown sequence fits the grace period', () => {
    const slow = structuredClone(deployment);
    slow.spec.template.spec.terminationGracePeriodSeconds = 25;
    const links = broken(checkChain(input({ manifests: [slow, service, monitor, hpa] })).links);
    expect(links).toEqual([
      expect.objectContaining({
        link: 'shutdown-budget',
        detail:
          'preStop 0 s + SHUTDOWN_DELAY_SECONDS 5 s + SHUTDOWN_DRAIN_SECONDS 20 s = 25 s, grace period 25 s',
      }),
    ]);
    const hooked = structuredClone(deployment);
    const container = hooked.spec.template.spec.containers[0] as Record<string, unknown>;
    container.lifecycle = { preStop: { exec: { command: ['sh', '-c', 'sleep 10'] } } };
    expect(
      broken(checkChain(input({ manifests: [hooked, service, monitor, hpa] })).links)[0]?.detail,
    ).toContain('preStop 10 s');
  });

  it('reports a probe path the app does not answer', () => {
    const links = broken(
      checkChain(input({ probeStatus: { '/readyz': 404, '/livez': 200 } })).links,
    );
    expect(links).toEqual([
      expect.objectContaining({ link: 'probe', detail: 'GET /readyz answered 404 on the app' }),
    ]);
  });

  it('reports invalid PromQL with the rendered query and position', () => {
    const values = structuredClone(adapterValues);
    const rule = values.rules.custom[0];
    if (!rule) throw new Error('fixture');
    rule.metricsQuery = 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m]) by (<<.GroupBy>>)';
    const links = broken(checkChain(input({ adapterValues: values })).links);
    expect(links[0]).toMatchObject({
      link: 'promql',
      detail: expect.stringContaining('1:107: unexpected "by"'),
    });
  });

  it('flags a KEDA trigger whose empty result would read as 0', () => {
    const scaledObject = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'model-server' },
      spec: {
        scaleTargetRef: { name: 'model-server' },
        fallback: { failureThreshold: 3, replicas: 6 },
        triggers: [
          {
            type: 'prometheus',
            metadata: {
              serverAddress: 'http://prometheus-kube-prometheus-prometheus.monitoring.svc:9090',
              query: 'sum(rate(request_queue_depth_seconds_totl[1m]))',
              threshold: '10',
            },
          },
        ],
      },
    };
    const report = checkChain(input({ manifests: [deployment, service, monitor, scaledObject] }));
    const links = broken(report.links);
    expect(links.map((link) => link.link)).toEqual(['query-series']);
    expect(links[0]?.fix).toContain('did you mean request_queue_depth_seconds_total?');
    // KEDA's default ignoreNullValues is a hazard (lost targets read as 0), not a break.
    const empty = report.links.filter((link) => link.link === 'keda-empty-result');
    expect(empty.map((link) => [link.status, link.fix])).toEqual([
      ['warn', expect.stringContaining('ignoreNullValues: "false"')],
    ]);
  });

  it('skips what needs inputs it was not given, and still checks names', () => {
    const report = checkChain({ manifests: [deployment, service, monitor, hpa], adapterValues });
    expect(report.ok).toBe(true);
    expect(
      report.links.filter((link) => link.status === 'skipped').map((link) => link.link),
    ).toEqual([
      'probe',
      'probe',
      'servicemonitor-release',
      'prometheus-address',
      'rule-series',
      // Its name is served, its series was not seen: not ok.
      'hpa-metric',
    ]);
  });

  it('formats a report with details under broken links', () => {
    const report = checkChain(input({ probeStatus: { '/readyz': 404, '/livez': 200 } }));
    const text = formatChainReport(report);
    expect(text).toContain(
      'BROKEN Deployment/model-server container model-server readinessProbe\n         GET /readyz',
    );
    expect(text.endsWith('1 broken link')).toBe(true);
  });
});

describe('a server that has not served a request yet', () => {
  it('warns, rather than breaks, for a labelled family with no series', () => {
    const values = structuredClone(adapterValues);
    const rule = values.rules.custom[0];
    if (!rule) throw new Error('fixture');
    rule.seriesQuery = 'inference_latency_seconds_sum{namespace!="",pod!="",route="/predict"}';
    rule.name = { matches: '^(.*)_sum$', as: 'request_queue_depth_avg' };
    const declaredOnly = '# TYPE inference_latency_seconds histogram\n';
    const report = checkChain(input({ adapterValues: values, exposition: declaredOnly }));
    expect(report.ok).toBe(true);
    expect(report.links.filter((link) => link.status === 'warn').map((link) => link.link)).toEqual([
      'rule-series',
      'hpa-metric',
    ]);
  });
});

describe('a route that has not been requested yet', () => {
  it('warns with the label values seen and what to do', () => {
    const values = structuredClone(adapterValues);
    const rule = values.rules.custom[0];
    if (!rule) throw new Error('fixture');
    rule.seriesQuery = 'http_request_duration_seconds_sum{namespace!="",pod!="",route=~"/predict"}';
    rule.name = { matches: '^(.*)$', as: 'request_queue_depth_avg' };
    const readyzOnly =
      '# TYPE http_request_duration_seconds histogram\nhttp_request_duration_seconds_sum{route="/readyz"} 0.1\n';
    const report = checkChain(input({ adapterValues: values, exposition: readyzOnly }));
    expect(report.ok).toBe(true);
    expect(report.links.find((link) => link.link === 'rule-series')).toMatchObject({
      status: 'warn',
      detail:
        'http_request_duration_seconds_sum has no series with route=~"/predict" yet (route seen: /readyz)',
    });
  });
});

describe('without /metrics: what the rules name is checked, what needs the series is skipped', () => {
  const routeRule = {
    seriesQuery:
      'http_request_duration_seconds_sum{namespace!="",pod!="",route=~"/predict|/v2/models/:name(/versions/:version)?/infer"}',
    resources: { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Go Expand template, not a JS one
    name: { matches: '^(.*)_sum$', as: '${1}_avg' },
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)',
  };
  const latencyHpa = structuredClone(hpa);
  const pods = latencyHpa.spec.metrics[0]?.pods;
  if (pods) pods.metric.name = 'http_request_duration_seconds_avg';
  const values = (rule: Record<string, unknown>) => ({
    ...adapterValues,
    rules: { custom: [rule] },
  });

  it('makes up series that satisfy =~ matchers (the false alarm on route=~)', () => {
    const report = checkChain({
      manifests: [deployment, service, monitor, latencyHpa],
      adapterValues: values(routeRule),
    });
    expect(broken(report.links)).toEqual([]);
    expect(report.links.find((l) => l.link === 'hpa-metric')).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining(
        'from http_request_duration_seconds_sum if the workload exposes http_request_duration_seconds_sum: no /metrics given',
      ),
    });
  });

  it('skips, with the reason, a metric whose selector no made-up value satisfies', () => {
    const rule = {
      ...routeRule,
      seriesQuery: 'http_request_duration_seconds_sum{route=~"/v[0-9]+/.+"}',
    };
    const report = checkChain({
      manifests: [deployment, service, monitor, latencyHpa],
      adapterValues: values(rule),
    });
    expect(broken(report.links)).toEqual([]);
    expect(report.links.find((l) => l.link === 'hpa-metric')).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining(
        'no made-up value of label route satisfies route=~"/v[0-9]+/.+"',
      ),
    });
  });

  it('skips a metric when a rule selects names by regex, and breaks one no rule can serve', () => {
    const byRegex = { ...routeRule, seriesQuery: '{__name__=~"http_.*_sum",pod!=""}' };
    const skippedReport = checkChain({
      manifests: [deployment, service, monitor, latencyHpa],
      adapterValues: values(byRegex),
    });
    expect(skippedReport.links.find((l) => l.link === 'hpa-metric')?.status).toBe('skipped');
    const typo = structuredClone(latencyHpa);
    const typoPods = typo.spec.metrics[0]?.pods;
    if (typoPods) typoPods.metric.name = 'http_request_duration_seconds_average';
    const brokenReport = checkChain({
      manifests: [deployment, service, monitor, typo],
      adapterValues: values(routeRule),
    });
    expect(broken(brokenReport.links)).toEqual([
      expect.objectContaining({
        link: 'hpa-metric',
        fix: expect.stringContaining('did you mean http_request_duration_seconds_avg?'),
      }),
    ]);
  });

  it('renders queries for pods named after the workload, not a fixed name', () => {
    const renamed = structuredClone(deployment);
    renamed.metadata.name = 'ranker';
    const scaler = structuredClone(hpa);
    scaler.spec.scaleTargetRef.name = 'ranker';
    const report = checkChain({ manifests: [renamed, service, monitor, scaler], adapterValues });
    expect(report.links.find((l) => l.link === 'promql')?.detail).toContain(
      'pod=~"ranker-0|ranker-1"',
    );
  });
});
