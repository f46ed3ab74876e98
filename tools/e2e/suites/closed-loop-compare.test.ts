/** The agreement check of the validation bench (pure: no processes). */
import type { HpaDecision } from '@mlscale/autoscale';
import { describe, expect, it } from 'vitest';
import { compareRuns, phaseP95, type SimulatedRun } from '../closed-loop/compare.js';
import type { ClosedLoopTrace } from '../closed-loop/run.js';

const phases = [
  { name: 'before', from: 0, to: 10 },
  { name: 'held', from: 10, to: 20 },
];

function loop(
  replicas: number[],
  p95: (number | undefined)[],
  violations: number,
): ClosedLoopTrace {
  return {
    settings: {} as ClosedLoopTrace['settings'],
    seconds: p95.map((v, time) => ({
      time,
      offeredRps: 1,
      replicas: 2,
      ready: 2,
      pods: 2,
      rejected: 0,
      errors: 0,
      violation: false,
      ...(v === undefined ? {} : { p95: v }),
    })),
    syncs: replicas.map((r, i) => ({
      time: i * 5,
      pods: [],
      values: {},
      errors: {},
      decision: {
        desiredReplicas: r,
        currentReplicas: replicas[i - 1] ?? r,
      } as HpaDecision,
      explanation: '',
    })),
    pods: [],
    summary: {
      sloViolationSeconds: violations,
      failed: 0,
      offered: 0,
      replicaSeconds: 40,
      scaleEvents: 0,
      maxReplicas: 4,
      finalReplicas: 2,
    },
  };
}

function sim(replicas: number[], p95: (number | null)[], violations: number): SimulatedRun {
  return {
    summary: { sloViolationSeconds: violations, replicaSeconds: 42, maxReplicas: 4, failed: 0 },
    seconds: p95.map((v, time) => ({ time, p95: v, replicas: 2 })),
    syncs: replicas.map((r, i) => ({ time: i * 5, replicas: r })),
  };
}

describe('agreement between a simulation and a closed-loop run', () => {
  const fast = Array.from({ length: 10 }, () => 0.05);
  const slow = Array.from({ length: 10 }, () => 1);

  it('holds when replicas differ by at most 1 from the first scale-up, and the figures are close', () => {
    const rows = compareRuns(
      sim([2, 2, 4, 5], [...fast, ...slow.map((v) => v * 1.2)], 12),
      loop([2, 2, 4, 4], [...fast, ...slow], 10),
      phases,
    );
    expect(rows.map((r) => [r.figure.split(' (')[0], r.ok])).toEqual([
      ['replicas after each of 2 syncs from the first scale-up', true],
      ['seconds in SLO violation', true],
      ['p95 before', true],
      ['p95 held', true],
      ['replica-seconds', true],
    ]);
  });

  it('fails a replica gap of 2, a violation count 50 % off, and a p95 30 % off', () => {
    const rows = compareRuns(
      sim([2, 2, 6], [...fast, ...slow.map((v) => v * 1.3)], 30),
      loop([2, 2, 4], [...fast, ...slow], 20),
      phases,
    );
    expect(rows.filter((r) => !r.ok).map((r) => r.figure.split(' (')[0])).toEqual([
      'replicas after each of 1 syncs from the first scale-up',
      'seconds in SLO violation',
      'p95 held',
    ]);
  });

  it('allows ±5 s when few seconds violate, and counts failed seconds as infinitely slow', () => {
    const rows = compareRuns(sim([2, 3], fast, 4), loop([2, 3], fast, 0), phases);
    expect(rows.find((r) => r.figure === 'seconds in SLO violation')?.ok).toBe(true);
    expect(
      phaseP95(
        [
          { time: 0, p95: null },
          { time: 1, p95: null },
          { time: 2, p95: 1 },
        ],
        phases[0] as (typeof phases)[0],
      ),
    ).toBe(Number.POSITIVE_INFINITY);
  });
});
