// The overlays for idle cost and bursts: per-direction tolerance (Kubernetes 1.33+), scale to zero
// with KEDA and with the HPA's HPAScaleToZero gate; the burst policy of the base HPA, with the
// figures `mlscale simulate` gives for it; the Prometheus annotations of the pods.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { type ChainLink, checkChain, formatChainReport } from '@mlscale/autoscale';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hasKubectl, infraDir, kustomize, loadYaml, readInfra, repoDir } from './helpers.js';
import { unknownFields } from './strict.js';

type Doc = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: walking built YAML
type Any = any;

const newOverlays = [
  'overlays/hpa-tolerance',
  'overlays/keda-scale-to-zero',
  'overlays/hpa-scale-to-zero',
] as const;

// The model constructors each take their kind's own shape; the YAML is checked by validate().
type ModelClass = new (data: never) => { validate(): void };
const models: Record<string, ModelClass> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

/** Builds an overlay; fails (never skips) without kubectl, saying how to get it. */
function build(overlay: string): Doc[] {
  if (!hasKubectl) {
    throw new Error(
      'kubectl not found: install kubectl (its `kubectl kustomize` builds the overlays)',
    );
  }
  return kustomize(overlay);
}

function only(docs: Doc[], kind: string): Any[] {
  return docs.filter((doc) => doc.kind === kind);
}

const fixture = (file: string) => readInfra(`test/fixtures/${file}`);

function brokenLinks(overlay: string): ChainLink[] {
  const report = checkChain({
    manifests: build(overlay),
    adapterValues: loadYaml('helm/prometheus-adapter-values.yaml'),
    prometheusStackValues: loadYaml('helm/kube-prometheus-stack-values.yaml'),
    exposition: fixture('metrics-cpu.txt'),
    probeStatus: { '/readyz': 200, '/livez': 200 },
  });
  return report.links.filter((link) => link.status === 'broken');
}

describe.each(newOverlays)('%s', (overlay) => {
  it('builds, and every object validates with no field the schema does not know', async () => {
    const docs = build(overlay);
    expect(docs.length).toBeGreaterThanOrEqual(6);
    for (const doc of docs) {
      const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
      const Model = models[key];
      if (!Model) throw new Error(`no schema for ${key}`);
      new Model(doc as never).validate();
      expect(await unknownFields(doc), `${key}: fields the schema does not know`).toEqual([]);
    }
    // the alerts ride along with the base
    expect(only(docs, 'PrometheusRule').map((r) => r.metadata.name)).toEqual([
      'model-server-autoscaling',
    ]);
  });
});

describe('the chain check (mlscale check) on the new overlays', () => {
  it.each(['overlays/hpa-tolerance', 'overlays/hpa-scale-to-zero'])(
    '%s: no broken link',
    (overlay) => {
      const broken = brokenLinks(overlay);
      expect(broken, broken.map((l) => `${l.subject}: ${l.detail}`).join('\n')).toEqual([]);
    },
  );

  it('keda-scale-to-zero: broken only where a query reads another exporter (a limit of the check)', () => {
    // The check takes every series of a KEDA query for one the model server must expose; these
    // come from ingress-nginx and kube-state-metrics, which it cannot see. Everything else holds.
    const broken = brokenLinks('overlays/keda-scale-to-zero');
    expect(broken.map((l) => l.subject).sort()).toEqual([
      'ScaledObject/model-server trigger e2e-latency (s1-prometheus) query → kube_deployment_status_replicas_ready',
      'ScaledObject/model-server trigger ingress-requests (s0-prometheus) query → nginx_ingress_controller_requests',
      'ScaledObject/model-server trigger queue-depth-avg (s2-prometheus) query → kube_deployment_status_replicas_ready',
    ]);
  });

  it('keda-scale-to-zero: a renamed server metric in a trigger is still caught', () => {
    const docs = build('overlays/keda-scale-to-zero').map((doc) =>
      doc.kind === 'ScaledObject'
        ? (JSON.parse(
            JSON.stringify(doc).replaceAll(
              'request_queue_depth_seconds_total',
              'request_queue_depth_total',
            ),
          ) as Doc)
        : doc,
    );
    const report = checkChain({
      manifests: docs,
      adapterValues: loadYaml('helm/prometheus-adapter-values.yaml'),
      prometheusStackValues: loadYaml('helm/kube-prometheus-stack-values.yaml'),
      exposition: fixture('metrics-cpu.txt'),
      probeStatus: { '/readyz': 200, '/livez': 200 },
    });
    expect(formatChainReport(report)).toContain('request_queue_depth_total');
    expect(
      report.links.some(
        (l) => l.status === 'broken' && l.subject.includes('request_queue_depth_total'),
      ),
    ).toBe(true);
  });
});

