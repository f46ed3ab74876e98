import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAdapterValues } from '../adapter/rules.js';
import { PrometheusClient } from '../prometheus/client.js';
import { meanPerPod } from './collect.js';
import { formatWatchLine, hpaFromScaledObject, Watcher } from './watcher.js';

const rulesYaml = `
rules:
  custom:
    - seriesQuery: 'request_queue_depth{namespace!="",pod!=""}'
      resources:
        overrides:
          namespace: {resource: "namespace"}
          pod: {resource: "pod"}
      name:
        matches: "^(.*)$"
        as: "\${1}"
      metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
  external:
    - seriesQuery: 'nginx_ingress_controller_requests{exported_namespace!="",ingress!=""}'
      resources:
        overrides:
          exported_namespace: {resource: "namespace"}
      name:
        matches: "^(.*)$"
        as: "\${1}_per_second"
      metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (status)'
`;

const hpa: HorizontalPodAutoscaler = {
  metadata: { name: 'model-server' },
  spec: {
    scaleTargetRef: { kind: 'Deployment', name: 'model-server' },
    minReplicas: 1,
    maxReplicas: 10,
    metrics: [
      {
        type: 'Pods',
        pods: {
          metric: { name: 'request_queue_depth' },
          target: { type: 'AverageValue', averageValue: '10' },
        },
      },
    ],
  },
};

let server: Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

type Sample = { metric: Record<string, string>; value: [number, string] };

/**
 * A fake Prometheus: `/api/v1/series` answers `series`, every query answers `result` (and is
 * recorded in `queries`). By default two pods in namespace e2e, one in another namespace.
 */
async function fakePrometheus(
  queries: string[],
  {
    series = [
      { __name__: 'request_queue_depth', namespace: 'e2e', pod: 'model-server-a' },
      { __name__: 'request_queue_depth', namespace: 'e2e', pod: 'model-server-b' },
      { __name__: 'request_queue_depth', namespace: 'other', pod: 'x' },
    ],
    result = [
      { metric: { pod: 'model-server-a' }, value: [1, '30'] },
      { metric: { pod: 'model-server-b' }, value: [1, '20'] },
    ],
  }: { series?: Record<string, string>[]; result?: Sample[] } = {},
): Promise<string> {
  const created = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/series') {
        res.end(JSON.stringify({ status: 'success', data: series }));
        return;
      }
      queries.push(new URLSearchParams(body).get('query') ?? '');
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
    });
  });
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
}

describe('Watcher', () => {
  it('renders the adapter query for the pods of the namespace and runs the HPA on the values', async () => {
    const queries: string[] = [];
    const url = await fakePrometheus(queries);
    const values = parseAdapterValues(rulesYaml);
    if (!values.ok) throw new Error(values.error);
    const watcher = new Watcher({
      client: new PrometheusClient({ url }),
      hpa,
      rules: values.value.custom,
      namespace: 'e2e',
    });
    const tick = await watcher.tick(1000);
    expect(queries).toEqual([
      'sum(request_queue_depth{namespace="e2e",pod=~"model-server-a|model-server-b"}) by (pod)',
    ]);
    expect(tick.pods).toEqual(['model-server-a', 'model-server-b']);
    expect(tick.decision.proposal).toBe(5);
    expect(tick.decision.desiredReplicas).toBe(4); // legacy limit: max(2 × 2, 4)
    const line = formatWatchLine(hpa, tick);
    expect(line).toMatch(
      /model-server {3}Deployment\/model-server {3}25\/10 +1 {9}10 {8}2 {10}4\n/,
    );
    expect(line).toContain('proposal 5 (pods metric request_queue_depth above target)');
  });

  it('says when no rule serves a metric', async () => {
    const url = await fakePrometheus([]);
    const values = parseAdapterValues(rulesYaml);
    if (!values.ok) throw new Error(values.error);
    const other = structuredClone(hpa);
    if (other.spec.metrics?.[0]?.pods) other.spec.metrics[0].pods.metric.name = 'nope';
    const tick = await new Watcher({
      client: new PrometheusClient({ url }),
      hpa: other,
      rules: values.value.custom,
      namespace: 'e2e',
    }).tick();
    expect(tick.decision.scaled).toBe(false);
    expect(tick.decision.metrics[0]?.error).toMatch(
      /no adapter rule serves "nope": no rule's name.matches\/name.as yields that name/,
    );
  });
});

