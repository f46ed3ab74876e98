import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { infraDir } from './helpers.js';

/** The generated schema validator of each kind (ajv standalone code shipped by kubernetes-models). */
const schemaFiles: Record<string, readonly [string, string]> = {
  'apps/v1/Deployment': ['kubernetes-models', 'IoK8sApiAppsV1Deployment'],
  'v1/Service': ['kubernetes-models', 'IoK8sApiCoreV1Service'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models', 'IoK8sApiPolicyV1PodDisruptionBudget'],
  'autoscaling/v2/HorizontalPodAutoscaler': [
    'kubernetes-models',
    'IoK8sApiAutoscalingV2HorizontalPodAutoscaler',
  ],
  'monitoring.coreos.com/v1/ServiceMonitor': [
    '@kubernetes-models/prometheus-operator',
    'MonitoringCoreosComV1ServiceMonitor',
  ],
  'keda.sh/v1alpha1/ScaledObject': ['@kubernetes-models/keda', 'KedaShV1alpha1ScaledObject'],
  'networking.k8s.io/v1/Ingress': ['kubernetes-models', 'IoK8sApiNetworkingV1Ingress'],
  'monitoring.coreos.com/v1/PrometheusRule': [
    '@kubernetes-models/prometheus-operator',
    'MonitoringCoreosComV1PrometheusRule',
  ],
};

type SchemaValidator = (data: unknown) => boolean;

async function loadValidator(key: string): Promise<SchemaValidator> {
  const file = schemaFiles[key];
  if (!file) throw new Error(`no schema for ${key}`);
  const url = pathToFileURL(
    join(infraDir, 'node_modules', file[0], '_schemas', `${file[1]}.mjs`),
  ).href;
  const module = (await import(url)) as { validate: SchemaValidator };
  return module.validate;
}

/**
 * Fields the Kubernetes schema does not know, which `kubectl apply` (strict field validation)
 * rejects but the generated validators let through: the document is validated through proxies
 * that record which properties the validator reads, and any property it never read is unknown.
 * Only the outermost unknown field of a subtree is listed.
 *
 * @param doc - a manifest
 * @returns paths such as `spec.template.spec.containers[0].readinesProbe`
 */
export async function unknownFields(doc: Record<string, unknown>): Promise<string[]> {
  const validate = await loadValidator(`${String(doc.apiVersion)}/${String(doc.kind)}`);
  const objects: { path: string; value: Record<string, unknown>; read: Set<string> }[] = [];
  const track = (value: unknown, path: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item, index) => track(item, `${path}[${index}]`));
    const read = new Set<string>();
    const record = value as Record<string, unknown>;
    objects.push({ path, value: record, read });
    const copy = Object.fromEntries(
      Object.entries(record).map(([key, item]) => [key, track(item, `${path}.${key}`)]),
    );
    return new Proxy(copy, {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key, receiver);
      },
    });
  };
  const top = new Set(['apiVersion', 'kind', 'metadata', 'spec']);
  const unknown = Object.keys(doc).filter((key) => !top.has(key));
  validate({ ...doc, metadata: track(doc.metadata, 'metadata'), spec: track(doc.spec, 'spec') });
  for (const { path, value, read } of objects) {
    for (const key of Object.keys(value)) if (!read.has(key)) unknown.push(`${path}.${key}`);
  }
  return unknown.filter(
    (path) => !unknown.some((other) => other !== path && path.startsWith(`${other}.`)),
  );
}
