import { fail, ok, type Result } from './result.js';
import type { AdapterRule } from './rules.js';

/** The fields a prometheus-adapter `metricsQuery` template can use (`queryTemplateArgs` upstream). */
export interface MetricsQueryArgs {
  /** `<<.Series>>`: the discovered series name. */
  readonly Series: string;
  /** `<<.LabelMatchers>>`: e.g. `namespace="default",pod=~"a|b"`. */
  readonly LabelMatchers: string;
  /** `<<.LabelValuesByName>>`: label to value (`a|b` for several). */
  readonly LabelValuesByName: Readonly<Record<string, string>>;
  /** `<<.GroupBy>>`: e.g. `pod`. */
  readonly GroupBy: string;
  /** `<<.GroupBySlice>>`. */
  readonly GroupBySlice: readonly string[];
}

/** What the HPA asks the adapter for: a metric of some pods (or other objects) in a namespace. */
export interface MetricsQueryRequest {
  /** The series name, as discovered (`<<.Series>>`). */
  readonly series: string;
  /** The namespace; empty for cluster-scoped resources. */
  readonly namespace: string;
  /** Names of the objects (pods), at least one. */
  readonly names: readonly string[];
  /** The resource asked about; default `pods`. */
  readonly resource?: string;
}

/**
 * Quotes a string as Go's `%q` does (which the adapter uses for label values): backslash, double
 * quote and control characters escaped, printable characters kept.
 *
 * @param value - a label value
 * @example
 * goQuote('a|b'); // '"a|b"'
 */
export function goQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

function singular(resource: string): string {
  const lower = resource.toLowerCase();
  return lower.endsWith('s') ? lower.slice(0, -1) : lower;
}

/**
 * The Prometheus label that names a resource under a rule, as the adapter's resource converter finds
 * it: an `overrides` entry whose resource is that resource (singular or plural), else the
 * `template` with `<<.Resource>>` and `<<.Group>>` filled in.
 *
 * @param rule - the rule
 * @param resource - `pods`, `pod`, `namespaces`...
 * @example
 * labelForResource(guideRule, 'pods'); // ok('pod')
 */
export function labelForResource(rule: AdapterRule, resource: string): Result<string> {
  const wanted = singular(resource);
  for (const [label, target] of Object.entries(rule.resources.overrides)) {
    if (singular(target.resource) === wanted && !target.group) return ok(label);
  }
  const { template } = rule.resources;
  if (template !== undefined) {
    return ok(template.replace(/<<\s*\.Resource\s*>>/g, wanted).replace(/<<\s*\.Group\s*>>/g, ''));
  }
  return fail(
    `${rule.path}: no label maps to the "${wanted}" resource (add resources.overrides.${wanted}: {resource: "${wanted}"} or a resources.template)`,
  );
}

/**
 * Builds the template arguments the adapter passes for a request, as its `metricsQuery.Build` does:
 * the namespace matcher first, then the resource label (`=` for one name, `=~"a|b"` for several);
 * `GroupBy` is the resource label.
 *
 * @param rule - the rule serving the metric
 * @param request - series, namespace and object names
 */
export function metricsQueryArgs(
  rule: AdapterRule,
  request: MetricsQueryRequest,
): Result<MetricsQueryArgs> {
  if (request.names.length === 0)
    return fail('at least one object name is needed to render a query');
  const matchers: string[] = [];
  const values: Record<string, string> = {};
  if (request.namespace !== '') {
    const namespaceLabel = labelForResource(rule, 'namespaces');
    if (!namespaceLabel.ok) return namespaceLabel;
    matchers.push(`${namespaceLabel.value}=${goQuote(request.namespace)}`);
    values[namespaceLabel.value] = request.namespace;
  }
  const resourceLabel = labelForResource(rule, request.resource ?? 'pods');
  if (!resourceLabel.ok) return resourceLabel;
  const target = request.names.join('|');
  matchers.push(`${resourceLabel.value}${request.names.length > 1 ? '=~' : '='}${goQuote(target)}`);
  values[resourceLabel.value] = target;
  return ok({
    Series: request.series,
    LabelMatchers: matchers.join(','),
    LabelValuesByName: values,
    GroupBy: resourceLabel.value,
    GroupBySlice: [resourceLabel.value],
  });
}

