/**
 * The adapter's rule for a `Pods` metric, read as the adapter reads it: the rule whose name yields
 * the metric, its series in Prometheus, and its `metricsQuery` rendered for the ready pods and
 * evaluated there (the rendering of `mlscale watch`, `collectAdapterMetrics`).
 */
import { parseSeriesSelector } from '../adapter/series.js';
import { closestName } from '../chain/similar.js';
import type { ChainLink } from '../chain/types.js';
import { skipped } from '../chain/verdict.js';
import { collectAdapterMetrics } from '../watch/collect.js';
import { mayServe } from '../watch/why-no-series.js';
import type { PodMetrics } from './pod-links.js';
import type { LiveContext } from './types.js';

/** What the metric's rule links need. */
export interface RuleInput {
  readonly metric: string;
  readonly namespace: string;
  readonly pods: readonly string[];
  readonly served: readonly PodMetrics[];
}

/** A series name the rule reads that the pods do not expose, with the close name they do expose. */
function renamedHint(seriesQuery: string, served: readonly PodMetrics[]): string {
  const matchers = parseSeriesSelector(seriesQuery);
  const name = matchers.ok
    ? matchers.value.find((m) => m.label === '__name__' && m.op === '=')
    : undefined;
  const exposition = served.find((s) => s.exposition)?.exposition;
  if (!name || !exposition || exposition.names.has(name.value)) return '';
  const close = closestName(name.value, exposition.names);
  return close
    ? `\nthe pods' /metrics has no ${name.value} but has ${close} (renamed?)`
    : `\nthe pods' /metrics has no ${name.value}`;
}

/**
 * The `adapter-rule` and `rule-query` links of one `Pods` metric.
 *
 * @param ctx - Prometheus and the rules
 * @param input - the metric, namespace, ready pods and what their /metrics held
 */
export async function ruleLinks(ctx: LiveContext, input: RuleInput): Promise<ChainLink[]> {
  const { metric, namespace, pods } = input;
  const ruleSubject = `prometheus-adapter rule → ${metric}`;
  const querySubject = `PromQL of ${metric} in Prometheus`;
  if (!ctx.rules) {
    const why = ctx.rulesMissing ?? 'the adapter configuration was not found';
    return [skipped('adapter-rule', ruleSubject, why), skipped('rule-query', querySubject, why)];
  }
  const candidates = ctx.rules.custom.filter((rule) => mayServe(rule, metric));
  if (candidates.length === 0) {
    return [
      {
        link: 'adapter-rule',
        subject: ruleSubject,
        status: 'broken',
        detail: `no rule in ${ctx.rules.source} serves ${metric}: no rule's seriesQuery and name.matches/name.as yield that name`,
        fix: `add a rule serving ${metric} to the adapter's rules, or name in the HPA a metric the rules serve`,
      },
      skipped('rule-query', querySubject, 'no rule to render'),
    ];
  }
  if (!ctx.prometheus) {
    const why = ctx.prometheusMissing ?? 'Prometheus is not known';
    const ok = `served by ${candidates.map((r) => r.path).join(', ')} of ${ctx.rules.source} (its series not verified: ${why})`;
    return [
      { link: 'adapter-rule', subject: ruleSubject, status: 'ok', detail: ok },
      skipped('rule-query', querySubject, why),
    ];
  }
  const collected = await collectAdapterMetrics({
    client: ctx.prometheus,
    rules: ctx.rules.custom,
    namespace,
    metrics: [metric],
    pods,
  });
  const found = collected.metrics[metric];
  if (!found?.query) {
    const hints = candidates.map((r) => renamedHint(r.seriesQuery, input.served)).join('');
    return [
      {
        link: 'adapter-rule',
        subject: ruleSubject,
        status: 'broken',
        detail: `${found?.error ?? 'no series'}${hints}`,
        fix: hints.includes('renamed')
          ? "name in the rule's seriesQuery and metricsQuery the series the pods export (or restore the old name in the app)"
          : 'make Prometheus hold the series the rule selects, with the namespace and pod labels its resources name',
      },
      skipped('rule-query', querySubject, 'the rule selects no series'),
    ];
  }
  return [
    {
      link: 'adapter-rule',
      subject: ruleSubject,
      status: 'ok',
      detail: `${candidates.map((r) => r.path).join(', ')} of ${ctx.rules.source}`,
    },
    queryLink(querySubject, found.query, found.values, pods),
  ];
}

function queryLink(
  subject: string,
  query: string,
  values: Record<string, number>,
  pods: readonly string[],
): ChainLink {
  const missing = pods.filter((pod) => values[pod] === undefined);
  const shown = pods
    .filter((pod) => values[pod] !== undefined)
    .map((pod) => `${pod}=${values[pod]}`);
  if (missing.length > 0) {
    return {
      link: 'rule-query',
      subject,
      status: 'broken',
      detail: `${query}\nno value for ${missing.join(', ')}${shown.length > 0 ? ` (values: ${shown.join(', ')})` : ''}: the adapter returns nothing for them (an empty answer, or NaN, which it drops)`,
      fix: 'make the metricsQuery answer for every ready pod: the mean of a histogram over an idle pod is 0/0 = NaN, which the adapter drops; fall back to 0 with `or` where idle means 0',
    };
  }
  return { link: 'rule-query', subject, status: 'ok', detail: `${query}\n${shown.join(', ')}` };
}
