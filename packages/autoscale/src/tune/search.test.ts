import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { podModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import type { Evaluation, EvaluationJob } from './evaluate.js';
import type { SimulationPool } from './pool.js';
import { coarseShapes, searchConfigurations } from './search.js';

const profile = JSON.parse(
  readFileSync(new URL('../../examples/capacity/e2e-pod.profile.json', import.meta.url), 'utf8'),
) as CapacityProfile;
const timings = { startupSeconds: 12, syncPeriodSeconds: 15, scrapeIntervalSeconds: 5 };

/**
 * A made-up cost, read from each configuration's label: headroom under 15 % needs 7 standing pods
 * to keep the SLO, 15 % and more 5; a pod costs 1000, each 5 % of headroom away from 15 % 100,
 * a scale-up limit of 1 pod a sync nothing and any other 50, a scale-down window of 16 s 10 and of
 * 64 s 20, a forecast 500. The cheapest is 15 %, min 5, 32 s, 1 pod a sync: a headroom the coarse
 * grid (0, 10, 20, 30 %) does not hold.
 */
function cost(name: string): Evaluation {
  const m =
    /headroom (\d+)%, min (\d+), down-window (\d+)s(, up (\d) pods?\/sync)?(, forecast)?/.exec(
      name,
    );
  if (!m) throw new Error(`unexpected label ${name}`);
  const headroom = Number(m[1]) / 100;
  const min = Number(m[2]);
  const violation = min >= (headroom >= 0.15 - 1e-9 ? 5 : 7) ? 0 : 100;
  const replicaSeconds =
    1000 * min +
    Math.round(Math.abs(headroom - 0.15) / 0.05) * 100 +
    (m[5] === '1' ? 0 : 50) +
    ({ '16': 10, '64': 20 }[m[3] as string] ?? 0) +
    (m[6] ? 500 : 0);
  return {
    name,
    sloViolationSeconds: violation,
    replicaSeconds,
    failed: 0,
    maxReplicas: min,
    scaleEvents: 0,
  };
}

function poolOf(costOf: (name: string) => Evaluation): SimulationPool {
  return {
    threads: 0,
    async run(jobs: readonly Omit<EvaluationJob, 'id'>[]) {
      return jobs.map((job) =>
        costOf(
          job.config.name.startsWith('tuned')
            ? job.config.name
            : 'headroom 0%, min 9, down-window 0s',
        ),
      );
    },
    async close() {},
  };
}

function searchWith(costOf: (name: string) => Evaluation) {
  return searchConfigurations({
    profile,
    pod: podModel(profile),
    load: {
      points: [
        { time: 0, rps: 100 },
        { time: 600, rps: 100 },
      ],
    },
    slo: { statistic: 'p95', seconds: 0.2 },
    timings,
    budget: 0.01,
    references: [],
    why: 'test',
    pool: poolOf(costOf),
    forecasts: ['linear'],
  });
}

describe('searchConfigurations', () => {
  it('refines the headroom around the best coarse families, and tries forecasts on the best reactive ones only', async () => {
    const result = await searchWith(cost);
    expect(result.chosen?.files.name).toBe(
      'tuned: headroom 15%, min 5, down-window 32s, up 1 pod/sync',
    );
    const names = result.tried.map((t) => t.files.name);
    // the coarse grid: 4 headrooms x 3 windows x 3 scale-up limits
    expect(coarseShapes(timings)).toHaveLength(36);
    // refined: 15 and 25 % around the two best (20 %, 1 pod a sync, windows 32 s and 16 s), no
    // other headroom in between
    const refined = new Set(
      names
        .filter((n) => /headroom (15|25)%/.test(n) && !n.includes('forecast'))
        .map((n) => n.replace(/min \d+, /, '')),
    );
    expect([...refined].sort()).toEqual([
      'tuned: headroom 15%, down-window 16s, up 1 pod/sync',
      'tuned: headroom 15%, down-window 32s, up 1 pod/sync',
      'tuned: headroom 25%, down-window 16s, up 1 pod/sync',
      'tuned: headroom 25%, down-window 32s, up 1 pod/sync',
    ]);
    expect(names.some((n) => /headroom 5%/.test(n))).toBe(false);
    // forecasts on the two best reactive families after refining: 15 %, 1 pod a sync
    const forecast = new Set(
      names.filter((n) => n.includes('forecast')).map((n) => n.replace(/min \d+, /, '')),
    );
    expect([...forecast].sort()).toEqual([
      'tuned: headroom 15%, down-window 16s, up 1 pod/sync, forecast linear',
      'tuned: headroom 15%, down-window 32s, up 1 pod/sync, forecast linear',
    ]);
    expect(result.simulations).toBe(result.tried.length);
  });

  it("keeps the plan's scale-up and window where a limit or another window costs no less", async () => {
    // the same cost, whatever the scale-up limit and the window
    const result = await searchWith((name) =>
      cost(
        name
          .replace(/, up \d pods?\/sync/, '')
          .replace(/down-window \d+s/, 'down-window 32s, up 1 pod/sync'),
      ),
    );
    expect(result.chosen?.files.name).toBe('tuned: headroom 15%, min 5, down-window 32s');
  });
});
