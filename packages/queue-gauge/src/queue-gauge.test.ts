import { request as httpRequest } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { serve } from '@hono/node-server';
import { until } from '@mlscale/testkit';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { queueGauge, queueTicket } from './queue-gauge.js';
import { RequestQueue } from './request-queue.js';
import { shedWhenFull } from './shed-when-full.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Answers produced by the routes of {@link appWith}, by route. */
const served = { model: 0, big: 0 };

function appWith(queue: RequestQueue, held = gate()) {
  served.model = 0;
  served.big = 0;
  const app = new Hono();
  app.onError((error, c) => c.json({ error: error.message }, 500));
  app.use('/work/*', queueGauge({ queue }));
  app.post('/work/ok', async (c) => c.json(await c.req.json()));
  app.post('/work/model', async (c) => {
    const body = await c.req.json();
    await new Promise((resolve) => setTimeout(resolve, 20)); // the model: a client may leave meanwhile
    served.model += 1;
    return c.json(body);
  });
  app.post('/work/throws', () => {
    throw new Error('model crashed');
  });
  app.post('/work/held', async (c) => {
    await held.opened;
    return c.json({ done: true });
  });
  // Bigger than what the loopback's socket buffers take, so a client that does not read stalls it.
  app.get('/work/big', (c) => {
    served.big += 1;
    return c.text('x'.repeat(32 * 1024 * 1024));
  });
  app.get('/work/stream', (c) =>
    stream(c, async (s) => {
      await s.write('first;');
      await held.opened;
      await s.write('last');
    }),
  );
  return { app, held };
}

