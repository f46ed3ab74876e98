/**
 * The closed loop on the real control plane: the step trace of the local closed loop (1× one pod's
 * capacity for 30 s, 4× for 120 s, 1× for 60 s, after 60 s of warm-up at 1×) through the Service,
 * the real HPA deciding every 15 s from the real adapter, for the project's HPA (infra/base), the
 * guide's (infra/hpa/guide-hpa.yaml) and the plan's (with its own adapter rules); then `mlscale simulate --profile --load` of the same trace,
 * HPA, adapter rules, sync and scrape periods, with the start-up this run measured, compared within
 * the agreement bounds of the local closed loop (tools/e2e/closed-loop/compare.ts).
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  compareRuns,
  formatAgreement,
  measuredStartupSeconds,
} from '@mlscale/e2e/closed-loop/compare.js';
import { formatLoadCsv, stepPhases, stepTrace } from '@mlscale/e2e/closed-loop/scenario.js';
import { CLI, simulateLikeLoop } from '@mlscale/e2e/closed-loop/simulate.js';
import { afterAll, describe, expect, it } from 'vitest';
import { restartAdapter } from '../src/adapter.js';
import { INFRA_ADAPTER_VALUES, REPO_ROOT } from '../src/control-plane.js';
import { asClosedLoopTrace } from './measured.js';
import { POD_CAPACITY_RPS, runStep } from './step-scenario.js';

const PROFILE = join(REPO_ROOT, 'tools/e2e/docs/emulated-pod.profile.json');
const TIMINGS = { stepAt: 30, holdSeconds: 120, afterSeconds: 60 };

/**
 * Figures out of bounds that are understood, per HPA. The pods run as infra/base deploys them,
 * shedding after 5 s of waiting (MAX_WAIT_MS) with 256 waiting at most (MAX_QUEUE); the simulated
 * queue, from a profile of pods without those limits, keeps its backlog. With the project's HPA
 * the step's backlog stays under the limits and every bound holds. With the guide's (2 pods per
 * 60 s) half the requests at 4x are shed (6014 of 12000 in one run), the real backlog after the step
 * is cut, it drains in 15 to 19 s against the simulation's 33 s, and the real HPA, seeing the queue
 * under target, does not take the 6 → 8 step the simulation takes at 180 s (two runs, the same two
 * figures out). Without the limits (the local loop's pods) the project's HPA is out instead: the
 * Service balances connections, not requests (as kube-proxy does), so the backlog stays on the
 * first pods' kept-alive connections while the simulation spreads it over every ready pod
 * (154 s in violation against 66 s).
 */
const KNOWN_OUT: Record<string, string[]> = {
  project: [],
  guide: ['replicas after each of', 'seconds in SLO violation back at 1x'],
  plan: [],
};

/**
 * The plan's HPA and adapter rules: `mlscale plan` from the emulated pod's profile for the step's
 * base and peak (1× and 4× one pod's capacity), the cluster's sync and scrape periods, and a
 * start-up of 5 s (what the node agent takes to start and ready a pod, 2 to 3 s, with margin).
 */
function plan(): { hpaFile: string; adapterValues: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mlscale-cluster-plan-'));
  execFileSync(process.execPath, [
    CLI,
    'plan',
    '--profile',
    PROFILE,
    '--slo',
    'p95=200ms',
    '--base-rate',
    String(POD_CAPACITY_RPS),
    '--peak-rate',
    String(4 * POD_CAPACITY_RPS),
    '--startup-seconds',
    '5',
    '--sync-period',
    '15',
    '--scrape-interval',
    '5',
    '-o',
    dir,
  ]);
  return {
    hpaFile: join(dir, 'hpa.yaml'),
    adapterValues: join(dir, 'prometheus-adapter-values.yaml'),
  };
}

const INFRA = { adapterValues: INFRA_ADAPTER_VALUES };
const configs = [
  { name: 'project', namespace: 'closed-loop-project', hpaFile: 'infra/base/hpa.yaml', ...INFRA },
  { name: 'guide', namespace: 'closed-loop-guide', hpaFile: 'infra/hpa/guide-hpa.yaml', ...INFRA },
  // The plan's rules are its own: the adapter restarts with them, and with infra's after.
  { name: 'plan', namespace: 'closed-loop-plan', ...plan() },
  // CLOSED_LOOP_ONLY=project|guide|plan runs one of them (each takes about 6 minutes).
].filter((config) => !process.env.CLOSED_LOOP_ONLY || config.name === process.env.CLOSED_LOOP_ONLY);

describe('the closed loop on the real control plane against simulate --profile --load', () => {
  afterAll(() => restartAdapter());

  it.each(configs)('$name HPA', async ({ name, namespace, hpaFile, adapterValues }) => {
    await restartAdapter(adapterValues);
    const run = await runStep({
      namespace,
      hpaFile,
      before: TIMINGS.stepAt,
      hold: TIMINGS.holdSeconds,
      endAt: TIMINGS.stepAt + TIMINGS.holdSeconds + TIMINGS.afterSeconds,
      warmupSeconds: 60,
      log: (line) => console.log(`[closed-loop ${name}] ${line}`),
    });
    const measured = asClosedLoopTrace(run);
    const dir = mkdtempSync(join(tmpdir(), `mlscale-cluster-loop-${name}-`));
    const load = join(dir, 'load.csv');
    writeFileSync(load, formatLoadCsv(stepTrace(POD_CAPACITY_RPS, TIMINGS)));
    writeFileSync(join(dir, 'measured.json'), `${JSON.stringify(measured, null, 1)}\n`);
    const startup = measuredStartupSeconds(measured) ?? 2;
    const { run: simulated } = simulateLikeLoop({
      profile: PROFILE,
      load,
      hpa: resolve(REPO_ROOT, hpaFile),
      adapterValues,
      syncPeriodSeconds: 15,
      scrapeIntervalSeconds: 5,
      startupSeconds: startup,
      stepAt: TIMINGS.stepAt,
    });
    const rows = compareRuns(simulated, measured, stepPhases(TIMINGS));
    console.log(
      `${formatAgreement(`${name} HPA on the control plane (start-up ${startup.toFixed(1)} s; record in ${dir})`, rows)}`,
    );
    console.log(
      `replicas after each sync, real: ${measured.syncs.map((s) => `${s.time.toFixed(0)}:${s.decision.desiredReplicas}`).join(' ')}`,
    );
    console.log(
      `replicas after each sync, simulated: ${simulated.syncs.map((s) => `${s.time}:${s.replicas}`).join(' ')}`,
    );
    const out = rows.filter((row) => !row.ok).map((row) => row.figure);
    const known = KNOWN_OUT[name] ?? [];
    expect(out.filter((figure) => !known.some((k) => figure.startsWith(k)))).toEqual([]);
  });
});
