/** `pnpm cluster:up`: starts the local control plane (building its binaries the first time). */
import { up } from '../control-plane.js';

const started = Date.now();
try {
  const cluster = await up((line) => console.log(`[cluster:up] ${line}`));
  const services = cluster.servicesFile;
  console.log(`
ready in ${((Date.now() - started) / 1000).toFixed(1)} s
  kubeconfig   ${cluster.kubeconfig}
  API server   ${cluster.apiServer}
  Prometheus   ${cluster.prometheus}
  services     ${services} ("namespace/name": "http://127.0.0.1:PORT", kept by the node agent)

  export KUBECONFIG=${cluster.kubeconfig}
  kubectl apply -k infra/overlays/local     # the model server with the project's HPA
  kubectl get hpa,pods -w
  pnpm cluster:down                          # stops everything and removes .cluster/`);
} catch (error) {
  console.error(`[cluster:up] ${(error as Error).message}`);
  process.exit(1);
}
