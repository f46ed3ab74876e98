/**
 * The mlscale node agent: a stand-in for the kubelet, the container runtime and kube-proxy on one
 * node of the local control plane. Pods bound to its node run as processes ({@link PodRunner});
 * Services get local ports ({@link ServiceProxy}), written to the services file.
 *
 * Usage: node --import tsx main.ts --kubeconfig=<file> --services-file=<file>
 *   [--scrape-targets-file=<file>] [--log-dir=<dir>]
 */
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CoreV1Api,
  KubeConfig,
  ListWatch,
  makeInformer,
  type V1Pod,
  type V1Service,
  Watch,
} from '@kubernetes/client-node';
import { scrapeTargets } from '../configs.js';
import { keepNode, NODE_NAME } from './node.js';
import { PodIps } from './pod-ips.js';
import { PodRunner } from './pod-runner.js';
import { ServiceProxy } from './service-proxy.js';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'proxy-kubeconfig': { type: 'string' },
    'services-file': { type: 'string' },
    'log-dir': { type: 'string' },
    'scrape-targets-file': { type: 'string' },
  },
});
if (!values.kubeconfig || !values['proxy-kubeconfig'] || !values['services-file']) {
  console.error(
    'usage: main.ts --kubeconfig=<file> --proxy-kubeconfig=<file> --services-file=<file> [--scrape-targets-file=<file>] [--log-dir=<dir>]',
  );
  process.exit(2);
}
const servicesFile = values['services-file'];
const logDir = values['log-dir'] ?? join(dirname(servicesFile), 'logs', 'pods');
const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

// The kubelet part acts as the node (system:node:<name>); the kube-proxy and discovery parts as
// their own identity, allowed to read every pod and Service.
const kubeconfig = new KubeConfig();
kubeconfig.loadFromFile(values.kubeconfig);
const core = kubeconfig.makeApiClient(CoreV1Api);
const proxyKubeconfig = new KubeConfig();
proxyKubeconfig.loadFromFile(values['proxy-kubeconfig']);
const proxyCore = proxyKubeconfig.makeApiClient(CoreV1Api);

const node = await keepNode(kubeconfig);
log(`node ${NODE_NAME} registered`);

const ips = await PodIps.create();
const runners = new Map<string, PodRunner>();

const onNode = `spec.nodeName=${NODE_NAME}`;
const podsOnNode = new ListWatch<V1Pod>(
  '/api/v1/pods',
  new Watch(kubeconfig),
  () => core.listPodForAllNamespaces({ fieldSelector: onNode }),
  false,
  undefined,
  onNode,
);
const pods = makeInformer<V1Pod>(proxyKubeconfig, '/api/v1/pods', () =>
  proxyCore.listPodForAllNamespaces(),
);
const services = makeInformer<V1Service>(proxyKubeconfig, '/api/v1/services', () =>
  proxyCore.listServiceForAllNamespaces(),
);
const proxy = new ServiceProxy(() => pods.list(), log);

/**
 * Prometheus' discovery of the pods, kept in step here: Debian's Prometheus has no kubernetes_sd,
 * so the agent, which watches every pod anyway, writes the targets kubernetes_sd would find
 * (file_sd, read back within 5 s).
 */
const scrapeTargetsFile = values['scrape-targets-file'];
let lastTargets = '';
function writeScrapeTargets(): void {
  if (!scrapeTargetsFile) return;
  const text = `${JSON.stringify(scrapeTargets(pods.list()), null, 2)}\n`;
  if (text === lastTargets) return;
  lastTargets = text;
  writeFileSync(`${scrapeTargetsFile}.tmp`, text);
  renameSync(`${scrapeTargetsFile}.tmp`, scrapeTargetsFile);
}

function writeServices(): void {
  const tmp = `${servicesFile}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(proxy.addresses(), null, 2)}\n`);
  renameSync(tmp, servicesFile);
}

let syncing: Promise<void> = Promise.resolve();
function syncServices(): void {
  syncing = syncing
    .then(async () => {
      if (await proxy.sync(services.list())) writeServices();
    })
    .catch((error) => log(`service sync failed: ${String(error)}`));
}

function onPod(pod: V1Pod): void {
  if (pod.spec?.nodeName !== NODE_NAME) return;
  const uid = pod.metadata?.uid ?? '';
  const existing = runners.get(uid);
  if (existing) {
    existing.update(pod);
    return;
  }
  if (
    pod.metadata?.deletionTimestamp ||
    pod.status?.phase === 'Succeeded' ||
    pod.status?.phase === 'Failed'
  ) {
    // Bound here before the agent started and already ending: nothing runs it.
    void core
      .deleteNamespacedPod({
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        gracePeriodSeconds: 0,
      })
      .catch(() => {});
    return;
  }
  const runner = new PodRunner(pod, ips.take(), {
    core,
    logDir,
    log,
    onGone: (gone) => {
      const finished = runners.get(gone);
      if (finished) ips.give(finished.podIP);
      runners.delete(gone);
    },
  });
  runners.set(uid, runner);
  runner.start();
}

podsOnNode.on('add', onPod);
podsOnNode.on('update', onPod);
for (const verb of ['add', 'update', 'delete'] as const) pods.on(verb, writeScrapeTargets);
podsOnNode.on('delete', (pod: V1Pod) => {
  const runner = runners.get(pod.metadata?.uid ?? '');
  if (runner) void runner.kill();
});
services.on('add', syncServices);
services.on('update', syncServices);
services.on('delete', syncServices);
for (const informer of [podsOnNode, pods, services] as {
  on(verb: 'error', cb: (e: unknown) => void): void;
  start(): Promise<void>;
}[]) {
  informer.on('error', (error) => {
    log(`watch error: ${String(error)}; restarting in 2 s`);
    setTimeout(() => void informer.start(), 2000);
  });
}
await podsOnNode.start();
await pods.start();
await services.start();
syncServices();
await syncing;
writeServices();
writeScrapeTargets();
log('ready');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping ${runners.size} pods' processes`);
  node.stop();
  await podsOnNode.stop();
  await pods.stop();
  await services.stop();
  proxy.close();
  await Promise.all([...runners.values()].map((runner) => runner.kill()));
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
