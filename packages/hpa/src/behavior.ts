/**
 * Stabilization windows and rate limits: a port of the normalisation half of
 * `pkg/controller/podautoscaler/horizontal.go` (Kubernetes), plus the API server's defaulting of
 * `spec.behavior` (`pkg/apis/autoscaling/v2/defaults.go`). Times are milliseconds; comparisons
 * are strict where upstream uses `Before`/`After`.
 */
import type { Behavior, ScalingPolicy, ScalingRules } from './types.js';

/** Limit of the legacy path (no `behavior`): at most double the replicas... */
export const SCALE_UP_LIMIT_FACTOR = 2.0;
/** ...or 4, whichever is larger (`scaleUpLimitMinimum`, horizontal.go). */
export const SCALE_UP_LIMIT_MINIMUM = 4.0;
/** `--horizontal-pod-autoscaler-downscale-stabilization` default: 5 minutes. */
export const DEFAULT_DOWNSCALE_STABILIZATION_SECONDS = 300;

/** Scaling rules with every default filled in, as the controller sees them. */
export interface ResolvedScalingRules {
  /** Look-back window in seconds. */
  stabilizationWindowSeconds: number;
  /** `Max`, `Min` or `Disabled`. */
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  /** Rate limits. */
  policies: ScalingPolicy[];
  /** Per-direction tolerance, when the spec sets one. */
  tolerance?: string | number;
}

/** `spec.behavior` with every default filled in. */
export interface ResolvedBehavior {
  /** Scale-up rules. */
  scaleUp: ResolvedScalingRules;
  /** Scale-down rules. */
  scaleDown: ResolvedScalingRules;
}

/** An unstabilized recommendation kept for the stabilization window (`timestampedRecommendation`). */
export interface TimestampedRecommendation {
  /** Recommended replicas. */
  recommendation: number;
  /** When it was made (ms). */
  timestamp: number;
}

/** A past scale event (`timestampedScaleEvent`). */
export interface TimestampedScaleEvent {
  /** Replicas added (scale-up list) or removed (scale-down list), positive. */
  replicaChange: number;
  /** When it happened (ms). */
  timestamp: number;
  /** Older than the longest policy period: free for reuse. */
  outdated: boolean;
}

/**
 * Fills in `spec.behavior` as the API server does: only when `behavior` is present. Scale-up
 * defaults: 0 s window, `Max` of 4 pods per 15 s and 100 % per 15 s. Scale-down: the controller's
 * downscale window (300 s), 100 % per 15 s.
 *
 * @param behavior - the spec's `behavior`, or undefined
 * @param downscaleStabilizationSeconds - the controller flag used when scale-down sets no window (default 300)
 * @returns the resolved behavior, or undefined when the spec has none (legacy normalisation applies)
 * @example
 * resolveBehavior({ scaleDown: { stabilizationWindowSeconds: 60 } })?.scaleUp.policies.length; // 2
 */
export function resolveBehavior(
  behavior: Behavior | undefined | null,
  downscaleStabilizationSeconds = DEFAULT_DOWNSCALE_STABILIZATION_SECONDS,
): ResolvedBehavior | undefined {
  if (behavior == null) return undefined;
  return {
    scaleUp: mergeRules(behavior.scaleUp, {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    }),
    scaleDown: mergeRules(behavior.scaleDown, {
      stabilizationWindowSeconds: downscaleStabilizationSeconds,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    }),
  };
}

function mergeRules(
  rules: ScalingRules | undefined,
  defaults: ResolvedScalingRules,
): ResolvedScalingRules {
  const resolved: ResolvedScalingRules = {
    stabilizationWindowSeconds:
      rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: (rules?.policies ?? defaults.policies).map((policy) => ({ ...policy })),
  };
  if (rules?.tolerance !== undefined) resolved.tolerance = rules.tolerance;
  return resolved;
}

