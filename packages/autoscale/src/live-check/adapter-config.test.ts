import { describe, expect, it } from 'vitest';
import { rulesFromCluster, rulesFromText } from './adapter-config.js';
import type { KubeAnswer, KubeApi } from './kube-api.js';
import { ADAPTER_CONFIG } from './live-check.fixture.js';

/** The adapter as the prometheus-community chart deploys it (trimmed to what the check reads). */
function chartCluster(overrides: Record<string, KubeAnswer> = {}): KubeApi {
  const routes: Record<string, KubeAnswer> = {
    '/apis/apiregistration.k8s.io/v1/apiservices/v1beta2.custom.metrics.k8s.io': {
      status: 404,
      body: {},
    },
    '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.custom.metrics.k8s.io': {
      status: 200,
      body: {
        spec: { service: { namespace: 'monitoring', name: 'prometheus-adapter', port: 443 } },
      },
    },
    '/api/v1/namespaces/monitoring/services/prometheus-adapter': {
      status: 200,
      body: {
        metadata: { name: 'prometheus-adapter', namespace: 'monitoring' },
        spec: { type: 'ClusterIP', selector: { 'app.kubernetes.io/name': 'prometheus-adapter' } },
      },
    },
    '/api/v1/namespaces/monitoring/pods?labelSelector=app.kubernetes.io%2Fname%3Dprometheus-adapter':
      {
        status: 200,
        body: {
          items: [
            {
              metadata: { name: 'prometheus-adapter-7d9c-x', namespace: 'monitoring' },
              spec: {
                containers: [
                  {
                    name: 'prometheus-adapter',
                    args: [
                      '/adapter',
                      '--secure-port=6443',
                      '--cert-dir=/tmp/cert',
                      '--prometheus-url=http://prometheus-operated.monitoring.svc:9090',
                      '--metrics-relist-interval=1m',
                      '--v=4',
                      '--config=/etc/adapter/config.yaml',
                    ],
                    volumeMounts: [{ mountPath: '/etc/adapter/', name: 'config', readOnly: true }],
                  },
                ],
                volumes: [{ name: 'config', configMap: { name: 'prometheus-adapter' } }],
              },
            },
          ],
        },
      },
    '/api/v1/namespaces/monitoring/configmaps/prometheus-adapter': {
      status: 200,
      body: { data: { 'config.yaml': ADAPTER_CONFIG } },
    },
    ...overrides,
  };
  return {
    server: 'https://k8s.test',
    context: 'chart',
    async get(path) {
      return routes[path] ?? { status: 404, body: { message: `no recorded answer for ${path}` } };
    },
  };
}

describe('the adapter configuration', () => {
  it('is found in the cluster as the chart deploys it: APIService → Service → pod args → mounted ConfigMap', async () => {
    const found = await rulesFromCluster(chartCluster());
    expect(found.ok && found.prometheusUrl).toBe('http://prometheus-operated.monitoring.svc:9090');
    expect(found.ok && found.rules.source).toBe(
      "ConfigMap monitoring/prometheus-adapter key config.yaml (the adapter's --config)",
    );
    expect(found.ok && found.rules.custom.map((r) => r.path)).toEqual(['rules[0]']);
  });

  it('says why when the Service is ExternalName (an adapter outside the cluster) or the ConfigMap is gone', async () => {
    const external = await rulesFromCluster(
      chartCluster({
        '/api/v1/namespaces/monitoring/services/prometheus-adapter': {
          status: 200,
          body: {
            metadata: { name: 'prometheus-adapter', namespace: 'monitoring' },
            spec: { type: 'ExternalName', externalName: 'localhost' },
          },
        },
      }),
    );
    expect(external).toEqual({
      ok: false,
      error:
        'Service monitoring/prometheus-adapter is ExternalName localhost: the adapter runs outside the cluster, so its configuration cannot be read from it',
    });
    const gone = await rulesFromCluster(
      chartCluster({
        '/api/v1/namespaces/monitoring/configmaps/prometheus-adapter': {
          status: 404,
          body: { message: 'configmaps "prometheus-adapter" not found' },
        },
      }),
    );
    expect(gone).toEqual({
      ok: false,
      error:
        'ConfigMap monitoring/prometheus-adapter answered 404: configmaps "prometheus-adapter" not found',
    });
  });

  it('reads the adapter config file and the chart values alike, and refuses other YAML', () => {
    const values = rulesFromText(
      'prometheus: {url: http://prometheus.monitoring.svc, port: 9090}\nrules: {custom: [{seriesQuery: "x{pod!=\\"\\"}", metricsQuery: "<<.Series>>"}]}\n',
      'values.yaml',
    );
    expect(values.ok && values.prometheusUrl).toBe('http://prometheus.monitoring.svc:9090');
    expect(values.ok && values.rules.custom.map((r) => r.path)).toEqual(['rules.custom[0]']);
    expect(rulesFromText('kind: Deployment\n', 'd.yaml')).toEqual({
      ok: false,
      error:
        "d.yaml holds neither prometheus-adapter's config (rules: [...]) nor its chart's values (rules.custom)",
    });
  });
});
