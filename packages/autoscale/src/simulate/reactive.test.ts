import { readFileSync } from 'node:fs';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseAdapterValues } from '../adapter/rules.js';
import { podModel } from '../capacity/model.js';
import type { CapacityProfile, CapacityStep } from '../capacity/profile.js';
import { mixtureQuantile } from './latency-mix.js';
import { parseLoadCsv } from './load.js';
import { type ReactiveConfig, simulateReactive } from './reactive.js';
import { formatReactivePhaseTable, sweepReactivePhases } from './reactive-phases.js';
import { formatReactiveTable, renderReactiveChart } from './reactive-report.js';
import {
  DEFAULT_ADAPTER_VALUES,
  defaultAdapterRules,
  type Signal,
  signalFromQuery,
  signalsFromRules,
} from './signals.js';

/** A pod serving 100 req/s at most, 10 ms at any rate below (p50 = p95 = p99 = 10 ms). */
function flatProfile(options: { shedding?: CapacityProfile['shedding'] } = {}): CapacityProfile {
  const step = (rps: number, saturated = false): CapacityStep => ({
    offeredRps: saturated ? rps + 20 : rps,
    achievedRps: rps,
    durationSeconds: 10,
    sent: rps * 10,
    ok: rps * 10,
    rejected: 0,
    errors: 0,
    latency: { p50: 0.01, p95: 0.01, p99: 0.01, mean: 0.01, max: 0.01 },
    server: {
      meanQueueDepth: rps * 0.01,
      meanWaitSeconds: 0,
      meanBatchSize: 1,
      meanInferenceSeconds: 0.01,
    },
    saturated,
  });
  return {
    schema: 'mlscale.dev/capacity-profile/v1',
    measuredAt: '2026-01-01T00:00:00Z',
    target: {
      url: 'http://x/predict',
      bodyBytes: 1,
      bodySha256: '',
      model: null,
      emulatedDevice: null,
    },
    ramp: { startRps: 20, stepRps: 30, stepSeconds: 10, warmupSeconds: 0, timeoutSeconds: 5 },
    steps: [step(20), step(50), step(80), step(100, true)],
    maxSustainableRps: 80,
    saturationRps: 120,
    ...(options.shedding !== undefined ? { shedding: options.shedding } : {}),
  };
}

const signals = new Map<string, Signal>(
  [...signalsFromRules(defaultAdapterRules())].flatMap(([name, s]) =>
    s.ok ? [[name, s.value] as const] : [],
  ),
);

/** An HPA on one Pods metric (by default the mean queue depth, target 1). */
function podsHpa(
  name: string,
  min: number,
  max: number,
  behavior?: HorizontalPodAutoscaler['spec']['behavior'],
  metric: { name: string; averageValue: string } = {
    name: 'request_queue_depth_avg',
    averageValue: '1',
  },
): ReactiveConfig {
  return {
    name,
    signals,
    hpa: {
      metadata: { name },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: min,
        maxReplicas: max,
        ...(behavior ? { behavior } : {}),
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: metric.name },
              target: { type: 'AverageValue', averageValue: metric.averageValue },
            },
          },
        ],
      },
    },
  };
}

const guide = parse(
  readFileSync(new URL('../../examples/guide-hpa.yaml', import.meta.url), 'utf8'),
) as HorizontalPodAutoscaler;

