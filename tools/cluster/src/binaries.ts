/**
 * Which binaries the control plane runs, and where they come from.
 *
 * kube-apiserver, kube-controller-manager, kube-scheduler and kubectl are built from
 * k8s.io/kubernetes at {@link KUBE_VERSION}, prometheus-adapter from sigs.k8s.io/prometheus-adapter
 * at {@link ADAPTER_VERSION}, helm from helm.sh/helm/v4 at {@link HELM_VERSION}, by
 * scripts/build-binaries.sh, into a cache outside the repository:
 * `${MLSCALE_CLUSTER_CACHE:-${XDG_CACHE_HOME:-~/.cache}/mlscale-cluster}/<KUBE_VERSION>/bin`.
 * etcd and Prometheus come from Debian (`etcd-server`, `prometheus`), found on PATH.
 * Each one can be replaced by a binary of the user's own: {@link BINARY_ENV}; helm is also taken
 * from PATH when the cache has none.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Kubernetes release the control plane is built from. */
export const KUBE_VERSION = 'v1.34.4';
/** prometheus-adapter's release (the last one; its k8s.io deps build with Go 1.26). */
export const ADAPTER_VERSION = 'v0.12.0';
/** helm's release (charts/model-server is apiVersion v2: helm 3 on PATH works too). */
export const HELM_VERSION = 'v4.3.2';

/** The binaries, each with the environment variable that points at a user's own. */
export const BINARY_ENV = {
  'kube-apiserver': 'KUBE_APISERVER_BIN',
  'kube-controller-manager': 'KUBE_CONTROLLER_MANAGER_BIN',
  'kube-scheduler': 'KUBE_SCHEDULER_BIN',
  kubectl: 'KUBECTL_BIN',
  'prometheus-adapter': 'PROMETHEUS_ADAPTER_BIN',
  etcd: 'ETCD_BIN',
  prometheus: 'PROMETHEUS_BIN',
  helm: 'HELM_BIN',
} as const;

/** A binary's name. */
export type BinaryName = keyof typeof BINARY_ENV;
/** Every binary's path. */
export type Binaries = Record<BinaryName, string>;

const BUILT: readonly BinaryName[] = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'prometheus-adapter',
  'helm',
];
/** Built ones that a binary on PATH also serves (the cache first). */
const ALSO_ON_PATH: readonly BinaryName[] = ['helm'];
/** The build script's target that makes each built binary. */
const BUILD_TARGET: Partial<Record<BinaryName, string>> = {
  'kube-apiserver': 'kubernetes',
  'kube-controller-manager': 'kubernetes',
  'kube-scheduler': 'kubernetes',
  kubectl: 'kubernetes',
  'prometheus-adapter': 'prometheus-adapter',
  helm: 'helm',
};
const FROM_DEBIAN: Partial<Record<BinaryName, string>> = {
  etcd: '`apt-get install -y etcd-server`',
  prometheus: '`apt-get install -y prometheus`',
};

const BUILD_SCRIPT = fileURLToPath(new URL('../scripts/build-binaries.sh', import.meta.url));

/** The cache of built binaries: `$MLSCALE_CLUSTER_CACHE`, else `$XDG_CACHE_HOME/mlscale-cluster`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.MLSCALE_CLUSTER_CACHE ??
    join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mlscale-cluster')
  );
}

/**
 * The CRDs infra/ uses (prometheus-operator's ServiceMonitor, PodMonitor and PrometheusRule; KEDA's
 * ScaledObject and TriggerAuthentications), copied from their Go modules by the build.
 */
export function crdDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), KUBE_VERSION, 'crds');
}

/** Where this release's built binaries live. */
export function builtBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), KUBE_VERSION, 'bin');
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Finds every binary: a user's own (its env variable), else the cache (built ones) or PATH (Debian's).
 * Returns what is missing instead of throwing, so the caller can build.
 */
export function findBinaries(env: NodeJS.ProcessEnv = process.env): {
  found: Partial<Binaries>;
  missing: { name: BinaryName; why: string }[];
} {
  const found: Partial<Binaries> = {};
  const missing: { name: BinaryName; why: string }[] = [];
  for (const [name, variable] of Object.entries(BINARY_ENV) as [BinaryName, string][]) {
    const own = env[variable];
    if (own) {
      if (executable(own)) found[name] = own;
      else missing.push({ name, why: `${variable}=${own} is not an executable file` });
      continue;
    }
    let candidate = BUILT.includes(name) ? join(builtBinDir(env), name) : onPath(name, env);
    if (ALSO_ON_PATH.includes(name) && !(candidate && executable(candidate))) {
      candidate = onPath(name, env) ?? candidate;
    }
    if (candidate && executable(candidate)) found[name] = candidate;
    else if (BUILT.includes(name)) missing.push({ name, why: `not built yet (${candidate})` });
    else missing.push({ name, why: `not on PATH: ${FROM_DEBIAN[name]}, or set ${variable}` });
  }
  return { found, missing };
}

