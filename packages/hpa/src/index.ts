/**
 * The public API of `@mlscale/hpa`: this list, and nothing else, is what the package promises
 * (the README's "API" section says the same in words). The rest of `src/` is internal.
 */

// Behavior: the scaling rules resolved with upstream's defaults, and the two steps of a sync that
// use them (stabilization, then the rate limits of the policies).
export {
  convertDesiredReplicasWithBehaviorRate,
  DEFAULT_DOWNSCALE_STABILIZATION_SECONDS,
  type ResolvedBehavior,
  type ResolvedScalingRules,
  resolveBehavior,
  stabilizeRecommendationWithBehaviors,
  type TimestampedRecommendation,
  type TimestampedScaleEvent,
} from './behavior.js';
// The controller: one HPA, synced step by step (reconcileAutoscaler).
export {
  HpaController,
  type HpaControllerOptions,
  type HpaDecision,
  type MetricEvaluation,
  type MetricInput,
  type StabilizationStep,
  type SyncInput,
} from './controller.js';
// What `kubectl describe hpa` and `kubectl get hpa` would print for a decision.
export { describeDecision, formatQuantity, formatTargets } from './describe.js';
// Kubernetes quantities ("200m", "1.5Ki").
export { parseQuantity, quantityToMilli } from './quantity.js';
// The replica calculator: one metric's proposal, by metric source type.
export {
  calcPlainMetricReplicas,
  DEFAULT_TOLERANCE,
  DEFAULT_TOLERANCES,
  externalMetricReplicas,
  objectMetricReplicas,
  perPodMetricReplicas,
  type ReplicaCalculation,
} from './replica-calculator.js';
// The autoscaling/v2 HorizontalPodAutoscaler, as the controller reads it.
export type {
  Behavior,
  HorizontalPodAutoscaler,
  HpaSpec,
  MetricIdentifier,
  MetricSpec,
  MetricTarget,
  PodInfo,
  QuantityValue,
  ScalingPolicy,
  ScalingRules,
  Tolerances,
} from './types.js';
