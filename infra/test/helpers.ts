import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** The infra/ folder. */
export const infraDir = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root. */
export const repoDir = join(infraDir, '..');

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

/** Whether kubectl is available (private: a test never skips on it, {@link kustomize} fails). */
const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The kustomizations to build. */
export const overlays = [
  'base',
  'overlays/gpu',
  'overlays/gpu-shared',
  'overlays/guide-hpa',
  'overlays/keda',
] as const;

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
