/**
 * What `cluster:up` applies once the API server answers: the monitoring namespace, the identities'
 * permissions (RBAC), and prometheus-adapter's APIServices.
 *
 * The aggregator reaches an APIService through its Service. Endpoints and EndpointSlices refuse
 * loopback addresses, but the aggregator's default routing (ResolveCluster in k8s.io/apiserver
 * pkg/util/proxy, used while --enable-aggregator-routing is false) sends an APIService backed by an
 * ExternalName Service to https://<externalName>:<port>: the Service `monitoring/prometheus-adapter`
 * is therefore `ExternalName: localhost` on the adapter's port, and the adapter's serving
 * certificate names `prometheus-adapter.monitoring.svc` (the name the aggregator verifies).
 */

/** The manifests as objects, for `kubectl apply -f`. */
export function controlPlaneManifests(adapterPort: number, caBundle: string): object[] {
  return [
    ...adapterApiServices(adapterPort, caBundle),
    ...adapterRbac(),
    ...nodeAgentRbac(),
    ...hpaMetricsRbac(),
  ];
}

/** The monitoring namespace, the adapter's ExternalName Service and its three APIServices. */
function adapterApiServices(adapterPort: number, caBundle: string): object[] {
  const apiService = (group: string, version: string, priority: number) => ({
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: `${version}.${group}` },
    spec: {
      group,
      version,
      service: { namespace: 'monitoring', name: 'prometheus-adapter', port: adapterPort },
      caBundle,
      groupPriorityMinimum: 100,
      versionPriority: priority,
    },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'prometheus-adapter', namespace: 'monitoring' },
      spec: {
        type: 'ExternalName',
        externalName: 'localhost',
        ports: [{ name: 'https', port: adapterPort, protocol: 'TCP' }],
      },
    },
    apiService('custom.metrics.k8s.io', 'v1beta1', 100),
    apiService('custom.metrics.k8s.io', 'v1beta2', 200),
    apiService('external.metrics.k8s.io', 'v1beta1', 100),
  ];
}

/** prometheus-adapter: delegated authentication and authorization, and reading the objects it maps series to (what the chart's RBAC grants). */
function adapterRbac(): object[] {
  return [
    clusterRoleBinding(
      'prometheus-adapter:system:auth-delegator',
      'system:auth-delegator',
      'prometheus-adapter',
    ),
    clusterRoleBinding('prometheus-adapter:view', 'view', 'prometheus-adapter'),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'prometheus-adapter:auth-reader', namespace: 'kube-system' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'extension-apiserver-authentication-reader',
      },
      subjects: [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'prometheus-adapter' },
      ],
    },
  ];
}

/** The node agent's kube-proxy and Prometheus-discovery parts: every pod and Service (its kubelet part acts as system:node:<name>, which may list only the pods bound to its node). */
function nodeAgentRbac(): object[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'mlscale:node-agent-proxy' },
      rules: [
        { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    clusterRoleBinding(
      'mlscale:node-agent-proxy',
      'mlscale:node-agent-proxy',
      'mlscale:node-agent-proxy',
    ),
  ];
}

/** The HPA controller's identity reads the custom and external metrics APIs (the bootstrap policy grants it; kept explicit so a reader sees the path). */
function hpaMetricsRbac(): object[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'mlscale:metrics-reader' },
      rules: [
        {
          apiGroups: ['custom.metrics.k8s.io', 'external.metrics.k8s.io'],
          resources: ['*'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'mlscale:metrics-reader:hpa' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'mlscale:metrics-reader',
      },
      subjects: [
        { kind: 'ServiceAccount', name: 'horizontal-pod-autoscaler', namespace: 'kube-system' },
      ],
    },
  ];
}

function clusterRoleBinding(name: string, role: string, user: string): object {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  };
}