describe('Watcher on External metrics from rules.external', () => {
  const externalHpa: HorizontalPodAutoscaler = {
    ...hpa,
    spec: {
      ...hpa.spec,
      metrics: [
        {
          type: 'External',
          external: {
            metric: {
              name: 'nginx_ingress_controller_requests_per_second',
              selector: {
                matchLabels: { ingress: 'model-server' },
                matchExpressions: [{ key: 'status', operator: 'NotIn', values: ['503'] }],
              },
            },
            target: { type: 'AverageValue', averageValue: '100' },
          },
        },
      ],
    },
  };

  /** ingress-nginx's counter, in namespace ml. */
  const ingressSeries = [
    {
      __name__: 'nginx_ingress_controller_requests',
      exported_namespace: 'ml',
      ingress: 'model-server',
      status: '200',
    },
  ];

  /** A watcher of {@link externalHpa} in namespace ml on the fixture's rules.external. */
  function externalWatcher(url: string, replicas?: number): Watcher {
    const values = parseAdapterValues(rulesYaml);
    if (!values.ok) throw new Error(values.error);
    return new Watcher({
      client: new PrometheusClient({ url }),
      hpa: externalHpa,
      externalRules: values.value.external,
      namespace: 'ml',
      ...(replicas === undefined ? {} : { replicas }),
    });
  }

  it('renders the whole selector for the namespace, sums the series and scales on the sum', async () => {
    const queries: string[] = [];
    const url = await fakePrometheus(queries, {
      series: ingressSeries,
      result: [
        { metric: { status: '200' }, value: [1, '450'] },
        { metric: { status: '404' }, value: [1, '50'] },
      ],
    });
    const tick = await externalWatcher(url, 2).tick(1000);
    expect(queries).toEqual([
      'sum(rate(nginx_ingress_controller_requests{ingress="model-server",status!~"503",exported_namespace="ml"}[1m])) by (status)',
    ]);
    // 500 req/s over 100 per pod: 5 pods (the legacy scale-up limit allows max(2 × 2, 4) = 4).
    expect(tick.decision.metrics[0]?.current).toBe(250);
    expect(tick.decision.proposal).toBe(5);
  });

  it('says the HPA gets no metric when the query answers nothing', async () => {
    const url = await fakePrometheus([], { series: ingressSeries, result: [] });
    const tick = await externalWatcher(url).tick(1000);
    expect(tick.decision.metrics[0]?.error).toMatch(
      /no metrics returned from external metrics API/,
    );
    expect(tick.decision.scaled).toBe(false);
  });
});

describe('hpaFromScaledObject', () => {
  it('maps each Prometheus trigger to an External metric', () => {
    const so = hpaFromScaledObject({
      name: 'model-server',
      scaleTargetRef: { kind: 'Deployment', name: 'model-server', apiVersion: 'apps/v1' },
      minReplicaCount: 2,
      maxReplicaCount: 10,
      pollingInterval: 15,
      cooldownPeriod: 300,
      prometheusTriggers: [
        {
          index: 0,
          metricName: 's0-prometheus',
          serverAddress: 'http://prom:9090',
          query: 'sum(x)',
          threshold: 10,
          activationThreshold: 0,
          ignoreNullValues: true,
          metricType: 'AverageValue',
          unsafeSsl: false,
        },
      ],
      otherTriggers: [],
    });
    expect(so.spec.metrics).toEqual([
      {
        type: 'External',
        external: {
          metric: { name: 's0-prometheus' },
          target: { type: 'AverageValue', averageValue: 10 },
        },
      },
    ]);
  });
});

describe('meanPerPod', () => {
  it('averages each metric over the pods that reported it and leaves out empty ones', () => {
    expect(
      meanPerPod({
        pods: ['a', 'b'],
        metrics: {
          depth: { metric: 'depth', values: { a: 4, b: 8 } },
          latency: { metric: 'latency', values: { a: 0.5 } },
          gpu: { metric: 'gpu', values: {}, error: 'no series' },
        },
      }),
    ).toEqual({ depth: 6, latency: 0.5 });
  });
});
