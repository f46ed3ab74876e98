import { describe, expect, it } from 'vitest';
import type { ChainLink } from '../chain/types.js';
import type { KubeAnswer } from './kube-api.js';
import { healthyCluster, PROMETHEUS, recordedApi, recordedFetch } from './live-check.fixture.js';
import { runLiveCheck } from './run.js';

const scaledObject = {
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'ScaledObject',
  metadata: { name: 'model-server', namespace: 'serving' },
  spec: {
    scaleTargetRef: { name: 'model-server' },
    triggers: [
      {
        type: 'prometheus',
        metadata: {
          serverAddress: 'http://prometheus.monitoring.svc:9090',
          query: 'sum(rate(http_requests_total{namespace="serving"}[1m]))',
          threshold: '20',
        },
      },
    ],
  },
  status: { hpaName: 'keda-hpa-model-server', conditions: [{ type: 'Ready', status: 'True' }] },
};

const kedaHpa = {
  metadata: {
    name: 'keda-hpa-model-server',
    namespace: 'serving',
    ownerReferences: [{ kind: 'ScaledObject', name: 'model-server' }],
  },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'model-server' },
    metrics: [
      {
        type: 'External',
        external: {
          metric: {
            name: 's0-prometheus',
            selector: { matchLabels: { 'scaledobject.keda.sh/name': 'model-server' } },
          },
          target: { type: 'AverageValue', averageValue: '20' },
        },
      },
    ],
  },
  status: {
    currentMetrics: [
      {
        type: 'External',
        external: { metric: { name: 's0-prometheus' }, current: { averageValue: '21' } },
      },
    ],
    conditions: [
      { type: 'AbleToScale', status: 'True' },
      { type: 'ScalingActive', status: 'True' },
    ],
  },
};

const json = (status: number, body: unknown) => (): KubeAnswer => ({ status, body });

function kedaRoutes(itemValue: string | undefined) {
  return {
    '/apis/autoscaling/v2/namespaces/serving/horizontalpodautoscalers': json(200, {
      items: [kedaHpa],
    }),
    '/apis/autoscaling/v2/namespaces/serving/horizontalpodautoscalers/keda-hpa-model-server': json(
      200,
      kedaHpa,
    ),
    '/apis/keda.sh/v1alpha1/namespaces/serving/scaledobjects': json(200, { items: [scaledObject] }),
    '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io': json(200, {
      spec: { service: { namespace: 'keda', name: 'keda-operator-metrics-apiserver', port: 443 } },
      status: { conditions: [{ type: 'Available', status: 'True' }] },
    }),
    '/apis/external.metrics.k8s.io/v1beta1/namespaces/serving/s0-prometheus?labelSelector=scaledobject.keda.sh%2Fname%3Dmodel-server':
      json(200, {
        items: itemValue === undefined ? [] : [{ metricName: 's0-prometheus', value: itemValue }],
      }),
  };
}

describe('a KEDA ScaledObject on recorded answers', () => {
  it('is checked through the HPA KEDA made: its trigger query in Prometheus, the external APIService and the value', async () => {
    const cluster = healthyCluster();
    const report = await runLiveCheck({
      api: recordedApi(cluster, kedaRoutes('42')),
      namespace: 'serving',
      prometheusUrl: PROMETHEUS,
      fetch: recordedFetch(cluster),
    });
    expect(report.scalers.map((s) => s.scaler)).toEqual([
      'ScaledObject/model-server (namespace serving)',
    ]);
    const links = report.scalers[0]?.links ?? [];
    expect(links.map((l: ChainLink) => `${l.status} ${l.link}`)).toEqual([
      'ok scaledobject-hpa',
      'ok hpa-target',
      'ok pod-metrics',
      'ok scrape-targets',
      'ok adapter-rule',
      'ok apiservice',
      'skipped discovery',
      'ok metric-value',
      'ok hpa-status',
    ]);
    expect(links[4]?.detail).toBe(
      `the trigger's query in ${PROMETHEUS}: sum(rate(http_requests_total{namespace="serving"}[1m]))\n= 42`,
    );
    expect(links[5]?.detail).toBe(
      'v1beta1.external.metrics.k8s.io Available, served by Service keda/keda-operator-metrics-apiserver:443',
    );
  });

  it('an empty external answer is the broken value', async () => {
    const cluster = healthyCluster();
    const report = await runLiveCheck({
      api: recordedApi(cluster, kedaRoutes(undefined)),
      namespace: 'serving',
      prometheusUrl: PROMETHEUS,
      fetch: recordedFetch(cluster),
    });
    const broken = (report.scalers[0]?.links ?? []).filter((l) => l.status === 'broken');
    expect(broken.map((l) => l.link)).toEqual(['metric-value']);
    expect(broken[0]?.detail).toContain('returned no items');
  });
});
