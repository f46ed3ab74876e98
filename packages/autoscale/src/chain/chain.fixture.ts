// The chain every chain-check test starts from: a Deployment, its Service, ServiceMonitor and HPA,
// the adapter values, a recorded /metrics and the Prometheus stack's labels.
import type { ChainInput, ChainLink } from './types.js';

export const deployment = {
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
export const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'model-server', labels: { app: 'model-server' } },
  spec: {
    selector: { app: 'model-server' },
    ports: [{ name: 'http', port: 80, targetPort: 'http' }],
  },
};
export const monitor = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'model-server', labels: { release: 'prometheus' } },
  spec: {
    selector: { matchLabels: { app: 'model-server' } },
    endpoints: [{ port: 'http', path: '/metrics' }],
  },
};
export const hpa = {
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
export const adapterValues = {
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
export const exposition = [
  '# HELP request_queue_depth_seconds_total Integral of the queue depth.',
  '# TYPE request_queue_depth_seconds_total counter',
  'request_queue_depth_seconds_total 1.5',
  '# TYPE inference_latency_seconds histogram',
  'inference_latency_seconds_bucket{le="0.01"} 1',
  'inference_latency_seconds_sum 0.002',
  'inference_latency_seconds_count 1',
].join('\n');
export const stack = {
  prometheus: {
    prometheusSpec: { serviceMonitorSelector: { matchLabels: { release: 'prometheus' } } },
  },
};

export function input(overrides: Partial<ChainInput> = {}): ChainInput {
  return {
    manifests: [deployment, service, monitor, hpa],
    adapterValues,
    prometheusStackValues: stack,
    exposition,
    probeStatus: { '/readyz': 200, '/livez': 200 },
    ...overrides,
  };
}

export function broken(links: readonly ChainLink[]): ChainLink[] {
  return links.filter((link) => link.status === 'broken');
}
