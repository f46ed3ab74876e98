/**
 * prometheus-adapter with other rules, on a running cluster: it reads its rules once, at start, so
 * serving another configuration (a plan's rules, a break made on purpose) is a restart with the
 * same command line and another `--config`, as a ConfigMap change and a rollout are in a cluster.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@mlscale/testkit';
import { ensureBinaries } from './binaries.js';
import { renderAdapterConfig } from './configs.js';
import { CLUSTER_DIR, clusterInfo, httpsGet, INFRA_ADAPTER_VALUES } from './control-plane.js';
import { alive, readState, startDetached, writeState } from './processes.js';

const API_GROUP = '/apis/custom.metrics.k8s.io/v1beta2';

/** The running adapter's process and command line (cluster:up's arguments), from /proc. */
export function adapterProcess(): { pid: number; argv: string[] } {
  const started = readState(CLUSTER_DIR).processes.find(
    (p) => p.name === 'prometheus-adapter' && alive(p.pid),
  );
  if (!started) throw new Error('prometheus-adapter is not running: run `pnpm cluster:up`');
  const argv = readFileSync(`/proc/${started.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  return { pid: started.pid, argv };
}

/** Ends the adapter (SIGTERM to its process group) and removes it from the cluster's state. */
export async function stopAdapter(): Promise<string[]> {
  const { pid, argv } = adapterProcess();
  process.kill(-pid, 'SIGTERM');
  await waitFor('prometheus-adapter to exit', () => !alive(pid), 30_000, 200);
  const state = readState(CLUSTER_DIR);
  writeState(CLUSTER_DIR, { ...state, processes: state.processes.filter((p) => p.pid !== pid) });
  return argv;
}

/** Starts the adapter with `argv` (as {@link stopAdapter} returned it), `--config` replaced. */
export function startAdapter(argv: readonly string[], configFile: string): void {
  const [binary, ...args] = argv;
  if (!binary) throw new Error('no adapter command line');
  const withConfig = args.map((a) => (a.startsWith('--config=') ? `--config=${configFile}` : a));
  startDetached(CLUSTER_DIR, 'prometheus-adapter', binary, withConfig);
}

/**
 * Restarts the adapter serving the rules of a prometheus-adapter chart values file (`rules.custom`
 * and `rules.external`, as `mlscale plan -o` and infra/helm write them), and waits until it is
 * healthy and the API server serves `custom.metrics.k8s.io` through it again.
 *
 * @param valuesFile - default: infra's values, what cluster:up starts it with
 * @example
 * await restartAdapter(join(planDir, 'prometheus-adapter-values.yaml'));
 */
export async function restartAdapter(valuesFile = INFRA_ADAPTER_VALUES): Promise<void> {
  const configFile = join(CLUSTER_DIR, 'prometheus-adapter.yaml');
  const config = renderAdapterConfig(valuesFile);
  const argv = await stopAdapter();
  writeFileSync(configFile, config);
  startAdapter(argv, configFile);
  const { ports, kubeconfig } = clusterInfo();
  const { kubectl } = await ensureBinaries(() => {});
  await waitFor(
    'prometheus-adapter to be healthy and served by the API server',
    async () => {
      // The adapter's serving certificate is its own: a local health check. (A throw is a no.)
      const health = await httpsGet(`https://127.0.0.1:${ports.adapter}/healthz`, {
        insecure: true,
      });
      if (health.status !== 200) return false;
      execFileSync(kubectl, [`--kubeconfig=${kubeconfig}`, 'get', '--raw', API_GROUP]);
      return true;
    },
    90_000,
    500,
  );
}