/**
 * `stabilizeRecommendation` (legacy path, no `behavior`): returns the highest recommendation of
 * the window, and records the new one (replacing a sample older than the window).
 *
 * @param recommendations - the history, updated in place
 * @param now - current time (ms)
 * @param windowSeconds - the downscale stabilization window
 * @param prenormalizedDesiredReplicas - the metrics' proposal
 * @returns the stabilized recommendation
 * @example
 * stabilizeRecommendation([{ recommendation: 5, timestamp: now - 60_000 }], now, 300, 3); // 5
 */
export function stabilizeRecommendation(
  recommendations: TimestampedRecommendation[],
  now: number,
  windowSeconds: number,
  prenormalizedDesiredReplicas: number,
): number {
  let maxRecommendation = prenormalizedDesiredReplicas;
  let oldSampleIndex = -1;
  const cutoff = now - windowSeconds * 1000;
  recommendations.forEach((rec, i) => {
    if (rec.timestamp < cutoff) oldSampleIndex = i;
    else if (rec.recommendation > maxRecommendation) maxRecommendation = rec.recommendation;
  });
  const entry = { recommendation: prenormalizedDesiredReplicas, timestamp: now };
  if (oldSampleIndex >= 0) recommendations[oldSampleIndex] = entry;
  else recommendations.push(entry);
  return maxRecommendation;
}

/** What `stabilizeRecommendationWithBehaviors` returns. */
export interface StabilizationResult {
  /** The stabilized recommendation. */
  replicas: number;
  /** `ScaleUpStabilized` or `ScaleDownStabilized` (meaningful only when it differs from the input). */
  reason: 'ScaleUpStabilized' | 'ScaleDownStabilized';
  /** Upstream's condition message. */
  message: string;
}

/**
 * `stabilizeRecommendationWithBehaviors`: bounds the recommendation between the lowest one of the
 * scale-up window and the highest one of the scale-down window, then records the raw proposal.
 *
 * @param recommendations - the history, updated in place
 * @param now - current time (ms)
 * @param behavior - resolved behavior
 * @param currentReplicas - current replicas
 * @param desiredReplicas - the metrics' proposal
 * @returns the stabilized recommendation and the condition reason
 * @example
 * stabilizeRecommendationWithBehaviors(history, Date.now(), resolveBehavior({})!, 4, 2).replicas;
 */
export function stabilizeRecommendationWithBehaviors(
  recommendations: TimestampedRecommendation[],
  now: number,
  behavior: ResolvedBehavior,
  currentReplicas: number,
  desiredReplicas: number,
): StabilizationResult {
  let upRecommendation = desiredReplicas;
  const upCutoff = now - behavior.scaleUp.stabilizationWindowSeconds * 1000;
  let downRecommendation = desiredReplicas;
  const downCutoff = now - behavior.scaleDown.stabilizationWindowSeconds * 1000;
  let oldSampleIndex = -1;
  recommendations.forEach((rec, i) => {
    if (rec.timestamp > upCutoff) upRecommendation = Math.min(rec.recommendation, upRecommendation);
    if (rec.timestamp > downCutoff) {
      downRecommendation = Math.max(rec.recommendation, downRecommendation);
    }
    if (rec.timestamp < upCutoff && rec.timestamp < downCutoff) oldSampleIndex = i;
  });

  let recommendation = currentReplicas;
  if (recommendation < upRecommendation) recommendation = upRecommendation;
  if (recommendation > downRecommendation) recommendation = downRecommendation;

  const entry = { recommendation: desiredReplicas, timestamp: now };
  if (oldSampleIndex >= 0) recommendations[oldSampleIndex] = entry;
  else recommendations.push(entry);

  return desiredReplicas >= currentReplicas
    ? {
        replicas: recommendation,
        reason: 'ScaleUpStabilized',
        message:
          'recent recommendations were lower than current one, applying the lowest recent recommendation',
      }
    : {
        replicas: recommendation,
        reason: 'ScaleDownStabilized',
        message:
          'recent recommendations were higher than current one, applying the highest recent recommendation',
      };
}

