import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** The infra/ folder. */
export const infraDir = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root. */
export const repoDir = join(infraDir, '..');
/** The built model server entry. */
export const appEntry = join(repoDir, 'apps/model-server/dist/main.js');

/** Reads a file under infra/. */
export function readInfra(path: string): string {
  return readFileSync(join(infraDir, path), 'utf8');
}

/** Parses a one-document YAML file under infra/. */
export function loadYaml(path: string): unknown {
  return parse(readInfra(path));
}

/** Parses every document of a YAML text, failing on any YAML error. */
export function parseDocs(text: string, source: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]?.message}`);
    return doc.toJS() as Record<string, unknown>;
  });
}

/** Every Kubernetes manifest file under infra/ (not kustomizations, Helm values or patches). */
export function manifestFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', 'test', 'helm', 'dashboards'].includes(entry.name)) walk(path);
      } else if (/\.ya?ml$/.test(entry.name) && entry.name !== 'kustomization.yaml') {
        out.push(relative(infraDir, path));
      }
    }
  };
  walk(infraDir);
  return out.sort();
}

/** Whether kubectl is available. */
export const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The kustomizations to build. */
export const overlays = ['base', 'overlays/gpu', 'overlays/guide-hpa', 'overlays/keda'] as const;

/** What to do when kubectl is missing: the overlay tests fail with this rather than skip. */
export const KUBECTL_MISSING =
  'kubectl not found: the overlay tests build every kustomization with `kubectl kustomize`. ' +
  "Install a current kubectl (Debian's kubernetes-client 1.20 is too old for these overlays): " +
  'https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/ (apt: the pkgs.k8s.io repository, ' +
  'then apt-get install kubectl).';

/** Builds a kustomization with kubectl; throws {@link KUBECTL_MISSING} without it. */
export function kustomize(path: string): Record<string, unknown>[] {
  if (!hasKubectl) throw new Error(KUBECTL_MISSING);
  const text = execFileSync('kubectl', ['kustomize', join(infraDir, path)], { encoding: 'utf8' });
  return parseDocs(text, path);
}

/**
 * The manifests of a kustomization, as kubectl builds them: an overlay's checks check that
 * overlay (its patches included), never the base files under its name.
 */
export function manifestsOf(path: (typeof overlays)[number]): Record<string, unknown>[] {
  return kustomize(path);
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A model server process started for a test. */
export interface RunningApp {
  readonly base: string;
  readonly stop: () => Promise<void>;
}

/** Starts the built model server on a free port and waits for /readyz (at most 30 s). */
export async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [appEntry], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      GPU_PROBE: 'off',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const base = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the model server exited (${child.exitCode}): ${stderr}`);
    try {
      const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return { base, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`the model server did not become ready in 30 s: ${stderr}`);
}

/** Whether the model server has been built. */
export const appBuilt = existsSync(appEntry);
