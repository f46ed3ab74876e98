/** Links of KEDA ScaledObjects: the Deployment, the fallback, each Prometheus trigger. */
import { readScaledObject } from '../adapter/keda.js';
import type { CheckContext } from './context.js';
import type { Exposition } from './exposition.js';
import { describe, ofKind } from './manifests.js';
import { checkPrometheusAddress } from './monitoring.js';
import { scaleTargetLink } from './namespaces.js';
import { checkQuery } from './query.js';

/** Checks each ScaledObject: its target, its fallback, each trigger's address, empty-result handling and query. */
export function checkKeda(ctx: CheckContext, exposition: Exposition | undefined): void {
  for (const doc of ofKind(ctx.manifests, 'ScaledObject')) {
    const parsed = readScaledObject(doc);
    if (!parsed.ok) {
      ctx.out.add({ link: 'keda', subject: describe(doc), status: 'broken', detail: parsed.error });
      continue;
    }
    const so = parsed.value;
    ctx.out.add(scaleTargetLink(ctx, 'keda-target', doc, so.scaleTargetRef));
    if (!so.fallback) {
      ctx.out.add({
        link: 'keda-fallback',
        subject: `${describe(doc)} fallback`,
        status: 'warn',
        detail: 'no spec.fallback: when Prometheus fails, the replica count is left to chance',
        fix: 'set spec.fallback {failureThreshold, replicas}',
      });
    }
    for (const trigger of so.prometheusTriggers) {
      const subject = `${describe(doc)} trigger ${trigger.name ?? trigger.index} (${trigger.metricName})`;
      checkPrometheusAddress(`${subject} serverAddress → Prometheus`, trigger.serverAddress, ctx);
      // A hazard, not a break: the chain works while Prometheus has the series, and a query that
      // is rightly empty when idle (a `> 0` filter, no series before the first request) would
      // need the default.
      ctx.out.add(
        trigger.ignoreNullValues
          ? {
              link: 'keda-empty-result',
              subject,
              status: 'warn',
              detail:
                'ignoreNullValues is true (KEDA default): an empty result (Prometheus lost the targets) reads as 0 and scales down',
              fix: 'set metadata.ignoreNullValues: "false" so an empty result is an error and spec.fallback applies (make sure the query is never empty while pods serve: sum(rate(...)) of a counter they export from the start)',
            }
          : {
              link: 'keda-empty-result',
              subject,
              status: 'ok',
              detail: 'an empty result is an error, so fallback applies',
            },
      );
      checkQuery(`${subject} query`, trigger.query, exposition, ctx);
    }
  }
}
