/**
 * Redraws the validation chart from a bench run's files:
 * `node --import tsx bench/closed-loop-chart.ts [BENCH_OUT]` writes BENCH_OUT/validation.svg.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@mlscale/testkit';
import { type ComparedRun, renderValidationChart } from '../closed-loop/chart.js';

const dir = process.argv[2] ?? process.env.BENCH_OUT ?? join(REPO_ROOT, '.bench/closed-loop');
const runs: ComparedRun[] = ['guide', 'plan'].map((name) => ({
  name,
  loop: JSON.parse(readFileSync(join(dir, `closed-loop-${name}.json`), 'utf8')),
  sim: JSON.parse(readFileSync(join(dir, `simulated-${name}.json`), 'utf8')).results[0],
}));
const stepAt = JSON.parse(readFileSync(join(dir, 'closed-loop-guide.json'), 'utf8')).settings
  .stepAt;
const file = join(dir, 'validation.svg');
writeFileSync(
  file,
  renderValidationChart(runs, {
    sloSeconds: 0.2,
    stepAt,
    title:
      'Step 1× → 4× → 1× of one pod: simulate --profile (dashed) against the closed loop (solid)',
  }),
);
console.log(`wrote ${file}`);
