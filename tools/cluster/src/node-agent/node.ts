/**
 * The node object the node agent keeps, as the kubelet keeps its own: registered with capacity
 * and the Ready condition, its Lease in kube-node-lease renewed and its status refreshed every
 * 10 s (the kubelet's defaults), so the node lifecycle controller sees a healthy node.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Node,
  type V1NodeCondition,
} from '@kubernetes/client-node';

/** The node's name. */
export const NODE_NAME = 'mlscale-node-1';
/** The node's address (pods' hostIP). */
export const NODE_IP = '127.0.0.1';
/**
 * What the node offers the scheduler. Pods are processes sharing this machine; the capacity is
 * large enough for infra/base's requests (2 CPU, 1 GiB per pod) at the HPA's maximum of 10 pods,
 * and says nothing about the machine's real size.
 */
export const NODE_CAPACITY = {
  cpu: '64',
  memory: '256Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
};

function conditions(now: Date): V1NodeCondition[] {
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return [
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'node agent: not measured'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'node agent: not measured'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'node agent: not measured'),
    condition('Ready', 'True', 'KubeletReady', 'mlscale node agent is posting ready status'),
  ];
}

/** Registers the node (or takes over an existing one) and keeps it alive until `stop`. */
export async function keepNode(kubeconfig: KubeConfig): Promise<{ stop(): void }> {
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const coordination = kubeconfig.makeApiClient(CoordinationV1Api);
  try {
    await core.createNode({ body: nodeObject() });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
  const beat = () => heartbeat(core, coordination);
  await beat();
  const timer = setInterval(() => {
    beat().catch((error) => console.error(`node heartbeat failed: ${String(error)}`));
  }, 10_000);
  return { stop: () => clearInterval(timer) };
}

/** The Node as the kubelet registers it: labels, capacity, addresses, conditions, node info. */
function nodeObject(): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE_NAME,
      labels: {
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.mlscale.dev/agent': 'mlscale-node-agent',
      },
    },
    spec: {},
    status: {
      capacity: NODE_CAPACITY,
      allocatable: NODE_CAPACITY,
      addresses: [
        { type: 'InternalIP', address: NODE_IP },
        { type: 'Hostname', address: NODE_NAME },
      ],
      conditions: conditions(new Date()),
      nodeInfo: {
        architecture: 'amd64',
        bootID: '',
        containerRuntimeVersion: 'mlscale-node-agent://processes',
        kernelVersion: '',
        kubeProxyVersion: '',
        kubeletVersion: 'mlscale-node-agent',
        machineID: '',
        operatingSystem: 'linux',
        osImage: 'processes on the host',
        systemUUID: '',
      },
    },
  };
}

/** Refreshes the node's conditions and renews its Lease (creating it the first time). */
async function heartbeat(core: CoreV1Api, coordination: CoordinationV1Api): Promise<void> {
  const now = new Date();
  await core.patchNodeStatus({
    name: NODE_NAME,
    body: [{ op: 'replace', path: '/status/conditions', value: conditions(now) }],
  });
  // MicroTime: the API wants 6 fractional digits (client-node would send 3 for a Date).
  const renewTime = now.toISOString().replace('Z', '000Z');
  const renew = () =>
    coordination.patchNamespacedLease({
      name: NODE_NAME,
      namespace: 'kube-node-lease',
      body: [{ op: 'replace', path: '/spec/renewTime', value: renewTime }],
    });
  try {
    await renew();
  } catch (error) {
    if ((error as { code?: number }).code !== 404) throw error;
    await coordination.createNamespacedLease({
      namespace: 'kube-node-lease',
      body: {
        metadata: { name: NODE_NAME, namespace: 'kube-node-lease' },
        spec: { holderIdentity: NODE_NAME, leaseDurationSeconds: 40 },
      },
    });
    await coordination.patchNamespacedLease({
      name: NODE_NAME,
      namespace: 'kube-node-lease',
      body: [{ op: 'add', path: '/spec/renewTime', value: renewTime }],
    });
  }
}