async function listen(app: Hono): Promise<string> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('queueGauge', () => {
  it('counts a request while it runs and returns to 0 after it', async () => {
    const queue = new RequestQueue({ registry: new Registry() });
    const { app, held } = appWith(queue);
    const pending = app.request('/work/held', { method: 'POST' });
    await until(() => queue.depth === 1);
    held.open();
    expect((await pending).status).toBe(200);
    expect(queue.depth).toBe(0);
  });

  it("hands the handler its ticket when the wait ends at 'started'", async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry, waitEndsAt: 'started' });
    const app = new Hono();
    app.post('/work', queueGauge({ queue }), async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 20)); // the model: a client may leave meanwhile
      queueTicket(c)?.started();
      return c.json({ ok: true });
    });
    app.post('/plain', (c) => c.json({ ticket: queueTicket(c) === undefined ? 'none' : 'some' }));
    expect((await app.request('/work', { method: 'POST' })).status).toBe(200);
    expect(await (await app.request('/plain', { method: 'POST' })).json()).toEqual({
      ticket: 'none',
    });
    const text = await registry.metrics();
    expect(text).toContain('request_queue_wait_seconds_count 1');
    const sum = Number(/request_queue_wait_seconds_sum (\S+)/.exec(text)?.[1]);
    expect(sum).toBeGreaterThanOrEqual(0.015);
  });

  it('returns to 0 when the handler throws', async () => {
    const queue = new RequestQueue({ registry: new Registry() });
    const res = await appWith(queue).app.request('/work/throws', { method: 'POST' });
    expect(res.status).toBe(500);
    expect(queue.depth).toBe(0);
  });

  it('sheds past the bound with 503, Retry-After and a JSON error, and counts it', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({
      registry,
      concurrency: 1,
      maxWaiting: 0,
      retryAfterSeconds: 3,
    });
    const { app, held } = appWith(queue);
    const first = app.request('/work/held', { method: 'POST' });
    await until(() => queue.inFlight === 1);
    const shed = await app.request('/work/ok', { method: 'POST', body: '{}' });
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('3');
    expect(await shed.json()).toEqual({
      error: 'server is at capacity: 1 requests in flight and 0 waiting; retry later',
    });
    held.open();
    await first;
    expect(queue.depth).toBe(0);
    expect(await registry.metrics()).toContain('requests_rejected_total{reason="queue_full"} 1');
  });

  it('returns to 0 when the client goes away mid-request (real server)', async () => {
    const queue = new RequestQueue({ registry: new Registry() });
    const { app, held } = appWith(queue);
    const base = await listen(app);
    const req = httpRequest(`${base}/work/held`, { method: 'POST' });
    req.on('error', () => {});
    req.end();
    await until(() => queue.depth === 1);
    req.destroy();
    // The handler is still working; the request stays counted until it is done.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(queue.depth).toBe(1);
    held.open();
    await until(() => queue.depth === 0);
  });

  it('returns to 0 when the client goes away while waiting for a slot (real server)', async () => {
    const queue = new RequestQueue({ registry: new Registry(), concurrency: 1 });
    const { app, held } = appWith(queue);
    const base = await listen(app);
    const first = fetch(`${base}/work/held`, { method: 'POST' });
    await until(() => queue.inFlight === 1);
    const req = httpRequest(`${base}/work/ok`, { method: 'POST' });
    req.on('error', () => {});
    req.end('{}');
    await until(() => queue.waiting === 1);
    req.destroy();
    await until(() => queue.waiting === 0);
    expect(queue.depth).toBe(1);
    held.open();
    expect((await first).status).toBe(200);
    await until(() => queue.depth === 0);
  });

  it('holds the slot until a streamed response is written (real server)', async () => {
    const queue = new RequestQueue({ registry: new Registry() });
    const { app, held } = appWith(queue);
    const base = await listen(app);
    const res = await fetch(`${base}/work/stream`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe('first;');
    expect(queue.depth).toBe(1);
    held.open();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += decoder.decode(chunk.value);
    }
    expect(rest).toBe('last');
    await until(() => queue.depth === 0);
  });

  it('returns to 0 when a streamed response is cut off by the client (real server)', async () => {
    const queue = new RequestQueue({ registry: new Registry() });
    const { app, held } = appWith(queue);
    const base = await listen(app);
    const controller = new AbortController();
    const res = await fetch(`${base}/work/stream`, { signal: controller.signal });
    await (res.body as ReadableStream<Uint8Array>).getReader().read();
    controller.abort();
    await until(() => queue.depth === 0);
    held.open();
  });

  it('returns to 0 when a pipelined connection closes with an answer queued behind another (real server)', async () => {
    // Node emits no 'close' on a response still queued behind another when the connection dies:
    // the two pipelined POSTs and a close, without reading.
    const queue = new RequestQueue({ registry: new Registry() });
    const port = new URL(await listen(appWith(queue).app)).port;
    const post = 'POST /work/model HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}';
    for (let i = 0; i < 20; i++) {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end(post + post));
      socket.on('error', () => {});
    }
    await until(() => served.model === 40, 10_000);
    await until(() => queue.depth === 0, 10_000);
  }, 20_000);

  it('a request waiting behind a pipelined one leaves the queue when its connection closes (real server)', async () => {
    const queue = new RequestQueue({ registry: new Registry(), concurrency: 1 });
    const { app, held } = appWith(queue);
    const port = new URL(await listen(app)).port;
    const post = 'POST /work/held HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n';
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(post.repeat(3)));
    socket.on('error', () => {});
    await until(() => queue.waiting === 2, 10_000);
    socket.destroy();
    // No maxWaitMs: without the connection's close they would wait for ever.
    await until(() => queue.waiting === 0, 10_000);
    held.open();
    await until(() => queue.depth === 0, 10_000);
  }, 20_000);

  it('a computed answer waiting on a client that does not read holds no slot (real server)', async () => {
    const queue = new RequestQueue({ registry: new Registry(), concurrency: 1 });
    const { app } = appWith(queue);
    const port = new URL(await listen(app)).port;
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.write('GET /work/big HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    socket.on('error', () => {});
    socket.pause(); // never reads
    await until(() => served.big === 1, 10_000);
    await until(() => queue.depth === 0, 10_000);
    expect(queue.full).toBe(false);
    socket.destroy();
  }, 20_000);

  it('serves many concurrent requests and ends at exactly 0 (real server)', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry, concurrency: 4 });
    const base = await listen(appWith(queue).app);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${base}/work/ok`, { method: 'POST', body: JSON.stringify({ i }) }).then((r) =>
          r.json(),
        ),
      ),
    );
    expect(results).toHaveLength(40);
    await until(() => queue.depth === 0, 10_000);
    expect(await registry.metrics()).toContain('request_queue_depth 0');
  }, 20_000);

  it('shedWhenFull refuses on arrival without waiting for the body, and lets requests in when there is room (real server)', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry, concurrency: 1, maxWaiting: 0 });
    const held = gate();
    const app = new Hono();
    app.post('/work', shedWhenFull({ queue }), queueGauge({ queue }), async (c) => {
      const body = await c.req.text();
      await held.opened;
      return c.json({ bytes: body.length });
    });
    const base = await listen(app);
    const first = fetch(`${base}/work`, { method: 'POST', body: 'x' });
    await until(() => queue.inFlight === 1);
    // Headers announce 100 kB, and no byte of the body ever comes: the answer cannot have read it.
    const { port } = new URL(base);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\r\n\r\n') && text.includes('}')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      socket.write('POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).toMatch(/retry-after: 1/i);
    expect(answer).toContain('server is at capacity: 1 requests in flight and 0 waiting');
    expect(queue.depth).toBe(1);
    held.open();
    expect(await (await first).json()).toEqual({ bytes: 1 });
    await until(() => queue.depth === 0);
    const after = await fetch(`${base}/work`, { method: 'POST', body: 'yz' });
    expect(await after.json()).toEqual({ bytes: 2 });
    expect(await registry.metrics()).toContain('requests_rejected_total{reason="queue_full"} 1');
  });
});
