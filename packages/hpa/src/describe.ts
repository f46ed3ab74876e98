/**
 * Human-readable renderings of a decision, in the style of `kubectl get hpa -w` and
 * `kubectl describe hpa`.
 */
import type { HpaDecision, MetricEvaluation } from './controller.js';

/**
 * Formats a number as kubectl prints a quantity: integers as is, others in milli-units.
 *
 * @param value - the value
 * @returns `"12"`, `"150m"`, or `"<unknown>"` for a missing value
 * @example
 * formatQuantity(0.15); // "150m"
 */
export function formatQuantity(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '<unknown>';
  if (Number.isInteger(value)) return String(value);
  const milli = Math.round(value * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/**
 * The TARGETS column of `kubectl get hpa`: `current/target` per metric.
 *
 * @param metrics - the decision's metric evaluations
 * @returns e.g. `"150m/200m, 12/10"`
 * @example
 * formatTargets(decision.metrics);
 */
export function formatTargets(metrics: readonly MetricEvaluation[]): string {
  return metrics
    .map(
      (m) =>
        `${formatQuantity(m.current)}/${formatQuantity(m.target)}${m.targetType === 'AverageValue' && m.type !== 'Pods' ? ' (avg)' : ''}`,
    )
    .join(', ');
}

/**
 * One sentence saying why the decision came out as it did: each metric's value and proposal,
 * the raw proposal, what stabilization and the rate limits made of it.
 *
 * @param decision - a decision from `HpaController.sync`
 * @returns the explanation
 * @example
 * describeDecision(decision); // "request_queue_depth 25/10 → 5; proposal 5 (...); stabilized 5; limited to 4 by ScaleUpLimit (Pods 2 per 60s)"
 */
export function describeDecision(decision: HpaDecision): string {
  const parts: string[] = [];
  for (const metric of decision.metrics) {
    parts.push(
      metric.error
        ? `${metric.name}: ${metric.error}`
        : `${metric.name} ${formatQuantity(metric.current)}/${formatQuantity(metric.target)} → ${metric.proposal}`,
    );
  }
  if (decision.proposal === undefined) {
    parts.push(decision.error ? `no scaling: ${decision.error}` : decision.reason);
    return parts.join('; ');
  }
  parts.push(`proposal ${decision.proposal} (${decision.reason})`);
  const stab = decision.stabilization;
  if (stab) {
    parts.push(
      stab.reason === 'ReadyForNewScale'
        ? `stabilized ${stab.replicas}`
        : `held at ${stab.replicas} by ${stab.reason} (${stab.windowSeconds}s window)`,
    );
  }
  const limit = decision.limit;
  if (limit && limit.reason !== 'DesiredWithinRange') {
    const policy = limit.policy
      ? ` (${limit.policy.type} ${limit.policy.value}${limit.policy.type === 'Percent' ? '%' : ''} per ${limit.policy.periodSeconds}s)`
      : '';
    parts.push(`limited to ${limit.replicas} by ${limit.reason}${policy}`);
  }
  parts.push(
    decision.scaled
      ? `scale ${decision.currentReplicas} → ${decision.desiredReplicas}`
      : 'no change',
  );
  if (decision.error) parts.push(`warning: ${decision.error}`);
  return parts.join('; ');
}
