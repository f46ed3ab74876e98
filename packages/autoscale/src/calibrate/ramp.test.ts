import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestResult } from '../load/open-loop.js';
import { CalibrationError, type CalibrationProgress, calibrate, measureStep } from './ramp.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/**
 * A pod with a known capacity: one request at a time, `serviceMs` each, exporting the depth
 * integral like the model server does.
 */
async function fakePod(serviceMs: number): Promise<string> {
  const queue: ServerResponse[] = [];
  let busy = false;
  let depth = 0;
  let depthSeconds = 0;
  let last = performance.now();
  const integrate = () => {
    const now = performance.now();
    depthSeconds += (depth * (now - last)) / 1000;
    last = now;
  };
  const next = () => {
    const res = queue.shift();
    if (!res) {
      busy = false;
      return;
    }
    busy = true;
    setTimeout(() => {
      integrate();
      depth--;
      res.end('{"prediction":[0,0]}');
      next();
    }, serviceMs);
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/metrics') {
        integrate();
        res.end(`request_queue_depth_seconds_total ${depthSeconds}\n`);
      } else if (req.url === '/predict') {
        integrate();
        depth++;
        queue.push(res);
        if (!busy) next();
      } else {
        res.statusCode = 404;
        res.end('{"error":"no route"}');
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

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
    // The last two answers land at 2000 and 2010 ms, after the window.
    expect(step.achievedRps).toBe(98);
    expect(step.latency.p50).toBeCloseTo(0.02, 9);
    // 2 shed in 102 is above 1 %: past what the pod serves.
    expect(step.saturated).toBe(true);
  });

  it('calls a step saturated when latency keeps growing through the window', () => {
    const growing = Array.from({ length: 100 }, (_, i) => result(i * 10, 20 + i * 5));
    const steady = Array.from({ length: 100 }, (_, i) => result(i * 10, 20 + (i % 7)));
    const window = { fromMs: 0, toMs: 1000 };
    // Answers complete after the window for the growing one; count completions generously here.
    expect(measureStep(50, window, growing, server).saturated).toBe(true);
    expect(measureStep(100, window, steady, server).saturated).toBe(false);
  });
});

describe('calibrate', () => {
  it('ramps until the pod saturates and measures its capacity and queue', async () => {
    // Capacity 50 req/s: 25 is comfortable, 100 is twice too much.
    const url = await fakePod(20);
    const events: CalibrationProgress[] = [];
    const profile = await calibrate({
      url,
      body: '{"features":[1]}',
      startRps: 25,
      stepRps: 75,
      stepSeconds: 2,
      warmupSeconds: 0.5,
      onProgress: (e) => events.push(e),
    });
    expect(profile.steps.map((s) => [s.offeredRps, s.saturated])).toEqual([
      [25, false],
      [100, true],
    ]);
    expect(profile.saturationRps).toBe(100);
    const [calm, flatOut] = profile.steps;
    // Never faster than one request per 20 ms, however fast the machine.
    expect(profile.peakAchievedRps).toBeLessThanOrEqual(52);
    expect(flatOut?.achievedRps).toBe(profile.peakAchievedRps);
    expect(profile.maxSustainableRps).toBe(calm?.achievedRps);
    // Offered twice its capacity, the queue grows: far deeper than at a quarter load.
    expect(flatOut?.server.meanQueueDepth).toBeGreaterThan(5 * (calm?.server.meanQueueDepth ?? 1));
    expect(flatOut?.server.meanBatchSize).toBeNull();
    expect(profile.target).toMatchObject({
      url: `${url}/predict`,
      bodyBytes: 16,
      emulatedDevice: null,
    });
    expect(events.filter((e) => e.kind === 'step').map((e) => e.index)).toEqual([0, 1]);
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
  });
});
