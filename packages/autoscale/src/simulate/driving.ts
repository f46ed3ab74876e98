/** Which metric drove an HPA's decisions: what a chart of a simulation should show first. */
import type { HpaDecision } from '@mlscale/hpa';

function tally(decisions: readonly HpaDecision[]): string | undefined {
  const counts = new Map<string, number>();
  for (const decision of decisions) {
    let best: { name: string; proposal: number } | undefined;
    for (const m of decision.metrics) {
      if (m.proposal !== undefined && (best === undefined || m.proposal > best.proposal)) {
        best = { name: m.name, proposal: m.proposal };
      }
    }
    if (best) counts.set(best.name, (counts.get(best.name) ?? 0) + 1);
  }
  let winner: string | undefined;
  let most = 0;
  for (const [name, count] of counts) {
    if (count > most) {
      winner = name;
      most = count;
    }
  }
  return winner;
}

/**
 * The metric whose proposal was the largest at most scale-ups (at most syncs, when there was no
 * scale-up): the one that drove the decisions.
 *
 * @param decisions - a config's decisions in time order
 * @returns the metric name, or undefined when no sync had a valid proposal
 * @example
 * drivingMetric(timeline.map((e) => e.decision)); // 'request_queue_depth_avg'
 */
export function drivingMetric(decisions: readonly HpaDecision[]): string | undefined {
  return (
    tally(decisions.filter((d) => d.scaled && d.desiredReplicas > d.currentReplicas)) ??
    tally(decisions)
  );
}
