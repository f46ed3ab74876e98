import { describe, expect, it } from 'vitest';
import type { CapacityStep } from '../capacity/profile.js';
import { highestRateMeeting } from './slo.js';

function step(offeredRps: number, p95: number, extra: Partial<CapacityStep> = {}): CapacityStep {
  return {
    offeredRps,
    achievedRps: offeredRps,
    durationSeconds: 10,
    sent: offeredRps * 10,
    ok: offeredRps * 10,
    rejected: 0,
    errors: 0,
    latency: { p50: p95 / 2, p95, p99: p95 * 1.2, mean: p95 / 2, max: p95 * 2 },
    server: { meanQueueDepth: 1, meanWaitSeconds: 0, meanBatchSize: 1, meanInferenceSeconds: 0.01 },
    saturated: false,
    ...extra,
  };
}

describe('the highest rate meeting an objective', () => {
  it('picks the highest rate of the unbroken run that meets it, from the lowest rate up', () => {
    const slo = { statistic: 'p95', seconds: 0.2 } as const;
    const profile = {
      steps: [
        step(100, 0.05),
        step(200, 0.1),
        step(300, 0.15, { errors: 100 }), // 3 % failed
        step(400, 0.19, { saturated: true }),
        step(500, 0.1), // met again above a miss: luck, not capacity
      ],
    };
    expect(highestRateMeeting(profile, slo)?.offeredRps).toBe(200);
    expect(highestRateMeeting({ steps: [step(200, 0.1), step(100, 0.1)] }, slo)?.offeredRps).toBe(
      200,
    );
    expect(highestRateMeeting({ steps: [step(100, 0.3)] }, slo)).toBeNull();
  });
});
