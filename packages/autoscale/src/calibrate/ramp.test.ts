import { afterEach, describe, expect, it } from 'vitest';
import type { RequestResult } from '../load/open-loop.js';
import { closeFakePods, fakePod } from './fake-pod.fixture.js';
import { CalibrationError, type CalibrationProgress, calibrate, measureStep } from './ramp.js';

afterEach(closeFakePods);

function result(intendedMs: number, latencyMs: number, status: number | null = 200): RequestResult {
  return {
    intendedMs,
    sentMs: intendedMs,
    doneMs: intendedMs + latencyMs,
    latencyMs,
    status,
    target: 'x',
  };
}

describe('measureStep', () => {
  const server = {
    meanQueueDepth: null,
    meanWaitSeconds: null,
    meanBatchSize: null,
    meanInferenceSeconds: null,
  };

  it('counts requests meant for the window, and answers completed in it', () => {
    const results = [
      result(500, 10), // before the window
      ...Array.from({ length: 100 }, (_, i) => result(1000 + i * 10, 20)),
      result(1994, 1000, 503),
      result(1995, 5, 503),
    ];
    const step = measureStep(100, { fromMs: 1000, toMs: 2000 }, results, server);
    expect(step).toMatchObject({ sent: 102, ok: 100, rejected: 2, errors: 0, durationSeconds: 1 });
    // 98 answers land in the window (the last two at 2000 and 2010 ms, after it), 10 ms apart:
    // 100 answers a second, not 98 whole answers over the 1 s window.
    expect(step.achievedRps).toBeCloseTo(100, 9);
    expect(step.latency.p50).toBeCloseTo(0.02, 9);
    // 2 shed in 102 is above 1 %: past what the pod serves.
    expect(step.saturated).toBe(true);
  });

  it('computes the achieved rate from the answers and the span they cover, never above a steady offered rate', () => {
    // The step: 22.5 req/s evenly spaced, a 3.0 s window, 45 ms answers. 68 answers
    // complete in it; 68 / 3.0 s said 22.7 req/s, above what was offered.
    const gap = 1000 / 22.5;
    const steady = Array.from({ length: 200 }, (_, i) => result(i * gap, 45));
    const window = { fromMs: 1010, toMs: 4010 };
    const inWindow = steady.filter((r) => r.doneMs >= 1010 && r.doneMs < 4010).length;
    expect(inWindow).toBe(68);
    expect(measureStep(22.5, window, steady, server).achievedRps).toBeCloseTo(22.5, 6);
    // A pod that stops answering halfway: the answers over the whole window, not their own span.
    const stalled = steady.map((r) => (r.intendedMs > 2500 ? { ...r, status: null } : r));
    const rate = measureStep(22.5, window, stalled, server).achievedRps;
    expect(rate).toBeLessThan(12);
    expect(rate).toBeCloseTo(
      stalled.filter((r) => r.status === 200 && r.doneMs >= 1010 && r.doneMs < 4010).length / 3,
      9,
    );
  });

  it('judges what was achieved against what arrived, not the nominal rate (Poisson counts vary)', () => {
    // 85 arrivals in a 1 s window at a nominal 100 req/s, each answered in 20 ms: keeping up.
    const fewer = Array.from({ length: 85 }, (_, i) => result(1000 + i * 11, 20));
    expect(measureStep(100, { fromMs: 1000, toMs: 2000 }, fewer, server).saturated).toBe(false);
    // 100 arrivals, the last 20 answered after the window: 80 % of them, not keeping up.
    const behind = Array.from({ length: 100 }, (_, i) => result(1000 + i * 10, i < 80 ? 20 : 900));
    expect(measureStep(100, { fromMs: 1000, toMs: 2000 }, behind, server).saturated).toBe(true);
  });

  it('calls a step saturated when latency keeps growing through the window', () => {
    const growing = Array.from({ length: 100 }, (_, i) => result(i * 10, 20 + i * 5));
    const steady = Array.from({ length: 100 }, (_, i) => result(i * 10, 20 + (i % 7)));
    const window = { fromMs: 0, toMs: 1000 };
    // Answers complete after the window for the growing one; count completions generously here.
    expect(measureStep(50, window, growing, server).saturated).toBe(true);
    expect(measureStep(100, window, steady, server).saturated).toBe(false);
    // A stall of the machine mid-window: latency rises, then falls back (the last fifth is still
    // 80 ms above the first, but below the fourth). Not saturation.
    const bump = Array.from({ length: 100 }, (_, i) =>
      result(i * 10, i >= 50 && i < 90 ? 400 : i >= 90 ? 100 : 20),
    );
    // (Its window runs on until every answer is in: only the latency shape is judged here.)
    expect(measureStep(50, { fromMs: 0, toMs: 1500 }, bump, server).saturated).toBe(false);
  });
});

