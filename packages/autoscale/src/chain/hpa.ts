/** Links of the HPAs: the Deployment they scale, and each custom or external metric they read. */
import { readLabelSelector, renderExternalMetricsQuery } from '../adapter/render.js';
import { checkPromql } from '../promql/check.js';
import type { AdapterFindings } from './adapter.js';
import type { CheckContext } from './context.js';
import type { ExternalFindings } from './external.js';
import { describe, field, list, ofKind } from './manifests.js';
import { namespaceOf, scaleTargetLink } from './namespaces.js';
import { closestName } from './similar.js';
import { skipped } from './verdict.js';

/**
 * Checks each HPA: its scale target is a Deployment given, each `Pods`/`Object` metric is one
 * the adapter serves from `rules.custom`, each `External` metric one it serves from
 * `rules.external`. A metric whose rule could not be verified is skipped, not broken.
 *
 * @param adapter - what the adapter check found; `undefined` when no usable adapter values were given
 * @param assumed - true when the series were assumed (no exposition given)
 * @param external - what the external rules serve; `undefined` when no usable adapter values were given
 */
export function checkHpas(
  ctx: CheckContext,
  adapter: AdapterFindings | undefined,
  assumed: boolean,
  external?: ExternalFindings,
): void {
  const noAdapter =
    ctx.input.adapterValues === undefined
      ? 'no prometheus-adapter values given'
      : 'the prometheus-adapter values could not be read (see above)';
  const served = [...new Set(adapter?.discovered.map((metric) => metric.metric) ?? [])];
  for (const hpa of ofKind(ctx.manifests, 'HorizontalPodAutoscaler')) {
    ctx.out.add(
      scaleTargetLink(ctx, 'hpa-target', hpa, {
        kind: field(hpa, 'spec', 'scaleTargetRef', 'kind') as string | undefined,
        name: field(hpa, 'spec', 'scaleTargetRef', 'name'),
      }),
    );
    for (const metric of list(hpa, 'spec', 'metrics')) {
      const type = field(metric, 'type');
      if (type === 'External') {
        checkExternalMetric(ctx, hpa, metric, external, noAdapter);
        continue;
      }
      if (type !== 'Pods' && type !== 'Object') continue;
      const name = field(metric, type === 'Pods' ? 'pods' : 'object', 'metric', 'name');
      if (typeof name !== 'string') continue;
      const subject = `${describe(hpa)} → ${name}`;
      const from = adapter?.discovered.find((m) => m.metric === name);
      const unverifiable = adapter?.unverifiable.get(name);
      if (!adapter) {
        ctx.out.add(skipped('hpa-metric', subject, noAdapter));
      } else if (adapter.pending.has(name)) {
        ctx.out.add({
          link: 'hpa-metric',
          subject,
          status: 'warn',
          detail: `${name} will be served once the workload has handled a request (its series have no labels yet)`,
        });
      } else if (from && assumed) {
        // Its name is served, but whether the series exists was not seen: not "ok".
        ctx.out.add(
          skipped(
            'hpa-metric',
            subject,
            `served by ${from.rule.path} from ${from.series} if the workload exposes ${from.series}: no /metrics given to see it (--metrics-file or --metrics-url)`,
          ),
        );
      } else if (from) {
        ctx.out.add({
          link: 'hpa-metric',
          subject,
          status: 'ok',
          detail: `served by ${from.rule.path} from ${from.series}`,
        });
      } else if (unverifiable !== undefined) {
        ctx.out.add(skipped('hpa-metric', subject, `cannot be verified: ${unverifiable}`));
      } else if (adapter.unknownRules.length > 0) {
        ctx.out.add(
          skipped(
            'hpa-metric',
            subject,
            `no rule was seen serving ${name}, but these rules could not be verified: ${adapter.unknownRules.join('; ')}`,
          ),
        );
      } else {
        const close = closestName(name, served);
        ctx.out.add({
          link: 'hpa-metric',
          subject,
          status: 'broken',
          detail: `no adapter rule serves ${name}, so the HPA would show <unknown> (served: ${served.join(', ') || 'nothing'})`,
          fix: close
            ? `did you mean ${close}? rename the HPA metric or the rule's name.as`
            : 'add a prometheus-adapter rule whose name.as yields this name, over a series the workload exposes',
        });
      }
    }
  }
}

