/**
 * A port of `pkg/controller/podautoscaler/replica_calculator.go` (Kubernetes) for the metric
 * kinds a custom-metrics setup uses: `Pods`, `Object` and `External` with `AverageValue` or
 * `Value` targets. All values are integer milli-units, as upstream's.
 */
import type { PodInfo, Tolerances } from './types.js';

/** The tolerance the controller uses unless `--horizontal-pod-autoscaler-tolerance` says otherwise. */
export const DEFAULT_TOLERANCE = 0.1;

/** Tolerances of 0.1 in both directions (the controller default). */
export const DEFAULT_TOLERANCES: Tolerances = Object.freeze({
  scaleDown: DEFAULT_TOLERANCE,
  scaleUp: DEFAULT_TOLERANCE,
});

/** The outcome of one metric's replica calculation: a proposal, or why there is none. */
export type ReplicaCalculation =
  | { ok: true; replicas: number; usage: number }
  | { ok: false; error: string };

/**
 * True when `usageRatio` lies within `[1 - scaleDown, 1 + scaleUp]` (`Tolerances.isWithin`).
 *
 * @param tolerances - per-direction tolerances
 * @param usageRatio - current usage divided by the target
 * @returns whether the change is too small to act on
 * @example
 * isWithinTolerance({ scaleDown: 0.1, scaleUp: 0.1 }, 1.05); // true
 */
export function isWithinTolerance(tolerances: Tolerances, usageRatio: number): boolean {
  return 1.0 - tolerances.scaleDown <= usageRatio && usageRatio <= 1.0 + tolerances.scaleUp;
}

/**
 * `GetMetricUsageRatio`: mean of the pods' values (integer division, as upstream) over the target.
 *
 * @param metrics - per-pod values in milli-units
 * @param targetUsage - the target average in milli-units
 * @returns the ratio and the mean in milli-units
 * @example
 * getMetricUsageRatio(new Map([['a', 20000], ['b', 21000], ['c', 21000]]), 20000); // { usageRatio: 1.0333, usage: 20666 }
 */
export function getMetricUsageRatio(
  metrics: ReadonlyMap<string, number>,
  targetUsage: number,
): { usageRatio: number; usage: number } {
  let total = 0;
  for (const value of metrics.values()) total += value;
  const usage = Math.trunc(total / metrics.size);
  return { usageRatio: usage / targetUsage, usage };
}

/** The pods sorted the way `groupPods` sorts them for a non-CPU metric. */
export interface PodGroups {
  /** Pods with a metric that count as ready. */
  readyPodCount: number;
  /** Pending pods (custom metrics get no readiness check beyond this: no CPU-style grace). */
  unreadyPods: Set<string>;
  /** Running pods with no metric. */
  missingPods: Set<string>;
  /** Pods being deleted or failed. */
  ignoredPods: Set<string>;
}

/**
 * `groupPods` for a custom metric (resource name empty): deleting/failed pods are ignored, pending
 * pods are unready, pods without a value are missing, every other pod counts, ready or not.
 *
 * @param pods - the pods the HPA's selector matches
 * @param metrics - per-pod values
 * @returns the groups
 * @example
 * groupPods([{ name: 'a' }, { name: 'b', phase: 'Pending' }], new Map([['a', 1]]));
 */
export function groupPods(
  pods: readonly PodInfo[],
  metrics: ReadonlyMap<string, number>,
): PodGroups {
  const groups: PodGroups = {
    readyPodCount: 0,
    unreadyPods: new Set(),
    missingPods: new Set(),
    ignoredPods: new Set(),
  };
  for (const pod of pods) {
    const phase = pod.phase ?? 'Running';
    if (pod.deleting || phase === 'Failed') {
      groups.ignoredPods.add(pod.name);
      continue;
    }
    if (phase === 'Pending') {
      groups.unreadyPods.add(pod.name);
      continue;
    }
    if (!metrics.has(pod.name)) {
      groups.missingPods.add(pod.name);
      continue;
    }
    groups.readyPodCount++;
  }
  return groups;
}

