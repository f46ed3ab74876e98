import { parse as parseYaml } from 'yaml';
import { isRecord } from '../is-record.js';
import { fail, ok, type Result } from './result.js';

/** A `resources.overrides` entry: which Kubernetes resource a Prometheus label names. */
export interface ResourceOverride {
  /** API group; empty for the core group. */
  readonly group?: string;
  /** Resource name, singular or plural (`pod`, `pods`). */
  readonly resource: string;
}

/** A regex filter on series names (`seriesFilters`). */
export interface SeriesFilter {
  readonly is?: string;
  readonly isNot?: string;
}

/** One prometheus-adapter discovery rule, as written under `rules.custom` (or `rules.external`). */
export interface AdapterRule {
  /** Prometheus series selector that discovers the series, e.g. `x_sum{namespace!="",pod!=""}`. */
  readonly seriesQuery: string;
  /** Extra name filters applied after discovery. */
  readonly seriesFilters: readonly SeriesFilter[];
  /** How labels map to Kubernetes resources. */
  readonly resources: {
    readonly overrides: Readonly<Record<string, ResourceOverride>>;
    readonly template?: string;
    /**
     * `resources.namespaced` (external rules): `false` leaves the HPA's namespace out of the
     * query. Default true.
     */
    readonly namespaced?: boolean;
  };
  /** How a series name becomes the metric name in the API. */
  readonly name: { readonly matches?: string; readonly as?: string };
  /** Go template of the query the adapter runs (`<<.Series>>`, `<<.LabelMatchers>>`, `<<.GroupBy>>`). */
  readonly metricsQuery: string;
  /** Where the rule sits in the values file, for messages (`rules.custom[1]`). */
  readonly path: string;
}

/** What the checks need from the prometheus-adapter Helm values. */
export interface AdapterValues {
  /** `prometheus.url` (the chart's default is `http://prometheus.default.svc`). */
  readonly prometheusUrl: string;
  /** `prometheus.port` (the chart's default is 9090). */
  readonly prometheusPort: number;
  /** `prometheus.path` (default empty). */
  readonly prometheusPath: string;
  /** `rules.custom`: metrics on Kubernetes objects (custom.metrics.k8s.io). */
  readonly custom: readonly AdapterRule[];
  /** `rules.external`: external metrics (external.metrics.k8s.io). */
  readonly external: readonly AdapterRule[];
}

function readRule(raw: unknown, path: string): Result<AdapterRule> {
  if (!isRecord(raw)) return fail(`${path}: a rule must be a mapping`);
  const { seriesQuery, metricsQuery } = raw;
  if (typeof seriesQuery !== 'string' || seriesQuery.trim() === '') {
    return fail(
      `${path}: seriesQuery is missing (a Prometheus series selector such as 'x{namespace!="",pod!=""}')`,
    );
  }
  if (typeof metricsQuery !== 'string' || metricsQuery.trim() === '') {
    return fail(`${path}: metricsQuery is missing`);
  }
  const resources = isRecord(raw.resources) ? raw.resources : {};
  const overrides: Record<string, ResourceOverride> = {};
  if (isRecord(resources.overrides)) {
    for (const [label, target] of Object.entries(resources.overrides)) {
      if (!isRecord(target) || typeof target.resource !== 'string') {
        return fail(
          `${path}: resources.overrides.${label} needs a "resource" (e.g. {resource: "pod"})`,
        );
      }
      overrides[label] = {
        resource: target.resource,
        ...(typeof target.group === 'string' ? { group: target.group } : {}),
      };
    }
  }
  const template = typeof resources.template === 'string' ? resources.template : undefined;
  if (resources.namespaced !== undefined && typeof resources.namespaced !== 'boolean') {
    return fail(`${path}: resources.namespaced must be true or false`);
  }
  const namespaced = resources.namespaced;
  const filters: SeriesFilter[] = [];
  if (Array.isArray(raw.seriesFilters)) {
    for (const [index, filter] of raw.seriesFilters.entries()) {
      if (!isRecord(filter)) return fail(`${path}: seriesFilters[${index}] must be a mapping`);
      filters.push({
        ...(typeof filter.is === 'string' ? { is: filter.is } : {}),
        ...(typeof filter.isNot === 'string' ? { isNot: filter.isNot } : {}),
      });
    }
  }
  const name = isRecord(raw.name) ? raw.name : {};
  return ok({
    seriesQuery,
    seriesFilters: filters,
    resources: {
      overrides,
      ...(template !== undefined ? { template } : {}),
      ...(namespaced !== undefined ? { namespaced } : {}),
    },
    name: {
      ...(typeof name.matches === 'string' ? { matches: name.matches } : {}),
      ...(typeof name.as === 'string' ? { as: name.as } : {}),
    },
    metricsQuery,
    path,
  });
}

function readRules(raw: unknown, path: string): Result<AdapterRule[]> {
  if (raw === undefined || raw === null) return ok([]);
  if (!Array.isArray(raw)) return fail(`${path} must be a list of rules`);
  const rules: AdapterRule[] = [];
  for (const [index, item] of raw.entries()) {
    const rule = readRule(item, `${path}[${index}]`);
    if (!rule.ok) return rule;
    rules.push(rule.value);
  }
  return ok(rules);
}

/**
 * Reads prometheus-adapter Helm values (already parsed from YAML) and returns the rules and the
 * Prometheus address with the chart's defaults filled in.
 *
 * @param values - the parsed values document
 * @example
 * readAdapterValues({ rules: { custom: [{ seriesQuery: 'x{pod!=""}', metricsQuery: '<<.Series>>' }] } });
 */
export function readAdapterValues(values: unknown): Result<AdapterValues> {
  if (!isRecord(values)) return fail('the prometheus-adapter values must be a YAML mapping');
  const rules = isRecord(values.rules) ? values.rules : {};
  const custom = readRules(rules.custom, 'rules.custom');
  if (!custom.ok) return custom;
  const external = readRules(rules.external, 'rules.external');
  if (!external.ok) return external;
  const prometheus = isRecord(values.prometheus) ? values.prometheus : {};
  const port = Number(prometheus.port ?? 9090);
  return ok({
    prometheusUrl:
      typeof prometheus.url === 'string' ? prometheus.url : 'http://prometheus.default.svc',
    prometheusPort: Number.isFinite(port) ? port : 9090,
    prometheusPath: typeof prometheus.path === 'string' ? prometheus.path : '',
    custom: custom.value,
    external: external.value,
  });
}

/**
 * Parses prometheus-adapter Helm values from YAML text. Never throws: bad YAML comes back as a message.
 *
 * @param text - the contents of a values file
 * @example
 * const values = parseAdapterValues(readFileSync('prometheus-adapter-values.yaml', 'utf8'));
 */
export function parseAdapterValues(text: string): Result<AdapterValues> {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    return fail(`the prometheus-adapter values are not valid YAML: ${(error as Error).message}`);
  }
  return readAdapterValues(parsed);
}
