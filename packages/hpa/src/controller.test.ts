import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HpaController } from './controller.js';
import { describeDecision, formatTargets } from './describe.js';
import type { HorizontalPodAutoscaler, HpaSpec } from './types.js';

const guideHpa = parse(
  readFileSync(new URL('../test/guide-hpa.yaml', import.meta.url), 'utf8'),
) as HorizontalPodAutoscaler;

function queueSpec(extra: Partial<HpaSpec> = {}): HpaSpec {
  return {
    minReplicas: 1,
    maxReplicas: 10,
    metrics: [
      {
        type: 'Pods',
        pods: { metric: { name: 'q' }, target: { type: 'AverageValue', averageValue: '10' } },
      },
    ],
    ...extra,
  };
}

describe('HpaController with the guide HPA (2 pods per 60 s up, 30 s window; 1 pod per 120 s down, 300 s window)', () => {
  it('waits out the 30 s scale-up window, then adds 2 pods per 60 s', () => {
    const hpa = new HpaController(guideHpa);
    const load = { inference_latency_seconds_avg: 0.05, request_queue_depth: 40 };
    let replicas = 2;
    const timeline: number[] = [];
    for (let t = 0; t <= 150; t += 15) {
      const d = hpa.sync({ time: t, currentReplicas: replicas, metrics: load });
      replicas = d.desiredReplicas;
      timeline.push(replicas);
    }
    // The t=0 recommendations leave the 30 s window at t=30 (upstream keeps only those strictly
    // after the cutoff); the next 2 pods wait until the t=30 event is out of the 60 s period.
    expect(timeline).toEqual([2, 2, 4, 4, 4, 4, 6, 6, 6, 6, 8]);
  });

  it('explains a limited scale-up', () => {
    const hpa = new HpaController(guideHpa);
    hpa.sync({
      time: 0,
      currentReplicas: 2,
      metrics: { inference_latency_seconds_avg: 0.05, request_queue_depth: 40 },
    });
    const d = hpa.sync({
      time: 31,
      currentReplicas: 2,
      metrics: { inference_latency_seconds_avg: 0.05, request_queue_depth: 40 },
    });
    expect(d.proposal).toBe(8);
    expect(d.proposalMetric).toBe('pods metric request_queue_depth');
    expect(d.limit).toMatchObject({
      replicas: 4,
      reason: 'ScaleUpLimit',
      policy: { type: 'Pods', value: 2, periodSeconds: 60 },
    });
    expect(formatTargets(d.metrics)).toBe('50m/200m, 40/10');
    expect(describeDecision(d)).toContain('limited to 4 by ScaleUpLimit (Pods 2 per 60s)');
  });

  it('scales down one pod per 120 s only after the 300 s window', () => {
    const hpa = new HpaController(guideHpa);
    let replicas = 6;
    const changes: [number, number][] = [];
    hpa.sync({
      time: 0,
      currentReplicas: 6,
      metrics: { inference_latency_seconds_avg: 0.3, request_queue_depth: 12 },
    });
    for (let t = 15; t <= 600; t += 15) {
      const d = hpa.sync({
        time: t,
        currentReplicas: replicas,
        metrics: { inference_latency_seconds_avg: 0.01, request_queue_depth: 0 },
      });
      if (d.scaled) changes.push([t, d.desiredReplicas]);
      replicas = d.desiredReplicas;
    }
    expect(changes).toEqual([
      [300, 5],
      [420, 4],
      [540, 3],
    ]);
  });
});

