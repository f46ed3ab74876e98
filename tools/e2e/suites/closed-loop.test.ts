/**
 * The closed loop end to end, short enough for CI (about 3 minutes): pods on the emulated device
 * (25 req/s each, whatever this machine's CPUs), a real Prometheus scraping them through file
 * discovery, infra's adapter rules and the project's HPA (its metrics and targets; its behavior
 * shortened so that a scale-up and a scale-down fit the run) deciding every 5 s, and the step trace 1× → 4× → 1× of one
 * pod's capacity played open-loop across the ready pods.
 *
 * It asserts what the loop must do whatever the machine's speed: the HPA scales up on the step,
 * new pods serve once ready, the HPA sees every ready pod's signals, the step's latency recovers,
 * the HPA scales back down, and pods taken out (endpoint first, then SIGTERM and drain) lose no
 * request. Timings are printed, never asserted. The record goes to E2E_CLOSED_LOOP_OUT (default: a
 * temporary folder, printed).
 *
 * Then it runs `mlscale simulate --profile --load` on the same trace, HPA, adapter rules, sync,
 * scrape (its phase from the samples' mean age at the syncs) and the start-up the loop measured, and asserts every agreement bound of
 * closed-loop/compare.ts (issue 11, item 6): prediction against reality, in CI.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { findPrometheus, REPO_ROOT } from '@mlscale/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  compareRuns,
  formatAgreement,
  measuredScrapeOffset,
  measuredStartupSeconds,
} from '../closed-loop/compare.js';
import { type ClosedLoopTrace, runClosedLoop } from '../closed-loop/run.js';
import {
  EMULATED_POD,
  formatLoadCsv,
  infraRules,
  readHpa,
  SMALL_BODY,
  stepPhases,
  stepTrace,
  writeTrace,
} from '../closed-loop/scenario.js';
import { CLI, simulateLikeLoop } from '../closed-loop/simulate.js';

const SYNC = 5;
const STEP_AT = 15;
const HOLD = 45;
const AFTER = 90;
const WARMUP = 20;
const SCRAPE = 1;
const STARTUP = 5;
const TIMINGS = { stepAt: STEP_AT, holdSeconds: HOLD, afterSeconds: AFTER };
const LOAD = stepTrace(EMULATED_POD.impliedCapacityRps, TIMINGS);
const PHASES = stepPhases(TIMINGS);
/**
 * The emulated pod's capacity profile, measured by `calibrate` in the validation bench and
 * committed: the emulated device (40 ms per request, one worker) fixes the pod's capacity
 * whatever this machine's CPUs, so a profile measured once holds here too, and CI need not spend
 * minutes calibrating.
 */
const PROFILE = join(REPO_ROOT, 'tools/e2e/docs/emulated-pod.profile.json');

/**
 * The project's HPA (its metrics and targets), its behavior shortened to fit a CI run: up by 4 pods
 * per 15 s, down after a 15 s window by 2 pods per 10 s.
 */
function projectHpa(): HorizontalPodAutoscaler {
  const hpa = structuredClone(readHpa('infra/base/hpa.yaml'));
  hpa.spec.behavior = {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }],
    },
    scaleDown: {
      stabilizationWindowSeconds: 15,
      policies: [{ type: 'Pods', value: 2, periodSeconds: 10 }],
    },
  };
  return hpa;
}

