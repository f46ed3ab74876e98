import { isRecord } from '../is-record.js';

/** A Kubernetes object as parsed from YAML, with the fields the chain check reads. */
export interface Manifest {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly spec?: unknown;
}

/** A record view of unknown YAML data. */
export type Data = Readonly<Record<string, unknown>>;

/** Reads a nested field, `undefined` when any step is missing. */
export function field(value: unknown, ...path: readonly (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[key];
    } else {
      if (!isRecord(current)) return undefined;
      current = current[key];
    }
  }
  return current;
}

/** Reads a nested list, `[]` when missing. */
export function list(value: unknown, ...path: readonly (string | number)[]): readonly unknown[] {
  const found = field(value, ...path);
  return Array.isArray(found) ? found : [];
}

/** Reads a string map (labels, matchLabels), `{}` when missing. */
export function stringMap(value: unknown, ...path: readonly string[]): Record<string, string> {
  const found = field(value, ...path);
  const out: Record<string, string> = {};
  if (!isRecord(found)) return out;
  for (const [key, item] of Object.entries(found)) out[key] = String(item);
  return out;
}

/** Whether `labels` carry every `selector` entry (matchLabels semantics). */
export function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** `Kind/name` of a manifest, for messages. */
export function describe(manifest: unknown): string {
  return `${String(field(manifest, 'kind') ?? '?')}/${String(field(manifest, 'metadata', 'name') ?? '?')}`;
}

/** The manifests of one kind. */
export function ofKind(manifests: readonly unknown[], kind: string): unknown[] {
  return manifests.filter((manifest) => field(manifest, 'kind') === kind);
}
