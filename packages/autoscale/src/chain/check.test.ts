import { describe, expect, it } from 'vitest';
import { checkChain } from './check.js';
import { parseExposition } from './exposition.js';
import { formatChainReport } from './format.js';
import type { ChainInput, ChainLink } from './types.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'model-server' },
  spec: {
    selector: { matchLabels: { app: 'model-server' } },
    template: {
      metadata: { labels: { app: 'model-server' } },
      spec: {
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: 'model-server',
            ports: [{ name: 'http', containerPort: 8080 }],
            env: [
              { name: 'SHUTDOWN_DELAY_SECONDS', value: '5' },
              { name: 'SHUTDOWN_DRAIN_SECONDS', value: '20' },
            ],
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
            livenessProbe: { httpGet: { path: '/livez', port: 'http' } },
          },
        ],
      },
    },
  },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'model-server', labels: { app: 'model-server' } },
  spec: {
    selector: { app: 'model-server' },
    ports: [{ name: 'http', port: 80, targetPort: 'http' }],
  },
};
const monitor = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'model-server', labels: { release: 'prometheus' } },
  spec: {
    selector: { matchLabels: { app: 'model-server' } },
    endpoints: [{ port: 'http', path: '/metrics' }],
  },
};
const hpa = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'model-server' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'model-server' },
    metrics: [
      {
        type: 'Pods',
        pods: {
          metric: { name: 'request_queue_depth_avg' },
          target: { type: 'AverageValue', averageValue: '10' },
        },
      },
    ],
  },
};
const adapterValues = {
  prometheus: { url: 'http://prometheus-kube-prometheus-prometheus.monitoring.svc', port: 9090 },
  rules: {
    custom: [
      {
        seriesQuery: 'request_queue_depth_seconds_total{namespace!="",pod!=""}',
        resources: {
          overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } },
        },
        name: { matches: '^request_queue_depth_seconds_total$', as: 'request_queue_depth_avg' },
        metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)',
      },
    ],
  },
};
const exposition = [
  '# HELP request_queue_depth_seconds_total Integral of the queue depth.',
  '# TYPE request_queue_depth_seconds_total counter',
  'request_queue_depth_seconds_total 1.5',
  '# TYPE inference_latency_seconds histogram',
  'inference_latency_seconds_bucket{le="0.01"} 1',
  'inference_latency_seconds_sum 0.002',
  'inference_latency_seconds_count 1',
].join('\n');
const stack = {
  prometheus: {
    prometheusSpec: { serviceMonitorSelector: { matchLabels: { release: 'prometheus' } } },
  },
};

function input(overrides: Partial<ChainInput> = {}): ChainInput {
  return {
    manifests: [deployment, service, monitor, hpa],
    adapterValues,
    prometheusStackValues: stack,
    exposition,
    probeStatus: { '/readyz': 200, '/livez': 200 },
    ...overrides,
  };
}

function broken(links: readonly ChainLink[]): ChainLink[] {
  return links.filter((link) => link.status === 'broken');
}

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
    ).toEqual(['probe', 'probe', 'servicemonitor-release', 'prometheus-address', 'rule-series']);
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

