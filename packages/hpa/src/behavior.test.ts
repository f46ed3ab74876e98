import { describe, expect, it } from 'vitest';
import {
  calculateScaleDownLimit,
  convertDesiredReplicasWithBehaviorRate,
  convertDesiredReplicasWithRules,
  type ResolvedBehavior,
  type ResolvedScalingRules,
  resolveBehavior,
  stabilizeRecommendation,
  stabilizeRecommendationWithBehaviors,
  storeScaleEvent,
  type TimestampedRecommendation,
  type TimestampedScaleEvent,
} from './behavior.js';

// Cases mirror kubernetes/kubernetes pkg/controller/podautoscaler/horizontal_test.go.
const NOW = 1_000_000_000;

/** generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow) upstream. */
function rules(
  pods: number,
  podsPeriod: number,
  percent: number,
  percentPeriod: number,
  window: number,
): ResolvedScalingRules {
  const policies: ResolvedScalingRules['policies'] = [];
  if (pods !== 0) policies.push({ type: 'Pods', value: pods, periodSeconds: podsPeriod });
  if (percent !== 0)
    policies.push({ type: 'Percent', value: percent, periodSeconds: percentPeriod });
  return { stabilizationWindowSeconds: window, selectPolicy: 'Max', policies };
}

/** generateEventsUniformDistribution(rawEvents, periodSeconds) upstream. */
function uniformEvents(raw: number[], periodSeconds: number): TimestampedScaleEvent[] {
  const segment = periodSeconds / raw.length;
  return raw.map((change, idx) => ({
    replicaChange: change,
    timestamp: NOW - (periodSeconds - segment * (idx + 1) + segment / 2) * 1000,
    outdated: false,
  }));
}

const defaults = resolveBehavior({}) as ResolvedBehavior;

