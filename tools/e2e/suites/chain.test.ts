/**
 * End to end on one machine: two model servers labelled as two pods of namespace `e2e`, a real
 * Prometheus scraping them every second, the adapter rules from infra/ rendered as the adapter
 * would, and the project's HPA from infra/ (windows shortened) deciding on the values.
 *
 * Run with `pnpm test:e2e` from the repository root. Needs Prometheus (PROMETHEUS_BIN or PATH)
 * and the built model server; without Prometheus the suite fails, saying how to install it.
 * Phases (seconds) can be changed with E2E_IDLE_BEFORE, E2E_LOAD, E2E_IDLE_AFTER, E2E_CLIENTS.
 * The recorded trace is written to E2E_TRACE_OUT (default: a temp file, path printed).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  collectAdapterMetrics,
  formatPhaseTable,
  formatSummaryTable,
  formatTraceCsv,
  meanPerPod,
  PrometheusClient,
  parseAdapterValues,
  simulate,
  sweepSyncPhases,
  type Trace,
  Watcher,
} from '@mlscale/autoscale';
import { describeDecision, type HorizontalPodAutoscaler, type HpaDecision } from '@mlscale/hpa';
import { findPrometheus, REPO_ROOT, sleep, startLoad, waitFor } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTwoPods, type TwoPods } from '../chain/two-pods.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const IDLE_BEFORE = env('E2E_IDLE_BEFORE', 10);
const LOAD = env('E2E_LOAD', 90);
const IDLE_AFTER = env('E2E_IDLE_AFTER', 100);
const CLIENTS = env('E2E_CLIENTS', 32);
const SYNC_SECONDS = 2;
const SCALE_DOWN_WINDOW = 20;

const readYaml = (relative: string) =>
  parse(readFileSync(join(REPO_ROOT, relative), 'utf8')) as HorizontalPodAutoscaler;

/** The project's HPA from infra/ with its windows shortened for a test run. */
function shortened(hpa: HorizontalPodAutoscaler): HorizontalPodAutoscaler {
  const copy = structuredClone(hpa);
  copy.spec.minReplicas = 1; // two real pods: a scale-down to 1 is observable
  copy.spec.behavior = {
    scaleUp: {
      stabilizationWindowSeconds: 4,
      policies: [{ type: 'Pods', value: 2, periodSeconds: 6 }],
    },
    scaleDown: {
      stabilizationWindowSeconds: SCALE_DOWN_WINDOW,
      policies: [{ type: 'Pods', value: 1, periodSeconds: 12 }],
    },
  };
  return copy;
}

const prometheusBinary = findPrometheus();
let pods: TwoPods | undefined;

