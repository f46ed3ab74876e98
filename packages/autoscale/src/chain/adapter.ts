/** Links of prometheus-adapter: its Prometheus, each rule's series, names and query. */
import { renderMetricsQuery } from '../adapter/render.js';
import type { AdapterRule, AdapterValues } from '../adapter/rules.js';
import {
  type DiscoveredMetric,
  discoverMetrics,
  type LabelMatcher,
  metricNameForSeries,
  type RuleNamer,
  seriesMatches,
} from '../adapter/series.js';
import type { CheckContext } from './context.js';
import type { Exposition } from './exposition.js';
import {
  declaredFamily,
  isOptionalSeries,
  misnamedOwnSeries,
  missingSeriesHint,
  otherExporterReason,
} from './hints.js';
import { describe, field, list, ofKind } from './manifests.js';
import { checkPrometheusAddress } from './monitoring.js';
import { checkQuery } from './query.js';
import { type ParsedRule, parseRule } from './rule.js';
import { isTargetLabel, seriesForRule, type WorkloadIdentity } from './series.js';
import { skipped } from './verdict.js';

/** What the adapter would serve, as far as the check could tell. */
export interface AdapterFindings {
  /** Metrics the rules serve from the series found (or assumed, without an exposition). */
  readonly discovered: readonly DiscoveredMetric[];
  /** Metrics that will be served once the workload has handled a request (labels not there yet). */
  readonly pending: ReadonlySet<string>;
  /** Metrics whose rule could not be verified, with why. */
  readonly unverifiable: ReadonlyMap<string, string>;
  /** Rules that could not be verified and whose metric names are unknown, with why. */
  readonly unknownRules: readonly string[];
}

/** The custom metrics each HPA targets (`Pods` and `Object`), with the HPAs that target them. */
export function targetedMetrics(manifests: readonly unknown[]): Map<string, string[]> {
  const targeted = new Map<string, string[]>();
  for (const hpa of ofKind(manifests, 'HorizontalPodAutoscaler')) {
    for (const metric of list(hpa, 'spec', 'metrics')) {
      const type = field(metric, 'type');
      if (type !== 'Pods' && type !== 'Object') continue;
      const name = field(metric, type === 'Pods' ? 'pods' : 'object', 'metric', 'name');
      if (typeof name !== 'string') continue;
      targeted.set(name, [...(targeted.get(name) ?? []), describe(hpa)]);
    }
  }
  return targeted;
}

function labelMismatch(
  name: string,
  matchers: readonly LabelMatcher[],
  exposition: Exposition,
): { label: string; matcher: string; seen: string[] } | undefined {
  const samples = exposition.samples.filter((sample) => sample.name === name);
  for (const matcher of matchers) {
    if (matcher.label === '__name__' || isTargetLabel(matcher.label)) continue;
    if (samples.some((sample) => seriesMatches({ name, labels: sample.labels }, [matcher])))
      continue;
    return {
      label: matcher.label,
      matcher: `${matcher.label}${matcher.op}"${matcher.value}"`,
      seen: [...new Set(samples.map((sample) => sample.labels[matcher.label] ?? '""'))],
    };
  }
  return undefined;
}

/** The names a rule's namer would give the series its selector names with `__name__="..."`. */
function namesServed(namer: RuleNamer, names: readonly string[]): string[] {
  return names
    .map((name) => metricNameForSeries(namer, name))
    .filter((n): n is string => n !== undefined);
}

/**
 * Checks the adapter's Prometheus address and every custom rule: its series against the
 * exposition (or assumed, without one), the names it serves, its rendered query.
 */
export function checkAdapter(
  ctx: CheckContext,
  values: AdapterValues,
  exposition: Exposition | undefined,
  workload: WorkloadIdentity,
): AdapterFindings {
  checkPrometheusAddress(
    'prometheus-adapter prometheus.url → Prometheus',
    `${values.prometheusUrl}:${values.prometheusPort}${values.prometheusPath}`,
    ctx,
  );
  const findings: RuleFindings = {
    targeted: targetedMetrics(ctx.manifests),
    discovered: [],
    pending: new Set<string>(),
    unverifiable: new Map<string, string>(),
    unknownRules: [],
  };
  for (const rule of values.custom) {
    const parsed = parseRule(rule, 'prometheus-adapter rule');
    if (!parsed.ok) {
      ctx.out.add(parsed.broken);
      continue;
    }
    checkRuleSeries(ctx, rule, parsed, exposition, workload, findings);
    checkRuleQuery(ctx, rule, parsed.names, exposition, workload, findings.discovered);
  }
  const { discovered, pending, unverifiable, unknownRules } = findings;
  return { discovered, pending, unverifiable, unknownRules };
}

/** What {@link checkAdapter} gathers rule by rule, and the metrics the HPAs target. */
interface RuleFindings {
  targeted: Map<string, string[]>;
  discovered: DiscoveredMetric[];
  pending: Set<string>;
  unverifiable: Map<string, string>;
  unknownRules: string[];
}

