/**
 * Links of prometheus-adapter's external rules (`rules.external`, external.metrics.k8s.io): each
 * rule's series and query, and the names it serves to HPA `External` metrics. Their series
 * usually come from other exporters (an ingress controller, kube-state-metrics), so their absence
 * from the workload's /metrics is reported as skipped, never broken, unless it shows a misnamed
 * series of the workload's own.
 */
import { renderExternalMetricsQuery } from '../adapter/render.js';
import type { AdapterRule, AdapterValues } from '../adapter/rules.js';
import { metricNameForSeries } from '../adapter/series.js';
import type { CheckContext } from './context.js';
import type { Exposition } from './exposition.js';
import { misnamedOwnSeries, missingSeriesHint, otherExporterReason } from './hints.js';
import { checkQuery } from './query.js';
import { parseRule } from './rule.js';
import { skipped } from './verdict.js';

/** An external metric a rule serves, from which series. */
export interface ExternalMetric {
  /** The name the HPA asks for. */
  readonly metric: string;
  /** The series it is computed from (`<<.Series>>`). */
  readonly series: string;
  /** The rule. */
  readonly rule: AdapterRule;
}

/** What the external rules would serve, as far as the check could tell. */
export interface ExternalFindings {
  /** Metrics the rules serve, by the series their selectors name. */
  readonly served: readonly ExternalMetric[];
  /** Rules whose served names could not be told (a `__name__` regex, an invalid rule), with why. */
  readonly unknownRules: readonly string[];
}

/** Checks every `rules.external` rule: valid, its series, its query with the namespace matcher. */
export function checkExternalRules(
  ctx: CheckContext,
  values: AdapterValues,
  exposition: Exposition | undefined,
): ExternalFindings {
  const served: ExternalMetric[] = [];
  const unknownRules: string[] = [];
  for (const rule of values.external) {
    const parsed = parseRule(rule, 'prometheus-adapter external rule');
    if (!parsed.ok) {
      ctx.out.add(parsed.broken);
      unknownRules.push(`${rule.path} is invalid`);
      continue;
    }
    const { namer, names } = parsed;
    if (names.length === 0) {
      unknownRules.push(`${rule.path} selects series by a __name__ regex`);
    }
    for (const series of names) {
      const metric = metricNameForSeries(namer, series);
      if (metric !== undefined) served.push({ metric, series, rule });
    }
    const subject = `${rule.path} seriesQuery ${rule.seriesQuery} → series`;
    for (const name of names) {
      if (exposition?.names.has(name)) {
        ctx.out.add({
          link: 'external-series',
          subject,
          status: 'ok',
          detail: `the workload exposes ${name}`,
        });
      } else if (exposition && misnamedOwnSeries(name, exposition)) {
        ctx.out.add({
          link: 'external-series',
          subject,
          status: 'broken',
          detail: `the workload exposes no ${name}, but a name close to it: the external metric it serves would be empty`,
          fix: missingSeriesHint(name, exposition, ctx),
        });
      } else {
        ctx.out.add(skipped('external-series', subject, otherExporterReason(name)));
      }
    }
    const series = names[0] ?? 'series';
    const template = renderExternalMetricsQuery(rule, { series, namespace: '' });
    if (!template.ok) {
      ctx.out.add({
        link: 'rule-query',
        subject: `${rule.path} metricsQuery`,
        status: 'broken',
        detail: template.error,
      });
      continue;
    }
    const rendered = renderExternalMetricsQuery(rule, { series, namespace: ctx.namespace });
    if (!rendered.ok) {
      ctx.out.add(
        skipped(
          'rule-query',
          `${rule.path} metricsQuery`,
          `cannot render it for namespace ${ctx.namespace}: ${rendered.error}`,
        ),
      );
      continue;
    }
    checkQuery(
      `${rule.path} metricsQuery`,
      rendered.value,
      exposition,
      ctx,
      undefined,
      new Set(names),
    );
  }
  return { served, unknownRules };
}