describe('parseExposition', () => {
  it('reads families, names and escaped labels', () => {
    const parsed = parseExposition(
      '# TYPE a counter\na_total{x="q\\"uote",y="b"} 1\nb 2 1700000000\nnot a sample line\n',
    );
    expect([...parsed.families]).toEqual([['a', 'counter']]);
    expect([...parsed.names]).toEqual(['a_total', 'b', 'not']);
    expect(parsed.samples[0]?.labels).toEqual({ x: 'q"uote', y: 'b' });
    expect(parsed.samples.map((sample) => sample.value)).toEqual([1, 2, Number.NaN]);
    expect(parseExposition('x_bucket{le="+Inf"} +Inf\n').samples[0]?.value).toBe(
      Number.POSITIVE_INFINITY,
    );
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
      status: 'ok',
      detail: expect.stringContaining(
        'from http_request_duration_seconds_sum (if the workload exposes it',
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

describe('assumptions about the workload are input', () => {
  it('skips the shutdown budget when the variables are not set, and reads named ones', () => {
    const plain = structuredClone(deployment);
    const container = plain.spec.template.spec.containers[0] as Record<string, unknown>;
    container.env = [
      { name: 'GRACE_DELAY', value: '10' },
      { name: 'DRAIN', value: '25' },
    ];
    const budget = (assumptions: ChainInput['assumptions']) =>
      checkChain(input({ manifests: [plain, service, monitor, hpa], assumptions })).links.find(
        (l) => l.link === 'shutdown-budget',
      );
    expect(budget(undefined)).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('SHUTDOWN_DELAY_SECONDS is not set'),
    });
    expect(budget({ shutdownDelayEnv: 'GRACE_DELAY', shutdownDrainEnv: 'DRAIN' })).toMatchObject({
      status: 'broken',
      detail: 'preStop 0 s + GRACE_DELAY 10 s + DRAIN 25 s = 35 s, grace period 30 s',
    });
    expect(budget({ shutdownDelayEnv: '', shutdownDrainEnv: 'DRAIN' })).toMatchObject({
      status: 'ok',
      detail: 'preStop 0 s + DRAIN 25 s = 25 s, grace period 30 s',
    });
  });

  it('breaks a preStop hook that alone outlasts the grace period, whatever the variables', () => {
    const hooked = structuredClone(deployment);
    const container = hooked.spec.template.spec.containers[0] as Record<string, unknown>;
    container.env = [];
    container.lifecycle = { preStop: { sleep: { seconds: 40 } } };
    const link = checkChain(input({ manifests: [hooked, service, monitor, hpa] })).links.find(
      (l) => l.link === 'shutdown-budget',
    );
    expect(link).toMatchObject({
      status: 'broken',
      detail: 'the preStop hook alone takes 40 s, grace period 30 s',
    });
  });

  it('checks the ServiceMonitor path against the metrics path given, and skips it when assumed', () => {
    const links = checkChain(input({ assumptions: { metricsPath: '/stats' } })).links;
    expect(broken(links)).toEqual([
      expect.objectContaining({
        link: 'servicemonitor-path',
        detail: 'scrapes /metrics, the workload serves /stats',
      }),
    ]);
    const elsewhere = structuredClone(monitor);
    const endpoint = elsewhere.spec.endpoints[0];
    if (endpoint) endpoint.path = '/stats';
    const assumed = checkChain(input({ manifests: [deployment, service, elsewhere, hpa] })).links;
    expect(assumed.find((l) => l.link === 'servicemonitor-path')).toMatchObject({
      status: 'skipped',
      detail: expect.stringContaining('whether the workload serves it is not known'),
    });
  });

  it('checks the Prometheus address only when it knows which Prometheus is meant', () => {
    const elsewhere = {
      ...adapterValues,
      prometheus: { url: 'http://prometheus.obs.svc', port: 9090 },
    };
    const unknown = checkChain({
      manifests: [deployment, service, monitor, hpa],
      adapterValues: elsewhere,
    });
    expect(unknown.links.find((l) => l.link === 'prometheus-address')?.status).toBe('skipped');
    const known = checkChain({
      manifests: [deployment, service, monitor, hpa],
      adapterValues: elsewhere,
      prometheus: { release: 'kps', namespace: 'obs' },
    });
    expect(known.links.find((l) => l.link === 'prometheus-address')).toMatchObject({
      status: 'broken',
      fix: 'point it at http://kps-kube-prometheus-prometheus.obs.svc:9090',
    });
  });
});

describe('adapter values that cannot be read', () => {
  it('break the values link and skip the HPA metrics, saying why', () => {
    const report = checkChain(
      input({ adapterValues: { rules: { custom: [{ metricsQuery: 'x' }] } } }),
    );
    expect(broken(report.links).map((l) => l.link)).toEqual(['adapter-values']);
    expect(report.links.find((l) => l.link === 'hpa-metric')).toMatchObject({
      status: 'skipped',
      detail: 'the prometheus-adapter values could not be read (see above)',
    });
  });
});

describe('series of other exporters (scale to zero)', () => {
  const trigger = (name: string, query: string) => ({
    type: 'prometheus',
    name,
    metadata: {
      serverAddress: 'http://prometheus-kube-prometheus-prometheus.monitoring.svc:9090',
      query,
      threshold: '10',
      ignoreNullValues: 'false',
    },
  });
  const scaledObject = (triggers: unknown[]) => ({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'model-server' },
    spec: {
      scaleTargetRef: { name: 'model-server' },
      minReplicaCount: 0,
      fallback: { failureThreshold: 3, replicas: 2 },
      triggers,
    },
  });
  const seriesLinks = (links: readonly ChainLink[]) =>
    links
      .filter((link) => link.link === 'query-series')
      .map((link) => [link.subject.split(' → ')[1], link.status]);

  it('skips a KEDA query over ingress-nginx and kube-state-metrics series, naming the exporter (the false alarm)', () => {
    const so = scaledObject([
      trigger(
        'ingress',
        'sum(rate(nginx_ingress_controller_requests{exported_namespace="default",ingress="model-server"}[1m]))',
      ),
      trigger(
        'queue',
        'sum(rate(request_queue_depth_seconds_total{namespace="default"}[1m])) or (0 * sum(kube_deployment_status_replicas_ready{deployment="model-server"} == 0))',
      ),
    ]);
    const report = checkChain(input({ manifests: [deployment, service, monitor, so] }));
    expect(broken(report.links)).toEqual([]);
    expect(seriesLinks(report.links)).toEqual([
      ['nginx_ingress_controller_requests', 'skipped'],
      ['kube_deployment_status_replicas_ready', 'skipped'],
    ]);
    const details = report.links.filter((l) => l.link === 'query-series').map((l) => l.detail);
    expect(details[0]).toMatch(/another exporter \(ingress-nginx\).*not verifiable/);
    expect(details[1]).toMatch(/another exporter \(kube-state-metrics\)/);
  });

  it("breaks a KEDA query over the workload's own series misnamed, beside an exporter's", () => {
    const so = scaledObject([
      trigger(
        'queue',
        'sum(rate(request_queue_depth_seconds_totl[1m])) or (0 * sum(kube_deployment_status_replicas_ready == 0))',
      ),
    ]);
    const report = checkChain(input({ manifests: [deployment, service, monitor, so] }));
    expect(seriesLinks(report.links)).toEqual([
      ['request_queue_depth_seconds_totl', 'broken'],
      ['kube_deployment_status_replicas_ready', 'skipped'],
    ]);
    expect(broken(report.links)[0]?.fix).toContain(
      'did you mean request_queue_depth_seconds_total?',
    );
  });

  it('skips a known exporter series even when a workload series has a close name', () => {
    const close = `${exposition}\n# TYPE kube_pod_ready gauge\nkube_pod_ready 1\n`;
    const so = scaledObject([trigger('ready', 'sum(kube_pod_readyy)')]);
    const report = checkChain(
      input({ manifests: [deployment, service, monitor, so], exposition: close }),
    );
    expect(seriesLinks(report.links)).toEqual([['kube_pod_readyy', 'skipped']]);
  });
});

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
    expect(link?.detail).toContain(
      'served by rules.external[0] from nginx_ingress_controller_requests (from ingress-nginx',
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