describe('convertDesiredReplicasWithBehaviorRate (TestScalingWithRules)', () => {
  const cases: {
    name: string;
    min: number;
    max: number;
    current: number;
    desired: number;
    up?: ResolvedScalingRules;
    down?: ResolvedScalingRules;
    upEvents?: TimestampedScaleEvent[];
    downEvents?: TimestampedScaleEvent[];
    expected: number;
    condition: string;
  }[] = [
    {
      name: 'prenormalized desired replicas within range',
      current: 5,
      desired: 7,
      min: 3,
      max: 8,
      expected: 7,
      condition: 'DesiredWithinRange',
    },
    {
      name: 'prenormalized desired replicas < minReplicas',
      current: 3,
      desired: 1,
      min: 2,
      max: 8,
      expected: 2,
      condition: 'TooFewReplicas',
    },
    {
      name: 'prenormalized desired replicas within range when minReplicas is 0',
      current: 1,
      desired: 0,
      min: 0,
      max: 10,
      expected: 0,
      condition: 'DesiredWithinRange',
    },
    {
      name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit',
      current: 20,
      desired: 1000,
      min: 1,
      max: 10,
      expected: 10,
      condition: 'TooManyReplicas',
    },
    {
      name: 'desired replica count is more than the maximum replica count',
      current: 100,
      desired: 1000,
      min: 100,
      max: 150,
      expected: 150,
      condition: 'TooManyReplicas',
    },
    {
      name: 'scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies',
      current: 3,
      desired: 1000,
      min: 1,
      max: 2000,
      up: rules(0, 0, 1, 60, 0),
      expected: 4,
      condition: 'ScaleUpLimit',
    },
    {
      name: 'scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies',
      current: 1000,
      desired: 3,
      min: 3,
      max: 2000,
      down: rules(20, 60, 0, 0, 0),
      expected: 980,
      condition: 'ScaleDownLimit',
    },
    {
      name: 'scaleUp with default behavior',
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      expected: 20,
      condition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with pods policy larger than percent policy',
      current: 10,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(100, 60, 100, 60, 0),
      expected: 110,
      condition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy larger than pods policy',
      current: 10,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(2, 60, 100, 60, 0),
      expected: 20,
      condition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large pod policy',
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(100, 60, 0, 0, 0),
      expected: 50,
      condition: 'DesiredWithinRange',
    },
    {
      name: 'scaleUp with pod policy limitation',
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(30, 60, 0, 0, 0),
      expected: 40,
      condition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy limitation',
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(0, 0, 200, 60, 0),
      expected: 30,
      condition: 'ScaleUpLimit',
    },
    {
      name: 'scaleDown with percent policy larger than pod policy',
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(20, 60, 1, 60, 300),
      expected: 80,
      condition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with pod policy larger than percent policy',
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(2, 60, 1, 60, 300),
      expected: 98,
      condition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with spec MinReplicas limitation with large pod policy',
      current: 10,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(100, 60, 0, 0, 300),
      expected: 1,
      condition: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with spec MinReplicas limitation with large percent policy',
      current: 10,
      desired: 2,
      min: 5,
      max: 1000,
      down: rules(0, 0, 100, 60, 300),
      expected: 5,
      condition: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with pod policy limitation',
      current: 10,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(5, 60, 0, 0, 300),
      expected: 5,
      condition: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with percent policy limitation',
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(0, 0, 50, 60, 300),
      expected: 5,
      condition: 'DesiredWithinRange',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large pod policy and events',
      current: 100,
      desired: 500,
      min: 1,
      max: 200,
      up: rules(300, 60, 0, 0, 0),
      upEvents: uniformEvents([1, 5, 9], 120),
      expected: 200,
      condition: 'TooManyReplicas',
    },
    {
      name: 'scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events',
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(5, 120, 0, 0, 0),
      upEvents: uniformEvents([1, 5, 9], 120),
      expected: 100,
      condition: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with pod policy and previous scale up events',
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(150, 120, 0, 0, 0),
      upEvents: uniformEvents([1, 5, 9], 120),
      expected: 235,
      condition: 'ScaleUpLimit',
    },
  ];
  it.each(cases)('$name', (c) => {
    const behavior: ResolvedBehavior = {
      scaleUp: c.up ?? defaults.scaleUp,
      scaleDown: c.down ?? defaults.scaleDown,
    };
    const result = convertDesiredReplicasWithBehaviorRate({
      currentReplicas: c.current,
      desiredReplicas: c.desired,
      minReplicas: c.min,
      maxReplicas: c.max,
      behavior,
      scaleUpEvents: c.upEvents ?? [],
      scaleDownEvents: c.downEvents ?? [],
      now: NOW,
    });
    expect(result.replicas).toBe(c.expected);
    expect(result.reason).toBe(c.condition);
  });

  it('names the policy that limited the change', () => {
    const result = convertDesiredReplicasWithBehaviorRate({
      currentReplicas: 10,
      desiredReplicas: 500,
      minReplicas: 1,
      maxReplicas: 1000,
      behavior: { scaleUp: rules(2, 60, 100, 60, 0), scaleDown: defaults.scaleDown },
      scaleUpEvents: [],
      scaleDownEvents: [],
      now: NOW,
    });
    expect(result.policy).toEqual({ type: 'Percent', value: 100, periodSeconds: 60 });
  });
});

describe('calculateScaleDownLimitWithBehaviors', () => {
  it('TestCalculateScaleDownLimitWithBehaviors... MinChange select policy picks the smaller change', () => {
    const limit = calculateScaleDownLimit(
      5,
      [],
      [],
      {
        stabilizationWindowSeconds: 300,
        selectPolicy: 'Min',
        policies: [
          { type: 'Pods', value: 2, periodSeconds: 60 },
          { type: 'Percent', value: 50, periodSeconds: 60 },
        ],
      },
      NOW,
    );
    expect(limit.limit).toBe(3);
  });
  it('Disabled keeps the current replicas', () => {
    expect(
      calculateScaleDownLimit(
        5,
        [],
        [],
        { ...rules(1, 60, 0, 0, 0), selectPolicy: 'Disabled' },
        NOW,
      ).limit,
    ).toBe(5);
  });
  it('counts scale-ups in the period when finding the period start (periodStartReplicas)', () => {
    // 3 added 30 s ago: the period started at 7; 50 % of 7 → 3
    const ups = [{ replicaChange: 3, timestamp: NOW - 30_000, outdated: false }];
    expect(calculateScaleDownLimit(10, ups, [], rules(0, 0, 50, 60, 0), NOW).limit).toBe(3);
  });
});