/**
 * Builds the missing Go binaries into the cache with Go (`go` on PATH, or /usr/local/go/bin/go),
 * streaming the build's progress to `log`. The first build takes many minutes; later starts find
 * the binaries in the cache (the script skips what is there). Records how long the build took in
 * `<cache>/<version>/build-seconds` (`build-seconds-helm` for a build of helm alone).
 * @param targets the script's BUILD_TARGETS; default all (kubernetes, prometheus-adapter, helm, crds)
 */
export async function buildBinaries(
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  targets?: readonly string[],
): Promise<void> {
  const go =
    onPath('go', env) ?? (executable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      'Go is needed to build kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, prometheus-adapter and helm ' +
        'once: install Go 1.26 (https://go.dev/dl/), or point KUBE_APISERVER_BIN, KUBE_CONTROLLER_MANAGER_BIN, ' +
        'KUBE_SCHEDULER_BIN, KUBECTL_BIN, PROMETHEUS_ADAPTER_BIN and HELM_BIN at binaries of your own (helm: or put it on PATH)',
    );
  }
  const binDir = builtBinDir(env);
  mkdirSync(binDir, { recursive: true });
  const started = Date.now();
  const child = spawn('bash', [BUILD_SCRIPT], {
    env: {
      ...env,
      GO: go,
      KUBE_VERSION,
      ADAPTER_VERSION,
      HELM_VERSION,
      BIN_DIR: binDir,
      ...(targets ? { BUILD_TARGETS: targets.join(' ') } : {}),
      // Show each package as it compiles: the first build is long and should not look hung.
      BUILD_VERBOSE: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let compiled = 0;
  let tail = '';
  const onLine = (line: string) => {
    tail = `${tail}${line}\n`.slice(-4000);
    if (line.startsWith('[build]')) log(line);
    else if (/^[\w.-]+\.[\w/.-]+$/.test(line.trim()) && ++compiled % 100 === 0) {
      log(`[build] ${compiled} packages compiled (${Math.round((Date.now() - started) / 1000)} s)`);
    }
  };
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`building the control plane's binaries failed:\n${tail}`);
  const seconds = Math.round((Date.now() - started) / 1000);
  const record = targets?.join(' ') === 'helm' ? 'build-seconds-helm' : 'build-seconds';
  writeFileSync(join(cacheDir(env), KUBE_VERSION, record), `${seconds}\n`);
  log(`[build] done in ${seconds} s`);
}

/** Finds every binary, building the missing Go ones first; throws naming what cannot be had. */
export async function ensureBinaries(
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Binaries> {
  let { found, missing } = findBinaries(env);
  // Binaries of the user's own, or a cache from before the CRDs were added: the build fetches them.
  const needCrds = !existsSync(crdDir(env));
  const notBuildable = missing.filter(
    (entry) => !BUILT.includes(entry.name) || env[BINARY_ENV[entry.name]],
  );
  if (notBuildable.length > 0) {
    throw new Error(notBuildable.map((entry) => `${entry.name}: ${entry.why}`).join('\n'));
  }
  if (missing.length > 0 || needCrds) {
    const what = [...missing.map((entry) => entry.name), ...(needCrds ? ['the CRDs'] : [])];
    log(
      `building ${what.join(', ')} (${KUBE_VERSION}, adapter ${ADAPTER_VERSION}, helm ${HELM_VERSION}) into ${builtBinDir(env)}`,
    );
    // Only what is missing: a cache from before helm was added builds helm alone.
    const targets = new Set(missing.flatMap((entry) => BUILD_TARGET[entry.name] ?? []));
    if (needCrds) targets.add('crds');
    await buildBinaries(log, env, [...targets]);
    ({ found, missing } = findBinaries(env));
    if (missing.length > 0) {
      throw new Error(missing.map((entry) => `${entry.name}: ${entry.why}`).join('\n'));
    }
  }
  return found as Binaries;
}

/**
 * Finds helm (HELM_BIN, the cache, PATH), building it alone into the cache when there is none (a few
 * minutes the first time; nothing else is built). For the chart's tests, which need no cluster.
 * @example const helm = await ensureHelm((line) => console.log(line));
 */
export async function ensureHelm(
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const own = env[BINARY_ENV.helm];
  if (own) {
    if (executable(own)) return own;
    throw new Error(`helm: ${BINARY_ENV.helm}=${own} is not an executable file`);
  }
  const find = () => findBinaries(env).found.helm;
  const found = find();
  if (found) return found;
  log(`building helm ${HELM_VERSION} from helm.sh/helm/v4 into ${builtBinDir(env)}`);
  await buildBinaries(log, env, ['helm']);
  const built = find();
  if (!built) throw new Error(`helm: the build finished but ${builtBinDir(env)}/helm is missing`);
  return built;
}