function goValue(value: string | readonly string[] | Readonly<Record<string, string>>): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.join(' ')}]`;
  const record = value as Readonly<Record<string, string>>;
  const entries = Object.keys(record)
    .sort()
    .map((key) => `${key}:${record[key]}`);
  return `map[${entries.join(' ')}]`;
}

const fieldAction = /^\.(Series|LabelMatchers|LabelValuesByName|GroupBy|GroupBySlice)$/;
const indexAction = /^index\s+\.LabelValuesByName\s+"((?:[^"\\]|\\.)*)"$/;

/**
 * Fills a `metricsQuery` template the way Go's text/template does with the adapter's `<<`/`>>`
 * delimiters, for the actions adapter configs use: `.Series`, `.LabelMatchers`, `.GroupBy`,
 * `.GroupBySlice`, `.LabelValuesByName` and `index .LabelValuesByName "label"`, with `<<-`/`->>`
 * trimming. Anything else is reported rather than guessed.
 *
 * @param template - the rule's metricsQuery
 * @param args - from {@link metricsQueryArgs}
 * @example
 * renderMetricsTemplate('sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)', args);
 */
export function renderMetricsTemplate(template: string, args: MetricsQueryArgs): Result<string> {
  let out = '';
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('<<');
    if (open === -1) {
      out += rest;
      break;
    }
    let text = rest.slice(0, open);
    let action = rest.slice(open + 2);
    if (action.startsWith('- ')) {
      text = text.trimEnd();
      action = action.slice(1);
    }
    const close = action.indexOf('>>');
    if (close === -1)
      return fail(
        `unclosed "<<" in metricsQuery template at offset ${template.length - rest.length + open}`,
      );
    let body = action.slice(0, close);
    rest = action.slice(close + 2);
    if (body.endsWith(' -')) {
      body = body.slice(0, -1);
      rest = rest.trimStart();
    }
    out += text;
    const trimmed = body.trim();
    const field = fieldAction.exec(trimmed);
    if (field?.[1]) {
      out += goValue(args[field[1] as keyof MetricsQueryArgs]);
      continue;
    }
    const index = indexAction.exec(trimmed);
    if (index) {
      const key = JSON.parse(`"${index[1]}"`) as string;
      out += args.LabelValuesByName[key] ?? '';
      continue;
    }
    return fail(
      `metricsQuery template action "<<${body}>>" is not one the adapter supports (use <<.Series>>, <<.LabelMatchers>>, <<.GroupBy>>)`,
    );
  }
  if (out.length === 0) return fail('empty query produced by metrics query template');
  return ok(out);
}

/**
 * Renders a rule's `metricsQuery` for a request exactly as prometheus-adapter would send it to
 * Prometheus.
 *
 * @param rule - the rule serving the metric
 * @param request - series, namespace and pod names
 * @example
 * renderMetricsQuery(rule, { series: 'request_queue_depth', namespace: 'default', names: ['a', 'b'] });
 * // ok('request_queue_depth{namespace="default",pod=~"a|b"}')
 */
export function renderMetricsQuery(
  rule: AdapterRule,
  request: MetricsQueryRequest,
): Result<string> {
  const args = metricsQueryArgs(rule, request);
  if (!args.ok) return args;
  const rendered = renderMetricsTemplate(rule.metricsQuery, args.value);
  if (!rendered.ok) return fail(`${rule.path}: ${rendered.error}`);
  return rendered;
}

/** One `matchExpressions` entry of a Kubernetes label selector. */
export interface LabelSelectorRequirement {
  readonly key: string;
  /** `In`, `NotIn`, `Exists` or `DoesNotExist`. */
  readonly operator: string;
  readonly values?: readonly string[];
}

/** An HPA `External` metric's `selector` (a Kubernetes `LabelSelector`). */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/**
 * A label selector from a manifest (parsed YAML): `matchLabels` as strings, each
 * `matchExpressions` entry's key, operator and values as strings. What is missing stays empty, for
 * {@link renderExternalMetricsQuery} to refuse with a reason.
 *
 * @param raw - the `selector` field, any shape
 * @example
 * readLabelSelector({ matchLabels: { queue: 'infer' } }); // { matchLabels: { queue: 'infer' }, matchExpressions: [] }
 */
export function readLabelSelector(raw: unknown): LabelSelector {
  const record = (value: unknown): Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  const selector = record(raw);
  const matchLabels: Record<string, string> = {};
  for (const [key, value] of Object.entries(record(selector.matchLabels))) {
    matchLabels[key] = String(value);
  }
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  return {
    matchLabels,
    matchExpressions: expressions.map((entry) => {
      const { key, operator, values } = record(entry);
      return {
        key: String(key ?? ''),
        operator: String(operator ?? ''),
        values: Array.isArray(values) ? values.map(String) : [],
      };
    }),
  };
}

/** What an HPA asks the adapter for with an `External` metric. */
export interface ExternalQueryRequest {
  /** The series name, as discovered (`<<.Series>>`). */
  readonly series: string;
  /** The HPA's namespace; empty for none. */
  readonly namespace: string;
  /** The metric's `selector`; default none. */
  readonly selector?: LabelSelector;
}

/**
 * The label matchers and `LabelValuesByName` prometheus-adapter builds from an `External`
 * metric's selector. The HPA sends the selector as apimachinery's `LabelSelectorAsSelector` makes
 * it: `matchLabels` as `=` requirements and `matchExpressions` as theirs, sorted by key, each
 * requirement's values sorted. The adapter's query builder (`processQueryParts`) turns each into
 * one matcher: `=` for one value, `=~` for `In` and for several values (joined by `|`), `!~` for
 * `NotIn`, `label!=""` for `Exists`, `label=""` for `DoesNotExist`.
 *
 * @param selector - the metric's selector
 * @returns the matchers in order, and the values by label name
 */
function selectorMatchers(
  selector: LabelSelector,
): Result<{ matchers: string[]; values: Record<string, string> }> {
  const requirements: { key: string; operator: string; values: string[] }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, operator: 'Equals', values: [value] });
  }
  for (const [index, expression] of (selector.matchExpressions ?? []).entries()) {
    const where = `selector.matchExpressions[${index}]`;
    const values = [...new Set(expression.values ?? [])].sort();
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(expression.operator)) {
      return fail(
        `${where}: "${expression.operator}" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)`,
      );
    }
    const listed = expression.operator === 'In' || expression.operator === 'NotIn';
    if (listed && values.length === 0) {
      return fail(`${where}: for 'In' and 'NotIn' operators, values can't be empty`);
    }
    if (!listed && values.length > 0) {
      return fail(`${where}: values must be empty for 'Exists' and 'DoesNotExist'`);
    }
    requirements.push({ key: expression.key, operator: expression.operator, values });
  }
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const matchers: string[] = [];
  const values: Record<string, string> = {};
  for (const { key, operator, values: list } of requirements) {
    const joined = list.join('|');
    const negated = operator === 'NotIn' || operator === 'DoesNotExist';
    if (operator === 'Exists' || operator === 'DoesNotExist') {
      matchers.push(`${key}${operator === 'Exists' ? '!=' : '='}""`);
    } else if (operator === 'Equals' && list.length === 1) {
      matchers.push(`${key}=${goQuote(joined)}`);
    } else {
      matchers.push(`${key}${negated ? '!~' : '=~'}${goQuote(joined)}`);
    }
    values[key] = joined;
  }
  return ok({ matchers, values });
}

