/**
 * What `mlscale check` reads: Kubernetes manifests and Helm values from files, folders,
 * kustomizations and stdin, told apart by content. Nothing is assumed about the folder layout.
 *
 * - a file: every YAML document in it;
 * - `-`: every YAML document on stdin (`kustomize build . | mlscale check -`);
 * - a kustomization folder (it holds `kustomization.yaml`): the objects `kubectl kustomize` builds,
 *   plus the Helm values files inside it;
 * - any other folder, walked: its YAML files; inside it, a kustomization folder contributes the
 *   files its `resources` list (followed into other kustomizations), never its patches.
 *
 * Kubernetes objects are documents with `apiVersion` and `kind`; prometheus-adapter values have
 * `rules`; kube-prometheus-stack values have `prometheus.prometheusSpec`. Anything else is ignored.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { field, list } from '../chain/manifests.js';
import { isRecord } from '../is-record.js';

/** What was read, and from where. */
export interface CheckInputs {
  /** Kubernetes objects. */
  readonly manifests: readonly unknown[];
  /** prometheus-adapter values, if a file held them. */
  readonly adapterValues?: unknown;
  /** kube-prometheus-stack values, if a file held them. */
  readonly prometheusStackValues?: unknown;
  /** Each source read: a file, `-`, or `kubectl kustomize <dir>`. */
  readonly sources: readonly string[];
}

/** How to read the inputs (injectable for tests). */
export interface ReadInputsOptions {
  /** Reads stdin to the end (for `-`). */
  readonly readStdin?: () => Promise<string>;
  /** The kubectl binary; default `kubectl` on PATH. */
  readonly kubectl?: string;
}

/** Why the inputs could not be read: a message for a person. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** How to get kubectl, said whenever a kustomization needs it and it is missing. */
export const INSTALL_KUBECTL =
  'install kubectl (https://kubernetes.io/docs/tasks/tools/; `kubectl kustomize` is built in), or pipe the build in: `kustomize build <dir> | mlscale check -`';

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const YAML_FILE = /\.ya?ml$/i;

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

async function kustomizationFile(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    try {
      if ((await stat(join(dir, name))).isFile()) return join(dir, name);
    } catch {
      // not this one
    }
  }
  return undefined;
}

function parseDocuments(text: string, source: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new InputError(`${source}: invalid YAML: ${doc.errors[0]?.message}`);
    }
    out.push(doc.toJS());
  }
  return out;
}

function isKubernetesObject(doc: unknown): boolean {
  return isRecord(doc) && typeof doc.kind === 'string' && typeof doc.apiVersion === 'string';
}

function isKustomizeConfig(doc: unknown): boolean {
  return String(field(doc, 'apiVersion') ?? '').startsWith('kustomize.config.k8s.io/');
}

async function readYamlFile(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseDocuments(text, path);
}

function runKubectl(kubectl: string, dir: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      kubectl,
      ['kustomize', dir],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolvePromise(stdout);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new InputError(
              `${dir} is a kustomization: building it needs kubectl, which is not on PATH: ${INSTALL_KUBECTL}`,
            ),
          );
        } else {
          reject(
            new InputError(`kubectl kustomize ${dir} failed: ${stderr.trim() || error.message}`),
          );
        }
      },
    );
  });
}

/** A file a kustomization lists, with the namespace it sets on the file's objects (if any). */
interface Resource {
  readonly path: string;
  readonly namespace?: string;
}

/**
 * The files a kustomization's `resources` (and `bases`) name, followed into nested kustomizations,
 * each with the namespace kustomize would set on its objects: the outermost kustomization's
 * `namespace` wins, as kustomize applies it last.
 */
async function kustomizationResources(
  dir: string,
  seen: Set<string>,
  outer?: string,
): Promise<Resource[]> {
  const file = await kustomizationFile(dir);
  if (!file || seen.has(dir)) return [];
  seen.add(dir);
  const [config] = await readYamlFile(file);
  const own = field(config, 'namespace');
  const namespace = outer ?? (typeof own === 'string' && own !== '' ? own : undefined);
  const out: Resource[] = [];
  for (const entry of [...list(config, 'resources'), ...list(config, 'bases')]) {
    if (typeof entry !== 'string' || /^[a-z]+:\/\//i.test(entry) || entry.includes('?ref='))
      continue;
    const path = resolve(dir, entry);
    try {
      if (await isDirectory(path))
        out.push(...(await kustomizationResources(path, seen, namespace)));
      else out.push({ path, ...(namespace !== undefined ? { namespace } : {}) });
    } catch {
      throw new InputError(`${file}: resource ${entry} does not exist`);
    }
  }
  return out;
}

interface Collected {
  /** Files read for every document. */
  readonly whole: Set<string>;
  /** Files read for their Helm values only (patches and the like sit beside them). */
  readonly valuesOnly: Set<string>;
  /** The namespace a kustomization sets on the objects of a file it lists. */
  readonly namespaces: Map<string, string>;
}

async function walk(dir: string, into: Collected, seen: Set<string>): Promise<void> {
  const isKustomization = (await kustomizationFile(dir)) !== undefined;
  if (isKustomization) {
    for (const { path, namespace } of await kustomizationResources(dir, seen)) {
      into.whole.add(path);
      if (namespace !== undefined && !into.namespaces.has(path))
        into.namespaces.set(path, namespace);
    }
  }
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, into, seen);
    else if (YAML_FILE.test(entry.name) && !KUSTOMIZATION_FILES.includes(entry.name)) {
      (isKustomization ? into.valuesOnly : into.whole).add(path);
    }
  }
}

