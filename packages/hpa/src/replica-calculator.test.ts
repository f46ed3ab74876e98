import { describe, expect, it } from 'vitest';
import {
  calcPlainMetricReplicas,
  DEFAULT_TOLERANCES,
  externalMetricReplicas,
  objectMetricReplicas,
  perPodMetricReplicas,
} from './replica-calculator.js';
import type { PodInfo, Tolerances } from './types.js';

// Cases mirror kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator_test.go.
// Levels and targets are milli-values, exactly as upstream writes them.

function pods(n: number, extra: Partial<PodInfo>[] = []): PodInfo[] {
  return Array.from({ length: n }, (_, i) => ({ name: `pod-${i}`, ...extra[i] }));
}
function levels(values: number[]): Map<string, number> {
  return new Map(values.map((v, i) => [`pod-${i}`, v]));
}
const notReady = { ready: false };

describe('calcPlainMetricReplicas (Pods metrics, AverageValue)', () => {
  const cases: {
    test: string;
    current: number;
    pods: PodInfo[];
    levels: number[];
    target: number;
    expected: number;
    usage: number;
    tolerances?: Tolerances;
  }[] = [
    // TestReplicaCalcScaleUpCM
    {
      test: 'TestReplicaCalcScaleUpCM',
      current: 3,
      pods: pods(3),
      levels: [20000, 10000, 30000],
      target: 15000,
      expected: 4,
      usage: 20000,
    },
    // TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale: unready pods still count for custom metrics
    {
      test: 'TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale',
      current: 3,
      pods: pods(3, [{}, {}, notReady]),
      levels: [50000, 10000, 30000],
      target: 15000,
      expected: 6,
      usage: 30000,
    },
    // TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown
    {
      test: 'TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown',
      current: 3,
      pods: pods(3, [notReady, {}, notReady]),
      levels: [50000, 15000, 30000],
      target: 15000,
      expected: 7,
      usage: 31666,
    },
    // TestReplicaCalcScaleDownCM
    {
      test: 'TestReplicaCalcScaleDownCM',
      current: 5,
      pods: pods(5),
      levels: [12000, 12000, 12000, 12000, 12000],
      target: 20000,
      expected: 3,
      usage: 12000,
    },
    // TestReplicaCalcToleranceCM
    {
      test: 'TestReplicaCalcToleranceCM',
      current: 3,
      pods: pods(3),
      levels: [20000, 21000, 21000],
      target: 20000,
      expected: 3,
      usage: 20666,
    },
    // TestReplicaCalcConfigurableToleranceCM: a 1 % scale-up tolerance lets the same values scale up
    {
      test: 'TestReplicaCalcConfigurableToleranceCM',
      current: 3,
      pods: pods(3),
      levels: [20000, 21000, 21000],
      target: 20000,
      expected: 4,
      usage: 20666,
      tolerances: { scaleDown: 0.1, scaleUp: 0.01 },
    },
    // TestPlainMetricReplicaCalcMissingMetricsNoChangeEq (5 pods, metrics for 3)
    {
      test: 'TestPlainMetricReplicaCalcMissingMetricsNoChangeEq',
      current: 5,
      pods: pods(5),
      levels: [20000, 19000, 21000],
      target: 20000,
      expected: 5,
      usage: 20000,
    },
    // TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM: missing surge pod counted at target, but
    // the result would scale *up* on a scale-down ratio, so the current count stays.
    {
      test: 'TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM',
      current: 2,
      pods: pods(3),
      levels: [10000, 10000],
      target: 17000,
      expected: 2,
      usage: 10000,
    },
  ];
  it.each(cases)('$test', (c) => {
    const result = calcPlainMetricReplicas(
      levels(c.levels),
      c.pods,
      c.current,
      c.target,
      c.tolerances ?? DEFAULT_TOLERANCES,
    );
    expect(result).toEqual({ ok: true, replicas: c.expected, usage: c.usage });
  });

  it('missing pods count as 0 on a scale-up (design: no metric = 0 on scale-up)', () => {
    // 4 pods, 2 report 30 against a target of 10: ratio 3 → with 2 missing at 0: 60/4 = 15 → 1.5 × 4 = 6
    const result = calcPlainMetricReplicas(levels([30000, 30000]), pods(4), 4, 10000);
    expect(result).toEqual({ ok: true, replicas: 6, usage: 30000 });
  });

  it('missing pods count as the target on a scale-down', () => {
    // 4 pods, 2 report 2 against 10: with 2 missing at 10: 24/4 = 6 → 0.6 × 4 = 2.4 → 3
    const result = calcPlainMetricReplicas(levels([2000, 2000]), pods(4), 4, 10000);
    expect(result).toEqual({ ok: true, replicas: 3, usage: 2000 });
  });

  it('pending pods count as 0 on a scale-up', () => {
    const result = calcPlainMetricReplicas(
      levels([30000, 30000]),
      pods(3, [{}, {}, { phase: 'Pending' }]),
      3,
      10000,
    );
    // (30 + 30 + 0) / 3 = 20 → 2 × 3 = 6
    expect(result).toEqual({ ok: true, replicas: 6, usage: 30000 });
  });

  it('ignores deleting and failed pods', () => {
    // after TestReplicaCalcScaleUpIgnoresDeletionPods / ...IgnoresFailedPods (CPU there; same grouping)
    const result = calcPlainMetricReplicas(
      levels([20000, 20000, 90000, 90000]),
      pods(4, [{}, {}, { deleting: true }, { phase: 'Failed' }]),
      2,
      10000,
    );
    expect(result).toEqual({ ok: true, replicas: 4, usage: 20000 });
  });

  it('fails when no pod reports (TestReplicaCalcEmptyMetrics analogue)', () => {
    expect(calcPlainMetricReplicas(new Map(), pods(0), 4, 10000)).toEqual({
      ok: false,
      error: 'no pods returned by selector while calculating replica count',
    });
    expect(calcPlainMetricReplicas(levels([1]), pods(1, [{ phase: 'Pending' }]), 1, 10000)).toEqual(
      {
        ok: false,
        error: 'did not receive metrics for targeted pods (pods might be unready)',
      },
    );
  });
});