/**
 * `getReplicasChangePerPeriod`: the replicas changed by events newer than `periodSeconds`.
 *
 * @param periodSeconds - policy period
 * @param events - scale events of one direction
 * @param now - current time (ms)
 * @returns the sum of changes in the period
 * @example
 * getReplicasChangePerPeriod(60, [{ replicaChange: 2, timestamp: now - 30_000, outdated: false }], now); // 2
 */
export function getReplicasChangePerPeriod(
  periodSeconds: number,
  events: readonly TimestampedScaleEvent[],
  now: number,
): number {
  const cutoff = now - periodSeconds * 1000;
  let replicas = 0;
  for (const event of events) if (event.timestamp > cutoff) replicas += event.replicaChange;
  return replicas;
}

/** A rate limit and the policy that set it. */
export interface RateLimit {
  /** The replica bound. */
  limit: number;
  /** The policy that produced the bound (undefined when scaling is disabled or there are no policies). */
  policy?: ScalingPolicy;
}

/**
 * `calculateScaleUpLimitWithScalingRules`: the most replicas the scale-up policies allow now.
 *
 * @param currentReplicas - current replicas
 * @param scaleUpEvents - past scale-ups
 * @param scaleDownEvents - past scale-downs
 * @param rules - resolved scale-up rules
 * @param now - current time (ms)
 * @returns the limit and the policy that set it
 * @example
 * calculateScaleUpLimit(10, [], [], resolveBehavior({})!.scaleUp, Date.now()).limit; // 20
 */
export function calculateScaleUpLimit(
  currentReplicas: number,
  scaleUpEvents: readonly TimestampedScaleEvent[],
  scaleDownEvents: readonly TimestampedScaleEvent[],
  rules: ResolvedScalingRules,
  now: number,
): RateLimit {
  if (rules.selectPolicy === 'Disabled') return { limit: currentReplicas };
  const useMin = rules.selectPolicy === 'Min';
  let result: RateLimit = { limit: useMin ? 2147483647 : -2147483648 };
  for (const policy of rules.policies) {
    const added = getReplicasChangePerPeriod(policy.periodSeconds, scaleUpEvents, now);
    const deleted = getReplicasChangePerPeriod(policy.periodSeconds, scaleDownEvents, now);
    const periodStartReplicas = currentReplicas - added + deleted;
    const proposed =
      policy.type === 'Pods'
        ? periodStartReplicas + policy.value
        : // rounded up so a small percentage still adds a pod (upstream comment)
          Math.ceil(periodStartReplicas * (1 + policy.value / 100));
    if (useMin ? proposed < result.limit : proposed > result.limit) {
      result = { limit: proposed, policy };
    }
  }
  return result;
}

/**
 * `calculateScaleDownLimitWithBehaviors`: the fewest replicas the scale-down policies allow now.
 *
 * @param currentReplicas - current replicas
 * @param scaleUpEvents - past scale-ups
 * @param scaleDownEvents - past scale-downs
 * @param rules - resolved scale-down rules
 * @param now - current time (ms)
 * @returns the limit and the policy that set it
 * @example
 * calculateScaleDownLimit(5, [], [], { stabilizationWindowSeconds: 300, selectPolicy: 'Min', policies }, Date.now()).limit;
 */
export function calculateScaleDownLimit(
  currentReplicas: number,
  scaleUpEvents: readonly TimestampedScaleEvent[],
  scaleDownEvents: readonly TimestampedScaleEvent[],
  rules: ResolvedScalingRules,
  now: number,
): RateLimit {
  if (rules.selectPolicy === 'Disabled') return { limit: currentReplicas };
  // For scaling down, the lowest change ('Min' policy) produces the highest bound.
  const useMax = rules.selectPolicy === 'Min';
  let result: RateLimit = { limit: useMax ? -2147483648 : 2147483647 };
  for (const policy of rules.policies) {
    const added = getReplicasChangePerPeriod(policy.periodSeconds, scaleUpEvents, now);
    const deleted = getReplicasChangePerPeriod(policy.periodSeconds, scaleDownEvents, now);
    const periodStartReplicas = currentReplicas - added + deleted;
    const proposed =
      policy.type === 'Pods'
        ? periodStartReplicas - policy.value
        : Math.trunc(periodStartReplicas * (1 - policy.value / 100));
    if (useMax ? proposed > result.limit : proposed < result.limit) {
      result = { limit: proposed, policy };
    }
  }
  return result;
}

