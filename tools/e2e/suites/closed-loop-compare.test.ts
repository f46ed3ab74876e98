/** The agreement check between a simulation and a closed-loop run (pure: no processes). */
import type { HpaDecision } from '@mlscale/hpa';
import { describe, expect, it } from 'vitest';
import {
  AGREEMENT_BOUNDS,
  compareRuns,
  measuredScrapeOffset,
  measuredStartupSeconds,
  measuredSyncOffset,
  phaseP95,
  phaseViolationSeconds,
  type SimulatedRun,
  sampleAgesAt,
} from '../closed-loop/compare.js';
import type { ClosedLoopTrace } from '../closed-loop/run.js';

const phases = [
  { name: 'before', from: 0, to: 10 },
  { name: 'held', from: 10, to: 40 },
  { name: 'after', from: 40, to: 60 },
];
const SLO = 0.2;

/**
 * A run's per-second p95: 50 ms, then from the step at 10 s a backlog of `drain` seconds (p95
 * falling from `drain` s to the SLO), then 50 ms again.
 */
function p95Line(drain: number): number[] {
  return Array.from({ length: 60 }, (_, t) =>
    t < 10 || t >= 10 + drain ? 0.05 : Math.max(SLO + 0.01, 10 + drain - t),
  );
}

function recovery(p95: readonly number[]): number | undefined {
  const first = p95.findIndex((v, t) => t >= 10 && v > SLO);
  if (first < 0) return 0;
  const back = p95.findIndex((v, t) => t > first && v <= SLO);
  return back < 0 ? undefined : back - 10;
}

function loop(replicas: number[], p95: readonly number[]): ClosedLoopTrace {
  const seconds = p95.map((v, time) => ({
    time,
    offeredRps: 1,
    replicas: 2,
    ready: 2,
    pods: 2,
    rejected: 0,
    errors: 0,
    violation: v > SLO,
    p95: v,
  }));
  const back = recovery(p95);
  return {
    settings: {} as ClosedLoopTrace['settings'],
    seconds,
    syncs: replicas.map((r, i) => ({
      time: i * 5 + 0.003,
      pods: [],
      values: {},
      errors: {},
      decision: {
        desiredReplicas: r,
        currentReplicas: replicas[i - 1] ?? r,
      } as HpaDecision,
      explanation: '',
    })),
    pods: [
      { name: 'a', createdAt: -20, readyAt: -20 },
      { name: 'b', createdAt: 10, readyAt: 16 },
      { name: 'c', createdAt: 10, readyAt: 17 },
      { name: 'd', createdAt: 15 },
    ],
    failedBy: {},
    summary: {
      sloViolationSeconds: seconds.filter((s) => s.violation).length,
      failed: 0,
      offered: 0,
      replicaSeconds: 40,
      scaleEvents: 0,
      maxReplicas: 4,
      finalReplicas: 2,
      ...(back === undefined ? {} : { recoverySeconds: back }),
    },
  };
}

function sim(replicas: number[], p95: readonly (number | null)[]): SimulatedRun {
  const seconds = p95.map((v, time) => ({
    time,
    p95: v,
    replicas: 2,
    violation: v === null || v > SLO,
  }));
  const back = recovery(p95.map((v) => v ?? Number.POSITIVE_INFINITY));
  return {
    summary: {
      sloViolationSeconds: seconds.filter((s) => s.violation).length,
      replicaSeconds: 42,
      maxReplicas: 4,
      failed: 0,
      ...(back === undefined ? {} : { recoverySeconds: back }),
    },
    seconds,
    syncs: replicas.map((r, i) => ({ time: i * 5, replicas: r })),
  };
}

const up = [2, 2, 4, 5, 5, 5, 5, 4, 3, 2, 2, 2];
const failing = (rows: ReturnType<typeof compareRuns>) =>
  rows.filter((r) => !r.ok).map((r) => r.figure.split(' (')[0]);