describe('calibrate', () => {
  it('does not stop at an isolated saturated step: a second one in a row confirms', async () => {
    // Capacity 50 req/s. Steps 20, 40, 60, 80: the first saturated one (60) is confirmed by 80.
    const url = await fakePod(20);
    const profile = await calibrate({
      url,
      body: '{}',
      startRps: 20,
      stepRps: 20,
      stepSeconds: 1,
      warmupSeconds: 0.25,
      refineSteps: 0,
    });
    expect(profile.steps.at(-1)?.saturated).toBe(true);
    expect(profile.steps.at(-2)?.saturated).toBe(true);
    expect(profile.saturationRps).toBe(profile.steps.at(-2)?.offeredRps);
  }, 60_000);

  it('ramps until the pod saturates, refines the knee, and measures its capacity and queue', async () => {
    // Capacity 50 req/s: 25 is comfortable, 100 is twice too much. Then the knee, finer: 62.5
    // (between 25 and 100) is still too much, 43.75 (between 25 and 62.5) is not.
    const url = await fakePod(20);
    const events: CalibrationProgress[] = [];
    const profile = await calibrate({
      url,
      body: '{"features":[1]}',
      startRps: 25,
      stepRps: 75,
      stepSeconds: 2,
      warmupSeconds: 0.5,
      stopAfterSaturated: 1,
      onProgress: (e) => events.push(e),
    });
    expect(profile.steps.map((s) => [s.offeredRps, s.saturated])).toEqual([
      [25, false],
      [43.75, false],
      [62.5, true],
      [100, true],
    ]);
    expect(profile.saturationRps).toBe(62.5);
    expect(profile.ramp.refineSteps).toBe(2);
    const [calm, knee, , flatOut] = profile.steps;
    // Never faster than one request per 20 ms, however fast the machine.
    expect(profile.peakAchievedRps).toBeLessThanOrEqual(52);
    expect(profile.peakAchievedRps).toBe(
      Math.max(...profile.steps.filter((s) => s.saturated).map((s) => s.achievedRps)),
    );
    expect(profile.maxSustainableRps).toBe(knee?.achievedRps);
    // Offered twice its capacity, the queue grows: far deeper than at a quarter load.
    expect(flatOut?.server.meanQueueDepth).toBeGreaterThan(5 * (calm?.server.meanQueueDepth ?? 1));
    expect(flatOut?.server.meanBatchSize).toBeNull();
    expect(profile.target).toMatchObject({
      url: `${url}/predict`,
      bodyBytes: 16,
      emulatedDevice: null,
    });
    expect(
      events.flatMap((e) => (e.kind === 'step' ? [[e.index, e.step.offeredRps]] : [])),
    ).toEqual([
      [0, 25],
      [1, 100],
      [2, 62.5],
      [3, 43.75],
    ]);
  }, 30_000);

  it('fails at once, saying why, when the pod is unreachable or refuses the request', async () => {
    const url = await fakePod(1);
    await expect(calibrate({ url, path: '/nope', body: '{}' })).rejects.toThrow(
      /answered 404 to the first request .*check --path and --body/,
    );
    await expect(calibrate({ url: 'http://127.0.0.1:1', body: '{}' })).rejects.toBeInstanceOf(
      CalibrationError,
    );
  });

  it('stops after the step in progress when aborted', async () => {
    const url = await fakePod(1);
    const stop = new AbortController();
    const profile = await calibrate({
      url,
      body: '{}',
      stepSeconds: 0.5,
      warmupSeconds: 0,
      onProgress: (e) => {
        if (e.kind === 'step') stop.abort();
      },
      signal: stop.signal,
    });
    expect(profile.steps).toHaveLength(1);
    expect(profile.saturationRps).toBeNull();
    expect(profile.ramp.endedBy).toBe('interrupted');
  });

  it('says in the profile when the ramp stopped at --max-rps or --max-steps', async () => {
    const url = await fakePod(1);
    const ramp = { url, body: '{}', stepSeconds: 0.3, warmupSeconds: 0 };
    expect((await calibrate({ ...ramp, maxRps: 15 })).ramp.endedBy).toBe('max-rps');
    expect((await calibrate({ ...ramp, maxSteps: 1 })).ramp.endedBy).toBe('max-steps');
  });
});
