/** Links of one PromQL query: it parses, and every series it reads is exposed. */
import { checkPromql, formatPromqlIssue } from '../promql/check.js';
import { metricNamesInQuery } from '../promql/names.js';
import type { CheckContext } from './context.js';
import type { Exposition } from './exposition.js';
import {
  declaredFamily,
  isOptionalSeries,
  misnamedSeries,
  missingSeriesHint,
  otherExporterReason,
} from './hints.js';
import { skipped } from './verdict.js';

/** How an adapter rule's template uses the adapter's arguments. */
export interface TemplateUse {
  /** Aggregates by `<<.GroupBy>>`. */
  readonly grouped: boolean;
  /** Selects with `<<.LabelMatchers>>`. */
  readonly matched: boolean;
}

/**
 * Checks a query as it would be sent: valid PromQL (with the template's use of the adapter's
 * arguments when it came from a rule), and, given an exposition, that every series it reads exists.
 *
 * @param alreadyReported - series already reported missing by the caller
 */
export function checkQuery(
  subject: string,
  query: string,
  exposition: Exposition | undefined,
  ctx: CheckContext,
  template?: TemplateUse,
  alreadyReported: ReadonlySet<string> = new Set(),
): void {
  const parsed = checkPromql(query);
  if (!parsed.ok) {
    ctx.out.add({
      link: 'promql',
      subject,
      status: 'broken',
      detail: `invalid PromQL:\n${parsed.errors.map((e) => formatPromqlIssue(query, e)).join('\n')}`,
      fix: 'fix the query; it is shown as it would be sent to Prometheus',
    });
    return;
  }
  if (template && (!template.grouped || !template.matched)) {
    const missing = [
      ...(template.matched ? [] : ['does not use <<.LabelMatchers>>']),
      ...(template.grouped ? [] : ['does not aggregate by <<.GroupBy>>']),
    ];
    ctx.out.add({
      link: 'promql',
      subject,
      status: 'warn',
      detail: `valid PromQL, but the template ${missing.join(' and ')}: ${query}`,
      fix: 'select with {<<.LabelMatchers>>} and aggregate sum(...) by (<<.GroupBy>>) so each pod gets one value',
    });
  } else {
    ctx.out.add({ link: 'promql', subject, status: 'ok', detail: `valid PromQL: ${query}` });
  }
  if (!exposition) return;
  for (const name of metricNamesInQuery(query)) {
    if (exposition.names.has(name) || alreadyReported.has(name) || declaredFamily(name, exposition))
      continue;
    const optional = isOptionalSeries(name, ctx);
    if (!optional && !misnamedSeries(name, exposition)) {
      ctx.out.add(skipped('query-series', `${subject} → ${name}`, otherExporterReason(name)));
      continue;
    }
    ctx.out.add({
      link: 'query-series',
      subject: `${subject} → ${name}`,
      status: optional ? 'warn' : 'broken',
      detail: `the query reads ${name}, which the workload does not expose${optional ? ' (expected only on some pods: --optional-series)' : ''}`,
      fix: missingSeriesHint(name, exposition, ctx),
    });
  }
}
