/**
 * @mlscale/cluster: a local Kubernetes control plane from the real binaries, with a node agent
 * standing in for the kubelet, the container runtime and kube-proxy. Private: never published.
 */
export {
  ADAPTER_VERSION,
  BINARY_ENV,
  builtBinDir,
  cacheDir,
  ensureBinaries,
  ensureHelm,
  findBinaries,
  HELM_VERSION,
  KUBE_VERSION,
} from './binaries.js';
export {
  CLUSTER_DIR,
  type ClusterInfo,
  clusterInfo,
  down,
  httpsGet,
  isUp,
  kubectlApply,
  REPO_ROOT,
  up,
} from './control-plane.js';
export { MODEL_SERVER_IMAGE } from './node-agent/images.js';
export { NODE_NAME } from './node-agent/node.js';
