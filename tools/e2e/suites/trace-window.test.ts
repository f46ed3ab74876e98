/** The trace window of the closed loop on real traffic, and its side-by-side table (pure: no processes). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { rateFromTrace, readLoad } from '@mlscale/autoscale';
import { REPO_ROOT } from '@mlscale/testkit';
import { describe, expect, it } from 'vitest';
import { formatSideBySide } from '../closed-loop/agreement-table.js';
import type { Agreement } from '../closed-loop/compare.js';
import { formatLoadCsv } from '../closed-loop/scenario.js';
import {
  CONVERSATION_TRACE,
  CONVERSATION_WINDOW,
  peakPods,
  replicasBefore,
  traceWindowLoad,
  windowPhases,
} from '../closed-loop/trace-window.js';

/** An Azure-format trace: one row per request at these seconds after 2023-11-16 18:00:00 UTC. */
function azure(seconds: readonly number[]): string {
  const rows = seconds.map((s) => {
    const date = new Date(Date.UTC(2023, 10, 16, 18, 0, 0) + s * 1000).toISOString();
    return `${date.slice(0, 10)} ${date.slice(11, 23)},100,10`;
  });
  return `TIMESTAMP,ContextTokens,GeneratedTokens\n${rows.join('\n')}\n`;
}

// 1 request in [0, 10), 3 in [10, 20), 2 in [20, 30), 1 in [30, 40).
const TRACE = azure([0, 10, 12, 19.5, 21, 29, 35]);

describe('traceWindowLoad: a window of a request-level trace as the loop plays it', () => {
  it('bins, cuts and scales as simulate --load does, the window starting at 0', () => {
    const w = traceWindowLoad(TRACE, {
      fromSeconds: 10,
      toSeconds: 30,
      rateScale: 5,
      binSeconds: 10,
    });
    expect(w.load.points).toEqual([
      { time: 0, rps: 1.5 },
      { time: 10, rps: 1 },
      { time: 20, rps: 1 },
    ]);
    expect(w.requests).toBe(5);
    expect(w.description).toContain('window 10 s to 30 s of the trace, rates ×5');
  });

  it('gives the loop a schedule of each bin held for its 10 s, and the simulator the same rates', () => {
    const w = traceWindowLoad(TRACE, {
      fromSeconds: 0,
      toSeconds: 40,
      rateScale: 10,
      binSeconds: 10,
    });
    // The loop's rate function (run.ts): the bin's rate from its start to the next bin's.
    const rate = rateFromTrace(w.load.points.map((p) => ({ atSeconds: p.time, rps: p.rps })));
    expect([0, 9.99, 10, 19.99, 20, 30, 39.99].map(rate)).toEqual([1, 1, 3, 3, 2, 1, 1]);
    // The `time,rps` file its simulation twin reads holds the same rates.
    expect(readLoad(formatLoadCsv(w.load)).load.points).toEqual(w.load.points);
  });

  it('refuses a rate trace and a window with no bin', () => {
    expect(() =>
      traceWindowLoad('time,rps\n0,10\n60,10\n', {
        fromSeconds: 0,
        toSeconds: 60,
        rateScale: 1,
        binSeconds: 10,
      }),
    ).toThrow(/expected a request-level trace/);
    expect(() =>
      traceWindowLoad(TRACE, { fromSeconds: 20, toSeconds: 20, rateScale: 1, binSeconds: 10 }),
    ).toThrow();
  });

  it('reads the shipped window: minutes 20 to 30 of the conversation trace at ×20, 176 req/s at its peak', () => {
    const text = gunzipSync(readFileSync(join(REPO_ROOT, CONVERSATION_TRACE))).toString('utf8');
    const w = traceWindowLoad(text, CONVERSATION_WINDOW);
    expect(w.requests).toBe(4123);
    expect(w.load.points).toHaveLength(61);
    expect(w.load.points[60]?.time).toBe(600);
    expect(peakPods(w.load, 23.75)).toEqual({ peakRps: 176, pods: 8 });
  });
});

