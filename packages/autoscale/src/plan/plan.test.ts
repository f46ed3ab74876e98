import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { readScaledObject } from '../adapter/keda.js';
import { parseAdapterValues } from '../adapter/rules.js';
import { podModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { HpaController } from '../hpa/controller.js';
import type { HorizontalPodAutoscaler } from '../hpa/types.js';
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
    expect(plan.latencyTarget.value).toBeCloseTo(0.033128, 9);
    expect(plan.depthTarget.value).toBeCloseTo(279.2 * 0.033128, 9);
    expect(plan.depthTarget.why).toMatch(/Little's law at 279.2 req\/s per pod/);
    expect(plan.depthWindowSeconds.value).toBe(15);
  });

  it('sizes the replicas and the scale-up for the burst', () => {
    // base: ceil(400 / 279.2) = 2
    expect(plan.minReplicas.value).toBe(2);
    // 2 pods serve 790 req/s of the 1600: 810 req/s pile up for a sync, a scrape and a start-up
    // (15 + 5 + 30 s) = 40,500 requests; serving 1600 and draining that in 30 s takes
    // ceil((1600 + 1350) / 395) = 8 pods (the peak alone: ceil(1600 / 279.2) = 6)
    expect(plan.burst?.backlog).toBe(40_500);
    expect(plan.maxReplicas.value).toBe(8);
    expect(plan.scaleUp.pods.value).toBe(6);
    expect(plan.scaleUp.periodSeconds.value).toBe(15);
    // the backlog stays in the 2 pods that queued it: 20,250 each, drained at 395 - 1600 / 8 = 195 req/s
    expect(plan.burst?.drainSeconds).toBeCloseTo(20_250 / 195, 9);
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

describe('plan manifests', () => {
  const plan = planAutoscaling(pod, { slo, baseRps: 400, peakRps: 1600 });

  it('writes an HPA the controller runs, each number commented', () => {
    const text = renderPlan(plan).files['hpa.yaml'] as string;
    const hpa = parse(text) as HorizontalPodAutoscaler;
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 8 });
    expect(
      hpa.spec.metrics?.map((m) => [m.pods?.metric.name, m.pods?.target.averageValue]),
    ).toEqual([
      ['request_queue_depth_avg', '9249m'],
      ['http_request_duration_seconds_avg', '33m'],
    ]);
    expect(text).toMatch(
      /# 9\.249: Little's law at 279\.2 req\/s per pod.*\n\s+averageValue: 9249m/,
    );
    expect(text).toMatch(
      /# ceil\(base 400 req\/s \/ 279\.2 req\/s per pod\) = 2\n\s+minReplicas: 2/,
    );
    expect(text).toMatch(/# every pod from minReplicas to maxReplicas \(8 - 2\).*\n\s+value: 6/);
    // the burst: the HPA may go from 2 to 8 at the first sync that sees it
    const controller = new HpaController(hpa);
    const d = controller.sync({
      time: 0,
      currentReplicas: 2,
      metrics: { request_queue_depth_avg: [500, 500], http_request_duration_seconds_avg: [2, 2] },
    });
    expect(d.desiredReplicas).toBe(8);
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
    expect(so.value).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 8 });
    expect(so.value.prometheusTriggers.map((t) => t.threshold)).toEqual([9.249, 0.03313]);
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
    expect(a?.maxReplicas).toBe(8);
    expect(b?.replicaSeconds).toBe(a?.replicaSeconds);
    expect(b?.sloViolationSeconds).toBe(a?.sloViolationSeconds);
  });
});
