import { describe, expect, it } from 'vitest';
import { CAPACITY_PROFILE_SCHEMA, type CapacityProfile } from '../capacity/profile.js';
import { renderCapacitySvg, roundTicks } from './chart.js';

describe('the capacity chart', () => {
  it('has round ticks', () => {
    expect(roundTicks(420)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(roundTicks(0.9, 4)).toEqual([0, 0.5, 1]);
    expect(roundTicks(400)).toEqual([0, 100, 200, 300, 400]);
  });

  it('draws the three percentiles, the depth, the objective and the saturation point', () => {
    const profile: CapacityProfile = {
      schema: CAPACITY_PROFILE_SCHEMA,
      measuredAt: '2026-01-01T00:00:00Z',
      target: {
        url: 'http://x/predict',
        bodyBytes: 1,
        bodySha256: '',
        model: null,
        emulatedDevice: { batchMs: 20, rowMs: 0 },
      },
      ramp: { startRps: 100, stepRps: 100, stepSeconds: 5, warmupSeconds: 1, timeoutSeconds: 10 },
      steps: [100, 200].map((offeredRps, i) => ({
        offeredRps,
        achievedRps: offeredRps,
        durationSeconds: 5,
        sent: 1,
        ok: 1,
        rejected: 0,
        errors: 0,
        latency: { p50: 0.02, p95: 0.04 + i, p99: 0.05 + i, mean: 0.02, max: 0.1 },
        server: {
          meanQueueDepth: i === 0 ? 2 : null,
          meanWaitSeconds: 0,
          meanBatchSize: 2,
          meanInferenceSeconds: 0.02,
        },
        saturated: i === 1,
      })),
      maxSustainableRps: 100,
      saturationRps: 200,
    };
    const svg = renderCapacitySvg(profile, { slo: { statistic: 'p95', seconds: 0.2 } });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<title>Capacity of http://x/predict (emulated device');
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg).toContain('SLO p95=200ms');
    expect(svg).toContain('saturated');
    expect(svg).toContain('emulated device: 20 ms/batch');
    expect(svg).not.toContain('NaN');
  });

  it('escapes quotes in the text it writes, as the other charts do', () => {
    const profile = {
      schema: CAPACITY_PROFILE_SCHEMA,
      measuredAt: '2026-01-01T00:00:00Z',
      target: {
        url: `http://x/predict?q="a'b"`,
        bodyBytes: 1,
        bodySha256: '',
        model: null,
        emulatedDevice: null,
      },
      ramp: { startRps: 100, stepRps: 100, stepSeconds: 5, warmupSeconds: 1, timeoutSeconds: 10 },
      steps: [],
      maxSustainableRps: 0,
      saturationRps: null,
    } as unknown as CapacityProfile;
    const svg = renderCapacitySvg(profile, { slo: { statistic: 'p95', seconds: 0.2 } });
    expect(svg).toContain('http://x/predict?q=&#34;a&#39;b&#34;');
    expect(svg).not.toContain(`q="a'b"`);
  });
});
