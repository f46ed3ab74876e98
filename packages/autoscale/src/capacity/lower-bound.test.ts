/**
 * A calibration cut short (Ctrl-C, --max-rps, --max-steps) or that never saturated the pod measured
 * a lower bound of its capacity: the profile, the calibrate summary, plan and simulate say so, and
 * never call the figure "achieved in a saturated step".
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { summarizeProfile } from '../cli/calibrate.js';
import { runCli } from '../cli/run-cli.fixture.js';
import { planAutoscaling } from '../plan/plan.js';
import { renderPlan } from '../plan/render.js';
import { capacityLowerBound, podModel, rampCutShort } from './model.js';
import type { CapacityProfile, CapacityStep } from './profile.js';
import { validateCapacityProfile } from './schema.js';

const fixture = JSON.parse(
  readFileSync(
    new URL('../../examples/capacity/emulated-pod.profile.json', import.meta.url),
    'utf8',
  ),
) as CapacityProfile;

/** The profile of a ramp stopped after its first step (10 req/s), as Ctrl-C leaves it. */
function interrupted(): CapacityProfile {
  const step = fixture.steps[0] as CapacityStep;
  const ten = { ...step, offeredRps: 10, achievedRps: 10, saturated: false };
  return {
    ...fixture,
    ramp: { ...fixture.ramp, endedBy: 'interrupted' },
    steps: [ten],
    maxSustainableRps: 10,
    saturationRps: null,
    peakAchievedRps: 10,
  };
}

describe('a capacity that was not measured at the limit', () => {
  it('is a valid profile that says how the ramp ended', () => {
    expect(validateCapacityProfile(interrupted())).toMatchObject({ ok: true });
    expect(capacityLowerBound(interrupted())).toBe(
      'the calibration was interrupted before any step saturated the pod',
    );
    expect(capacityLowerBound(fixture)).toBeNull();
  });

  it('is named a lower bound by the pod model, never a saturated step (peakAchievedRps is of every step)', () => {
    const pod = podModel(interrupted());
    expect(pod.capacityRps).toBe(10);
    expect(pod.capacitySource).not.toMatch(/saturated step/);
    expect(pod.capacitySource).toMatch(
      /^at least 10 req\/s.*lower bound, the calibration was interrupted/,
    );
    expect(pod.lowerBound).not.toBeNull();
    // A profile written before endedBy existed, never saturated: still a lower bound.
    const { endedBy: _, ...ramp } = interrupted().ramp;
    expect(podModel({ ...interrupted(), ramp }).lowerBound).toBe(
      'the ramp ended before any step saturated the pod',
    );
  });

  it('puts a warning at the top of the plan and in its JSON', () => {
    const plan = planAutoscaling(podModel(interrupted()), {
      slo: { statistic: 'p95', seconds: 0.2 },
    });
    expect(plan.caveat).toMatch(/capacity is a lower bound/);
    expect(plan.sloRps.why).toMatch(/^at least/);
    const hpa = renderPlan(plan, { keda: false, name: 'm', namespace: 'default' }).files[
      'hpa.yaml'
    ];
    expect(hpa?.split('\n').slice(0, 3).join('\n')).toContain('# WARNING: the profile');
  });

  it('says so in the calibrate summary, with how to measure it', () => {
    const summary = summarizeProfile(interrupted(), { statistic: 'p95', seconds: 0.2 });
    expect(summary).toMatch(
      /^capacity: at least 10\.0 req\/s, a lower bound: the calibration was interrupted/,
    );
    expect(summary).toContain('where it stops being met is not known');
    expect(summary).not.toContain('flat out');
  });

  it('notes a ramp interrupted after it saturated the pod, whose capacity is measured', () => {
    const cut: CapacityProfile = { ...fixture, ramp: { ...fixture.ramp, endedBy: 'interrupted' } };
    expect(capacityLowerBound(cut)).toBeNull();
    expect(rampCutShort(cut)).toMatch(/interrupted after the pod saturated/);
    expect(summarizeProfile(cut)).toContain('note: the calibration was interrupted after');
  });
});

describe('plan and simulate --profile on such a profile', () => {
  afterEach(() => vi.restoreAllMocks());
  const dir = mkdtempSync(join(tmpdir(), 'mlscale-lower-bound-'));
  const file = join(dir, 'cut.json');
  writeFileSync(file, JSON.stringify(interrupted()));
  const guide = new URL('../../examples/guide-hpa.yaml', import.meta.url).pathname;

  it('warns on stderr from plan, the files still written', async () => {
    const result = await runCli(['plan', '--profile', file, '--slo', 'p95=200ms']);
    expect(result.code).toBe(0);
    expect(result.err).toMatch(/^warning: the profile's capacity is a lower bound/m);
  });

  it('warns under the pod line of simulate', async () => {
    const load = join(dir, 'load.csv');
    writeFileSync(load, 'time,rps\n0,5\n30,20\n60,20\n');
    const result = await runCli(['simulate', '--profile', file, '--load', load, '--hpa', guide]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^pod: 10 req\/s at most \(at least 10 req\/s/m);
    expect(result.out).toMatch(
      /^warning: the pods are modelled at a capacity the profile only bounds from below/m,
    );
  });
});