/** The limiting step's outcome, with upstream's `ScalingLimited` reason. */
export interface LimitResult {
  /** Replicas after the bounds and rate limits. */
  replicas: number;
  /** `DesiredWithinRange`, `ScaleUpLimit`, `ScaleDownLimit`, `TooManyReplicas` or `TooFewReplicas`. */
  reason:
    | 'DesiredWithinRange'
    | 'ScaleUpLimit'
    | 'ScaleDownLimit'
    | 'TooManyReplicas'
    | 'TooFewReplicas';
  /** Upstream's condition message. */
  message: string;
  /** The policy whose rate limit applied, when `reason` is `ScaleUpLimit` or `ScaleDownLimit`. */
  policy?: ScalingPolicy;
}

const WITHIN_RANGE: Omit<LimitResult, 'replicas'> = {
  reason: 'DesiredWithinRange',
  message: 'the desired count is within the acceptable range',
};

/**
 * `convertDesiredReplicasWithBehaviorRate`: applies the behavior's rate limits and min/max.
 *
 * @param args - current/desired/min/max replicas, the event histories and the resolved behavior
 * @returns the limited replicas and the reason
 * @example
 * convertDesiredReplicasWithBehaviorRate({ currentReplicas: 10, desiredReplicas: 50, minReplicas: 1, maxReplicas: 1000, behavior, scaleUpEvents: [], scaleDownEvents: [], now: 0 }).replicas; // 20
 */
export function convertDesiredReplicasWithBehaviorRate(args: {
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  behavior: ResolvedBehavior;
  scaleUpEvents: readonly TimestampedScaleEvent[];
  scaleDownEvents: readonly TimestampedScaleEvent[];
  now: number;
}): LimitResult {
  const { currentReplicas, desiredReplicas } = args;
  if (desiredReplicas > currentReplicas) {
    const up = calculateScaleUpLimit(
      currentReplicas,
      args.scaleUpEvents,
      args.scaleDownEvents,
      args.behavior.scaleUp,
      args.now,
    );
    // We shouldn't scale up further until the scaleUpEvents are cleaned up.
    const scaleUpLimit = Math.max(up.limit, currentReplicas);
    if (args.maxReplicas > scaleUpLimit) {
      if (desiredReplicas > scaleUpLimit) {
        const limited: LimitResult = {
          replicas: scaleUpLimit,
          reason: 'ScaleUpLimit',
          message: 'the desired replica count is increasing faster than the maximum scale rate',
        };
        if (up.policy) limited.policy = up.policy;
        return limited;
      }
    } else if (desiredReplicas > args.maxReplicas) {
      return {
        replicas: args.maxReplicas,
        reason: 'TooManyReplicas',
        message: 'the desired replica count is more than the maximum replica count',
      };
    }
  } else if (desiredReplicas < currentReplicas) {
    const down = calculateScaleDownLimit(
      currentReplicas,
      args.scaleUpEvents,
      args.scaleDownEvents,
      args.behavior.scaleDown,
      args.now,
    );
    // We shouldn't scale down further until the scaleDownEvents are cleaned up.
    const scaleDownLimit = Math.min(down.limit, currentReplicas);
    if (args.minReplicas < scaleDownLimit) {
      if (desiredReplicas < scaleDownLimit) {
        const limited: LimitResult = {
          replicas: scaleDownLimit,
          reason: 'ScaleDownLimit',
          message: 'the desired replica count is decreasing faster than the maximum scale rate',
        };
        if (down.policy) limited.policy = down.policy;
        return limited;
      }
    } else if (desiredReplicas < args.minReplicas) {
      return {
        replicas: args.minReplicas,
        reason: 'TooFewReplicas',
        message: 'the desired replica count is less than the minimum replica count',
      };
    }
  }
  return { replicas: desiredReplicas, ...WITHIN_RANGE };
}

