/**
 * `pnpm demo:cluster`: the closed loop on the local control plane, for a person. Starts the cluster
 * if it is not up, deploys infra/overlays/local into the namespace `demo` (pods on the emulated
 * device), plays the step load through the Service, and shows `kubectl get hpa -w` and the pods
 * coming and going beside each sync of the real HPA and what the port decided.
 */
import { spawn } from 'node:child_process';
import { ensureBinaries } from '../src/binaries.js';
import { clusterInfo, up } from '../src/control-plane.js';
import { runStep } from '../suites/step-scenario.js';

await up((line) => console.log(`[cluster] ${line}`));
const { kubectl } = await ensureBinaries(() => {});
const { kubeconfig } = clusterInfo();
const watchers = ['hpa', 'pods'].map((kind) =>
  spawn(kubectl, [`--kubeconfig=${kubeconfig}`, 'get', kind, '-n', 'demo', '-w'], {
    stdio: ['ignore', 'inherit', 'ignore'],
  }),
);
try {
  const run = await runStep({
    namespace: 'demo',
    log: (line) => console.log(`[demo] ${line}`),
    onSync: (s) =>
      console.log(
        Object.keys(s.averages).length === 0
          ? `[sync] ${s.time.toFixed(0)} s: real HPA ${s.currentReplicas} → ${s.real}, no metric values yet (the adapter lists a new namespace's series on its next relist, within 1 min)`
          : `[sync] ${s.time.toFixed(0)} s: real HPA ${s.currentReplicas} → ${s.real}, port ${s.port.desiredReplicas}${s.agree ? '' : ' (differs)'}`,
      ),
  });
  const decided = run.syncs.filter((s) => Object.keys(s.averages).length > 0);
  console.log(
    `\nthe real HPA and the port agreed on ${decided.filter((s) => s.agree).length} of ${decided.length} syncs`,
  );
  console.log('the cluster stays up: `pnpm cluster:down` stops it');
} finally {
  for (const watcher of watchers) watcher.kill();
}
