/**
 * The series Prometheus would hold for the adapter rules to discover: the workload's exposition
 * with the target labels a ServiceMonitor scrape adds, or, with no exposition, one series made up
 * per rule from its own selector. Made-up label values must satisfy the selector's matchers
 * (evaluated with RE2); where no value can be found, the rule is unverifiable, not broken.
 */
import { labelForResource } from '../adapter/render.js';
import type { AdapterRule } from '../adapter/rules.js';
import { type LabelMatcher, type SeriesLabels, seriesMatches } from '../adapter/series.js';
import type { CheckContext } from './context.js';
import type { Exposition } from './exposition.js';
import { field, list, ofKind, selects, stringMap } from './manifests.js';
import { namespaceOf } from './namespaces.js';
import { containersOf, podLabels } from './workload.js';

/** Labels Prometheus adds to every series scraped through a ServiceMonitor. */
export const TARGET_LABEL_NAMES = [
  'namespace',
  'pod',
  'service',
  'job',
  'instance',
  'endpoint',
  'container',
] as const;

/** The workload the metrics come from, as the target labels would name it. */
export interface WorkloadIdentity {
  /** Deployment name. */
  readonly name: string;
  /** Made-up pod names (`<name>-0`, `<name>-1`) for rendering queries. */
  readonly pods: readonly [string, string];
  /** Target labels of a scrape of its first pod. */
  readonly targetLabels: Readonly<Record<string, string>>;
}

/** The workload named by the assumptions, else the one scaled, else the first Deployment. */
export function workloadIdentity(ctx: CheckContext): WorkloadIdentity {
  const deployments = ofKind(ctx.manifests, 'Deployment');
  const named = (name: unknown, namespace?: string) =>
    deployments.find(
      (d) =>
        field(d, 'metadata', 'name') === name &&
        (namespace === undefined || namespaceOf(ctx, d) === namespace),
    );
  // The Deployment a scaler scales is in the scaler's namespace (a scaleTargetRef has none of its own).
  const scaled = [
    ...ofKind(ctx.manifests, 'HorizontalPodAutoscaler'),
    ...ofKind(ctx.manifests, 'ScaledObject'),
  ].map((o) => named(field(o, 'spec', 'scaleTargetRef', 'name'), namespaceOf(ctx, o)));
  const deployment =
    named(ctx.assumptions.workload) ?? scaled.find((d) => d !== undefined) ?? deployments[0];
  const name = String(field(deployment, 'metadata', 'name') ?? ctx.assumptions.workload ?? 'app');
  const namespace = deployment === undefined ? ctx.namespace : namespaceOf(ctx, deployment);
  const service = ofKind(ctx.manifests, 'Service').find(
    (s) =>
      namespaceOf(ctx, s) === namespace &&
      selects(stringMap(s, 'spec', 'selector'), podLabels(deployment)),
  );
  const serviceName = String(field(service, 'metadata', 'name') ?? name);
  const container = containersOf(deployment)[0];
  const port = list(container, 'ports')[0];
  const endpoint = ofKind(ctx.manifests, 'ServiceMonitor')
    .flatMap((m) => list(m, 'spec', 'endpoints'))
    .map((e) => field(e, 'port'))
    .find((p) => typeof p === 'string');
  return {
    name,
    pods: [`${name}-0`, `${name}-1`],
    targetLabels: {
      namespace,
      pod: `${name}-0`,
      service: serviceName,
      job: serviceName,
      instance: `10.0.0.1:${String(field(port, 'containerPort') ?? 8080)}`,
      endpoint: String(endpoint ?? field(port, 'name') ?? 'http'),
      container: String(field(container, 'name') ?? name),
    },
  };
}

/** The target labels for one rule: the scrape's, plus the labels its `resources` name. */
function ruleTargetLabels(rule: AdapterRule, workload: WorkloadIdentity): Record<string, string> {
  const labels: Record<string, string> = { ...workload.targetLabels };
  const byResource: Record<string, string | undefined> = {
    namespace: workload.targetLabels.namespace,
    pod: workload.targetLabels.pod,
    deployment: workload.name,
    service: workload.targetLabels.service,
  };
  for (const [resource, value] of Object.entries(byResource)) {
    const label = labelForResource(rule, resource);
    if (label.ok && value !== undefined) labels[label.value] = value;
  }
  return labels;
}

