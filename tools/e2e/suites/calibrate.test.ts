/**
 * `calibrate` against a real model server on the emulated device, whose capacity its settings
 * fix: EMULATED_DEVICE_MS=40 and BATCH_MAX_SIZE=4 on one worker serve at most 4 / 40 ms = 100
 * req/s, whatever this machine's CPUs. A short ramp (40, 80, 120, 160 req/s) and two steps that
 * bisect the knee between 80 and 120 must find that.
 */
import { calibrate, highestRateMeeting } from '@mlscale/autoscale';
import { predictBody, type Running, startModelServer } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BATCH_MS = 40;
const BATCH_MAX = 4;
const IMPLIED_RPS = (1000 / BATCH_MS) * BATCH_MAX; // 100

let server: Running | undefined;

describe('mlscale calibrate on an emulated pod', () => {
  beforeAll(async () => {
    server = await startModelServer({
      WORKERS: '1',
      ORT_INTRA_OP_THREADS: '1',
      BATCH_MAX_SIZE: String(BATCH_MAX),
      EMULATED_DEVICE_MS: String(BATCH_MS),
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('measures the capacity its device settings imply, within ±15 %', async () => {
    if (!server) throw new Error('the model server did not start');
    const profile = await calibrate({
      url: server.url,
      body: predictBody(),
      startRps: 40,
      stepRps: 40,
      stepSeconds: 3,
      warmupSeconds: 1,
    });
    for (const s of profile.steps) {
      console.log(
        `offered ${s.offeredRps}: achieved ${s.achievedRps.toFixed(1)} p95 ${(s.latency.p95 * 1000).toFixed(0)} ms depth ${s.server.meanQueueDepth?.toFixed(2)} batch ${s.server.meanBatchSize?.toFixed(2)}${s.saturated ? ' saturated' : ''}`,
      );
    }
    console.log(
      `capacity: implied ${IMPLIED_RPS} req/s, measured ${profile.peakAchievedRps?.toFixed(1)} flat out, ${profile.maxSustainableRps.toFixed(1)} sustained`,
    );
    expect(profile.target.emulatedDevice).toEqual({ batchMs: BATCH_MS, rowMs: 0 });
    // Two saturated steps in a row end the ramp (120, 160); two more bisect the knee between the
    // last unsaturated rate and the first saturated one: 100, then 90 or 110 (which side of the
    // knee 100 falls is this machine's call: the device implies exactly 100).
    const rates = profile.steps.map((s) => s.offeredRps);
    expect(rates.filter((r) => r % 40 === 0)).toEqual([40, 80, 120, 160]);
    // The steps are in rate order: [100, 110] when 100 held, [90, 100] when it saturated.
    const knee = rates.filter((r) => r % 40 !== 0);
    expect([
      [90, 100],
      [100, 110],
    ]).toContainEqual(knee);
    expect(profile.steps.slice(0, 2).every((s) => !s.saturated)).toBe(true);
    expect(profile.steps.slice(-2).every((s) => s.saturated)).toBe(true);
    const saturation = profile.saturationRps ?? 0;
    expect(saturation).toBeGreaterThanOrEqual(90);
    expect(saturation).toBeLessThanOrEqual(120);
    const peak = profile.peakAchievedRps ?? 0;
    expect(peak).toBeGreaterThan(IMPLIED_RPS * 0.85);
    expect(peak).toBeLessThan(IMPLIED_RPS * 1.15);
    // Past saturation the batches are full, and the pod's own counters see the queue.
    const flatOut = profile.steps.find((s) => s.offeredRps === 120);
    expect(flatOut?.server.meanBatchSize).toBeGreaterThan(BATCH_MAX - 0.5);
    expect(flatOut?.server.meanQueueDepth).toBeGreaterThan(
      profile.steps[0]?.server.meanQueueDepth ?? 0,
    );
    expect(flatOut?.server.meanWaitSeconds).not.toBeNull();
    // Below capacity a request waits for at most about one batch in progress and its own: the
    // SLO holds up to the knee, and not past it.
    const meeting = highestRateMeeting(profile, { statistic: 'p95', seconds: 0.2 })?.offeredRps;
    expect(meeting).toBeGreaterThanOrEqual(80);
    expect(meeting).toBeLessThan(saturation);
  }, 120_000);
});