describe('several metrics and invalid metrics (computeReplicasForMetrics)', () => {
  const twoMetrics = (): HpaSpec => ({
    minReplicas: 2,
    maxReplicas: 6,
    metrics: [
      {
        type: 'Pods',
        pods: { metric: { name: 'a' }, target: { type: 'AverageValue', averageValue: '10' } },
      },
      {
        type: 'Pods',
        pods: { metric: { name: 'b' }, target: { type: 'AverageValue', averageValue: '10' } },
      },
    ],
  });
  it('the largest proposal wins', () => {
    const d = new HpaController(twoMetrics()).sync({
      time: 0,
      currentReplicas: 3,
      metrics: { a: 15, b: 20 },
    });
    expect(d.proposal).toBe(6);
    expect(d.proposalMetric).toBe('pods metric b');
  });
  it('TestScaleUpOneMetricInvalid: scales up on the valid metric', () => {
    const d = new HpaController(twoMetrics()).sync({
      time: 0,
      currentReplicas: 3,
      metrics: { a: 13 },
    });
    expect(d.desiredReplicas).toBe(4);
    expect(d.error).toMatch(
      /^invalid metrics \(1 invalid out of 2\), first error is: unable to get metric b/,
    );
  });
  it('TestScaleDownOneMetricInvalid: does not scale down while a metric is invalid', () => {
    const d = new HpaController(twoMetrics()).sync({
      time: 0,
      currentReplicas: 5,
      metrics: { a: 1 },
    });
    expect(d).toMatchObject({
      desiredReplicas: 5,
      scaled: false,
      reason: 'FailedComputeMetricsReplicas',
    });
  });
  it('TestScaleUpBothMetricsEmpty / all invalid: no scaling', () => {
    const d = new HpaController(twoMetrics()).sync({ time: 0, currentReplicas: 3, metrics: {} });
    expect(d.scaled).toBe(false);
    expect(d.error).toMatch(/2 invalid out of 2/);
  });
  it('reports Resource metrics as not simulated', () => {
    const spec = twoMetrics();
    spec.metrics?.push({
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
    });
    const d = new HpaController(spec).sync({
      time: 0,
      currentReplicas: 3,
      metrics: { a: 30, b: 1 },
    });
    expect(d.desiredReplicas).toBe(6);
    expect(d.metrics[2]?.error).toMatch(/not simulated/);
  });
});

describe('bounds and the legacy path (behavior absent)', () => {
  it('TestMinReplicas / TestMaxReplicas: clamps current replicas outside the bounds first', () => {
    expect(
      new HpaController(queueSpec({ minReplicas: 2 })).sync({
        time: 0,
        currentReplicas: 1,
        metrics: { q: 0 },
      }),
    ).toMatchObject({
      desiredReplicas: 2,
      reason: 'Current number of replicas below Spec.MinReplicas',
    });
    expect(
      new HpaController(queueSpec()).sync({ time: 0, currentReplicas: 12, metrics: { q: 0 } })
        .desiredReplicas,
    ).toBe(10);
  });
  it('TestZeroReplicas: scaling is disabled at 0 replicas with minReplicas > 0', () => {
    expect(
      new HpaController(queueSpec()).sync({ time: 0, currentReplicas: 0, metrics: { q: 50 } }),
    ).toMatchObject({
      desiredReplicas: 0,
      scaled: false,
    });
  });
  it('TestScaleUpRCImmediately-like: limits a scale-up to max(2 × current, 4) without behavior', () => {
    const d = new HpaController(queueSpec()).sync({
      time: 0,
      currentReplicas: 1,
      metrics: { q: 90 },
    });
    expect(d).toMatchObject({ proposal: 9, desiredReplicas: 4, limit: { reason: 'ScaleUpLimit' } });
  });
  it('keeps the highest recommendation of the last 300 s on a scale-down', () => {
    const hpa = new HpaController(queueSpec());
    let replicas = 4;
    const seen: number[] = [];
    for (let t = 0; t <= 330; t += 15) {
      const d = hpa.sync({ time: t, currentReplicas: replicas, metrics: { q: t === 0 ? 10 : 1 } });
      replicas = d.desiredReplicas;
      seen.push(replicas);
    }
    // the t=0 recommendation of 4 stops counting once it is strictly older than 300 s
    expect(seen.indexOf(1) * 15).toBe(315);
  });
  it('honours a per-direction tolerance from behavior', () => {
    const spec = queueSpec({ behavior: { scaleUp: { tolerance: '0.5' } } });
    const d = new HpaController(spec).sync({
      time: 0,
      currentReplicas: 2,
      pods: [{ name: 'a' }, { name: 'b' }],
      metrics: { q: { a: 14, b: 14 } },
    });
    expect(d.desiredReplicas).toBe(2);
    expect(
      new HpaController(queueSpec({ behavior: {} })).sync({
        time: 0,
        currentReplicas: 2,
        metrics: { q: 14 },
      }).desiredReplicas,
    ).toBe(3);
  });
  it('rejects a spec without maxReplicas and a bad quantity with a clear message', () => {
    expect(() => new HpaController({ spec: {} } as unknown as HorizontalPodAutoscaler)).toThrow(
      /maxReplicas/,
    );
    expect(
      () =>
        new HpaController(
          queueSpec({
            metrics: [
              {
                type: 'Pods',
                pods: {
                  metric: { name: 'q' },
                  target: { type: 'AverageValue', averageValue: 'ten' },
                },
              },
            ],
          }),
        ),
    ).toThrow(/invalid quantity "ten"/);
  });
});
