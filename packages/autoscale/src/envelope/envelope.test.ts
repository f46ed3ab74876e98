import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { podModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import { runCli } from '../cli/run-cli.fixture.js';
import { planAutoscaling } from '../plan/plan.js';
import { renderPlan } from '../plan/render.js';
import { reactiveConfigFromFiles } from '../tune/evaluate.js';
import { envelopeOf } from './envelope.js';

const examples = fileURLToPath(new URL('../../examples', import.meta.url));
const profile = JSON.parse(
  readFileSync(join(examples, 'capacity/e2e-pod.profile.json'), 'utf8'),
) as CapacityProfile;
const pod = podModel(profile);
const slo = { statistic: 'p95', seconds: 0.2 } as const;

function planned(minReplicas: number) {
  const plan = planAutoscaling(pod, { slo, minReplicas, peakRps: 200, startupSeconds: 12 });
  const { files } = renderPlan(plan);
  return reactiveConfigFromFiles({
    name: `plan min ${minReplicas}`,
    hpaYaml: files['hpa.yaml'] as string,
    adapterYaml: files['prometheus-adapter-values.yaml'] as string,
  });
}

const options = {
  slo,
  budget: 0.01,
  leadSeconds: 120,
  holdSeconds: 300,
  simulation: { startupDelaySeconds: 12 },
};

describe('envelopeOf', () => {
  it('reports the largest step held, and the next one simulated is not held', () => {
    const e = envelopeOf(planned(2), pod, { ...options, baseRps: 20 });
    const steps = e.scenarios.filter((s) => s.kind === 'step');
    const largest = steps.find((s) => s.times === e.largestStep);
    expect(largest?.held).toBe(true);
    expect(largest?.sloViolationSeconds).toBeLessThanOrEqual(largest?.allowedSeconds ?? -1);
    // every larger step tried failed: the envelope's edge lies between
    for (const s of steps.filter((s) => s.times > (e.largestStep ?? 0))) expect(s.held).toBe(false);
    expect(steps.some((s) => !s.held)).toBe(true);
    // the allowance is 1 % of each scenario: 2 × 120 + 300 s = 5 s for a step
    expect(largest?.allowedSeconds).toBe(5);
  });

  it('more standing pods hold a larger step, and a slower ramp is held before a faster one', () => {
    const small = envelopeOf(planned(2), pod, { ...options, baseRps: 20 });
    const large = envelopeOf(planned(6), pod, { ...options, baseRps: 20 });
    expect(large.largestStep).toBeGreaterThan(small.largestStep ?? 0);
    const ramps = large.scenarios.filter((s) => s.kind === 'ramp');
    expect(ramps[0]?.riseSeconds).toBe(1200);
    const firstFailed = ramps.findIndex((s) => !s.held);
    if (firstFailed >= 0) expect(ramps.slice(0, firstFailed).every((s) => s.held)).toBe(true);
    expect(large.fastestRampSeconds).toBe(
      ramps[firstFailed < 0 ? ramps.length - 1 : firstFailed - 1]?.riseSeconds,
    );
  });

  it('takes half of what minReplicas pods serve within the SLO as the base by default', () => {
    const e = envelopeOf(planned(4), pod, options);
    expect(e.baseRps).toBeCloseTo((4 * e.sloRps) / 2, 9);
    expect(e.baseWhy).toContain('half of what minReplicas (4) pods serve');
  });
});

describe('mlscale envelope', () => {
  it('prints a table per config, writes the chart, and refuses a bad budget', async () => {
    const svg = join(mkdtempSync(join(tmpdir(), 'mlscale-envelope-')), 'envelope.svg');
    const args = [
      ...['envelope', '--profile', join(examples, 'capacity/e2e-pod.profile.json')],
      ...['--hpa', join(examples, 'project/hpa.yaml'), '--lead', '2m', '--hold', '5m'],
      ...['--startup-delay', '12'],
    ];
    const result = await runCli([...args, '--svg', svg]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/model-server \(hpa\.yaml\): holds a step to [\d.]+× the base/);
    expect(result.out).toContain('step to 1.5×');
    expect(readFileSync(svg, 'utf8')).toMatch(
      /^<svg[^>]*>[\s\S]*steps from the base rate[\s\S]*<\/svg>\n$/,
    );
    const bad = await runCli([...args, '--budget', '120%']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--budget must be a share');
  });
});
