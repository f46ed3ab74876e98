import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import {
  hasKubectl,
  kustomize,
  loadYaml,
  manifestFiles,
  overlays,
  parseDocs,
  readInfra,
} from './helpers.js';
import { unknownFields } from './strict.js';

type Validator = (doc: Record<string, unknown>) => void;

// The model constructors each take their kind's own shape; the YAML is checked by validate().
type ModelClass = new (data: never) => { validate(): void };
const model =
  (Kind: ModelClass): Validator =>
  (doc) =>
    new Kind(doc as never).validate();

const validators: Record<string, Validator> = {
  'apps/v1/Deployment': model(Deployment),
  'v1/Service': model(Service),
  'policy/v1/PodDisruptionBudget': model(PodDisruptionBudget),
  'autoscaling/v2/HorizontalPodAutoscaler': model(HorizontalPodAutoscaler),
  'monitoring.coreos.com/v1/ServiceMonitor': model(ServiceMonitor),
  'keda.sh/v1alpha1/ScaledObject': model(ScaledObject),
  'monitoring.coreos.com/v1/PrometheusRule': model(PrometheusRule),
};

function validate(doc: Record<string, unknown>): void {
  const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
  const validator = validators[key];
  if (!validator) throw new Error(`no schema for ${key}`);
  validator(doc);
}

const fullManifests = manifestFiles().filter((file) => !file.startsWith('overlays/'));

describe('every manifest validates against the Kubernetes and CRD schemas', () => {
  it('finds the manifests', () => {
    expect(fullManifests).toEqual([
      'alerts/prometheusrule.yaml',
      'base/deployment.yaml',
      'base/hpa.yaml',
      'base/pdb.yaml',
      'base/service.yaml',
      'base/servicemonitor.yaml',
      'hpa/guide-hpa.yaml',
      'keda/scaledobject.yaml',
    ]);
  });

  it.each(fullManifests)('%s', async (file) => {
    const docs = parseDocs(readInfra(file), file);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      validate(doc);
      expect(await unknownFields(doc), `${file}: fields the schema does not know`).toEqual([]);
    }
  });

  it('finds a misspelt field that the schema validation alone lets through', async () => {
    const [doc] = parseDocs(readInfra('base/deployment.yaml'), 'deployment');
    if (!doc) throw new Error('no document');
    const typo = JSON.parse(JSON.stringify(doc).replace('"readinessProbe"', '"readinesProbe"'));
    expect(() => validate(typo)).not.toThrow();
    expect(await unknownFields(typo)).toEqual(['spec.template.spec.containers[0].readinesProbe']);
    const [monitor] = parseDocs(readInfra('base/servicemonitor.yaml'), 'servicemonitor');
    if (!monitor) throw new Error('no document');
    const monitorTypo = JSON.parse(
      JSON.stringify(monitor).replace('"scrapeTimeout"', '"scrapeTimout"'),
    );
    expect(await unknownFields(monitorTypo)).toEqual(['spec.endpoints[0].scrapeTimout']);
  });

  it('rejects a manifest with a wrong type (the validator is real)', () => {
    const [doc] = parseDocs(readInfra('base/deployment.yaml'), 'deployment');
    if (!doc) throw new Error('no document');
    const broken = JSON.parse(
      JSON.stringify(doc).replace('"containerPort":8080', '"containerPort":"8080"'),
    );
    expect(() => validate(broken)).toThrow(/containerPort must be integer/);
  });

  it.runIf(hasKubectl).each(overlays)(
    'kubectl kustomize %s builds and every object validates',
    (overlay) => {
      const docs = kustomize(overlay);
      expect(docs.length).toBeGreaterThanOrEqual(5);
      for (const doc of docs) validate(doc);
    },
  );
});

describe('Helm values parse', () => {
  it.each(['helm/prometheus-adapter-values.yaml', 'helm/kube-prometheus-stack-values.yaml'])(
    '%s',
    (file) => {
      expect(loadYaml(file)).toBeTypeOf('object');
    },
  );
});