/** Splits a regex at its top-level `|`. */
function alternatives(source: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(source.slice(start, i));
      start = i + 1;
    }
  }
  out.push(source.slice(start));
  return out;
}

/** Plain strings a regex probably matches: its literal alternatives, with optional groups dropped or kept. */
function literalCandidates(source: string): string[] {
  return alternatives(source).flatMap((alternative) => {
    const bare = alternative.replace(/^\^/, '').replace(/\$$/, '');
    return [
      bare.replace(/\((?:\?:)?[^()]*\)\?/g, ''),
      bare.replace(/\((?:\?:)?([^()]*)\)\?/g, '$1'),
    ].map((s) => s.replace(/\\(.)/g, '$1'));
  });
}

/**
 * A value for `label` that satisfies every matcher on it (tried: the current value, the `=`
 * values, the literal alternatives of the regexes, `x`, the empty string), or `undefined`.
 */
function satisfyingValue(
  label: string,
  matchers: readonly LabelMatcher[],
  current: string | undefined,
): string | undefined {
  const own = matchers.filter((m) => m.label === label);
  const candidates = [
    ...(current === undefined ? [] : [current]),
    ...own.flatMap((m) =>
      m.op === '=' ? [m.value] : m.op === '=~' ? [m.value, ...literalCandidates(m.value)] : [],
    ),
    'x',
    '',
  ];
  return candidates.find((value) => seriesMatches({ name: '', labels: { [label]: value } }, own));
}

/** The series for one rule, or why none can be made up. */
export type RuleSeries =
  | { readonly ok: true; readonly series: readonly SeriesLabels[] }
  | { readonly ok: false; readonly reason: string };

/**
 * The series one rule sees. From an exposition: every sample with the target labels (a target
 * label the selector constrains gets a value that satisfies it). Without one: a single series
 * named by the selector's `__name__="..."`, every constrained label given a satisfying value.
 *
 * @param rule - the adapter rule
 * @param matchers - its parsed seriesQuery
 * @param exposition - the workload's metrics, if given
 */
export function seriesForRule(
  rule: AdapterRule,
  matchers: readonly LabelMatcher[],
  exposition: Exposition | undefined,
  workload: WorkloadIdentity,
): RuleSeries {
  const targets = ruleTargetLabels(rule, workload);
  const constrained = [...new Set(matchers.map((m) => m.label))].filter((l) => l !== '__name__');
  const fill = (
    base: Record<string, string>,
    fixed: ReadonlySet<string>,
  ): Record<string, string> | string => {
    const labels = { ...base };
    for (const label of constrained) {
      if (fixed.has(label)) continue;
      const value = satisfyingValue(label, matchers, labels[label]);
      if (value === undefined) {
        const on = matchers
          .filter((m) => m.label === label)
          .map((m) => `${m.label}${m.op}"${m.value}"`);
        return `no made-up value of label ${label} satisfies ${on.join(', ')}`;
      }
      labels[label] = value;
    }
    return labels;
  };
  if (exposition) {
    const series: SeriesLabels[] = [];
    for (const sample of exposition.samples) {
      const labels = fill({ ...targets, ...sample.labels }, new Set(Object.keys(sample.labels)));
      if (typeof labels === 'string') return { ok: false, reason: labels };
      series.push({ name: sample.name, labels });
    }
    return { ok: true, series };
  }
  const name = matchers.find((m) => m.label === '__name__' && m.op === '=')?.value;
  if (name === undefined) {
    return {
      ok: false,
      reason:
        'its seriesQuery names no series (a __name__ regex): without /metrics nothing says which series exist',
    };
  }
  const labels = fill(targets, new Set());
  if (typeof labels === 'string') return { ok: false, reason: labels };
  return { ok: true, series: [{ name, labels }] };
}

/** Whether a name is a target label (added by the scrape, so not expected in the exposition). */
export function isTargetLabel(label: string): boolean {
  return (TARGET_LABEL_NAMES as readonly string[]).includes(label);
}