describe('reactive simulator: known answers', () => {
  const pod = podModel(flatProfile());

  it('below capacity: no queue, the profile latency', () => {
    const report = simulateReactive(pod, parseLoadCsv('time,rps\n0,50\n120,50\n'), [
      podsHpa('one', 1, 1),
    ]);
    const { summary, seconds } = report.results[0] ?? { summary: undefined, seconds: [] };
    expect(seconds).toHaveLength(120);
    expect(
      seconds.every((s) => s.backlog === 0 && s.p95 !== undefined && Math.abs(s.p95 - 0.01) < 1e-6),
    ).toBe(true);
    expect(summary).toMatchObject({
      sloViolationSeconds: 0,
      failed: 0,
      replicaSeconds: 120,
      scaleEvents: 0,
    });
  });

  it('above capacity: the backlog grows at λ - μ and every second waits for it', () => {
    const report = simulateReactive(pod, parseLoadCsv('time,rps\n0,150\n60,150\n'), [
      podsHpa('one', 1, 1),
    ]);
    const seconds = report.results[0]?.seconds ?? [];
    // 150 offered, 100 served: 50 more requests waiting every second
    for (const [i, s] of seconds.entries()) expect(s.backlog).toBeCloseTo(50 * (i + 1), 6);
    // in the 30th second the backlog grows from 1450 to 1500: a mean wait of 1475 / 100 s = 14.75 s,
    // all requests of a tick wait alike, so p95 ≈ 10 ms + the wait of the last ticks
    const s30 = seconds[29];
    expect(s30?.mean).toBeCloseTo(0.01 + 14.75, 6);
    expect(s30?.p95).toBeGreaterThan(14.75);
    expect(s30?.p95).toBeLessThan(15.01);
    expect(report.results[0]?.summary.sloViolationSeconds).toBe(60);
  });

  it('a pod that sheds answers 503 to what exceeds its queue', () => {
    const shedding = podModel(flatProfile({ shedding: { concurrency: 1, maxWaiting: 99 } }));
    const report = simulateReactive(shedding, parseLoadCsv('time,rps\n0,150\n60,150\n'), [
      podsHpa('one', 1, 1),
    ]);
    const seconds = report.results[0]?.seconds ?? [];
    // the pod holds 100: its steady depth at capacity (the last unsaturated step's, 0.8) plus a
    // backlog of 99.2; full after ~2 s, then the 50 req/s above capacity are shed
    expect(shedding.at(150).depth).toBeCloseTo(0.8, 9);
    expect(seconds[59]?.backlog).toBeCloseTo(99.2, 6);
    expect(seconds[59]?.failed).toBeCloseTo(50, 6);
    // 5 % of the requests fail and the rest wait ~1 s: p95 is over 200 ms
    expect(report.results[0]?.summary.failed).toBeGreaterThan(2500);
  });

  it('a faster-reacting HPA spends fewer seconds over the SLO', () => {
    const load = parseLoadCsv('time,rps\n0,150\n60,600\n300,150\n600,150\n');
    const slow = podsHpa('slow', 2, 10, {
      scaleUp: {
        stabilizationWindowSeconds: 30,
        policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }],
      },
    });
    const fast = podsHpa('fast', 2, 10, {
      scaleUp: {
        stabilizationWindowSeconds: 0,
        policies: [{ type: 'Percent', value: 400, periodSeconds: 15 }],
      },
    });
    const report = simulateReactive(pod, load, [slow, fast], { startupDelaySeconds: 30 });
    const [s, f] = report.results.map((r) => r.summary);
    expect(f?.timeToFirstScaleUp).toBeLessThanOrEqual(s?.timeToFirstScaleUp ?? 0);
    expect(f?.sloViolationSeconds).toBeLessThan(s?.sloViolationSeconds ?? 0);
    expect(f?.recoverySeconds).toBeLessThan(s?.recoverySeconds ?? Number.POSITIVE_INFINITY);
    // new pods serve 30 s after the decision: capacity catches up only then
    const fastSeconds = report.results[1]?.seconds ?? [];
    const firstUp = (f?.timeToFirstScaleUp ?? 0) + report.stepAt;
    expect(fastSeconds.find((x) => x.time === firstUp + 29)?.ready).toBe(2);
    expect(fastSeconds.find((x) => x.time === firstUp + 30)?.ready).toBeGreaterThan(2);
    const table = formatReactiveTable(report);
    expect(table).toMatch(/^slow\s+\d+/m);
    const svg = renderReactiveChart(report);
    expect(svg).toContain('>fast<');
    expect(svg).toContain('stroke-dasharray="8 4"');
  });

  it("the guide's HPA never scales down when idle: its mean latency is NaN, and says so", () => {
    const load = parseLoadCsv('time,rps\n0,300\n120,0\n900,0\n');
    const report = simulateReactive(pod, load, [{ name: 'guide', hpa: guide, signals }], {
      initialReplicas: 4,
      stepAt: 0,
    });
    const { summary } = report.results[0] ?? { summary: undefined };
    expect(summary?.finalReplicas).toBe(4);
    expect(summary?.blocked).toEqual([
      expect.objectContaining({ direction: 'down', metrics: ['inference_latency_seconds_avg'] }),
    ]);
    expect(summary?.blocked[0]?.seconds).toBeGreaterThan(600);
    expect(formatReactiveTable(report)).toMatch(
      /blocked from scaling down for \d+ s: no valid inference_latency_seconds_avg/,
    );
    expect(renderReactiveChart(report)).toContain('blocked from scaling down');
  });

  it("counts a request's latency when it is answered, as the server's histogram does, not when it arrives", () => {
    // One pod of 100 req/s offered 200 req/s from 0 s: the backlog grows by 100 a second, so a
    // request arriving at a waits a seconds and is answered at 2a. The latency mean over the 60 s
    // window at the sync at 60 s (scrapes at 5 … 60 s) sees the requests answered in [5, 60):
    // those that arrived in [2.5, 30), 16.25 s on average. Counted at arrival it would be the
    // requests of [5, 60): 32.5 s, ahead of what the pod reports.
    const latency = podsHpa('latency', 1, 1, undefined, {
      name: 'http_request_duration_seconds_avg',
      averageValue: '200m',
    });
    const report = simulateReactive(pod, parseLoadCsv('time,rps\n0,200\n61,200\n'), [latency]);
    const sync = report.results[0]?.syncs.find((s) => s.time === 60);
    expect(sync?.seen.http_request_duration_seconds_avg).toBeGreaterThan(16);
    expect(sync?.seen.http_request_duration_seconds_avg).toBeLessThan(16.6);
  });

  it('drains removed pods: they count until their backlog is served', () => {
    const load = parseLoadCsv('time,rps\n0,150\n30,0\n400,0\n');
    const down = podsHpa('down', 1, 2, {
      scaleDown: {
        stabilizationWindowSeconds: 0,
        policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }],
      },
    });
    const report = simulateReactive(pod, load, [down], { initialReplicas: 2 });
    const seconds = report.results[0]?.seconds ?? [];
    expect(seconds[seconds.length - 1]?.replicas).toBe(1);
    expect(seconds.every((s) => s.pods >= s.replicas)).toBe(true);
  });
});