/** A rule's series against the exposition (or assumed, without one), and the metrics it serves. */
function checkRuleSeries(
  ctx: CheckContext,
  rule: AdapterRule,
  parsed: Extract<ParsedRule, { ok: true }>,
  exposition: Exposition | undefined,
  workload: WorkloadIdentity,
  findings: RuleFindings,
): void {
  const { out } = ctx;
  const { matchers, names } = parsed;
  const wouldServe = namesServed(parsed.namer, names);
  const subject = `${rule.path} seriesQuery ${rule.seriesQuery} → /metrics`;
  const series = seriesForRule(rule, matchers, exposition, workload);
  if (!series.ok) {
    out.add(skipped('rule-series', subject, `cannot be verified: ${series.reason}`));
    for (const metric of wouldServe) {
      findings.unverifiable.set(metric, `${rule.path}: ${series.reason}`);
    }
    if (wouldServe.length === 0) findings.unknownRules.push(`${rule.path}: ${series.reason}`);
    return;
  }
  const found = discoverMetrics([rule], series.series).metrics;
  findings.discovered.push(...found);
  if (!exposition) {
    out.add(
      skipped(
        'rule-series',
        subject,
        `no /metrics given: assumed the workload exposes ${names.join(', ')} (serves ${found.map((m) => m.metric).join(', ') || 'nothing'})`,
      ),
    );
  } else if (found.length > 0) {
    out.add({
      link: 'rule-series',
      subject,
      status: 'ok',
      detail: `found ${found.map((m) => m.series).join(', ')} → serves ${found.map((m) => m.metric).join(', ')}`,
    });
  } else {
    checkMissingSeries(ctx, exposition, {
      path: rule.path,
      subject,
      names,
      wouldServe,
      matchers,
      targeted: findings.targeted,
      pending: findings.pending,
      unverifiable: findings.unverifiable,
    });
  }
}

/** A rule's metricsQuery, rendered for the workload's pods as the adapter would, then checked. */
function checkRuleQuery(
  ctx: CheckContext,
  rule: AdapterRule,
  names: readonly string[],
  exposition: Exposition | undefined,
  workload: WorkloadIdentity,
  discovered: readonly DiscoveredMetric[],
): void {
  const reported = new Set(exposition && !discovered.some((m) => m.rule === rule) ? names : []);
  const rendered = renderMetricsQuery(rule, {
    series: discovered.find((m) => m.rule === rule)?.series ?? names[0] ?? 'series',
    namespace: workload.targetLabels.namespace ?? ctx.namespace,
    names: [...workload.pods],
  });
  if (!rendered.ok) {
    ctx.out.add({
      link: 'rule-query',
      subject: `${rule.path} metricsQuery`,
      status: 'broken',
      detail: rendered.error,
    });
    return;
  }
  checkQuery(
    `${rule.path} metricsQuery`,
    rendered.value,
    exposition,
    ctx,
    {
      grouped: /<<\s*\.GroupBy\s*>>/.test(rule.metricsQuery),
      matched: /<<\s*\.LabelMatchers\s*>>/.test(rule.metricsQuery),
    },
    reported,
  );
}

function checkMissingSeries(
  ctx: CheckContext,
  exposition: Exposition,
  rule: {
    path: string;
    subject: string;
    names: readonly string[];
    wouldServe: readonly string[];
    matchers: readonly LabelMatcher[];
    targeted: ReadonlyMap<string, string[]>;
    pending: Set<string>;
    unverifiable: Map<string, string>;
  },
): void {
  const { path, subject, names, wouldServe, matchers, targeted, pending, unverifiable } = rule;
  const exposedName = names.find((n) => exposition.names.has(n));
  const declared = names.find((n) => declaredFamily(n, exposition));
  const unmatched = exposedName ? labelMismatch(exposedName, matchers, exposition) : undefined;
  if (unmatched) {
    // The series exists with other label values (e.g. only route="/readyz" before any request).
    ctx.out.add({
      link: 'rule-series',
      subject,
      status: 'warn',
      detail: `${exposedName} has no series with ${unmatched.matcher} yet (${unmatched.label} seen: ${unmatched.seen.join(', ')})`,
      fix: `send the workload a request that produces it, then check again; if it still fails, the ${unmatched.label} label changed in the workload or the rule`,
    });
    for (const metric of wouldServe) pending.add(metric);
    return;
  }
  if (!exposedName && declared) {
    // A labelled family (route, reason...) has no series until its first observation.
    ctx.out.add({
      link: 'rule-series',
      subject,
      status: 'warn',
      detail: `${declared} is declared by the workload but has no series yet (its labels appear with the first request)`,
      fix: 'send the workload one request, then check again',
    });
    for (const metric of wouldServe) pending.add(metric);
    return;
  }
  const critical = wouldServe.some((metric) => targeted.has(metric));
  const optional = names.length > 0 && names.every((n) => isOptionalSeries(n, ctx));
  const misnamed = names.find((n) => misnamedOwnSeries(n, exposition));
  if (!exposedName && !optional && misnamed === undefined) {
    // Nothing says the series is the workload's: another exporter may provide it.
    const reason = otherExporterReason(names.join(', ') || 'a series matching it');
    ctx.out.add(skipped('rule-series', subject, reason));
    for (const metric of wouldServe) unverifiable.set(metric, `${path}: ${reason}`);
    return;
  }
  const why = exposedName
    ? `${exposedName} is exposed but its labels do not satisfy the selector`
    : `the workload exposes no ${names.join(', ') || 'series matching it'}`;
  const consequence = critical
    ? `, so ${wouldServe.join(', ')} (targeted by ${wouldServe.flatMap((m) => targeted.get(m) ?? []).join(', ')}) cannot be served`
    : ' (no HPA given targets what this rule serves)';
  ctx.out.add({
    link: 'rule-series',
    subject,
    status: critical ? 'broken' : 'warn',
    detail: `${why}${consequence}${optional ? ' (expected only on some pods: --optional-series)' : ''}`,
    fix: names[0]
      ? missingSeriesHint(misnamed ?? names[0], exposition, ctx)
      : 'fix the seriesQuery',
  });
}
