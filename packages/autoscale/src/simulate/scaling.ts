/**
 * What a scaling decision does in both simulations (the trace replay and the reactive one): the
 * scale event counted in the summary, and which pods a scale-down removes.
 */
import type { HpaDecision } from '@mlscale/hpa';

/**
 * Counts a sync that scaled: one more scale event and, for the first scale-up at or after the
 * load step, the time from the step to it.
 *
 * @param summary - the config's figures, updated in place
 * @param decision - the sync's decision (one that scaled)
 * @param replicas - the replicas before it
 * @param t - the sync's time
 * @param stepAt - when the load steps up
 * @example
 * if (decision.scaled) countScaleEvent(summary, decision, replicas, t, stepAt);
 */
export function countScaleEvent(
  summary: { scaleEvents: number; timeToFirstScaleUp?: number },
  decision: Pick<HpaDecision, 'desiredReplicas'>,
  replicas: number,
  t: number,
  stepAt: number,
): void {
  summary.scaleEvents++;
  if (
    decision.desiredReplicas > replicas &&
    summary.timeToFirstScaleUp === undefined &&
    t >= stepAt
  ) {
    summary.timeToFirstScaleUp = t - stepAt;
  }
}

/**
 * The order in which a scale-down removes pods, as the simulations model the Deployment
 * controller: pending pods first, then running ones, the newest first within each.
 *
 * @param pods - the pods, oldest first
 * @param t - now; a pod is running once `readyAt <= t`
 * @example
 * for (const p of scaleDownOrder(pods, t).slice(0, pods.length - desired)) p.removedAt = t;
 */
export function scaleDownOrder<P extends { readonly readyAt: number }>(
  pods: readonly P[],
  t: number,
): P[] {
  return [
    ...pods.filter((p) => p.readyAt > t).reverse(),
    ...pods.filter((p) => p.readyAt <= t).reverse(),
  ];
}
