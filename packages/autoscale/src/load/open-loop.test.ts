import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RequestResult, startOpenLoop } from './open-loop.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server that works on one request at a time, `serviceMs` each (capacity 1000/serviceMs per s). */
function serialServer(serviceMs: number): Handler {
  const queue: ServerResponse[] = [];
  let busy = false;
  const next = () => {
    const res = queue.shift();
    if (!res) {
      busy = false;
      return;
    }
    busy = true;
    setTimeout(() => {
      res.end('{}');
      next();
    }, serviceMs);
  };
  return (_req, res) => {
    queue.push(res);
    if (!busy) next();
  };
}

describe('startOpenLoop', () => {
  it('keeps sending at the asked rate past saturation and counts the queueing as latency', async () => {
    // Capacity 20/s, offered 40/s for 1 s: the queue grows, and so must the measured latency.
    const url = await serve(serialServer(50));
    const results: RequestResult[] = [];
    const totals = await startOpenLoop({
      targets: url,
      rate: 40,
      durationSeconds: 1,
      body: '{}',
      onResult: (r) => results.push(r),
    }).done;
    expect(totals).toMatchObject({ scheduled: 40, ok: 40, rejected: 0, errors: 0 });
    // Sent on schedule whatever the server does (a closed loop would send 20 in that second).
    const sentInTheSecond = results.filter((r) => r.sentMs < 1000).length;
    expect(sentInTheSecond).toBe(40);
    // The 40th request is served ~2 s after the start but was meant to go at 975 ms: ≥ 1 s late.
    // A closed loop measuring from its actual send would see ~50 ms for every request.
    const last = results.reduce((a, b) => (b.intendedMs > a.intendedMs ? b : a));
    expect(last.latencyMs).toBeGreaterThanOrEqual(1000 - 1);
    expect(last.latencyMs).toBeGreaterThanOrEqual(last.doneMs - last.sentMs);
  });

  it('spreads requests round-robin over the targets it is given at each send', async () => {
    const hits = { a: 0, b: 0 };
    const a = await serve((_q, res) => {
      hits.a++;
      res.end();
    });
    const b = await serve((_q, res) => {
      hits.b++;
      res.end();
    });
    let live: string[] = [a, b];
    const results: RequestResult[] = [];
    const load = startOpenLoop({
      targets: () => live,
      rate: 100,
      durationSeconds: 0.6,
      method: 'GET',
      path: '/',
      onResult: (r) => results.push(r),
    });
    setTimeout(() => {
      live = [];
    }, 400);
    const totals = await load.done;
    expect(totals.scheduled).toBe(60);
    expect(Math.abs(hits.a - hits.b)).toBeLessThanOrEqual(1);
    const none = results.filter((r) => r.error === 'no_target');
    expect(none.length).toBeGreaterThan(0);
    expect(totals.errors).toBe(none.length);
    expect(totals.ok).toBe(hits.a + hits.b);
  });

  it('counts 503s as rejected, other statuses and time-outs as errors', async () => {
    let n = 0;
    const url = await serve((_q, res) => {
      n++;
      if (n % 3 === 0) return; // never answered
      res.statusCode = n % 3 === 1 ? 503 : 500;
      res.end();
    });
    const results: RequestResult[] = [];
    const totals = await startOpenLoop({
      targets: url,
      rate: 30,
      durationSeconds: 0.2,
      body: '{}',
      timeoutMs: 300,
      onResult: (r) => results.push(r),
    }).done;
    expect(totals).toMatchObject({ scheduled: 6, ok: 0, rejected: 2, errors: 4 });
    expect(results.filter((r) => r.error === 'timeout')).toHaveLength(2);
  });

  it('is bounded: maxRequests, maxInFlight, and stop()', async () => {
    const url = await serve(serialServer(100));
    const capped = await startOpenLoop({
      targets: url,
      rate: 100,
      durationSeconds: 5,
      maxRequests: 7,
      body: '{}',
    }).done;
    expect(capped.scheduled).toBe(7);

    const results: RequestResult[] = [];
    const overloaded = await startOpenLoop({
      targets: url,
      rate: 50,
      durationSeconds: 0.2,
      maxInFlight: 2,
      body: '{}',
      onResult: (r) => results.push(r),
    }).done;
    expect(overloaded.scheduled).toBe(10);
    expect(results.filter((r) => r.error === 'generator_overload').length).toBeGreaterThanOrEqual(
      7,
    );

    const load = startOpenLoop({ targets: url, rate: 10, durationSeconds: 60, body: '{}' });
    setTimeout(() => load.stop(), 150);
    const stopped = await load.done;
    expect(stopped.scheduled).toBeLessThanOrEqual(3);
  });

  it('refuses a duration or rate that is not a positive number', () => {
    expect(() => startOpenLoop({ targets: 'http://x', rate: 1, durationSeconds: 0 })).toThrow(
      /durationSeconds/,
    );
    expect(() => startOpenLoop({ targets: 'http://x', rate: -1, durationSeconds: 1 })).toThrow(
      /rate must be/,
    );
  });
});
