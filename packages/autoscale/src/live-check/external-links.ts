/**
 * What serves an `External` metric, evaluated in Prometheus: a KEDA ScaledObject's trigger query
 * (as KEDA runs it) or prometheus-adapter's `externalRules` (rendered for the metric's selector, as
 * the adapter's external provider does); both through `mlscale watch`'s collectors.
 */
import { readScaledObject } from '../adapter/keda.js';
import { readLabelSelector } from '../adapter/render.js';
import type { ChainLink } from '../chain/types.js';
import { skipped } from '../chain/verdict.js';
import {
  type CollectedMetric,
  collectExternalMetrics,
  collectKedaMetrics,
} from '../watch/collect.js';
import type { LiveContext } from './types.js';

/** What the external rule link asks about. */
export interface ExternalQuestion {
  readonly metric: string;
  readonly namespace: string;
  readonly selector: unknown;
  /** The ScaledObject owning the HPA, when KEDA serves the metric. */
  readonly scaledObject?: unknown;
}

function collectedLink(
  subject: string,
  source: string,
  found: CollectedMetric | undefined,
): ChainLink {
  if (!found || found.error) {
    return {
      link: 'adapter-rule',
      subject,
      status: 'broken',
      detail: `${source}: ${found?.error ?? 'nothing serves it'}${found?.query ? `\n${found.query}` : ''}`,
      fix: 'make the query return one sample in Prometheus (the series it reads must be scraped), or name a metric that is served',
    };
  }
  const values = Object.values(found.values).join(', ');
  return {
    link: 'adapter-rule',
    subject,
    status: 'ok',
    detail: `${source}: ${found.query ?? ''}\n= ${values}`,
  };
}

/**
 * The `adapter-rule` link of an `External` metric.
 *
 * @param ctx - Prometheus and the adapter's rules
 * @param question - the metric, the HPA's namespace, its selector and the owning ScaledObject
 */
export async function externalRuleLink(
  ctx: LiveContext,
  question: ExternalQuestion,
): Promise<ChainLink> {
  const { metric, namespace } = question;
  const subject = `${question.scaledObject ? 'KEDA trigger' : 'prometheus-adapter external rule'} → ${metric}`;
  if (!ctx.prometheus)
    return skipped('adapter-rule', subject, ctx.prometheusMissing ?? 'Prometheus is not known');
  if (question.scaledObject) {
    const scaledObject = readScaledObject(question.scaledObject);
    if (!scaledObject.ok)
      return {
        link: 'adapter-rule',
        subject,
        status: 'broken',
        detail: scaledObject.error,
        fix: 'fix the ScaledObject',
      };
    const found = (await collectKedaMetrics(ctx.prometheus, scaledObject.value))[metric];
    if (!found)
      return skipped(
        'adapter-rule',
        subject,
        `${metric} is not one of the ScaledObject's prometheus triggers`,
      );
    return collectedLink(subject, `the trigger's query in ${ctx.prometheus.url}`, found);
  }
  if (!ctx.rules)
    return skipped(
      'adapter-rule',
      subject,
      ctx.rulesMissing ?? 'the adapter configuration was not found',
    );
  const selector = readLabelSelector(question.selector);
  const found = await collectExternalMetrics({
    client: ctx.prometheus,
    rules: ctx.rules.external,
    namespace,
    metrics: [{ name: metric, selector }],
  });
  return collectedLink(subject, ctx.rules.source, found[metric]);
}
