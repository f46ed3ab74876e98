/** Links of the HPAs: the Deployment they scale, and each custom metric they read. */
import type { AdapterFindings } from './adapter.js';
import type { CheckContext } from './context.js';
import { describe, field, list, ofKind } from './manifests.js';
import { closestName } from './similar.js';
import { skipped, verdict } from './verdict.js';

/**
 * Checks each HPA: its scale target is a Deployment given, and each `Pods`/`Object` metric is one
 * the adapter serves. A metric whose rule could not be verified is skipped, not broken.
 *
 * @param adapter - what the adapter check found; `undefined` when no usable adapter values were given
 * @param assumed - true when the series were assumed (no exposition given)
 */
export function checkHpas(
  ctx: CheckContext,
  adapter: AdapterFindings | undefined,
  assumed: boolean,
): void {
  const noAdapter =
    ctx.input.adapterValues === undefined
      ? 'no prometheus-adapter values given'
      : 'the prometheus-adapter values could not be read (see above)';
  const deployments = ofKind(ctx.manifests, 'Deployment').map((d) => field(d, 'metadata', 'name'));
  const served = [...new Set(adapter?.discovered.map((metric) => metric.metric) ?? [])];
  for (const hpa of ofKind(ctx.manifests, 'HorizontalPodAutoscaler')) {
    const target = field(hpa, 'spec', 'scaleTargetRef', 'name');
    ctx.out.add(
      verdict({
        link: 'hpa-target',
        subject: `${describe(hpa)} → Deployment`,
        holds: deployments.includes(target),
        ok: `scales Deployment/${String(target)}`,
        broken: `scaleTargetRef ${String(target)} is no Deployment given (${deployments.map(String).join(', ') || 'none'})`,
        fix: 'set spec.scaleTargetRef.name to the Deployment name',
      }),
    );
    for (const metric of list(hpa, 'spec', 'metrics')) {
      const type = field(metric, 'type');
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
      } else if (from) {
        ctx.out.add({
          link: 'hpa-metric',
          subject,
          status: 'ok',
          detail: `served by ${from.rule.path} from ${from.series}${assumed ? ' (if the workload exposes it: no /metrics given)' : ''}`,
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