/**
 * `calcPlainMetricReplicas`: the proposal for a `Pods` metric with an `AverageValue` target.
 * Missing pods count as 0 on a scale-up and as exactly the target on a scale-down; pending pods
 * count as 0 on a scale-up; a result that would reverse the direction keeps the current count.
 *
 * @param podMetrics - per-pod values in milli-units (pods absent from the map have no metric)
 * @param pods - the pods the selector matches
 * @param currentReplicas - `scale.spec.replicas`
 * @param targetUsage - the target average in milli-units
 * @param tolerances - per-direction tolerances (default 0.1 each)
 * @returns the proposal, or why there is none
 * @example
 * calcPlainMetricReplicas(new Map([['a', 20000], ['b', 10000], ['c', 30000]]), pods, 3, 15000); // { ok: true, replicas: 4, usage: 20000 }
 */
export function calcPlainMetricReplicas(
  podMetrics: ReadonlyMap<string, number>,
  pods: readonly PodInfo[],
  currentReplicas: number,
  targetUsage: number,
  tolerances: Tolerances = DEFAULT_TOLERANCES,
): ReplicaCalculation {
  if (pods.length === 0) {
    return { ok: false, error: 'no pods returned by selector while calculating replica count' };
  }
  const metrics = new Map(podMetrics);
  const { readyPodCount, unreadyPods, missingPods, ignoredPods } = groupPods(pods, metrics);
  for (const name of ignoredPods) metrics.delete(name);
  for (const name of unreadyPods) metrics.delete(name);
  if (metrics.size === 0) {
    return {
      ok: false,
      error: 'did not receive metrics for targeted pods (pods might be unready)',
    };
  }

  const { usageRatio, usage } = getMetricUsageRatio(metrics, targetUsage);
  const scaleUpWithUnready = unreadyPods.size > 0 && usageRatio > 1.0;

  if (!scaleUpWithUnready && missingPods.size === 0) {
    if (isWithinTolerance(tolerances, usageRatio)) {
      return { ok: true, replicas: currentReplicas, usage };
    }
    return { ok: true, replicas: Math.ceil(usageRatio * readyPodCount), usage };
  }

  if (missingPods.size > 0) {
    if (usageRatio < 1.0) {
      // on a scale-down, treat missing pods as using exactly the target amount
      for (const name of missingPods) metrics.set(name, targetUsage);
    } else if (usageRatio > 1.0) {
      // on a scale-up, treat missing pods as using 0
      for (const name of missingPods) metrics.set(name, 0);
    }
  }
  if (scaleUpWithUnready) {
    for (const name of unreadyPods) metrics.set(name, 0);
  }

  const { usageRatio: newUsageRatio } = getMetricUsageRatio(metrics, targetUsage);
  if (
    isWithinTolerance(tolerances, newUsageRatio) ||
    (usageRatio < 1.0 && newUsageRatio > 1.0) ||
    (usageRatio > 1.0 && newUsageRatio < 1.0)
  ) {
    return { ok: true, replicas: currentReplicas, usage };
  }
  const newReplicas = Math.ceil(newUsageRatio * metrics.size);
  if (
    (newUsageRatio < 1.0 && newReplicas > currentReplicas) ||
    (newUsageRatio > 1.0 && newReplicas < currentReplicas)
  ) {
    return { ok: true, replicas: currentReplicas, usage };
  }
  return { ok: true, replicas: newReplicas, usage };
}

/** Pods that are `Running` with a true Ready condition (`getReadyPodsCount`). */
function readyPodsCount(pods: readonly PodInfo[]): number {
  let ready = 0;
  for (const pod of pods) {
    if ((pod.phase ?? 'Running') === 'Running' && (pod.ready ?? true)) ready++;
  }
  return ready;
}

/**
 * `getUsageRatioReplicaCount`: the proposal for a whole-object `Value` target. With replicas at
 * 0 it scales from zero on the ratio alone; otherwise it multiplies the ratio by the *ready* pods.
 *
 * @param currentReplicas - `scale.spec.replicas`
 * @param usageRatio - value over target
 * @param pods - the pods the selector matches
 * @param tolerances - per-direction tolerances
 * @returns the proposal, or why there is none
 * @example
 * getUsageRatioReplicaCount(3, 5, [{ name: 'a', ready: false }, { name: 'b' }, { name: 'c', ready: false }]); // 5
 */
