import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCapacityProfile } from './load.js';
import { podModel, rateMeetingSlo } from './model.js';
import type { CapacityProfile } from './profile.js';
import { parseCapacityProfile, validateCapacityProfile } from './schema.js';
import { formatSlo, parseSlo } from './slo.js';

const fixturePath = new URL('../../examples/capacity/emulated-pod.profile.json', import.meta.url)
  .pathname;
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as CapacityProfile;

describe('capacity profile schema', () => {
  it('accepts the hand-written profile of an emulated pod (20 ms batches of 8)', () => {
    const loaded = loadCapacityProfile(fixturePath);
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(loaded.value.steps).toHaveLength(9);
  });

  it('names every bad field', () => {
    const bad = structuredClone(fixture) as unknown as Record<string, unknown> & {
      steps: Record<string, unknown>[];
    };
    (bad.steps[2] as { latency: { p95: unknown } }).latency.p95 = 'fast';
    (bad.steps[3] as { latency: { p99: number } }).latency.p99 = 0.001;
    (bad.steps[5] as { offeredRps: number }).offeredRps = 10;
    delete bad.maxSustainableRps;
    const result = validateCapacityProfile(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^steps\[2\]\.latency\.p95: .*number/),
        'steps[3].latency: percentiles must not decrease (p50 <= p95 <= p99)',
        expect.stringMatching(/^maxSustainableRps: /),
      ]),
    );
  });

  it('checks the order of the steps and that one is below saturation', () => {
    const unordered = structuredClone(fixture);
    (unordered.steps[5] as { offeredRps: number }).offeredRps = 10;
    const a = validateCapacityProfile(unordered);
    expect(a.ok || a.errors).toContain(
      'steps[5].offeredRps: steps must be in increasing offeredRps (10 after 250)',
    );
    const saturated = structuredClone(fixture);
    for (const step of saturated.steps) step.saturated = true;
    const b = validateCapacityProfile(saturated);
    expect(b.ok || b.errors.join()).toMatch(/no unsaturated step/);
  });

  it('reports JSON syntax, another schema version and a missing file', () => {
    expect(parseCapacityProfile('{')).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^not JSON/)],
    });
    expect(parseCapacityProfile('{"schema":"mlscale.dev/capacity-profile/v2"}')).toEqual({
      ok: false,
      errors: [
        'schema is "mlscale.dev/capacity-profile/v2"; this version of mlscale reads mlscale.dev/capacity-profile/v1',
      ],
    });
    expect(loadCapacityProfile('/nonexistent.json')).toEqual({
      ok: false,
      errors: ['/nonexistent.json: file not found'],
    });
  });
});

describe('pod model', () => {
  const pod = podModel(fixture);

  it('takes the capacity from the saturated steps: what the pod achieved flat out', () => {
    expect(pod.capacityRps).toBe(395);
    expect(pod.capacitySource).toMatch(/saturated step/);
    expect(pod.queueLimit).toBeNull();
  });

  it('interpolates between steps and falls to no queue at no load', () => {
    // halfway between the 250 (mean 30.5 ms) and 300 req/s (mean 35 ms) steps
    expect(pod.at(275).latency.mean).toBeCloseTo(0.03275, 6);
    expect(pod.at(275).latency.p95).toBeCloseTo(0.0465, 6);
    expect(pod.at(0).depth).toBe(0);
    expect(pod.at(25).depth).toBeCloseTo((fixture.steps[0]?.server.meanQueueDepth ?? 0) / 2, 9);
    // above the last unsaturated step the last one holds; the backlog model does the rest
    expect(pod.at(10_000).rps).toBe(395);
  });

  it('finds the highest rate meeting an SLO', () => {
    // p95 crosses 50 ms between 250 req/s (41 ms) and 300 req/s (52 ms): 250 + 9/11 x 50
    expect(rateMeetingSlo(pod, { statistic: 'p95', seconds: 0.05 })?.rps).toBeCloseTo(
      250 + (9 / 11) * 50,
      9,
    );
    // every unsaturated step meets 200 ms: the highest measured, never beyond it
    expect(rateMeetingSlo(pod, { statistic: 'p95', seconds: 0.2 })?.rps).toBe(349);
    expect(rateMeetingSlo(pod, { statistic: 'p95', seconds: 0.01 })).toBeNull();
  });

  it('infers shedding from 503s when the profile does not say', () => {
    const shedding = structuredClone(fixture);
    delete shedding.shedding;
    const last = shedding.steps[8];
    if (last) {
      last.rejected = 500;
      last.server.meanQueueDepth = 72;
    }
    expect(podModel(shedding).queueLimit).toBe(72);
    expect(podModel({ ...fixture, shedding: { concurrency: 8, maxWaiting: 64 } }).queueLimit).toBe(
      72,
    );
  });
});

describe('SLO flag', () => {
  it('parses and formats', () => {
    expect(parseSlo('p95=200ms')).toEqual({ ok: true, value: { statistic: 'p95', seconds: 0.2 } });
    expect(parseSlo('p99=1.5s')).toEqual({ ok: true, value: { statistic: 'p99', seconds: 1.5 } });
    expect(parseSlo('p42=1s')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/unknown statistic "p42"/),
    });
    expect(parseSlo('p95<200')).toMatchObject({ ok: false });
    expect(formatSlo({ statistic: 'mean', seconds: 0.15 })).toBe('mean=150ms');
  });
});
