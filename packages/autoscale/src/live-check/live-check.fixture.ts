// Test helper (not a test, not published): a recorded cluster for the live check. The API answers
// are those of the local control plane (tools/cluster) for infra/overlays/local in namespace
// serving, trimmed to the fields the check reads; Prometheus and the pods answer through `fetch`.
import type { KubeAnswer, KubeApi } from './kube-api.js';

export const PROMETHEUS = 'http://prometheus.test:9090';
const POD_IPS = { 'model-server-a': '10.0.0.11', 'model-server-b': '10.0.0.12' } as const;
export const POD_NAMES = Object.keys(POD_IPS);

export const ADAPTER_CONFIG = `
rules:
  - seriesQuery: 'request_queue_depth{namespace!="",pod!=""}'
    resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
    name: {matches: "^(.*)$", as: "\${1}"}
    metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'
externalRules: []
`;

function pod(name: keyof typeof POD_IPS, ready = true) {
  return {
    metadata: {
      name,
      namespace: 'serving',
      labels: { app: 'model-server' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' },
    },
    spec: {
      containers: [
        { name: 'model-server', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] },
      ],
    },
    status: {
      podIP: POD_IPS[name],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

const condition = (type: string, status: string, reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
});

/** The cluster's state; tests change a part of it to break one link. */
export function healthyCluster() {
  return {
    hpa: {
      metadata: { name: 'model-server', namespace: 'serving' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'model-server' },
        minReplicas: 2,
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
      status: {
        currentMetrics: [
          {
            type: 'Pods',
            pods: { metric: { name: 'request_queue_depth' }, current: { averageValue: '0' } },
          },
        ],
        conditions: [
          condition(
            'AbleToScale',
            'True',
            'ReadyForNewScale',
            'recommended size matches current size',
          ),
          condition(
            'ScalingActive',
            'True',
            'ValidMetricFound',
            'the HPA was able to successfully calculate a replica count from pods metric request_queue_depth',
          ),
        ],
      },
    } as Record<string, unknown>,
    pods: [pod('model-server-a'), pod('model-server-b')],
    apiServiceAvailable: condition('Available', 'True', 'Passed', 'all checks passed'),
    discovery: ['pods/request_queue_depth', 'namespaces/request_queue_depth'],
    values: { 'model-server-a': '0', 'model-server-b': '0' } as Record<string, string>,
    /** Prometheus' active targets, by pod. */
    targets: {
      'model-server-a': { port: 8080, health: 'up', lastError: '' },
      'model-server-b': { port: 8080, health: 'up', lastError: '' },
    } as Record<string, { port: number; health: string; lastError: string }>,
    /** Series names in Prometheus, and on the pods' /metrics. */
    prometheusSeries: ['request_queue_depth'],
    exposed: ['request_queue_depth'],
    /** Pod IPs answer (false: a machine outside the pod network). */
    podsReachable: true,
  };
}

export type Cluster = ReturnType<typeof healthyCluster>;

const json = (status: number, body: unknown): KubeAnswer => ({ status, body });

/** The API server's answers for the cluster. */
export function recordedApi(
  cluster: Cluster,
  extra: Record<string, () => KubeAnswer> = {},
): KubeApi {
  const routes: Record<string, () => KubeAnswer> = {
    '/apis/autoscaling/v2/namespaces/serving/horizontalpodautoscalers': () =>
      json(200, { items: [cluster.hpa] }),
    '/apis/keda.sh/v1alpha1/namespaces/serving/scaledobjects': () =>
      json(404, { message: 'the server could not find the requested resource' }),
    '/apis/apps/v1/namespaces/serving/deployments/model-server/scale': () =>
      json(200, { status: { replicas: 2, selector: 'app=model-server' } }),
    '/api/v1/namespaces/serving/pods?labelSelector=app%3Dmodel-server': () =>
      json(200, { items: cluster.pods }),
    '/apis/apiregistration.k8s.io/v1/apiservices/v1beta2.custom.metrics.k8s.io': () =>
      json(200, {
        spec: { service: { namespace: 'monitoring', name: 'prometheus-adapter', port: 443 } },
        status: { conditions: [cluster.apiServiceAvailable] },
      }),
    '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.custom.metrics.k8s.io': () =>
      json(404, {}),
    '/apis/custom.metrics.k8s.io/v1beta2': () =>
      cluster.apiServiceAvailable.status === 'True'
        ? json(200, { resources: cluster.discovery.map((name) => ({ name })) })
        : json(503, { message: 'service unavailable' }),
    '/apis/custom.metrics.k8s.io/v1beta2/namespaces/serving/pods/*/request_queue_depth?labelSelector=app%3Dmodel-server':
      () =>
        json(200, {
          items: Object.entries(cluster.values).map(([name, value]) => ({
            describedObject: { kind: 'Pod', name },
            value,
          })),
        }),
    '/api/v1/namespaces/monitoring/services/prometheus-adapter': () =>
      json(200, {
        metadata: { name: 'prometheus-adapter', namespace: 'monitoring' },
        spec: { type: 'ExternalName', externalName: 'localhost' },
      }),
    ...extra,
  };
  return {
    server: 'https://127.0.0.1:6443',
    context: 'recorded',
    async get(path) {
      const route = routes[path];
      return route ? route() : json(404, { message: `no recorded answer for ${path}` });
    },
  };
}

const ok = (data: unknown) =>
  new Response(JSON.stringify({ status: 'success', data }), {
    headers: { 'content-type': 'application/json' },
  });

function prometheusAnswer(cluster: Cluster, url: URL, body: URLSearchParams): Response {
  const scraped = Object.entries(cluster.targets)
    .filter(([, t]) => t.health === 'up')
    .map(([name]) => name);
  if (url.pathname === '/api/v1/targets') {
    const activeTargets = Object.entries(cluster.targets).map(([name, t]) => ({
      labels: { namespace: 'serving', pod: name, job: 'kubernetes-pods' },
      scrapeUrl: `http://${POD_IPS[name as keyof typeof POD_IPS]}:${t.port}/metrics`,
      health: t.health,
      lastError: t.lastError,
    }));
    return ok({ activeTargets });
  }
  if (url.pathname === '/api/v1/series') {
    const match = body.getAll('match[]').join(' ');
    const names = cluster.prometheusSeries.filter((name) =>
      new RegExp(`(^|[{,"])${name}([{=]|$)|__name__="${name}"`).test(match),
    );
    return ok(
      names.flatMap((name) =>
        POD_NAMES.map((pod) => ({ __name__: name, namespace: 'serving', pod })),
      ),
    );
  }
  const query = body.get('query') ?? '';
  if (query.startsWith('sum(rate(http_requests_total'))
    return ok({ resultType: 'vector', result: [{ metric: {}, value: [0, '42'] }] });
  if (query === 'vector(1)')
    return ok({ resultType: 'vector', result: [{ metric: {}, value: [0, '1'] }] });
  return ok({
    resultType: 'vector',
    result: scraped.map((pod) => ({ metric: { pod }, value: [0, '0'] })),
  });
}

/** `fetch` for Prometheus (at {@link PROMETHEUS}) and the pods' /metrics. */
export function recordedFetch(cluster: Cluster): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    if (url.origin === PROMETHEUS)
      return prometheusAnswer(cluster, url, new URLSearchParams(String(init?.body ?? '')));
    if (!cluster.podsReachable) {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }),
      });
    }
    if (url.port !== '8080')
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
      });
    return new Response(
      cluster.exposed.map((name) => `# TYPE ${name} gauge\n${name} 0\n`).join(''),
    );
  };
}