/** The object with the namespace a kustomization sets on it (kustomize overrides the object's own). */
function inNamespace(doc: unknown, namespace: string | undefined): unknown {
  if (namespace === undefined || !isRecord(doc)) return doc;
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  return { ...doc, metadata: { ...metadata, namespace } };
}

/**
 * Reads manifests and Helm values from paths (files, folders, kustomizations) and `-` (stdin).
 *
 * @param paths - what the user pointed at
 * @throws InputError with a message for a person (missing file, invalid YAML, no kubectl...)
 * @example
 * const inputs = await readCheckInputs(['deploy/overlays/prod', 'helm/adapter-values.yaml']);
 */
export async function readCheckInputs(
  paths: readonly string[],
  { readStdin, kubectl = 'kubectl' }: ReadInputsOptions = {},
): Promise<CheckInputs> {
  if (paths.length === 0) throw new InputError('give at least one file, folder or - (stdin)');
  if (paths.filter((p) => p === '-').length > 1)
    throw new InputError('- (stdin) can be given once');
  const into: Gathered = { manifests: [], sources: [], values: {} };
  for (const path of paths) {
    if (path === '-') {
      if (!readStdin) throw new InputError('- (stdin) is not available here');
      take(into, parseDocuments(await readStdin(), 'stdin'), '-', true);
      into.sources.push('-');
    } else if (await isFolder(path)) {
      await readFolder(into, path, kubectl);
    } else {
      take(into, await readYamlFile(path), path, true);
      into.sources.push(path);
    }
  }
  const { manifests, values, sources } = into;
  if (manifests.length === 0 && !values.adapter && !values.stack) {
    throw new InputError(
      `no Kubernetes objects or Helm values found in ${paths.join(', ')} (YAML files with apiVersion and kind, prometheus-adapter values with rules, kube-prometheus-stack values)`,
    );
  }
  return {
    manifests,
    ...(values.adapter ? { adapterValues: values.adapter.doc } : {}),
    ...(values.stack ? { prometheusStackValues: values.stack.doc } : {}),
    sources,
  };
}

/** What the inputs read so far hold: objects, the files they came from, and the Helm values. */
interface Gathered {
  manifests: unknown[];
  sources: string[];
  values: {
    adapter?: { doc: unknown; from: string };
    stack?: { doc: unknown; from: string };
  };
}

/** Keeps the objects (when `objects`) and the Helm values of some documents; how many were kept. */
function take(
  into: Gathered,
  docs: readonly unknown[],
  from: string,
  objects: boolean,
  namespace?: string,
): number {
  let kept = 0;
  for (const doc of docs) {
    if (isKubernetesObject(doc)) {
      if (!objects || isKustomizeConfig(doc)) continue;
      const items = field(doc, 'kind') === 'List' ? list(doc, 'items') : [doc];
      into.manifests.push(...items.map((item) => inNamespace(item, namespace)));
      kept++;
      continue;
    }
    const kind = isRecord(field(doc, 'rules'))
      ? 'adapter'
      : field(doc, 'prometheus', 'prometheusSpec') !== undefined
        ? 'stack'
        : undefined;
    if (!kind) continue;
    const previous = into.values[kind];
    if (previous && previous.from !== from) {
      throw new InputError(
        `two ${kind === 'adapter' ? 'prometheus-adapter' : 'kube-prometheus-stack'} values files: ${previous.from} and ${from}; give one`,
      );
    }
    into.values[kind] = { doc, from };
    kept++;
  }
  return kept;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return await isDirectory(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT'
        ? `${path}: no such file or folder`
        : `cannot read ${path}: ${(error as Error).message}`,
    );
  }
}

/**
 * A folder: a kustomization built with kubectl (and the Helm values beside its files), or every
 * YAML file below it, in path order.
 */
async function readFolder(into: Gathered, path: string, kubectl: string): Promise<void> {
  const collected: Collected = { whole: new Set(), valuesOnly: new Set(), namespaces: new Map() };
  if (await kustomizationFile(path)) {
    const built = await runKubectl(kubectl, path);
    take(
      into,
      parseDocuments(built, `kubectl kustomize ${path}`),
      `kubectl kustomize ${path}`,
      true,
    );
    into.sources.push(`kubectl kustomize ${path}`);
    // Its own files are in the build: only the Helm values beside them are read.
    await walk(
      path,
      { whole: collected.valuesOnly, valuesOnly: collected.valuesOnly, namespaces: new Map() },
      new Set(),
    );
  } else {
    await walk(path, collected, new Set());
  }
  const display = (file: string) => {
    const rel = relative(process.cwd(), file);
    return rel.startsWith('..') ? file : rel;
  };
  for (const file of [...collected.whole].sort()) {
    take(into, await readYamlFile(file), display(file), true, collected.namespaces.get(file));
    into.sources.push(display(file));
  }
  for (const file of [...collected.valuesOnly].filter((f) => !collected.whole.has(f)).sort()) {
    if (take(into, await readYamlFile(file), display(file), false) > 0) {
      into.sources.push(display(file));
    }
  }
}
