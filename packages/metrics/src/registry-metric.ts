import type { Counter, Gauge, Histogram, Registry, RegistryContentType } from 'prom-client';

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

/** The metric kinds {@link getOrCreateMetric} can hand back, by their prom-client `type`. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/**
 * Returns the metric called `name` from `registry` when one is there already, else creates it with
 * `create()` (which must register it on `registry` only, never on prom-client's global registry).
 *
 * Setting up twice on one registry therefore reuses the first metric instead of throwing, while a
 * metric of that name with another type or other label names fails at once with a message that
 * says which, rather than at the first request.
 *
 * @param registry - where the metric lives
 * @param kind - the expected prom-client type
 * @param name - the metric name
 * @param labelNames - the expected label names, in any order
 * @param create - builds the metric with `registers: [registry]`
 * @example
 * const hist = getOrCreateMetric(registry, 'histogram', 'job_seconds', ['job'], () =>
 *   new Histogram({ name: 'job_seconds', help: 'Job time', labelNames: ['job'], registers: [registry] }));
 */
export function getOrCreateMetric<M extends AnyMetric>(
  registry: Registry<RegistryContentType>,
  kind: MetricKind,
  name: string,
  labelNames: readonly string[],
  create: () => M,
): M {
  const existing = registry.getSingleMetric(name) as
    | (AnyMetric & { type?: string; labelNames?: string[] })
    | undefined;
  if (!existing) return create();
  if (existing.type !== kind) {
    throw new Error(
      `metric ${name} is already registered as a ${existing.type ?? 'metric of another type'}, not a ${kind}`,
    );
  }
  const have = [...(existing.labelNames ?? [])].sort().join(',');
  const want = [...labelNames].sort().join(',');
  if (have !== want) {
    throw new Error(
      `metric ${name} is already registered with labels [${have}], not [${want}]: use the same constLabels keys for every setup on one registry`,
    );
  }
  return existing as M;
}

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Checks labels whose values are fixed for the life of the process (model name, version), so that
 * they can be added to every sample without growing cardinality. Throws on an invalid or reserved
 * name, or a value that is not a string.
 *
 * @param constLabels - label name to value; `undefined` means none
 * @param reserved - label names the metric sets itself
 * @returns the label names, in a stable order
 * @example
 * checkConstLabels({ model: 'resnet50' }, ['method']); // ['model']
 */
export function checkConstLabels(
  constLabels: Readonly<Record<string, string>> | undefined,
  reserved: readonly string[],
): string[] {
  if (constLabels === undefined) return [];
  const names = Object.keys(constLabels).sort();
  for (const name of names) {
    if (!labelName.test(name) || name.startsWith('__')) {
      throw new Error(`constLabels: "${name}" is not a valid Prometheus label name`);
    }
    if (reserved.includes(name) || name === 'le' || name === 'quantile') {
      throw new Error(`constLabels: "${name}" is set by the metric itself; choose another name`);
    }
    if (typeof constLabels[name] !== 'string') {
      throw new Error(`constLabels: the value of "${name}" must be a string`);
    }
  }
  return names;
}
