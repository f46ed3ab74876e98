/**
 * `cluster:up` and `cluster:down`: the local control plane from the real binaries.
 *
 * Start order: certificates → etcd → kube-apiserver → RBAC and APIServices → kube-controller-manager
 * and kube-scheduler → Prometheus → prometheus-adapter → the node agent. Each step waits on a health
 * check before the next. State lives in `.cluster/` (git-ignored): certificates, kubeconfigs, etcd's
 * data, logs, `state.json` (processes and ports), `kubeconfig` and `services.json`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '@mlscale/testkit';
import { type Binaries, crdDir, ensureBinaries, KUBE_VERSION } from './binaries.js';
import { type Certificates, makeCertificates } from './certs.js';
import { renderAdapterConfig, renderPrometheusConfig } from './configs.js';
import { writeKubeconfig } from './kubeconfig.js';
import { controlPlaneManifests } from './manifests.js';
import { NODE_NAME } from './node-agent/node.js';
import {
  alive,
  logTail,
  readState,
  type Started,
  startDetached,
  stopAll,
  writeState,
} from './processes.js';

/** The repository root (this file is tools/cluster/src/control-plane.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The cluster's state folder. */
export const CLUSTER_DIR = process.env.MLSCALE_CLUSTER_DIR ?? join(REPO_ROOT, '.cluster');
/** The prometheus-adapter chart values cluster:up renders the adapter's rules from. */
export const INFRA_ADAPTER_VALUES = join(REPO_ROOT, 'infra/helm/prometheus-adapter-values.yaml');

const IDENTITIES = [
  { name: 'admin', user: 'kubernetes-admin', groups: ['system:masters'] },
  { name: 'controller-manager', user: 'system:kube-controller-manager' },
  { name: 'scheduler', user: 'system:kube-scheduler' },
  { name: 'prometheus-adapter', user: 'prometheus-adapter' },
  { name: 'node', user: `system:node:${NODE_NAME}`, groups: ['system:nodes'] },
  // The agent's kube-proxy and Prometheus-discovery parts read every pod and Service.
  { name: 'node-proxy', user: 'mlscale:node-agent-proxy' },
] as const;

const PORT_NAMES = [
  'etcd',
  'etcdPeer',
  'apiserver',
  'controllerManager',
  'scheduler',
  'adapter',
  'prometheus',
] as const;
/** The control plane's ports on 127.0.0.1. */
export type Ports = Record<(typeof PORT_NAMES)[number], number>;

type Kubeconfigs = Record<(typeof IDENTITIES)[number]['name'], string>;

function client(pki: Certificates, name: string): { cert: string; key: string } {
  const found = pki.clients[name];
  if (!found) throw new Error(`no client certificate for ${name}`);
  return found;
}

/** Where the cluster is, once up. */
export interface ClusterInfo {
  kubeconfig: string;
  servicesFile: string;
  apiServer: string;
  prometheus: string;
  ports: Ports;
}

function info(state: { ports: Record<string, number> }): ClusterInfo {
  const ports = state.ports as Ports;
  return {
    kubeconfig: join(CLUSTER_DIR, 'kubeconfig'),
    servicesFile: join(CLUSTER_DIR, 'services.json'),
    apiServer: `https://127.0.0.1:${ports.apiserver}`,
    prometheus: `http://127.0.0.1:${ports.prometheus}`,
    ports,
  };
}

