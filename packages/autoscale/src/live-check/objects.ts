/** The objects a scaler's chain runs through: its target's pods, read from the API server. */
import { field, list, stringMap } from '../chain/manifests.js';
import type { KubeAnswer, KubeApi } from './kube-api.js';

/** A pod as the links need it. */
export interface LivePod {
  readonly name: string;
  readonly ip?: string;
  readonly ready: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Declared TCP container ports (name may be empty). */
  readonly ports: readonly { readonly name: string; readonly port: number }[];
}

/** The pods an HPA's target selects, or why they could not be found. */
export type TargetPods =
  | {
      readonly ok: true;
      /** `Deployment/model-server`. */
      readonly target: string;
      /** The scale subresource's selector (`app=model-server`). */
      readonly selector: string;
      readonly pods: readonly LivePod[];
    }
  | { readonly ok: false; readonly target: string; readonly error: string; readonly fix: string };

/** The resource (plural) of a kind the scale subresource is asked on. */
function resourceOf(kind: string): string {
  const known: Record<string, string> = {
    Deployment: 'deployments',
    StatefulSet: 'statefulsets',
    ReplicaSet: 'replicasets',
    ReplicationController: 'replicationcontrollers',
  };
  return known[kind] ?? `${kind.toLowerCase()}s`;
}

/** The API path of a `scaleTargetRef`'s scale subresource. */
function scalePath(namespace: string, ref: unknown): string {
  const apiVersion = String(field(ref, 'apiVersion') ?? 'apps/v1');
  const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const kind = String(field(ref, 'kind') ?? '');
  const name = String(field(ref, 'name') ?? '');
  return `${prefix}/namespaces/${namespace}/${resourceOf(kind)}/${encodeURIComponent(name)}/scale`;
}

/** The message of a Kubernetes `Status` answer, or the HTTP status. */
export function statusMessage(answer: KubeAnswer): string {
  const message = field(answer.body, 'message');
  return typeof message === 'string' ? `${answer.status}: ${message}` : `HTTP ${answer.status}`;
}

/** Reads a pod object into {@link LivePod}. */
export function livePod(pod: unknown): LivePod {
  const ready =
    field(pod, 'metadata', 'deletionTimestamp') === undefined &&
    list(pod, 'status', 'conditions').some(
      (c) => field(c, 'type') === 'Ready' && field(c, 'status') === 'True',
    );
  const ports = list(pod, 'spec', 'containers').flatMap((container) =>
    list(container, 'ports')
      .filter((p) => (field(p, 'protocol') ?? 'TCP') === 'TCP')
      .map((p) => ({
        name: String(field(p, 'name') ?? ''),
        port: Number(field(p, 'containerPort')),
      })),
  );
  const ip = field(pod, 'status', 'podIP');
  return {
    name: String(field(pod, 'metadata', 'name') ?? ''),
    ...(typeof ip === 'string' && ip !== '' ? { ip } : {}),
    ready,
    labels: stringMap(pod, 'metadata', 'labels'),
    annotations: stringMap(pod, 'metadata', 'annotations'),
    ports,
  };
}

/**
 * The pods of a scaler's target: its scale subresource's selector (what the HPA controller uses),
 * then the pods it selects.
 *
 * @param api - the API server
 * @param namespace - the scaler's namespace
 * @param ref - its `scaleTargetRef`
 */
export async function targetPods(
  api: KubeApi,
  namespace: string,
  ref: unknown,
): Promise<TargetPods> {
  const target = `${String(field(ref, 'kind') ?? '?')}/${String(field(ref, 'name') ?? '?')}`;
  const scale = await api.get(scalePath(namespace, ref));
  if (scale.status !== 200) {
    return {
      ok: false,
      target,
      error: `the scale subresource of ${target} in namespace ${namespace} answered ${statusMessage(scale)}`,
      fix: `point scaleTargetRef at a workload that exists in namespace ${namespace} (kubectl get deploy -n ${namespace})`,
    };
  }
  const selector = field(scale.body, 'status', 'selector');
  if (typeof selector !== 'string' || selector === '') {
    return {
      ok: false,
      target,
      error: `${target} reports no selector in its scale subresource (status.selector)`,
      fix: `give ${target} a pod selector`,
    };
  }
  const pods = await api.get(
    `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
  );
  if (pods.status !== 200) {
    return {
      ok: false,
      target,
      error: `listing pods answered ${statusMessage(pods)}`,
      fix: 'grant list on pods',
    };
  }
  return { ok: true, target, selector, pods: list(pods.body, 'items').map(livePod) };
}