describe('Object and External metrics', () => {
  it('TestReplicaCalcScaleUpCMObject', () => {
    expect(objectMetricReplicas(3, 20000, 15000, pods(3))).toEqual({
      ok: true,
      replicas: 4,
      usage: 20000,
    });
  });
  it('TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods (would be 15 with unready pods)', () => {
    expect(objectMetricReplicas(3, 50000, 10000, pods(3, [notReady, {}, notReady]))).toEqual({
      ok: true,
      replicas: 5,
      usage: 50000,
    });
  });
  it('TestReplicaCalcScaleDownCMObject', () => {
    expect(objectMetricReplicas(5, 12000, 20000, pods(5))).toEqual({
      ok: true,
      replicas: 3,
      usage: 12000,
    });
  });
  it('TestReplicaCalcToleranceCMObject', () => {
    expect(objectMetricReplicas(3, 20666, 20000, pods(3))).toEqual({
      ok: true,
      replicas: 3,
      usage: 20666,
    });
  });
  it('TestReplicaCalcConfigurableToleranceCMObject', () => {
    expect(
      objectMetricReplicas(3, 20666, 20000, pods(3), { scaleDown: 0.1, scaleUp: 0.01 }),
    ).toEqual({
      ok: true,
      replicas: 4,
      usage: 20666,
    });
  });
  it('TestReplicaCalcScaleUpCMPerPodObject', () => {
    expect(perPodMetricReplicas(3, 20000, 5000)).toEqual({ ok: true, replicas: 4, usage: 6667 });
  });
  it('TestReplicaCalcScaleDownPerPodCMObject', () => {
    expect(perPodMetricReplicas(5, 6000, 2000)).toEqual({ ok: true, replicas: 3, usage: 1200 });
  });
  it('TestReplicaCalcTolerancePerPodCMObject', () => {
    expect(perPodMetricReplicas(4, 20166, 5000)).toEqual({ ok: true, replicas: 4, usage: 5042 });
  });
  it('TestReplicaCalcConfigurableTolerancePerPodCMObject', () => {
    expect(perPodMetricReplicas(4, 20208, 5000, { scaleDown: 0.1, scaleUp: 0.01 })).toEqual({
      ok: true,
      replicas: 5,
      usage: 5052,
    });
  });
  it('TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods (would be 6 with unready pods)', () => {
    expect(externalMetricReplicas(3, [8600], 4400, pods(3, [notReady, {}, notReady]))).toEqual({
      ok: true,
      replicas: 2,
      usage: 8600,
    });
  });
  it('TestReplicaCalcScaleDownCMExternal', () => {
    expect(externalMetricReplicas(5, [8600], 14334, pods(5))).toEqual({
      ok: true,
      replicas: 3,
      usage: 8600,
    });
  });
  it('TestReplicaCalcToleranceCMExternal', () => {
    expect(externalMetricReplicas(3, [8600], 8888, pods(3))).toEqual({
      ok: true,
      replicas: 3,
      usage: 8600,
    });
  });
  it('TestReplicaCalcConfigurableToleranceCMExternal', () => {
    expect(
      externalMetricReplicas(3, [8900], 8800, pods(3), { scaleDown: 0.1, scaleUp: 0.01 }),
    ).toEqual({
      ok: true,
      replicas: 4,
      usage: 8900,
    });
  });
  it('TestReplicaCalcScaleUpPerPodCMExternal', () => {
    expect(perPodMetricReplicas(3, 8600, 2150)).toEqual({ ok: true, replicas: 4, usage: 2867 });
  });
  it('TestReplicaCalcScaleDownPerPodCMExternal', () => {
    expect(perPodMetricReplicas(5, 8600, 2867)).toEqual({ ok: true, replicas: 3, usage: 1720 });
  });
  it('TestReplicaCalcTolerancePerPodCMExternal', () => {
    expect(perPodMetricReplicas(3, 8600, 2900)).toEqual({ ok: true, replicas: 3, usage: 2867 });
  });
  it('TestReplicaCalcConfigurableTolerancePerPodCMExternal', () => {
    expect(perPodMetricReplicas(3, 8600, 2800, { scaleDown: 0.1, scaleUp: 0.01 })).toEqual({
      ok: true,
      replicas: 4,
      usage: 2867,
    });
  });
  it('scales from zero on the ratio alone (getUsageRatioReplicaCount, currentReplicas 0)', () => {
    expect(externalMetricReplicas(0, [2500], 1000, [])).toEqual({
      ok: true,
      replicas: 3,
      usage: 2500,
    });
  });
});