describe('the metric → adapter rule → HPA chain against a real Prometheus', () => {
  beforeAll(async () => {
    if ('error' in prometheusBinary) return;
    pods = await startTwoPods(prometheusBinary.path, 'e2e');
  }, 120_000);

  afterAll(async () => {
    await pods?.stop();
  }, 60_000);

  it('finds Prometheus (PROMETHEUS_BIN or PATH)', () => {
    // Fails loudly (in CI and locally) instead of skipping: the suite is opt-in.
    expect('error' in prometheusBinary ? prometheusBinary.error : 'found').toBe('found');
  });

  it(
    'renders the rules, scales up under load, comes back down after the window without flapping',
    async () => {
      if (!pods) throw new Error('Prometheus did not start');
      const { servers, prometheus } = pods;
      const client = new PrometheusClient({ url: prometheus.url });
      await waitFor(
        'both targets to be up',
        async () => {
          const r = await client.query('sum(up{namespace="e2e"})');
          return r.resultType === 'vector' && r.result[0]?.value === 2;
        },
        30_000,
      );
      // A few scrapes, so that rate() has two samples of each pod.
      await waitFor(
        'rate() over both pods',
        async () => {
          const r = await client.query(
            'sum(rate(request_queue_depth_seconds_total{namespace="e2e"}[15s])) by (pod)',
          );
          return r.resultType === 'vector' && r.result.length === 2;
        },
        30_000,
      );

      const adapter = parseAdapterValues(
        readFileSync(join(REPO_ROOT, 'infra/helm/prometheus-adapter-values.yaml'), 'utf8'),
      );
      if (!adapter.ok) throw new Error(adapter.error);
      const rules = adapter.value.custom;
      const project = readYaml('infra/base/hpa.yaml');
      const guide = readYaml('infra/hpa/guide-hpa.yaml');
      const names = [
        ...new Set(
          [project, guide].flatMap((h) =>
            (h.spec.metrics ?? []).flatMap((m) => (m.pods ? [m.pods.metric.name] : [])),
          ),
        ),
      ];
      const watcher = new Watcher({ client, hpa: shortened(project), rules, namespace: 'e2e' });

      // Not an adapter rule: the time-averaged depth over 1 m instead of the rule's 15 s, recorded
      // so that simulate can show what a longer window would do.
      const avg1m = 'request_queue_depth_avg1m';
      const avg1mQuery =
        'sum(rate(request_queue_depth_seconds_total{namespace="e2e"}[1m])) by (pod)';
      // Latency here is bound by the batch wait (BATCH_MAX_WAIT_MS), not by the per-pod backlog:
      // every pod reports it unchanged whatever the replica count.
      const trace: Trace = {
        metrics: [...names, avg1m],
        intensive: new Set(names.filter((n) => /latency|duration/.test(n))),
        points: [],
      };
      const decisions: { t: number; phase: string; decision: HpaDecision }[] = [];
      const t0 = Date.now() / 1000;
      let phase = 'idle-before';
      let load: ReturnType<typeof startLoad> | undefined;
      let nextSync = 0;
      const end = IDLE_BEFORE + LOAD + IDLE_AFTER;
      for (let t = 0; t <= end; t = Date.now() / 1000 - t0) {
        if (phase === 'idle-before' && t >= IDLE_BEFORE) {
          phase = 'load';
          load = startLoad(
            servers.map((s) => s.url),
            CLIENTS,
          );
        } else if (phase === 'load' && t >= IDLE_BEFORE + LOAD) {
          phase = 'idle-after';
          await load?.stop();
        }
        const values = meanPerPod(
          await collectAdapterMetrics({ client, rules, namespace: 'e2e', metrics: names }),
        );
        const slow = await client.query(avg1mQuery);
        if (slow.resultType === 'vector' && slow.result.length > 0) {
          values[avg1m] = slow.result.reduce((a, r) => a + r.value, 0) / slow.result.length;
        }
        trace.points.push({
          time: Math.round(t * 10) / 10,
          replicas: 2,
          load: phase === 'load' ? CLIENTS : 0,
          values,
        });
        if (t >= nextSync) {
          nextSync += SYNC_SECONDS;
          const tick = await watcher.tick(t0 + t);
          decisions.push({ t, phase, decision: tick.decision });
        }
        await sleep(1000 - ((Date.now() - t0 * 1000) % 1000));
      }
      expect(load?.failed() ?? 0).toBe(0);

      const out =
        process.env.E2E_TRACE_OUT ??
        join(mkdtempSync(join(tmpdir(), 'mlscale-e2e-')), 'e2e-trace.csv');
      writeFileSync(
        out,
        `# recorded by tools/e2e/suites/chain.test.ts: ${CLIENTS} closed-loop clients on 2 pods from t=${IDLE_BEFORE}s for ${LOAD}s\n${formatTraceCsv(trace)}`,
      );
      console.log(`trace written to ${out}`);
      for (const d of decisions.filter((_, i) => i % 5 === 0)) {
        console.log(`t=${d.t.toFixed(0)}s ${d.phase}: ${describeDecision(d.decision)}`);
      }

      // The adapter rules return sensible values under load: every metric present for both pods,
      // queue depth near the clients per pod, latency positive and finite.
      const loaded = trace.points.filter(
        (p) => p.time > IDLE_BEFORE + LOAD - 20 && p.time < IDLE_BEFORE + LOAD,
      );
      const mean = (name: string) => {
        const v = loaded.map((p) => p.values[name]).filter((x): x is number => x !== undefined);
        return v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);
      };
      const perPodClients = CLIENTS / 2;
      expect(mean('request_queue_depth')).toBeGreaterThan(perPodClients * 0.5);
      expect(mean('request_queue_depth')).toBeLessThanOrEqual(perPodClients * 1.05);
      expect(mean('http_request_duration_seconds_avg')).toBeGreaterThan(0);
      expect(mean('http_request_duration_seconds_avg')).toBeLessThan(5);
      expect(mean('inference_latency_seconds_avg')).toBeGreaterThan(0);

      // The time-averaged queue depth and the raw gauge agree on the mean once the load is steady.
      const raw = mean('request_queue_depth');
      const averaged = mean('request_queue_depth_avg');
      console.log(
        `steady load: raw gauge ${raw.toFixed(2)} per pod, time-averaged ${averaged.toFixed(2)} per pod`,
      );
      expect(averaged / raw).toBeGreaterThan(0.7);
      expect(averaged / raw).toBeLessThan(1.3);
      const firstAbove = (name: string) =>
        trace.points.find((p) => p.time >= IDLE_BEFORE && (p.values[name] ?? 0) > 10)?.time;
      console.log(
        `first above 10 per pod after the load step: raw gauge ${(firstAbove('request_queue_depth') ?? Number.NaN) - IDLE_BEFORE}s, time-averaged ${(firstAbove('request_queue_depth_avg') ?? Number.NaN) - IDLE_BEFORE}s`,
      );

      // Scale-up proposal within the load phase (bounded number of syncs).
      const up = decisions.find((d) => d.phase === 'load' && d.decision.desiredReplicas > 2);
      expect(up, 'no scale-up decision during the load').toBeDefined();
      console.log(
        `first scale-up decision ${((up?.t ?? 0) - IDLE_BEFORE).toFixed(0)}s after the load step`,
      );

      // After the load: down to 1 only once the stabilization window has passed since the last
      // recommendation of 2 or more, and no flapping: the recommendations only fall, and after
      // the scale-down nothing scales up again. (The replica count stays at the 2 real pods, so
      // "desired" is what the HPA would set from 2.)
      const after = decisions.filter((d) => d.phase === 'idle-after');
      const down = after.find((d) => d.decision.desiredReplicas < 2);
      expect(down, 'no scale-down after the load').toBeDefined();
      const lastHigh = [...decisions]
        .reverse()
        .find((d) => (d.decision.proposal ?? 0) >= 2 && d.t < (down?.t ?? 0));
      expect((down?.t ?? 0) - (lastHigh?.t ?? 0)).toBeGreaterThanOrEqual(
        SCALE_DOWN_WINDOW - SYNC_SECONDS,
      );
      console.log(
        `scale-down decision ${((down?.t ?? 0) - IDLE_BEFORE - LOAD).toFixed(0)}s after the load stopped`,
      );
      const proposals = after.map((d) => d.decision.proposal ?? 0);
      for (let i = 1; i < proposals.length; i++)
        expect(proposals[i]).toBeLessThanOrEqual(proposals[i - 1] as number);
      expect(
        after
          .slice(after.indexOf(down as (typeof after)[number]))
          .every((d) => d.decision.desiredReplicas <= 2),
      ).toBe(true);

      // What simulate makes of this run with the guide's HPA and the project's.
      const slowVariant = structuredClone(project);
      for (const m of slowVariant.spec.metrics ?? []) {
        if (m.pods?.metric.name === 'request_queue_depth_avg') m.pods.metric.name = avg1m;
      }
      const configs = [
        { name: 'guide (infra/hpa/guide-hpa.yaml)', hpa: guide },
        { name: 'project (infra/base/hpa.yaml)', hpa: project },
        { name: 'project, 1m depth window', hpa: slowVariant },
      ];
      const report = simulate(trace, configs);
      console.log(formatSummaryTable(report));
      console.log(formatPhaseTable(sweepSyncPhases(trace, configs)));
      expect(report.results.every((r) => r.summary.timeToFirstScaleUp !== undefined)).toBe(true);

      // The CLI's watch against the same Prometheus, once.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          join(REPO_ROOT, 'packages/autoscale/dist/cli.js'),
          'watch',
          '--prometheus',
          prometheus.url,
          '--hpa',
          'infra/base/hpa.yaml',
          '--adapter-values',
          'infra/helm/prometheus-adapter-values.yaml',
          '--namespace',
          'e2e',
          '--count',
          '1',
          '--json',
        ],
        { cwd: REPO_ROOT },
      );
      const tick = JSON.parse(stdout) as { pods: string[]; decision: HpaDecision };
      expect(tick.pods).toEqual(['model-server-a', 'model-server-b']);
      expect(tick.decision.metrics.every((m) => m.error === undefined)).toBe(true);
    },
    (IDLE_BEFORE + LOAD + IDLE_AFTER + 120) * 1000,
  );
});