/**
 * `convertDesiredReplicasWithRules` (legacy path, no `behavior`): min/max and the scale-up limit
 * of `max(2 × current, 4)`.
 *
 * @param currentReplicas - current replicas
 * @param desiredReplicas - the stabilized recommendation
 * @param minReplicas - spec min
 * @param maxReplicas - spec max
 * @returns the limited replicas and the reason
 * @example
 * convertDesiredReplicasWithRules(1, 10, 1, 20).replicas; // 4
 */
export function convertDesiredReplicasWithRules(
  currentReplicas: number,
  desiredReplicas: number,
  minReplicas: number,
  maxReplicas: number,
): LimitResult {
  // Do not scale up too much, to absorb bogus metric reports (kubernetes#32304).
  const scaleUpLimit = Math.trunc(
    Math.max(SCALE_UP_LIMIT_FACTOR * currentReplicas, SCALE_UP_LIMIT_MINIMUM),
  );
  let maximumAllowed: number;
  let reason: LimitResult['reason'];
  let message: string;
  if (maxReplicas > scaleUpLimit) {
    maximumAllowed = scaleUpLimit;
    reason = 'ScaleUpLimit';
    message = 'the desired replica count is increasing faster than the maximum scale rate';
  } else {
    maximumAllowed = maxReplicas;
    reason = 'TooManyReplicas';
    message = 'the desired replica count is more than the maximum replica count';
  }
  if (desiredReplicas < minReplicas) {
    return {
      replicas: minReplicas,
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    };
  }
  if (desiredReplicas > maximumAllowed) return { replicas: maximumAllowed, reason, message };
  return { replicas: desiredReplicas, ...WITHIN_RANGE };
}

function longestPolicyPeriod(rules: ResolvedScalingRules): number {
  let longest = 0;
  for (const policy of rules.policies) longest = Math.max(longest, policy.periodSeconds);
  return longest;
}

/**
 * `storeScaleEvent`: records a scale event, reusing a slot of an event older than the longest
 * policy period. Nothing is stored without `behavior` (upstream does not use events then).
 *
 * @param behavior - resolved behavior, or undefined
 * @param scaleUpEvents - scale-up history, updated in place
 * @param scaleDownEvents - scale-down history, updated in place
 * @param prevReplicas - replicas before
 * @param newReplicas - replicas after
 * @param now - current time (ms)
 * @example
 * storeScaleEvent(behavior, ups, downs, 2, 4, Date.now());
 */
export function storeScaleEvent(
  behavior: ResolvedBehavior | undefined,
  scaleUpEvents: TimestampedScaleEvent[],
  scaleDownEvents: TimestampedScaleEvent[],
  prevReplicas: number,
  newReplicas: number,
  now: number,
): void {
  if (!behavior) return;
  const up = newReplicas > prevReplicas;
  const events = up ? scaleUpEvents : scaleDownEvents;
  const cutoff = now - longestPolicyPeriod(up ? behavior.scaleUp : behavior.scaleDown) * 1000;
  let oldSampleIndex = -1;
  events.forEach((event, i) => {
    if (event.timestamp < cutoff) event.outdated = true;
    if (event.outdated) oldSampleIndex = i;
  });
  const newEvent: TimestampedScaleEvent = {
    replicaChange: up ? newReplicas - prevReplicas : prevReplicas - newReplicas,
    timestamp: now,
    outdated: false,
  };
  if (oldSampleIndex >= 0) events[oldSampleIndex] = newEvent;
  else events.push(newEvent);
}
