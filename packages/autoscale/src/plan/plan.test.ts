import { readFileSync } from 'node:fs';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { HpaController } from '@mlscale/hpa';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { readScaledObject } from '../adapter/keda.js';
import { parseAdapterValues } from '../adapter/rules.js';
import { podModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { parseLoadCsv } from '../simulate/load.js';
import { simulateReactive } from '../simulate/reactive.js';
import { type Signal, signalFromQuery, signalsFromRules } from '../simulate/signals.js';
import { hpaFromScaledObject } from '../watch/watcher.js';
import { planAutoscaling } from './plan.js';
import { renderPlan } from './render.js';

const profile = JSON.parse(
  readFileSync(
    new URL('../../examples/capacity/emulated-pod.profile.json', import.meta.url),
    'utf8',
  ),
) as CapacityProfile;
const pod = podModel(profile);
const slo = { statistic: 'p95', seconds: 0.2 } as const;

describe('plan', () => {
  // By hand, from the profile: every unsaturated step meets p95 200 ms; the highest is 349 req/s.
  // Less 20 %: 279.2 req/s per pod. The mean latency there, between the 250 (30.5 ms) and 300 req/s
  // (35 ms) steps: 30.5 + (29.2 / 50) x 4.5 = 33.128 ms. Little's law: 279.2 x 0.033128 = 9.2493.
  const plan = planAutoscaling(pod, { slo, baseRps: 400, peakRps: 1600, startupSeconds: 30 });

  it('derives the per-pod targets from the profile', () => {
    expect(plan.sloRps.value).toBe(349);
    expect(plan.targetRps.value).toBeCloseTo(279.2, 9);
    // The latency guard: p95 reaches 200 ms at a mean of 200 x 46 / 80 = 115 ms, if latency keeps
    // the shape of the 349 req/s step (mean 46 ms, p95 80 ms); an idle pod's 23 ms is 20 % of it.
    expect(plan.latencyTarget.value).toBeCloseTo(0.115, 9);
    expect(plan.latencyTarget.why).toMatch(/23 ms is 20 % of it, far below/);
    expect(plan.depthTarget.value).toBeCloseTo(279.2 * 0.033128, 9);
    expect(plan.depthTarget.why).toMatch(/Little's law at 279.2 req\/s per pod/);
    expect(plan.depthWindowSeconds.value).toBe(15);
  });

  it('sizes minReplicas so that a burst drains within one start-up, and maxReplicas for the peak', () => {
    // The peak at the per-pod target: ceil(1600 / 279.2) = 6 pods. A step from 400 to 1600 req/s
    // is served by the new pods a sync, a scrape and a start-up later (15 + 5 + 30 = 50 s); until
    // then each of m pods queues 1600 / m - 395 req/s, and afterwards drains at 395 - 1600 / 6.
    // m = 2: (800 - 395) x 50 = 20,250 each, 157.8 s; m = 3: 6,916.7 each, 53.9 s; m = 4:
    // (400 - 395) x 50 = 250 each, 1.95 s, within the 30 s start-up.
    expect(plan.minReplicas.value).toBe(4);
    expect(plan.minReplicas.why).toMatch(
      /= 2; raised to 4 .*2 pods: 158 s, 3 pods: 54 s, 4 pods: 2 s/,
    );
    expect(plan.burst?.drainByMinReplicas.map((d) => d.minReplicas)).toEqual([2, 3, 4]);
    expect(plan.burst?.drainByMinReplicas[0]?.drainSeconds).toBeCloseTo(
      20_250 / (395 - 1600 / 6),
      9,
    );
    expect(plan.burst?.backlog).toBeCloseTo(1000, 9);
    expect(plan.burst?.drainSeconds).toBeCloseTo(250 / (395 - 1600 / 6), 9);
    expect(plan.maxReplicas.value).toBe(6);
    expect(plan.scaleUp.pods.value).toBe(2);
    expect(plan.scaleUp.periodSeconds.value).toBe(15);
    // Pods are held as long as one takes to come back: 50 s.
    expect(plan.scaleDown.stabilizationWindowSeconds.value).toBe(50);
  });

  it('takes minReplicas as given, and says what the burst then costs', () => {
    const two = planAutoscaling(pod, {
      slo,
      baseRps: 400,
      peakRps: 1600,
      startupSeconds: 30,
      minReplicas: 2,
    });
    expect(two.minReplicas).toMatchObject({ value: 2, why: expect.stringMatching(/^as given/) });
    expect(two.maxReplicas.value).toBe(6);
    expect(two.burst?.drainSeconds).toBeCloseTo(20_250 / (395 - 1600 / 6), 9);
    expect(two.burst?.why).toMatch(/about 158 s more/);
    expect(() => planAutoscaling(pod, { slo, minReplicas: 1.5 })).toThrow(/whole number/);
  });

  it('keeps the latency guard clear of the idle latency, so that it never holds a scale-down', () => {
    // Idle pods (23 ms against 115 ms) make the guard propose ceil(6 x 0.2) = 2: below the
    // depth's, so the HPA goes to minReplicas once the window has passed. (A guard at the mean
    // latency of the target rate, 33 ms, would propose ceil(6 x 23 / 33) = 5 and hold a pod.)
    const hpa = parse(renderPlan(plan).files['hpa.yaml'] as string) as HorizontalPodAutoscaler;
    const controller = new HpaController(hpa);
    const metrics = (depth: number, latency: number) => ({
      request_queue_depth_avg: Array(6).fill(depth),
      http_request_duration_seconds_avg: Array(6).fill(latency),
    });
    controller.sync({ time: 0, currentReplicas: 6, metrics: metrics(9, 0.05) });
    const d = controller.sync({ time: 60, currentReplicas: 6, metrics: metrics(0.5, 0.023) });
    expect(d.desiredReplicas).toBe(4);
  });

  it('falls back to stated defaults without rates', () => {
    const bare = planAutoscaling(pod, { slo });
    expect(bare.minReplicas).toMatchObject({
      value: 2,
      why: expect.stringMatching(/no --base-rate/),
    });
    expect(bare.maxReplicas).toMatchObject({
      value: 10,
      why: expect.stringMatching(/no --peak-rate/),
    });
    expect(bare.burst).toBeUndefined();
    expect(planAutoscaling(pod, { slo, baseRps: 2000 }).minReplicas.value).toBe(
      Math.ceil(2000 / 279.2),
    );
  });

  it('refuses an SLO no measured rate meets, and rates out of order', () => {
    expect(() => planAutoscaling(pod, { slo: { statistic: 'p95', seconds: 0.01 } })).toThrow(
      /no measured rate meets p95=10ms: at the lowest step \(50 req\/s\) p95 is already 27 ms/,
    );
    expect(() => planAutoscaling(pod, { slo, baseRps: 500, peakRps: 100 })).toThrow(
      /below the base rate/,
    );
  });
});

describe('plan for pods sharing a GPU (--gpu-share)', () => {
  it("targets each pod's own GPU share: its busy fraction at the per-pod rate", () => {
    // 279.2 of μ = 395 req/s: busy 70.68 % of the time
    const alone = planAutoscaling(pod, { slo, podsPerGpu: 1 });
    expect(alone.gpuShareTarget?.value).toBeCloseTo((100 * 279.2) / 395, 9);
    const { files } = renderPlan(alone);
    const hpa = parse(files['hpa.yaml'] ?? '') as HorizontalPodAutoscaler;
    expect(
      hpa.spec.metrics?.map((m) => [m.pods?.metric.name, m.pods?.target.averageValue]),
    ).toEqual([
      ['request_queue_depth_avg', expect.any(String)],
      ['http_request_duration_seconds_avg', expect.any(String)],
      ['gpu_process_utilization_percent', '70684m'],
    ]);
    expect(files['hpa.yaml']).toContain("# 70.68 %: the pod's own GPU share at 279.2 req/s");
    const values = parseAdapterValues(files['prometheus-adapter-values.yaml'] ?? '');
    if (!values.ok) throw new Error(values.error);
    expect(
      signalsFromRules(values.value.custom).get('gpu_process_utilization_percent'),
    ).toMatchObject({
      ok: true,
      value: { kind: 'gpuShare' },
    });
    expect(planAutoscaling(pod, { slo }).gpuShareTarget).toBeUndefined();
  });

  it('caps the share below 100 / pods per GPU, where a higher target would never scale up', () => {
    const shared = planAutoscaling(pod, { slo, podsPerGpu: 2 });
    expect(shared.gpuShareTarget?.value).toBeCloseTo(40, 9); // 100 / 2 less 20 % headroom
    expect(shared.gpuShareTarget?.why).toMatch(
      /capped at 100 \/ 2 pods per GPU .* 141\.4 % of one GPU/,
    );
    expect(() => planAutoscaling(pod, { slo, podsPerGpu: 0 })).toThrow(/pods per GPU/);
  });
});

describe('plan manifests', () => {
  const plan = planAutoscaling(pod, { slo, baseRps: 400, peakRps: 1600 });

  it('writes an HPA the controller runs, each number commented', () => {
    const text = renderPlan(plan).files['hpa.yaml'] as string;
    const hpa = parse(text) as HorizontalPodAutoscaler;
    expect(hpa.spec).toMatchObject({ minReplicas: 4, maxReplicas: 6 });
    expect(
      hpa.spec.metrics?.map((m) => [m.pods?.metric.name, m.pods?.target.averageValue]),
    ).toEqual([
      ['request_queue_depth_avg', '9249m'],
      ['http_request_duration_seconds_avg', '115m'],
    ]);
    expect(text).toMatch(
      /# 9\.249: Little's law at 279\.2 req\/s per pod.*\n\s+averageValue: 9249m/,
    );
    expect(text).toMatch(
      /# ceil\(base 400 req\/s \/ 279\.2 req\/s per pod\) = 2; raised to 4 .*\n\s+minReplicas: 4/,
    );
    expect(text).toMatch(/# every pod from minReplicas to maxReplicas \(6 - 4\).*\n\s+value: 2/);
    // the burst: the HPA may go from 4 to 6 at the first sync that sees it
    const controller = new HpaController(hpa);
    const d = controller.sync({
      time: 0,
      currentReplicas: 4,
      metrics: {
        request_queue_depth_avg: [500, 500, 500, 500],
        http_request_duration_seconds_avg: [2, 2, 2, 2],
      },
    });
    expect(d.desiredReplicas).toBe(6);
  });

  it('writes adapter rules that serve the HPA metrics, read as the simulator reads them', () => {
    const text = renderPlan(plan).files['prometheus-adapter-values.yaml'] as string;
    const values = parseAdapterValues(text);
    expect(values.ok).toBe(true);
    if (!values.ok) return;
    const signals = signalsFromRules(values.value.custom);
    expect(signals.get('request_queue_depth_avg')).toMatchObject({
      ok: true,
      value: { kind: 'depthRate', windowSeconds: 15 },
    });
    expect(signals.get('http_request_duration_seconds_avg')).toMatchObject({
      ok: true,
      value: { kind: 'mean', source: 'latency', idle: 'zero', windowSeconds: 60 },
    });
    expect(text).not.toContain('*a1');
  });

  it('writes a KEDA ScaledObject with the same numbers', () => {
    const text = renderPlan(plan, { keda: true, namespace: 'serving' }).files[
      'scaledobject.yaml'
    ] as string;
    const so = readScaledObject(parseAllDocuments(text)[0]?.toJS());
    expect(so.ok).toBe(true);
    if (!so.ok) return;
    expect(so.value).toMatchObject({ minReplicaCount: 4, maxReplicaCount: 6 });
    expect(so.value.prometheusTriggers.map((t) => t.threshold)).toEqual([9.249, 0.115]);
    expect(so.value.prometheusTriggers[0]?.query).toContain('namespace="serving"');
    expect(so.value.prometheusTriggers.every((t) => !t.ignoreNullValues)).toBe(true);
  });

  it('simulates the same with the HPA and adapter rules as with the KEDA ScaledObject', () => {
    const { files } = renderPlan(plan);
    const values = parseAdapterValues(files['prometheus-adapter-values.yaml'] as string);
    const so = readScaledObject(
      parseAllDocuments(
        renderPlan(plan, { keda: true }).files['scaledobject.yaml'] as string,
      )[0]?.toJS(),
    );
    if (!values.ok || !so.ok) throw new Error('plan output does not read back');
    const fromRules = new Map<string, Signal>(
      [...signalsFromRules(values.value.custom)].flatMap(([k, v]) =>
        v.ok ? [[k, v.value] as const] : [],
      ),
    );
    const fromTriggers = new Map<string, Signal>(
      so.value.prometheusTriggers.flatMap((t) => {
        const signal = signalFromQuery(t.query);
        return signal.ok ? [[t.metricName, signal.value] as const] : [];
      }),
    );
    const report = simulateReactive(
      pod,
      parseLoadCsv('time,rps\n0,400\n60,1600\n360,400\n600,400\n'),
      [
        {
          name: 'hpa',
          hpa: parse(files['hpa.yaml'] as string) as HorizontalPodAutoscaler,
          signals: fromRules,
        },
        { name: 'keda', hpa: hpaFromScaledObject(so.value), signals: fromTriggers },
      ],
    );
    const [a, b] = report.results.map((r) => r.summary);
    expect(a?.maxReplicas).toBe(6);
    expect(b?.replicaSeconds).toBe(a?.replicaSeconds);
    expect(b?.sloViolationSeconds).toBe(a?.sloViolationSeconds);
  });
});