/**
 * One HPA `External` metric: a `rules.external` rule serves its name (its query rendered for the
 * HPA's selector parses), else the HPA would show `<unknown>`.
 */
function checkExternalMetric(
  ctx: CheckContext,
  hpaObject: unknown,
  metric: unknown,
  external: ExternalFindings | undefined,
  noAdapter: string,
): void {
  const name = field(metric, 'external', 'metric', 'name');
  if (typeof name !== 'string') return;
  const hpa = describe(hpaObject);
  const subject = `${hpa} → ${name} (External)`;
  if (!external) {
    ctx.out.add(skipped('hpa-external-metric', subject, noAdapter));
    return;
  }
  const from = external.served.find((m) => m.metric === name);
  if (!from) {
    reportUnservedExternal(ctx, subject, name, external);
    return;
  }
  const rendered = renderExternalMetricsQuery(from.rule, {
    series: from.series,
    namespace: namespaceOf(ctx, hpaObject),
    selector: readLabelSelector(field(metric, 'external', 'metric', 'selector')),
  });
  if (!rendered.ok) {
    ctx.out.add(
      skipped('hpa-external-metric', subject, `cannot render its query: ${rendered.error}`),
    );
    return;
  }
  const parsed = checkPromql(rendered.value);
  // What this link saw: a rule serves the name and its query for this HPA parses. Whether the
  // series is in Prometheus is the rule's series link, reported (and skipped) there.
  ctx.out.add(
    parsed.ok
      ? {
          link: 'hpa-external-metric',
          subject,
          status: 'ok',
          detail: `served by ${from.rule.path}, whose query for this HPA's selector parses: ${rendered.value} (its series ${from.series}: see the ${from.rule.path} seriesQuery link)`,
        }
      : {
          link: 'hpa-external-metric',
          subject,
          status: 'broken',
          detail: `${from.rule.path} renders invalid PromQL for this selector: ${rendered.value}`,
          fix: "fix the rule's metricsQuery or the HPA's selector labels",
        },
  );
}

/** An External metric no `rules.external` rule was seen serving: skipped where that cannot be told, else broken. */
function reportUnservedExternal(
  ctx: CheckContext,
  subject: string,
  name: string,
  external: ExternalFindings,
): void {
  if (external.served.length === 0 && external.unknownRules.length === 0) {
    // Without external rules the adapter does not serve external.metrics.k8s.io: another
    // provider (KEDA, a cloud adapter) may.
    ctx.out.add(
      skipped(
        'hpa-external-metric',
        subject,
        'the prometheus-adapter values have no rules.external: another provider of external.metrics.k8s.io (KEDA, a cloud adapter) may serve it, which the input does not show',
      ),
    );
    return;
  }
  if (external.unknownRules.length > 0) {
    ctx.out.add(
      skipped(
        'hpa-external-metric',
        subject,
        `no rules.external rule was seen serving ${name}, but these could not be told: ${external.unknownRules.join('; ')}`,
      ),
    );
    return;
  }
  const servedNames = external.served.map((m) => m.metric);
  const close = closestName(name, servedNames);
  ctx.out.add({
    link: 'hpa-external-metric',
    subject,
    status: 'broken',
    detail: `no prometheus-adapter rules.external rule serves ${name}, so the HPA would show <unknown> (external: ${servedNames.join(', ') || 'none'})`,
    fix: close
      ? `did you mean ${close}? rename the HPA metric or the rule's name.as`
      : 'add a rules.external rule whose name.as yields this name (External metrics are served from rules.external, not rules.custom)',
  });
}
