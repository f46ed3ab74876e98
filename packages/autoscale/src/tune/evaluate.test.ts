import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CapacityProfile } from '../capacity/profile.js';
import { DEFAULT_ADAPTER_VALUES } from '../simulate/signals.js';
import { type EvaluationJob, evaluate } from './evaluate.js';

const profile = JSON.parse(
  readFileSync(new URL('../../examples/capacity/e2e-pod.profile.json', import.meta.url), 'utf8'),
) as CapacityProfile;
const hpaYaml = readFileSync(new URL('../../examples/guide-hpa.yaml', import.meta.url), 'utf8');

describe('evaluate', () => {
  // 40 req/s, then 120 from 120 s: the guide's HPA falls behind after the step
  const job: EvaluationJob = {
    id: 0,
    profile,
    load: {
      points: [
        { time: 0, rps: 40 },
        { time: 120, rps: 120 },
        { time: 300, rps: 120 },
      ],
    },
    options: { startupDelaySeconds: 12 },
    config: { name: 'guide', hpaYaml, adapterYaml: DEFAULT_ADAPTER_VALUES },
  };

  it('counts a later window only, second by second, when asked', () => {
    const whole = evaluate(job);
    expect(whole.sloViolationSeconds).toBeGreaterThan(0);
    const fromStart = evaluate({ ...job, countFrom: 0 });
    expect(fromStart.sloViolationSeconds).toBe(whole.sloViolationSeconds);
    // pods counted at each second's end: within one start-up's worth of the tick integral
    expect(Math.abs(fromStart.replicaSeconds - whole.replicaSeconds)).toBeLessThan(30);
    const before = evaluate({ ...job, countFrom: 120 });
    const late = evaluate({ ...job, countFrom: 250 });
    expect(before.sloViolationSeconds).toBe(whole.sloViolationSeconds);
    expect(late.sloViolationSeconds).toBeLessThan(whole.sloViolationSeconds);
    expect(late.replicaSeconds).toBeLessThan(before.replicaSeconds);
  });

  it('names a metric no rule serves', () => {
    expect(() =>
      evaluate({ ...job, config: { ...job.config, adapterYaml: 'rules:\n  custom: []\n' } }),
    ).toThrow(/guide: no adapter rule serves "/);
  });
});