/**
 * Renders an external rule's `metricsQuery` for an HPA's `External` metric, as the adapter's
 * `BuildExternal` does: the selector's matchers (see {@link selectorMatchers}), then the namespace
 * label unless the rule says `resources.namespaced: false`; no `<<.GroupBy>>` (one value in all).
 *
 * @param rule - the `rules.external` rule serving the metric
 * @param request - series, namespace and the HPA's selector
 * @example
 * renderExternalMetricsQuery(rule, { series: 'nginx_ingress_controller_requests', namespace: 'default', selector: { matchLabels: { ingress: 'web' } } });
 * // ok('sum(rate(nginx_ingress_controller_requests{ingress="web",exported_namespace="default"}[1m]))')
 */
export function renderExternalMetricsQuery(
  rule: AdapterRule,
  request: ExternalQueryRequest,
): Result<string> {
  const selected = selectorMatchers(request.selector ?? {});
  if (!selected.ok) return selected;
  const { matchers, values } = selected.value;
  if (request.namespace !== '' && rule.resources.namespaced !== false) {
    const namespaceLabel = labelForResource(rule, 'namespaces');
    if (!namespaceLabel.ok) return namespaceLabel;
    matchers.push(`${namespaceLabel.value}=${goQuote(request.namespace)}`);
    values[namespaceLabel.value] = request.namespace;
  }
  const rendered = renderMetricsTemplate(rule.metricsQuery, {
    Series: request.series,
    LabelMatchers: matchers.join(','),
    LabelValuesByName: values,
    GroupBy: '',
    GroupBySlice: [],
  });
  if (!rendered.ok) return fail(`${rule.path}: ${rendered.error}`);
  return rendered;
}
