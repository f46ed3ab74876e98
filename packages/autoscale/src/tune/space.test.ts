import { readFileSync } from 'node:fs';
import { type HorizontalPodAutoscaler, HpaController } from '@mlscale/hpa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { podModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { candidateFiles, candidateLabel, candidatePlan, stabilizationWindows } from './space.js';

const profile = JSON.parse(
  readFileSync(new URL('../../examples/capacity/e2e-pod.profile.json', import.meta.url), 'utf8'),
) as CapacityProfile;
const pod = podModel(profile);
const timings = { startupSeconds: 12, syncPeriodSeconds: 15, scrapeIntervalSeconds: 5 };
const settings = {
  slo: { statistic: 'p95', seconds: 0.2 } as const,
  timings,
  peakRps: 245,
  why: 'on the test trace',
};

/** Syncs an HPA on a queue depth far above its target, as a burst's backlog reads. */
function scaleUpsFrom(hpa: HorizontalPodAutoscaler, replicas: number): number[] {
  const controller = new HpaController(hpa);
  const name = hpa.spec.metrics?.[0]?.pods?.metric.name as string;
  const seen: number[] = [];
  for (let t = 0; t <= 45; t += 15) {
    const pods = Object.fromEntries(Array.from({ length: replicas }, (_, i) => [`p${i}`, 100]));
    replicas = controller.sync({
      time: t,
      currentReplicas: replicas,
      metrics: { [name]: pods },
    }).desiredReplicas;
    seen.push(replicas);
  }
  return seen;
}

describe('the tune space', () => {
  it('writes a scale-up limit as selectPolicy Min over the two policies, each number commented, and the HPA holds to it', () => {
    const candidate = { headroom: 0.15, minReplicas: 4, scaleUpPods: 1 };
    const plan = candidatePlan(pod, candidate, settings);
    const files = candidateFiles(plan, candidateLabel(candidate, plan));
    expect(files.name).toBe('tuned: headroom 15%, min 4, down-window 32s, up 1 pod/sync');
    expect(files.hpaYaml).toMatch(
      /# the fewer pods of the two policies: [^\n]*chosen by mlscale tune: on the test trace\)\n\s+selectPolicy: Min\n/,
    );
    expect(files.hpaYaml).toMatch(
      /# at most 1 pod a sync, chosen by mlscale tune \(the plan's would add up to \d+ at one sync\)[^\n]*\n\s+value: 1\n/,
    );
    const hpa = parse(files.hpaYaml) as HorizontalPodAutoscaler;
    expect(hpa.spec.behavior?.scaleUp?.policies).toEqual([
      { type: 'Pods', value: 1, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ]);
    expect(scaleUpsFrom(hpa, 4)).toEqual([5, 6, 7, 8]);

    // the plan's own: every pod up to maxReplicas at one sync
    const unlimited = candidatePlan(pod, { headroom: 0.15, minReplicas: 4 }, settings);
    const own = parse(candidateFiles(unlimited, 'own').hpaYaml) as HorizontalPodAutoscaler;
    expect(own.spec.behavior?.scaleUp?.selectPolicy).toBe('Max');
    expect(scaleUpsFrom(own, 4)[0]).toBe(own.spec.maxReplicas);
  });

  it('searches half, once and twice a pod’s come-back time as the scale-down window', () => {
    // a sync (15 s), a scrape (5 s) and the start-up
    expect(stabilizationWindows(timings)).toEqual([undefined, 16, 64]);
    expect(stabilizationWindows({ ...timings, startupSeconds: 120 })).toEqual([undefined, 70, 280]);
  });
});