describe('agreement between a simulation and a closed-loop run', () => {
  it('holds when replicas differ by at most 1 from the first scale-up, and the figures are close', () => {
    const rows = compareRuns(
      sim(up, p95Line(22)),
      loop([2, 2, 4, 4, 5, 5, 5, 4, 3, 2, 2, 2], p95Line(20)),
      phases,
    );
    expect(rows.map((r) => [r.figure.split(' (')[0], r.ok, r.simulated, r.measured])).toEqual([
      ['replicas after each of 10 syncs from the first scale-up', true, undefined, 0],
      ['replicas: largest difference at the same sync', true, undefined, 1],
      ['seconds in SLO violation', true, 22, 20],
      ['seconds in SLO violation before', true, 0, 0],
      ['seconds in SLO violation held', true, 22, 20],
      ['seconds in SLO violation after', true, 0, 0],
      ['seconds from the step until the SLO statistic is back under', true, 22, 20],
      ['p95 before', true, 0.05, 0.05],
      ['p95 held', true, expect.any(Number), expect.any(Number)],
      ['p95 after', true, 0.05, 0.05],
      ['replica-seconds', true, 42, 40],
    ]);
  });

  it('keeps the median p95 of a draining phase for reading only: 2 s of drain move it from seconds to ms', () => {
    // 16 of the held phase's 30 s drain in the simulation, 14 in the loop: the medians fall on
    // either side of the drain's edge, 30-fold apart, while every bounded figure agrees.
    const rows = compareRuns(sim(up, p95Line(16)), loop(up, p95Line(14)), phases);
    const held = rows.find((r) => r.figure.startsWith('p95 held'));
    expect((held?.simulated ?? 0) / (held?.measured ?? 1)).toBeGreaterThan(5);
    expect(failing(rows)).toEqual([]);
  });

  it('fails a replica gap of 2 after the first scale-up', () => {
    const rows = compareRuns(
      sim([2, 2, 6, 6, 6], p95Line(20)),
      loop([2, 2, 4, 4, 4], p95Line(20)),
      phases,
    );
    expect(failing(rows)).toEqual(['replicas after each of 3 syncs from the first scale-up']);
  });

  it('allows a decision one sync (5 s) apart, not two', () => {
    // The simulation scales down by 2 pods per sync one sync before the loop: 2 apart at the
    // same sync, within 1 of the simulation 5 s earlier.
    const loopDown = [2, 2, 4, 4, 4, 8, 8, 8, 6, 4, 2, 2];
    const oneEarlier = [2, 2, 4, 4, 4, 8, 8, 6, 4, 2, 2, 2];
    const twoEarlier = [2, 2, 4, 4, 4, 8, 6, 4, 2, 2, 2, 2];
    const one = compareRuns(sim(oneEarlier, p95Line(20)), loop(loopDown, p95Line(20)), phases);
    expect(failing(one)).toEqual([]);
    expect([one[0]?.measured, one[1]?.measured]).toEqual([0, 2]);
    const two = compareRuns(sim(twoEarlier, p95Line(20)), loop(loopDown, p95Line(20)), phases);
    expect(failing(two)).toEqual(['replicas after each of 10 syncs from the first scale-up']);
    expect(AGREEMENT_BOUNDS.replicaSlackSeconds).toBe(5);
  });

  it('fails when no sync pairs up after the first scale-up', () => {
    const rows = compareRuns(sim([], p95Line(20)), loop([2, 2, 4], p95Line(20)), phases);
    expect(failing(rows)).toEqual(['replicas after each of 0 syncs from the first scale-up']);
  });

  it('fails seconds in SLO violation 30 % off in all and in the phase, and the recovery with them', () => {
    // 27 against 20 s: 35 % and 7 s off.
    const rows = compareRuns(sim(up, p95Line(27)), loop(up, p95Line(20)), phases);
    expect(failing(rows)).toEqual([
      'seconds in SLO violation',
      'seconds in SLO violation held',
      'seconds from the step until the SLO statistic is back under',
    ]);
  });

  it('fails a phase whose violation seconds are off even when the total agrees', () => {
    // The same 20 violating seconds, but the simulation puts 8 of them after the step back to 1×.
    const shifted = p95Line(12).map((v, t) => (t >= 40 && t < 48 ? 1 : v));
    const rows = compareRuns(sim(up, shifted), loop(up, p95Line(20)), phases);
    expect(failing(rows)).toEqual([
      'seconds in SLO violation held',
      'seconds in SLO violation after',
      'seconds from the step until the SLO statistic is back under',
    ]);
  });

  it('fails a recovery 30 % and 5 s off even when the violation seconds agree', () => {
    // The loop recovers briefly 2 s after the step (one second under the SLO), then drains: it
    // counts as many violating seconds but recovers at 2 s, not at 21.
    const blip = p95Line(21).map((v, t) => (t === 12 ? 0.05 : v));
    const rows = compareRuns(sim(up, p95Line(20)), loop(up, blip), phases);
    expect(failing(rows)).toEqual(['seconds from the step until the SLO statistic is back under']);
  });

  it('fails a recovery in one and none within the trace in the other; agrees on none in both', () => {
    const never = p95Line(60);
    const one = compareRuns(sim(up, never), loop(up, p95Line(46)), phases);
    expect(failing(one)).toContain('seconds from the step until the SLO statistic is back under');
    const both = compareRuns(sim(up, never), loop(up, never), phases);
    expect(failing(both)).toEqual([]);
  });

  it('allows ±5 s when few seconds violate, and not 6', () => {
    const five = compareRuns(sim(up, p95Line(5)), loop(up, p95Line(0)), phases);
    expect(failing(five)).toEqual([]);
    const six = compareRuns(sim(up, p95Line(6)), loop(up, p95Line(0)), phases);
    expect(failing(six)).toEqual([
      'seconds in SLO violation',
      'seconds in SLO violation held',
      'seconds from the step until the SLO statistic is back under',
    ]);
    expect(AGREEMENT_BOUNDS.violationSlackSeconds).toBe(5);
  });

  it('counts failed seconds as infinitely slow and as violating', () => {
    const seconds = [
      { time: 0, p95: null, violation: true },
      { time: 1, p95: null, violation: true },
      { time: 2, p95: 1, violation: true },
      { time: 12, p95: 0.05, violation: false },
    ];
    expect(phaseP95(seconds, phases[0] as (typeof phases)[0])).toBe(Number.POSITIVE_INFINITY);
    expect(phaseViolationSeconds(seconds, phases[0] as (typeof phases)[0])).toBe(3);
    expect(phaseViolationSeconds(seconds, phases[1] as (typeof phases)[1])).toBe(0);
  });

  it("measures the start-up as the mean of the trace's pods that became ready", () => {
    expect(measuredStartupSeconds(loop(up, p95Line(0)))).toBe(6.5);
    const none = loop(up, p95Line(0));
    none.pods = none.pods.slice(0, 1);
    expect(measuredStartupSeconds(none)).toBeUndefined();
  });

  it("measures the loop's sync phase, to the simulator's tick, across the period's wrap", () => {
    const at = (times: number[]) => {
      const run = loop([], p95Line(0));
      const sync = loop([2], p95Line(0)).syncs[0] as ClosedLoopTrace['syncs'][number];
      run.syncs = times.map((time) => ({ ...sync, time }));
      return run;
    };
    expect(measuredSyncOffset(at([3.1, 18.2, 33.15, 48.4]), 15)).toBe(3.25);
    // 14.9 s and 0.1 s are 0.2 s apart: the phase is about 0, not 7.5
    expect(measuredSyncOffset(at([14.9, 30.1, 44.95, 60.1, 75.05]), 15)).toBe(0);
    expect(measuredSyncOffset(at([14.6, 29.7, 44.8]), 15)).toBe(14.75);
    expect(measuredSyncOffset(at([]), 15)).toBe(0);
  });

  it("measures the scrape phase from the samples' mean age at the syncs", () => {
    const withAges = (ages: Record<string, number>[]) => {
      const run = loop([], p95Line(0));
      const sync = loop([2], p95Line(0)).syncs[0] as ClosedLoopTrace['syncs'][number];
      run.syncs = ages.map((sampleAges, i) => ({ ...sync, time: i * 15, sampleAges }));
      return run;
    };
    // mean age 3.1 s → 3 s: the scrapes 2 s into each 5 s interval (0 - 3 mod 5)
    expect(
      measuredScrapeOffset(
        withAges([
          { a: 1.2, b: 4.9 },
          { a: 1.2, b: 5.1 },
        ]),
        0,
        5,
      ),
    ).toEqual({ offsetSeconds: 2, meanAgeSeconds: 3.1 });
    // with the syncs 13.5 s into the period: 13.5 - 3 = 10.5 → 0.5
    expect(measuredScrapeOffset(withAges([{ a: 3 }]), 13.5, 5)?.offsetSeconds).toBe(0.5);
    // a mean age of a whole interval is read as a tick under it, not as fresh samples
    expect(measuredScrapeOffset(withAges([{ a: 5 }]), 0, 5)?.offsetSeconds).toBe(0.25);
    expect(measuredScrapeOffset(withAges([]), 0, 5)).toBeUndefined();
  });

  it("reads each pod's sample age at a sync from its scrape times", () => {
    const scrapes = { a: [1.2, 6.2, 11.2, 16.2], b: [3.9], c: [15.5] };
    // a: 15 - 11.2; b: not scraped for over an interval and a half (gone); c: not yet scraped
    expect(sampleAgesAt(scrapes, 15, 5)).toEqual({ a: 3.8 });
    expect(sampleAgesAt(scrapes, 17, 5)).toEqual({ a: 0.8, c: 1.5 });
    expect(sampleAgesAt(scrapes, 30, 5)).toEqual({});
  });
});