describe("reactive simulator: a pod's own share of a shared GPU", () => {
  const project = parseAdapterValues(
    readFileSync(
      new URL('../../examples/project/prometheus-adapter-values.yaml', import.meta.url),
      'utf8',
    ),
  );
  if (!project.ok) throw new Error(project.error);
  const shares = signalsFromRules(project.value.custom);

  it('reads the adapter rule of gpu_process_utilization_percent as the share signal', () => {
    expect(shares.get('gpu_process_utilization_percent')).toMatchObject({
      ok: true,
      value: { kind: 'gpuShare' },
    });
    // the device-wide one depends on who shares the GPU: a simulated pod does not export it
    expect(shares.has('gpu_utilization_percent')).toBe(false);
    expect(signalFromQuery('avg(gpu_utilization_percent{pod="a"}) by (pod)')).toMatchObject({
      ok: false,
    });
  });

  it('is the busy fraction: 150 req/s on pods of 100 req/s settles at 3 pods for a 50 % target', () => {
    const share = shares.get('gpu_process_utilization_percent');
    if (!share?.ok) throw new Error('no share signal');
    const config = podsHpa('share', 2, 10, undefined, {
      name: 'gpu_process_utilization_percent',
      averageValue: '50',
    });
    const report = simulateReactive(
      podModel(flatProfile()),
      parseLoadCsv('time,rps\n0,150\n300,150\n'),
      [{ ...config, signals: new Map([['gpu_process_utilization_percent', share.value]]) }],
    );
    const result = report.results[0];
    // 75 % each on 2 pods: ceil(2 × 75 / 50) = 3, then 50 % each: within tolerance
    expect(result?.summary.finalReplicas).toBe(3);
    expect(result?.summary.scaleEvents).toBe(1);
  });
});

