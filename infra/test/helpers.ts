import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** The infra/ folder. */
export const infraDir = join(dirname(fileURLToPath(import.meta.url)), '..');

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

/** Builds a kustomization with kubectl. */
export function kustomize(path: string): Record<string, unknown>[] {
  const text = execFileSync('kubectl', ['kustomize', join(infraDir, path)], { encoding: 'utf8' });
  return parseDocs(text, path);
}

/**
 * The manifests of a kustomization: built by kubectl when present, otherwise read from the files
 * it lists (good enough for base, guide-hpa and keda, which only add and remove whole objects).
 */
export function manifestsOf(path: (typeof overlays)[number]): Record<string, unknown>[] {
  if (hasKubectl) return kustomize(path);
  const base = ['deployment', 'service', 'servicemonitor', 'pdb'].flatMap((name) =>
    parseDocs(readInfra(`base/${name}.yaml`), name),
  );
  if (path === 'overlays/guide-hpa')
    return [...base, ...parseDocs(readInfra('hpa/guide-hpa.yaml'), 'guide')];
  if (path === 'overlays/keda')
    return [...base, ...parseDocs(readInfra('keda/scaledobject.yaml'), 'keda')];
  return [...base, ...parseDocs(readInfra('base/hpa.yaml'), 'hpa')];
}