describe('the closed loop: real pods, Prometheus, adapter rules, the HPA port', () => {
  /** One run of the loop, which each test below reads (none depends on another having run). */
  let recorded: ClosedLoopTrace | undefined;
  const hpa = projectHpa();

  beforeAll(
    async () => {
      const found = findPrometheus();
      if ('error' in found) throw new Error(found.error);
      const trace: ClosedLoopTrace = await runClosedLoop({
        load: LOAD,
        hpa,
        rules: infraRules(),
        podEnv: EMULATED_POD.env,
        body: SMALL_BODY,
        syncPeriodSeconds: SYNC,
        scrapeIntervalSeconds: SCRAPE,
        startupDelaySeconds: STARTUP,
        warmupSeconds: WARMUP,
        stepAt: STEP_AT,
      });
      recorded = trace;
      const outDir = process.env.E2E_CLOSED_LOOP_OUT;
      if (outDir) mkdirSync(outDir, { recursive: true });
      const files = writeTrace(
        outDir ?? mkdtempSync(join(tmpdir(), 'mlscale-e2e-')),
        'closed-loop',
        trace,
      );
      const s = trace.summary;
      console.log(`recorded ${files.join(', ')}`);
      for (const sync of trace.syncs) {
        console.log(`t=${Math.round(sync.time)}s ${sync.explanation}`);
      }
      console.log(
        `first scale-up ${s.timeToFirstScaleUp?.toFixed(1)} s after the step; p95 back under 200 ms ${s.recoverySeconds} s after it; ${s.sloViolationSeconds} s in violation; ${Math.round(s.replicaSeconds)} replica-seconds; max ${s.maxReplicas} replicas; ${s.failed}/${s.offered} failed`,
      );
    },
    (WARMUP + STEP_AT + HOLD + AFTER + 120) * 1000,
  );

  it('finds Prometheus (PROMETHEUS_BIN or PATH)', () => {
    const found = findPrometheus();
    expect('error' in found ? found.error : 'found').toBe('found');
  });

  it('scales up on the load step, serves it, scales down and loses no request', () => {
    const trace = recorded;
    expect(trace, 'the closed loop ran').toBeDefined();
    if (!trace) return;
    const s = trace.summary;
    // No pod failed: none failed to start and none exited on its own (a replacement would hide
    // it in every figure below; this says which pod and shows its last output).
    const failures = trace.pods.flatMap((p) => (p.failure ? [`${p.name}: ${p.failure}`] : []));
    expect(failures, failures.join('\n')).toEqual([]);
    // The HPA synced on schedule through the whole trace.
    const end = STEP_AT + HOLD + AFTER;
    expect(trace.syncs).toHaveLength(end / SYNC);
    // The step pushed it up: a scale-up decided after the step, and pods created then served.
    expect(s.timeToFirstScaleUp).toBeDefined();
    expect(s.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas ?? 1);
    const started = trace.pods.filter((p) => p.createdAt >= STEP_AT);
    expect(started.length).toBeGreaterThan(0);
    expect(started.some((p) => p.readyAt !== undefined)).toBe(true);
    const served = trace.seconds.filter((x) => x.time > STEP_AT && x.ready > 2);
    expect(served.length).toBeGreaterThan(0);
    // The HPA saw a signal from every pod that had been ready a few scrapes before the sync.
    for (const sync of trace.syncs) {
      const settled = trace.pods.filter(
        (p) =>
          p.readyAt !== undefined &&
          // File discovery passes changes on at most every 5 s, then two scrapes make a rate.
          p.readyAt < sync.time - 8 &&
          (p.terminatingAt === undefined || p.terminatingAt > sync.time),
      );
      for (const pod of settled) {
        expect(
          sync.values.request_queue_depth_avg?.[pod.name],
          `${pod.name} at t=${sync.time}`,
        ).toBeDefined();
      }
    }
    // 4× one pod's capacity on two pods overloads them; the latency comes back under the SLO.
    expect(s.sloViolationSeconds).toBeGreaterThan(0);
    expect(s.recoverySeconds).toBeDefined();
    // Back at 1×, the HPA scales down, and the pods it removes drain: nothing fails.
    expect(s.finalReplicas).toBeLessThan(s.maxReplicas);
    expect(trace.pods.some((p) => p.goneAt !== undefined && p.goneAt < end)).toBe(true);
    expect(s.failed, `failed by why: ${JSON.stringify(trace.failedBy)}`).toBe(0);
  });

  it('agrees with `simulate --profile` of the same trace and HPA within the stated bounds', () => {
    const trace = recorded;
    expect(trace, 'the closed loop ran').toBeDefined();
    if (!trace) return;
    expect(existsSync(CLI), `${CLI} is missing: run \`pnpm build\` first`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-e2e-sim-'));
    const loadCsv = join(dir, 'load.csv');
    const hpaYaml = join(dir, 'hpa.yaml');
    writeFileSync(loadCsv, formatLoadCsv(LOAD));
    writeFileSync(hpaYaml, stringify(projectHpa()));
    // The pods the loop started served this long after the decision (start-up delay plus the
    // process start): the simulation's pods do the same.
    const startup = measuredStartupSeconds(trace) ?? STARTUP;
    // Prometheus scraped each pod at a phase of its own: the samples the syncs read were this old.
    const scrape = measuredScrapeOffset(trace, 0, SCRAPE);
    expect(scrape, 'the syncs recorded how old the samples were').toBeDefined();
    const { run: simulated } = simulateLikeLoop({
      profile: PROFILE,
      load: loadCsv,
      hpa: hpaYaml,
      adapterValues: join(REPO_ROOT, 'infra/helm/prometheus-adapter-values.yaml'),
      syncPeriodSeconds: SYNC,
      scrapeIntervalSeconds: SCRAPE,
      ...(scrape ? { scrapeOffsetSeconds: scrape.offsetSeconds } : {}),
      startupSeconds: startup,
      stepAt: STEP_AT,
    });
    const rows = compareRuns(simulated, trace, PHASES);
    console.log(
      `simulated with pods serving ${startup.toFixed(2)} s after the decision (the loop's mean), samples ${scrape?.meanAgeSeconds.toFixed(2)} s old at a sync (--scrape-offset ${scrape?.offsetSeconds})`,
    );
    console.log(formatAgreement('simulated against the closed loop', rows));
    expect(rows.filter((r) => !r.ok).map((r) => r.figure)).toEqual([]);
  });
});
