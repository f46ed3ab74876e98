import { describe, expect, it } from 'vitest';
import { broken, deployment, exposition, input, monitor, service } from './chain.fixture.js';
import { checkChain } from './check.js';
import type { ChainLink } from './types.js';

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