describe('windowPhases', () => {
  it('cuts the window in thirds, named by their seconds', () => {
    const load = {
      points: [
        { time: 0, rps: 1 },
        { time: 600, rps: 1 },
      ],
    };
    expect(windowPhases(load)).toEqual([
      { name: 'from 0 s to 200 s', from: 0, to: 200 },
      { name: 'from 200 s to 400 s', from: 200, to: 400 },
      { name: 'from 400 s to 600 s', from: 400, to: 600 },
    ]);
  });

  it('rounds uneven edges to seconds and leaves no gap', () => {
    const phases = windowPhases({
      points: [
        { time: 0, rps: 1 },
        { time: 100, rps: 1 },
      ],
    });
    expect(phases.map((p) => [p.from, p.to])).toEqual([
      [0, 33],
      [33, 67],
      [67, 100],
    ]);
    expect(() => windowPhases({ points: [] }, 0)).toThrow(/not ≥ 1/);
  });
});

describe('replicasBefore and peakPods', () => {
  it('reads the replicas of the last second before the time', () => {
    const seconds = [0, 1, 2, 3].map((time) => ({ time, replicas: 2 + time }));
    expect(replicasBefore(seconds, 2)).toBe(3);
    expect(replicasBefore(seconds, 10)).toBe(5);
    expect(replicasBefore(seconds, 0)).toBeUndefined();
  });

  it('takes the peak over the played bins, not the end marker', () => {
    const load = {
      points: [
        { time: 0, rps: 40 },
        { time: 10, rps: 60 },
        { time: 20, rps: 500 },
      ],
    };
    expect(peakPods(load, 25)).toEqual({ peakRps: 60, pods: 3 });
  });
});

describe('formatSideBySide', () => {
  const rows = (violation: number, ok: boolean, syncs: number): Agreement[] => [
    {
      figure: `replicas after each of ${syncs} syncs from the first scale-up (largest difference to the simulation within 5 s)`,
      simulated: undefined,
      measured: 1,
      bound: '≤ 1',
      ok: true,
    },
    {
      figure: 'seconds in SLO violation',
      simulated: 20,
      measured: violation,
      bound: '±30 % (or ±5 s)',
      ok,
    },
    {
      figure: 'p95 from 0 s to 200 s (median of per-second p95, s; not bounded: for reading)',
      simulated: 0.0451,
      measured: 3.26,
      bound: '-',
      ok: true,
    },
    {
      figure: 'seconds from the step until the SLO statistic is back under (recovery)',
      simulated: Number.POSITIVE_INFINITY,
      measured: Number.POSITIVE_INFINITY,
      bound: '±30 % (or ±5 s)',
      ok: true,
    },
  ];

  it('puts each config simulated and measured side by side, with the bound and its verdict', () => {
    const table = formatSideBySide([
      { name: 'guide', agreement: rows(21, true, 38) },
      { name: 'tuned', agreement: rows(40, false, 39) },
    ]).split('\n');
    expect(table[0]).toMatch(
      /^\| figure +\| bound +\| guide: simulated \| guide: closed loop \| tuned: simulated \| tuned: closed loop \|$/,
    );
    expect(table[2]).toContain('replicas after each sync from the first scale-up');
    expect(table[2]).toContain('1 (ok, 38 syncs)');
    expect(table[2]).toContain('1 (ok, 39 syncs)');
    expect(table[3]?.split('|').map((c) => c.trim())).toEqual([
      '',
      'seconds in SLO violation',
      '±30 % (or ±5 s)',
      '20',
      '21 (ok)',
      '20',
      '40 (OUT)',
      '',
    ]);
    expect(table[4]).toMatch(/for reading +\| 45 ms +\| 3\.3 s/);
    expect(table[5]).toContain('never (ok)');
  });

  it('refuses configs whose figures do not line up', () => {
    expect(() =>
      formatSideBySide([
        { name: 'guide', agreement: rows(21, true, 38) },
        { name: 'tuned', agreement: rows(21, true, 38).slice(1) },
      ]),
    ).toThrow(/tuned's figures do not line up with guide's/);
  });
});