export function getUsageRatioReplicaCount(
  currentReplicas: number,
  usageRatio: number,
  pods: readonly PodInfo[],
  tolerances: Tolerances = DEFAULT_TOLERANCES,
): { ok: true; replicas: number } | { ok: false; error: string } {
  if (currentReplicas !== 0) {
    if (isWithinTolerance(tolerances, usageRatio)) return { ok: true, replicas: currentReplicas };
    if (pods.length === 0) {
      return {
        ok: false,
        error:
          'unable to calculate ready pods: no pods returned by selector while calculating replica count',
      };
    }
    const replicas = usageRatio * readyPodsCount(pods);
    return { ok: true, replicas: replicas > 2147483647 ? 2147483647 : Math.ceil(replicas) };
  }
  return { ok: true, replicas: Math.ceil(usageRatio) };
}

/**
 * `GetObjectMetricReplicas`: an `Object` metric with a `Value` target.
 *
 * @param currentReplicas - `scale.spec.replicas`
 * @param usage - the object's value in milli-units
 * @param targetUsage - the target in milli-units
 * @param pods - the pods the selector matches
 * @param tolerances - per-direction tolerances
 * @returns the proposal and the value
 * @example
 * objectMetricReplicas(3, 20000, 15000, pods); // { ok: true, replicas: 4, usage: 20000 }
 */
export function objectMetricReplicas(
  currentReplicas: number,
  usage: number,
  targetUsage: number,
  pods: readonly PodInfo[],
  tolerances: Tolerances = DEFAULT_TOLERANCES,
): ReplicaCalculation {
  const result = getUsageRatioReplicaCount(currentReplicas, usage / targetUsage, pods, tolerances);
  return result.ok ? { ok: true, replicas: result.replicas, usage } : result;
}

/**
 * `GetObjectPerPodMetricReplicas` / `GetExternalPerPodMetricReplicas`: a whole value with an
 * `AverageValue` target, divided by the status replica count.
 *
 * @param statusReplicas - `hpa.status.currentReplicas`
 * @param usage - the total in milli-units
 * @param targetAverageUsage - the per-pod target in milli-units
 * @param tolerances - per-direction tolerances
 * @returns the proposal and the per-pod value (rounded up, as upstream)
 * @example
 * perPodMetricReplicas(3, 20000, 5000); // { ok: true, replicas: 4, usage: 6667 }
 */
export function perPodMetricReplicas(
  statusReplicas: number,
  usage: number,
  targetAverageUsage: number,
  tolerances: Tolerances = DEFAULT_TOLERANCES,
): ReplicaCalculation {
  let replicas = statusReplicas;
  const usageRatio = usage / (targetAverageUsage * statusReplicas);
  if (!isWithinTolerance(tolerances, usageRatio)) {
    const proposal = Math.ceil(usage / targetAverageUsage);
    replicas = Math.min(proposal, 2147483647);
  }
  return { ok: true, replicas, usage: Math.ceil(usage / statusReplicas) };
}

/**
 * `GetExternalMetricReplicas`: the sum of an external metric's series against a `Value` target.
 *
 * @param currentReplicas - `scale.spec.replicas`
 * @param values - the series values in milli-units (summed)
 * @param targetUsage - the target in milli-units
 * @param pods - the pods the selector matches
 * @param tolerances - per-direction tolerances
 * @returns the proposal and the sum
 * @example
 * externalMetricReplicas(5, [8600], 14334, pods); // { ok: true, replicas: 3, usage: 8600 }
 */
export function externalMetricReplicas(
  currentReplicas: number,
  values: readonly number[],
  targetUsage: number,
  pods: readonly PodInfo[],
  tolerances: Tolerances = DEFAULT_TOLERANCES,
): ReplicaCalculation {
  const usage = values.reduce((sum, value) => sum + value, 0);
  return objectMetricReplicas(currentReplicas, usage, targetUsage, pods, tolerances);
}