describe('reactive simulator over sync phases', () => {
  it('runs one phase per second of the sync period and gives the spread', () => {
    const pod = podModel(flatProfile());
    const load = parseLoadCsv('time,rps\n0,150\n31,400\n200,400\n');
    const slow = podsHpa('slow', 2, 10, {
      scaleUp: {
        stabilizationWindowSeconds: 20,
        policies: [{ type: 'Pods', value: 1, periodSeconds: 20 }],
      },
    });
    const fast = podsHpa('fast', 2, 10, {
      scaleUp: {
        stabilizationWindowSeconds: 0,
        policies: [{ type: 'Percent', value: 400, periodSeconds: 5 }],
      },
    });
    const phases = sweepReactivePhases(pod, load, [slow, fast], {
      syncPeriodSeconds: 5,
      startupDelaySeconds: 10,
    });
    expect(phases.map((p) => p.phases)).toEqual([5, 5]);
    const [s, f] = phases;
    for (const p of phases) {
      expect(p.sloViolationSeconds.min).toBeLessThanOrEqual(p.sloViolationSeconds.mean);
      expect(p.sloViolationSeconds.mean).toBeLessThanOrEqual(p.sloViolationSeconds.max);
    }
    // the step at 31 s falls 1 … 5 s before the next sync: the first scale-up spreads over the phases
    expect(f?.timeToFirstScaleUp?.max).toBeGreaterThan(f?.timeToFirstScaleUp?.min ?? Infinity);
    expect(f?.sloViolationSeconds.mean).toBeLessThan(s?.sloViolationSeconds.mean ?? 0);
    expect(formatReactivePhaseTable(phases)).toMatch(/^fast\s+\d+/m);
  });
});

describe('signals', () => {
  it('reads the default rules by shape', () => {
    const all = signalsFromRules(defaultAdapterRules());
    expect([...all.keys()].sort()).toEqual([
      'http_request_duration_seconds_avg',
      'inference_latency_seconds_avg',
      'request_queue_depth',
      'request_queue_depth_avg',
    ]);
    expect(all.get('inference_latency_seconds_avg')).toMatchObject({
      ok: true,
      value: { kind: 'mean', source: 'inference', windowSeconds: 120, idle: 'missing' },
    });
    expect(all.get('request_queue_depth')).toMatchObject({
      ok: true,
      value: { kind: 'depthGauge' },
    });
    expect(DEFAULT_ADAPTER_VALUES).toContain('[15s]');
  });

  it('reports a rule it cannot model instead of guessing', () => {
    const values = parseAdapterValues(`rules:
  custom:
    - seriesQuery: 'inference_latency_seconds_bucket{namespace!="",pod!=""}'
      resources: { overrides: { namespace: { resource: namespace }, pod: { resource: pod } } }
      name: { matches: "^(.*)_bucket$", as: "\${1}_p95" }
      metricsQuery: "histogram_quantile(0.95, sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (le, <<.GroupBy>>))"
`);
    expect(values.ok).toBe(true);
    if (!values.ok) return;
    expect(
      signalsFromRules(values.value.custom).get('inference_latency_seconds_p95'),
    ).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /quantile from inference_latency_seconds_bucket is not modelled/,
      ),
    });
    expect(signalFromQuery('sum(up)')).toMatchObject({ ok: false });
  });
});

describe('latency mixture', () => {
  const point = podModel(flatProfile()).at(50);
  it('is the group quantile for one group, and counts failures as too slow', () => {
    expect(mixtureQuantile([{ weight: 10, point, extraWait: 0 }], 0, 0.95)).toBeCloseTo(0.01, 6);
    expect(mixtureQuantile([{ weight: 10, point, extraWait: 0 }], 1, 0.95)).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(mixtureQuantile([], 0, 0.95)).toBeUndefined();
    // 90 % fast, 10 % with 1 s of backlog: p95 is in the slow group
    const p95 = mixtureQuantile(
      [
        { weight: 90, point, extraWait: 0 },
        { weight: 10, point, extraWait: 1 },
      ],
      0,
      0.95,
    );
    expect(p95).toBeGreaterThan(1);
  });
});
