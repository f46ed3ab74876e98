import { parser } from '@prometheus-io/lezer-promql';
import { unquotePromqlString } from '../promql/string-literal.js';
import {
  compileGoRegexp,
  compileLabelMatcher,
  expandGoTemplate,
  type Re2Regexp,
} from '../regexp/re2.js';
import { fail, ok, type Result } from './result.js';
import type { AdapterRule } from './rules.js';

/** One label matcher of a series selector. */
export interface LabelMatcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** A series as Prometheus stores it: a name and its labels. */
export interface SeriesLabels {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Parses a series selector such as `x_sum{namespace!="",pod!=""}` or `{__name__=~"^x_.*"}` into
 * label matchers; the metric name becomes a `__name__` matcher.
 *
 * @param selector - a seriesQuery
 * @example
 * parseSeriesSelector('x{pod!=""}'); // ok([{label:'__name__',op:'=',value:'x'},{label:'pod',op:'!=',value:''}])
 */
export function parseSeriesSelector(selector: string): Result<LabelMatcher[]> {
  const tree = parser.parse(selector);
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
    },
  });
  const top = tree.topNode.firstChild;
  if (error !== undefined || !top || top.name !== 'VectorSelector' || top.nextSibling) {
    return fail(
      `"${selector}" is not a series selector (expected name{label="value",...})${error !== undefined ? ` at offset ${error}` : ''}`,
    );
  }
  const matchers: LabelMatcher[] = [];
  const identifier = top.getChild('Identifier');
  if (identifier) {
    matchers.push({
      label: '__name__',
      op: '=',
      value: selector.slice(identifier.from, identifier.to),
    });
  }
  for (const matcher of top.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
    const label = matcher.getChild('LabelName');
    const op = matcher.getChild('MatchOp');
    const value = matcher.getChild('StringLiteral');
    if (!label || !op || !value) continue;
    matchers.push({
      label: selector.slice(label.from, label.to),
      op: selector.slice(op.from, op.to) as LabelMatcher['op'],
      value: unquotePromqlString(selector.slice(value.from, value.to)),
    });
  }
  return ok(matchers);
}

/**
 * Whether a series satisfies every matcher, as Prometheus evaluates them: regexes are RE2, anchored
 * at both ends; a missing label reads as the empty string. A matcher whose regex does not compile
 * matches nothing (Prometheus rejects the whole query: {@link invalidMatchers} says so).
 *
 * @param series - the series' name and labels
 * @param matchers - from {@link parseSeriesSelector}
 */
export function seriesMatches(series: SeriesLabels, matchers: readonly LabelMatcher[]): boolean {
  return matchers.every((matcher) => {
    const value = matcher.label === '__name__' ? series.name : (series.labels[matcher.label] ?? '');
    switch (matcher.op) {
      case '=':
        return value === matcher.value;
      case '!=':
        return value !== matcher.value;
      case '=~':
      case '!~': {
        const re = compileLabelMatcher(matcher.value);
        const hit = re.ok && re.value.test(value);
        return matcher.op === '=~' ? hit : !hit;
      }
    }
    return false;
  });
}

/**
 * The messages for matchers whose regex Prometheus would reject, one per matcher.
 *
 * @param matchers - from {@link parseSeriesSelector}
 */
export function invalidMatchers(matchers: readonly LabelMatcher[]): string[] {
  return matchers.flatMap((matcher) => {
    if (matcher.op !== '=~' && matcher.op !== '!~') return [];
    const re = compileLabelMatcher(matcher.value);
    return re.ok ? [] : [`${matcher.label}${matcher.op}: ${re.error}`];
  });
}

/** A compiled naming rule: what `name.matches`/`as` turn a series name into. */
export interface RuleNamer {
  /** The series name filter (`name.matches`, or `.*`), RE2, unanchored as in Go. */
  readonly matches: Re2Regexp;
  /** The expansion template (`name.as`, or the adapter's default `$0`/`$1`). */
  readonly as: string;
  /** `seriesFilters` compiled, each with its polarity. */
  readonly filters: readonly { readonly re: Re2Regexp; readonly positive: boolean }[];
}