describe('scale to zero', () => {
  it('KEDA: minReplicaCount 0, woken by the ingress request rate, the pod triggers 0 only while no pod is ready', () => {
    const docs = build('overlays/keda-scale-to-zero');
    expect(only(docs, 'HorizontalPodAutoscaler')).toEqual([]);
    const [so] = only(docs, 'ScaledObject');
    expect(so.spec.minReplicaCount).toBe(0);
    const byName = new Map<string, Any>(so.spec.triggers.map((t: Any) => [t.name, t]));
    const ingress = byName.get('ingress-requests');
    expect(ingress.metadata.query).toContain(
      'nginx_ingress_controller_requests{exported_namespace="default",ingress="model-server"}',
    );
    expect(ingress.metadata.activationThreshold).toBe('0');
    for (const name of ['e2e-latency', 'queue-depth-avg']) {
      const trigger = byName.get(name);
      expect(trigger.metadata.ignoreNullValues).toBe('false');
      expect(trigger.metadata.query).toMatch(
        /or \(0 \* sum\(kube_deployment_status_replicas_ready\{namespace="default",deployment="model-server"\} == 0\)\)$/,
      );
    }
    // the Ingress the activation signal is counted on routes to the Service's named port
    const [ing] = only(docs, 'Ingress');
    expect(ing.metadata.name).toBe('model-server');
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({
      name: 'model-server',
      port: { name: 'http' },
    });
  });

  it('HPA variant: minReplicas 0 and an External metric the adapter serves from outside the pods', () => {
    const docs = build('overlays/hpa-scale-to-zero');
    const [hpa] = only(docs, 'HorizontalPodAutoscaler');
    expect(hpa.spec.minReplicas).toBe(0);
    const external = hpa.spec.metrics.filter((m: Any) => m.type === 'External');
    expect(external).toHaveLength(1);
    const values = loadYaml('helm/prometheus-adapter-values.yaml') as Any;
    const rule = values.rules.external.find(
      (r: Any) => r.name.as === external[0].external.metric.name,
    );
    expect(rule, 'an adapter external rule yields the HPA metric').toBeTruthy();
    // the selector's labels are labels of the series the rule reads
    for (const label of Object.keys(external[0].external.metric.selector.matchLabels)) {
      expect(rule.seriesQuery).toContain(`${label}!=""`);
    }
  });
});

describe('bursts', () => {
  const hpa = loadYaml('base/hpa.yaml') as Any;

  it('the base HPA may double every sync beside 2 pods a minute, the larger step winning', () => {
    expect(hpa.spec.behavior.scaleUp).toEqual({
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 2, periodSeconds: 60 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    });
    const keda = loadYaml('keda/scaledobject.yaml') as Any;
    expect(keda.spec.advanced.horizontalPodAutoscalerConfig.behavior).toEqual(hpa.spec.behavior);
  });

  it('per-direction tolerance only in the 1.33+ overlay, never in the base', () => {
    expect(JSON.stringify(hpa)).not.toContain('tolerance');
    const [tolerant] = only(build('overlays/hpa-tolerance'), 'HorizontalPodAutoscaler');
    expect(tolerant.spec.behavior.scaleUp.tolerance).toBe('0.05');
    expect(tolerant.spec.behavior.scaleDown.tolerance).toBe('0.2');
    expect(readInfra('overlays/hpa-tolerance/kustomization.yaml')).toContain('Kubernetes 1.33+');
  });

  it('mlscale simulate: on a step with twice the load, the queue stays above target half as long', () => {
    // The base HPA against itself without the Percent policy, on the recorded step with 2x the load.
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-burst-'));
    try {
      const podsOnly = structuredClone(hpa);
      podsOnly.metadata.name = 'pods-only';
      podsOnly.spec.behavior.scaleUp.policies = [{ type: 'Pods', value: 2, periodSeconds: 60 }];
      writeFileSync(join(dir, 'pods-only.yaml'), stringify(podsOnly));
      const out = execFileSync(
        process.execPath,
        [
          join(repoDir, 'packages/autoscale/dist/cli.js'),
          'simulate',
          '--trace',
          join(infraDir, 'traces/step-load-x2.csv'),
          '--hpa',
          join(dir, 'pods-only.yaml'),
          '--hpa',
          join(infraDir, 'base/hpa.yaml'),
          '--latency-metric',
          'request_queue_depth_avg',
          '--latency-target',
          '10',
          '--json',
        ],
        { encoding: 'utf8' },
      );
      const [before, after] = (JSON.parse(out) as { results: { summary: Any }[] }).results.map(
        (r) => r.summary,
      );
      expect(before.timeAboveLatencyTarget).toBe(90);
      expect(after.timeAboveLatencyTarget).toBe(45);
      expect(after.timeToFirstScaleUp).toBe(before.timeToFirstScaleUp);
      expect(after.replicaSeconds).toBeGreaterThan(before.replicaSeconds);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Prometheus without the Operator', () => {
  it('the pods carry prometheus.io scrape, port and path matching the container port `http`', () => {
    const deployment = loadYaml('base/deployment.yaml') as Any;
    const template = deployment.spec.template;
    const http = template.spec.containers[0].ports.find((p: Any) => p.name === 'http');
    expect(template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(http.containerPort),
      'prometheus.io/path': '/metrics',
    });
  });
});