describe('stabilizeRecommendation (TestNormalizeDesiredReplicas, legacy path)', () => {
  const min = 60_000;
  const cases: {
    name: string;
    recs: [number, number][];
    proposal: number;
    expected: number;
    log: number;
  }[] = [
    { name: 'empty log', recs: [], proposal: 5, expected: 5, log: 1 },
    {
      name: 'stabilize',
      recs: [
        [4, -2 * min],
        [5, -1 * min],
      ],
      proposal: 3,
      expected: 5,
      log: 3,
    },
    {
      name: 'no stabilize',
      recs: [
        [1, -2 * min],
        [2, -1 * min],
      ],
      proposal: 3,
      expected: 3,
      log: 3,
    },
    {
      name: 'no stabilize - old recommendations',
      recs: [
        [10, -10 * min],
        [9, -9 * min],
      ],
      proposal: 3,
      expected: 3,
      log: 2,
    },
    {
      name: 'stabilize - old recommendations',
      recs: [
        [10, -10 * min],
        [4, -1 * min],
        [5, -2 * min],
        [9, -9 * min],
      ],
      proposal: 3,
      expected: 5,
      log: 4,
    },
  ];
  it.each(cases)('$name', (c) => {
    const history: TimestampedRecommendation[] = c.recs.map(([recommendation, ago]) => ({
      recommendation,
      timestamp: NOW + ago,
    }));
    expect(stabilizeRecommendation(history, NOW, 300, c.proposal)).toBe(c.expected);
    expect(history).toHaveLength(c.log);
  });
});

describe('stabilizeRecommendationWithBehaviors', () => {
  const behavior: ResolvedBehavior = {
    scaleUp: rules(4, 15, 0, 0, 30),
    scaleDown: rules(0, 0, 100, 15, 300),
  };
  it('holds a scale-up at the lowest recommendation of the up window', () => {
    const history = [{ recommendation: 3, timestamp: NOW - 10_000 }];
    const result = stabilizeRecommendationWithBehaviors(history, NOW, behavior, 2, 6);
    expect(result).toMatchObject({ replicas: 3, reason: 'ScaleUpStabilized' });
    expect(history).toHaveLength(2);
  });
  it('holds a scale-down at the highest recommendation of the down window', () => {
    const history = [{ recommendation: 8, timestamp: NOW - 200_000 }];
    expect(stabilizeRecommendationWithBehaviors(history, NOW, behavior, 8, 2)).toMatchObject({
      replicas: 8,
      reason: 'ScaleDownStabilized',
    });
  });
  it('lets the proposal through once the window has passed, and reuses the old slot', () => {
    const history = [{ recommendation: 8, timestamp: NOW - 301_000 }];
    expect(stabilizeRecommendationWithBehaviors(history, NOW, behavior, 8, 2).replicas).toBe(2);
    expect(history).toEqual([{ recommendation: 2, timestamp: NOW }]);
  });
});

describe('convertDesiredReplicasWithRules (no behavior)', () => {
  it('limits a scale-up to max(2 × current, 4)', () => {
    expect(convertDesiredReplicasWithRules(1, 10, 1, 20)).toMatchObject({
      replicas: 4,
      reason: 'ScaleUpLimit',
    });
    expect(convertDesiredReplicasWithRules(5, 30, 1, 20)).toMatchObject({
      replicas: 10,
      reason: 'ScaleUpLimit',
    });
    expect(convertDesiredReplicasWithRules(8, 30, 1, 12)).toMatchObject({
      replicas: 12,
      reason: 'TooManyReplicas',
    });
    expect(convertDesiredReplicasWithRules(5, 1, 2, 12)).toMatchObject({
      replicas: 2,
      reason: 'TooFewReplicas',
    });
  });
});

describe('resolveBehavior (API defaults)', () => {
  it('is undefined without behavior and fills defaults with it', () => {
    expect(resolveBehavior(undefined)).toBeUndefined();
    expect(resolveBehavior({ scaleUp: { stabilizationWindowSeconds: 30 } })).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 30,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 300,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      },
    });
  });
});

describe('storeScaleEvent', () => {
  it('replaces an event older than the longest policy period instead of growing', () => {
    const behavior: ResolvedBehavior = {
      scaleUp: rules(2, 60, 0, 0, 0),
      scaleDown: defaults.scaleDown,
    };
    const ups: TimestampedScaleEvent[] = [
      { replicaChange: 2, timestamp: NOW - 120_000, outdated: false },
    ];
    storeScaleEvent(behavior, ups, [], 4, 6, NOW);
    expect(ups).toEqual([{ replicaChange: 2, timestamp: NOW, outdated: false }]);
    storeScaleEvent(undefined, ups, [], 6, 8, NOW);
    expect(ups).toHaveLength(1);
  });
});