/** GET over TLS with the cluster's CA and a client certificate; resolves status and body. */
export function httpsGet(
  url: string,
  tls: { ca?: string; cert?: string; key?: string; insecure?: boolean },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        rejectUnauthorized: !tls.insecure,
        timeout: 3000,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Whether a recorded cluster is running: every process alive and the API server ready. */
export async function isUp(): Promise<boolean> {
  const state = readState(CLUSTER_DIR);
  if (state.processes.length === 0 || !state.processes.every((p) => alive(p.pid))) return false;
  const pki = join(CLUSTER_DIR, 'pki');
  try {
    const { status } = await httpsGet(`https://127.0.0.1:${state.ports.apiserver}/readyz`, {
      ca: join(pki, 'ca.crt'),
      cert: join(pki, 'client-admin.crt'),
      key: join(pki, 'client-admin.key'),
    });
    return status === 200 && existsSync(join(CLUSTER_DIR, 'services.json'));
  } catch {
    return false;
  }
}

/** Reads the running cluster's ports; throws saying how to start it when it is not up. */
export function clusterInfo(): ClusterInfo {
  const state = readState(CLUSTER_DIR);
  if (!state.ports.apiserver) throw new Error('no cluster is up: run `pnpm cluster:up`');
  return info(state);
}

/**
 * Starts the control plane, or finds it running (idempotent). A half-started one is stopped and
 * started again.
 * @param log progress lines
 */
export async function up(log: (line: string) => void = console.log): Promise<ClusterInfo> {
  if (await isUp()) {
    log(`already up (${CLUSTER_DIR})`);
    return info(readState(CLUSTER_DIR));
  }
  if (existsSync(CLUSTER_DIR)) await down(log);
  const binaries = await ensureBinaries(log);
  const started = Date.now();
  mkdirSync(join(CLUSTER_DIR, 'logs'), { recursive: true });
  writeFileSync(join(CLUSTER_DIR, '.gitignore'), '*\n');
  const ports = {} as Ports;
  for (const name of PORT_NAMES) ports[name] = await freePort();
  writeState(CLUSTER_DIR, { processes: [], ports });
  try {
    log('certificates');
    const pki = makeCertificates(join(CLUSTER_DIR, 'pki'), IDENTITIES);
    const apiServer = `https://127.0.0.1:${ports.apiserver}`;
    const kubeconfigs = {} as Kubeconfigs;
    mkdirSync(join(CLUSTER_DIR, 'kubeconfigs'), { recursive: true });
    for (const identity of IDENTITIES) {
      const file = join(CLUSTER_DIR, 'kubeconfigs', identity.name);
      writeKubeconfig(file, apiServer, pki.ca.cert, client(pki, identity.name), identity.user);
      kubeconfigs[identity.name] = file;
    }
    writeKubeconfig(
      join(CLUSTER_DIR, 'kubeconfig'),
      apiServer,
      pki.ca.cert,
      client(pki, 'admin'),
      'kubernetes-admin',
    );

    await startEtcd(binaries, ports, log);
    await startApiServer(binaries, ports, pki, log);
    log('RBAC and the metrics APIServices');
    kubectlApply(
      binaries,
      kubeconfigs.admin,
      controlPlaneManifests(ports.adapter, readFileSync(pki.ca.cert).toString('base64')),
    );
    log(`CRDs infra/ uses (${crdDir()})`);
    execFileSync(
      binaries.kubectl,
      [`--kubeconfig=${kubeconfigs.admin}`, 'apply', '--server-side', '-f', crdDir()],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    startControllers(binaries, ports, pki, kubeconfigs);
    await startPrometheus(binaries, ports, log);
    startAdapter(binaries, ports, pki, kubeconfigs);
    await waitHealthy(
      'kube-controller-manager',
      `https://127.0.0.1:${ports.controllerManager}/healthz`,
      log,
    );
    await waitHealthy('kube-scheduler', `https://127.0.0.1:${ports.scheduler}/healthz`, log);
    await waitApiServices(binaries, kubeconfigs.admin, log);
    execFileSync(
      binaries.kubectl,
      [
        `--kubeconfig=${kubeconfigs.admin}`,
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        '-f',
        crdDir(),
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    await startNodeAgent(kubeconfigs.node, kubeconfigs['node-proxy'], log);
    log(`control plane ${KUBE_VERSION} healthy in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return info(readState(CLUSTER_DIR));
  } catch (error) {
    log(`cluster:up failed; logs are in ${join(CLUSTER_DIR, 'logs')}`);
    throw error;
  }
}

/** Stops every process `up` started and removes `.cluster/` (idempotent). */
export async function down(log: (line: string) => void = console.log): Promise<void> {
  const state = readState(CLUSTER_DIR);
  await stopAll(state.processes, log);
  rmSync(CLUSTER_DIR, { recursive: true, force: true });
  log('down');
}

/**
 * Waits until `check` passes, failing at once (with its log) when the process exits meanwhile.
 */
async function waitServing(
  started: Started | undefined,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 250,
): Promise<void> {
  let exited = false;
  await waitFor(
    what,
    async () => {
      if (started && !alive(started.pid)) {
        exited = true;
        return true;
      }
      return check();
    },
    timeoutMs,
    everyMs,
  );
  if (exited && started) throw new Error(`${started.name} exited:\n${logTail(started.log)}`);
}

async function startEtcd(binaries: Binaries, ports: Ports, log: (line: string) => void) {
  log('etcd');
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  const client = `http://127.0.0.1:${ports.etcd}`;
  const etcd = startDetached(CLUSTER_DIR, 'etcd', binaries.etcd, [
    '--name=local',
    `--data-dir=${join(CLUSTER_DIR, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=local=${peer}`,
    '--log-level=warn',
  ]);
  await waitServing(
    etcd,
    'etcd to be healthy',
    async () => {
      const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(2000) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    30_000,
  );
}

async function startApiServer(
  binaries: Binaries,
  ports: Ports,
  pki: Certificates,
  log: (line: string) => void,
) {
  log('kube-apiserver');
  const apiserver = startDetached(CLUSTER_DIR, 'kube-apiserver', binaries['kube-apiserver'], [
    `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    // The `kubernetes` Service's endpoints would be 127.0.0.1, which Endpoints refuse.
    '--endpoint-reconciler-type=none',
    '--service-cluster-ip-range=10.96.0.0/16',
    `--cert-dir=${join(CLUSTER_DIR, 'apiserver-certs')}`,
    `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki.serviceAccount.pub}`,
    `--service-account-signing-key-file=${pki.serviceAccount.key}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    // The aggregation layer: the API server's identity towards prometheus-adapter.
    `--requestheader-client-ca-file=${pki.frontProxyCa.cert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
    `--proxy-client-key-file=${pki.frontProxyClient.key}`,
    // The one gate off by default that is turned on: infra/overlays/hpa-scale-to-zero needs it
    // (minReplicas: 0; without it the API server rejects the HPA, as that overlay says).
    '--feature-gates=HPAScaleToZero=true',
    '--v=1',
  ]);
  await waitServing(
    apiserver,
    'kube-apiserver to be ready',
    async () => {
      const { status } = await httpsGet(`https://127.0.0.1:${ports.apiserver}/readyz`, {
        ca: pki.ca.cert,
        ...client(pki, 'admin'),
      });
      return status === 200;
    },
    90_000,
    500,
  );
}

function startControllers(
  binaries: Binaries,
  ports: Ports,
  pki: Certificates,
  kubeconfigs: Kubeconfigs,
) {
  const kcm = kubeconfigs['controller-manager'];
  startDetached(CLUSTER_DIR, 'kube-controller-manager', binaries['kube-controller-manager'], [
    `--kubeconfig=${kcm}`,
    `--authentication-kubeconfig=${kcm}`,
    `--authorization-kubeconfig=${kcm}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${join(CLUSTER_DIR, 'controller-manager-certs')}`,
    '--leader-elect=false',
    // Each controller acts as its own service account, as kubeadm sets it up (the HPA controller
    // is kube-system/horizontal-pod-autoscaler).
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki.serviceAccount.key}`,
    `--root-ca-file=${pki.ca.cert}`,
    // The real HPA controller, at its default sync period (stated, since the suites rely on it);
    // it reads Pods and External metrics through custom.metrics.k8s.io and external.metrics.k8s.io.
    '--horizontal-pod-autoscaler-sync-period=15s',
    '--feature-gates=HPAScaleToZero=true',
    // Endpoints and EndpointSlices refuse the pods' loopback addresses (127.x.y.z): their
    // controllers would only log refusals. The node agent's kube-proxy reads ready pods instead.
    '--controllers=*,-endpoints-controller,-endpointslice-controller,-endpointslice-mirroring-controller',
    '--v=2',
  ]);
  const scheduler = kubeconfigs.scheduler;
  startDetached(CLUSTER_DIR, 'kube-scheduler', binaries['kube-scheduler'], [
    `--kubeconfig=${scheduler}`,
    `--authentication-kubeconfig=${scheduler}`,
    `--authorization-kubeconfig=${scheduler}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.scheduler}`,
    '--leader-elect=false',
    '--v=1',
  ]);
}

async function startPrometheus(binaries: Binaries, ports: Ports, log: (line: string) => void) {
  log('Prometheus');
  const configFile = join(CLUSTER_DIR, 'prometheus.yml');
  writeFileSync(join(CLUSTER_DIR, 'prometheus-targets.json'), '[]\n');
  writeFileSync(
    configFile,
    renderPrometheusConfig({ targetsFile: join(CLUSTER_DIR, 'prometheus-targets.json') }),
  );
  const prometheus = startDetached(CLUSTER_DIR, 'prometheus', binaries.prometheus, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(CLUSTER_DIR, 'prometheus-data')}`,
    `--web.listen-address=127.0.0.1:${ports.prometheus}`,
    '--log.level=warn',
  ]);
  await waitServing(
    prometheus,
    'Prometheus to be ready',
    async () => {
      return (await fetch(`http://127.0.0.1:${ports.prometheus}/-/ready`)).ok;
    },
    30_000,
  );
}

function startAdapter(
  binaries: Binaries,
  ports: Ports,
  pki: Certificates,
  kubeconfigs: Kubeconfigs,
) {
  const configFile = join(CLUSTER_DIR, 'prometheus-adapter.yaml');
  writeFileSync(configFile, renderAdapterConfig(INFRA_ADAPTER_VALUES));
  const kubeconfig = kubeconfigs['prometheus-adapter'];
  startDetached(CLUSTER_DIR, 'prometheus-adapter', binaries['prometheus-adapter'], [
    `--config=${configFile}`,
    `--prometheus-url=http://127.0.0.1:${ports.prometheus}/`,
    // infra's metricsRelistInterval.
    '--metrics-relist-interval=1m',
    `--lister-kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.adapter}`,
    `--tls-cert-file=${pki.adapterServing.cert}`,
    `--tls-private-key-file=${pki.adapterServing.key}`,
    `--cert-dir=${join(CLUSTER_DIR, 'adapter-certs')}`,
    '--v=1',
  ]);
}

async function waitHealthy(name: string, url: string, log: (line: string) => void) {
  log(name);
  const state = readState(CLUSTER_DIR);
  const started = state.processes.find((p) => p.name === name);
  await waitServing(
    started,
    `${name} to be healthy`,
    async () => {
      // Its serving certificate is self-signed in its --cert-dir; this is a local health check.
      return (await httpsGet(url, { insecure: true })).status === 200;
    },
    60_000,
    500,
  );
}

async function waitApiServices(
  binaries: Binaries,
  kubeconfig: string,
  log: (line: string) => void,
) {
  log('prometheus-adapter (custom.metrics.k8s.io, external.metrics.k8s.io Available)');
  const adapter = readState(CLUSTER_DIR).processes.find((p) => p.name === 'prometheus-adapter');
  await waitServing(
    adapter,
    'the metrics APIServices to be Available',
    async () => {
      const out = execFileSync(binaries.kubectl, [
        `--kubeconfig=${kubeconfig}`,
        'get',
        'apiservices',
        'v1beta1.custom.metrics.k8s.io',
        'v1beta2.custom.metrics.k8s.io',
        'v1beta1.external.metrics.k8s.io',
        '-o',
        'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Available")].status}{"\\n"}{end}',
      ]).toString();
      return (
        out
          .trim()
          .split('\n')
          .every((line) => line === 'True') && out.trim().split('\n').length === 3
      );
    },
    90_000,
    1000,
  );
}

async function startNodeAgent(
  kubeconfig: string,
  proxyKubeconfig: string,
  log: (line: string) => void,
) {
  log(`node agent (${NODE_NAME}: kubelet, container runtime and kube-proxy stand-in)`);
  const servicesFile = join(CLUSTER_DIR, 'services.json');
  const agent = startDetached(
    CLUSTER_DIR,
    'node-agent',
    process.execPath,
    [
      // `--import` resolves from the working folder: this package's, where tsx is installed.
      '--import',
      'tsx',
      fileURLToPath(new URL('./node-agent/main.ts', import.meta.url)),
      `--kubeconfig=${kubeconfig}`,
      `--proxy-kubeconfig=${proxyKubeconfig}`,
      `--services-file=${servicesFile}`,
      `--scrape-targets-file=${join(CLUSTER_DIR, 'prometheus-targets.json')}`,
    ],
    { ...process.env, NODE_OPTIONS: '' },
    fileURLToPath(new URL('..', import.meta.url)),
  );
  await waitServing(
    agent,
    'the node agent to register its node',
    async () => {
      return existsSync(servicesFile);
    },
    60_000,
    500,
  );
}

/** `kubectl apply --server-side` of objects, with the given kubeconfig. */
export function kubectlApply(
  binaries: Binaries,
  kubeconfig: string,
  objects: readonly object[],
): void {
  execFileSync(
    binaries.kubectl,
    [`--kubeconfig=${kubeconfig}`, 'apply', '--server-side', '--force-conflicts', '-f', '-'],
    {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
}