/**
 * Compiles a rule's naming part as the adapter's `NamersFromConfig` does: `matches` defaults to
 * `.*`; when `as` is empty it is `$0` with no capture group, `$1` with one, and an error otherwise.
 *
 * @param rule - a rule from {@link readAdapterValues}
 */
export function compileRuleNamer(rule: AdapterRule): Result<RuleNamer> {
  const matches = compileGoRegexp(rule.name.matches ?? '.*');
  if (!matches.ok) return fail(`${rule.path}: name.matches: ${matches.error}`);
  let as = rule.name.as ?? '';
  if (as === '') {
    const groups = matches.value.groupCount;
    if (groups === 0) as = '$0';
    else if (groups === 1) as = '$1';
    else {
      return fail(
        `${rule.path}: must specify an 'as' value for name matcher "${rule.name.matches}" (it has ${groups} capture groups)`,
      );
    }
  }
  const filters: { re: Re2Regexp; positive: boolean }[] = [];
  for (const [index, filter] of rule.seriesFilters.entries()) {
    if ((filter.is === undefined) === (filter.isNot === undefined)) {
      return fail(`${rule.path}: seriesFilters[${index}] needs exactly one of "is" or "isNot"`);
    }
    const re = compileGoRegexp(filter.is ?? filter.isNot ?? '');
    if (!re.ok) return fail(`${rule.path}: seriesFilters[${index}]: ${re.error}`);
    filters.push({ re: re.value, positive: filter.is !== undefined });
  }
  return ok({ matches: matches.value, as, filters });
}

/**
 * The metric name the adapter exposes for a series (`MetricNameForSeries`), or `undefined` when the
 * rule's name filters drop the series.
 *
 * @param namer - from {@link compileRuleNamer}
 * @param seriesName - e.g. `inference_latency_seconds_sum`
 * @example
 * metricNameForSeries(namer, 'inference_latency_seconds_sum'); // 'inference_latency_seconds_avg'
 */
export function metricNameForSeries(namer: RuleNamer, seriesName: string): string | undefined {
  for (const filter of namer.filters) {
    if (filter.re.test(seriesName) !== filter.positive) return undefined;
  }
  const match = namer.matches.exec(seriesName);
  if (!match) return undefined;
  return expandGoTemplate(namer.as, match);
}

/** A metric the adapter would serve, and where it comes from. */
export interface DiscoveredMetric {
  /** Name in the custom metrics API, e.g. `inference_latency_seconds_avg`. */
  readonly metric: string;
  /** The Prometheus series name the rule found, passed to the template as `<<.Series>>`. */
  readonly series: string;
  /** The rule that serves it. */
  readonly rule: AdapterRule;
}

/**
 * Runs the adapter's discovery over a set of series: for each rule, the series its `seriesQuery`
 * selects and its filters keep, and the metric name each becomes.
 *
 * @param rules - `rules.custom` from {@link readAdapterValues}
 * @param series - series as Prometheus would hold them (with `namespace`/`pod` target labels)
 * @returns the metrics, and one message per rule that could not be compiled
 */
export function discoverMetrics(
  rules: readonly AdapterRule[],
  series: readonly SeriesLabels[],
): { metrics: DiscoveredMetric[]; errors: string[] } {
  const metrics: DiscoveredMetric[] = [];
  const errors: string[] = [];
  for (const rule of rules) {
    const matchers = parseSeriesSelector(rule.seriesQuery);
    if (!matchers.ok) {
      errors.push(`${rule.path}: seriesQuery ${matchers.error}`);
      continue;
    }
    const invalid = invalidMatchers(matchers.value);
    if (invalid.length > 0) {
      errors.push(...invalid.map((message) => `${rule.path}: seriesQuery ${message}`));
      continue;
    }
    const namer = compileRuleNamer(rule);
    if (!namer.ok) {
      errors.push(namer.error);
      continue;
    }
    const seen = new Set<string>();
    for (const candidate of series) {
      if (seen.has(candidate.name) || !seriesMatches(candidate, matchers.value)) continue;
      seen.add(candidate.name);
      const metric = metricNameForSeries(namer.value, candidate.name);
      if (metric !== undefined) metrics.push({ metric, series: candidate.name, rule });
    }
  }
  return { metrics, errors };
}
