import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QueueFullError, type QueueTicket, RequestQueue } from './request-queue.js';

async function sample(registry: Registry, line: string): Promise<number> {
  const text = await registry.metrics();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  if (found === undefined) throw new Error(`no sample ${line} in\n${text}`);
  return Number(found.slice(line.length + 1));
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RequestQueue', () => {
  it('integrates the depth over time exactly, at every change and at scrape time', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry });
    // Hand-computed: depth 1 for 2 s, 3 for 0.5 s, 2 for 1 s, 0 for 4 s, 1 for 0.25 s (at scrape).
    // Integral = 2 + 1.5 + 2 + 0 + 0.25 = 5.75 request-seconds.
    const a = await queue.acquire();
    vi.advanceTimersByTime(2000);
    const b = await queue.acquire();
    const c = await queue.acquire();
    vi.advanceTimersByTime(500);
    b.release();
    vi.advanceTimersByTime(1000);
    a.release();
    c.release();
    vi.advanceTimersByTime(4000);
    expect(await sample(registry, 'request_queue_depth_seconds_total')).toBeCloseTo(5.5, 9);
    queue.tryAcquire();
    vi.advanceTimersByTime(250);
    expect(await sample(registry, 'request_queue_depth_seconds_total')).toBeCloseTo(5.75, 9);
    expect(await sample(registry, 'request_queue_depth')).toBe(1);
  });

  it('only measures without a limit: every request starts at once', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry });
    const tickets = await Promise.all(Array.from({ length: 100 }, () => queue.acquire()));
    expect(queue.inFlight).toBe(100);
    expect(queue.waiting).toBe(0);
    for (const ticket of tickets) ticket.release();
    expect(queue.depth).toBe(0);
    expect(await sample(registry, 'request_queue_wait_seconds_count')).toBe(100);
    expect(await sample(registry, 'request_queue_wait_seconds_sum')).toBe(0);
  });

  it('admits up to the limit, queues in arrival order and records the wait', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry, concurrency: 1, maxWaiting: 2 });
    const first = await queue.acquire();
    const order: string[] = [];
    const noteAdmitted = (name: string) => (ticket: QueueTicket) => {
      order.push(name);
      return ticket;
    };
    const second = queue.acquire().then(noteAdmitted('second'));
    const third = queue.acquire().then(noteAdmitted('third'));
    expect(queue.depth).toBe(3);
    expect(queue.waiting).toBe(2);
    vi.advanceTimersByTime(300);
    first.release();
    const secondTicket = await second;
    expect(secondTicket.waitedSeconds).toBeCloseTo(0.3, 9);
    vi.advanceTimersByTime(100);
    secondTicket.release();
    (await third).release();
    expect(order).toEqual(['second', 'third']);
    expect(queue.depth).toBe(0);
    expect(await sample(registry, 'request_queue_wait_seconds_sum')).toBeCloseTo(0.7, 9);
  });

  it('refuses past the waiting bound and counts it', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({
      registry,
      concurrency: 1,
      maxWaiting: 1,
      retryAfterSeconds: 2,
    });
    const held = await queue.acquire();
    const waiting = queue.acquire();
    const refused = queue.acquire();
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toMatchObject({ reason: 'queue_full', retryAfterSeconds: 2 });
    expect(queue.depth).toBe(2);
    held.release();
    (await waiting).release();
    expect(queue.depth).toBe(0);
    expect(await sample(registry, 'requests_rejected_total{reason="queue_full"}')).toBe(1);
  });

  it('is full only with every slot taken and maxWaiting waiting; refuseIfFull counts only then', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry, concurrency: 1, maxWaiting: 1 });
    expect(queue.full).toBe(false);
    expect(queue.refuseIfFull()).toBeUndefined();
    const held = await queue.acquire();
    expect(queue.full).toBe(false);
    const waiting = queue.acquire();
    expect(queue.full).toBe(true);
    expect(queue.refuseIfFull()).toEqual({
      reason: 'queue_full',
      retryAfterSeconds: 1,
      message: 'server is at capacity: 1 requests in flight and 1 waiting',
    });
    expect(queue.depth).toBe(2);
    held.release();
    expect(queue.full).toBe(false);
    (await waiting).release();
    expect(await sample(registry, 'requests_rejected_total{reason="queue_full"}')).toBe(1);
    expect(new RequestQueue({ registry: new Registry() }).full).toBe(false);
  });

  it('counts refusals of the server before the queue under their own reason', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry });
    queue.countRejected('body_timeout');
    queue.countRejected('body_timeout');
    expect(await sample(registry, 'requests_rejected_total{reason="body_timeout"}')).toBe(2);
    expect(queue.depth).toBe(0);
  });

  it('gives up waiting after maxWaitMs', async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry, concurrency: 1, maxWaitMs: 50 });
    const held = await queue.acquire();
    const waiting = queue.acquire();
    vi.advanceTimersByTime(50);
    await expect(waiting).rejects.toMatchObject({ reason: 'wait_timeout' });
    expect(queue.depth).toBe(1);
    held.release();
    expect(queue.depth).toBe(0);
    expect(await sample(registry, 'requests_rejected_total{reason="wait_timeout"}')).toBe(1);
  });

  it('leaves the queue when the caller aborts while waiting', async () => {
    const queue = new RequestQueue({ registry: new Registry(), concurrency: 1 });
    const held = await queue.acquire();
    const controller = new AbortController();
    const waiting = queue.acquire({ signal: controller.signal });
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    expect(queue.depth).toBe(1);
    held.release();
    expect(queue.depth).toBe(0);
  });

  it('releases once, however often release is called', async () => {
    const queue = new RequestQueue({ registry: new Registry(), concurrency: 2 });
    const a = await queue.acquire();
    await queue.acquire();
    a.release();
    a.release();
    expect(queue.inFlight).toBe(1);
  });

  it('run() gives the slot back when the work throws', async () => {
    const queue = new RequestQueue({ registry: new Registry(), concurrency: 1 });
    await expect(
      queue.run(() => {
        throw new Error('model failed');
      }),
    ).rejects.toThrow('model failed');
    expect(queue.depth).toBe(0);
    expect(await queue.run(() => 42)).toBe(42);
  });

  it('shares one depth between two queues on one registry', async () => {
    const registry = new Registry();
    const a = new RequestQueue({ registry });
    const b = new RequestQueue({ registry });
    a.tryAcquire();
    b.tryAcquire();
    expect(await sample(registry, 'request_queue_depth')).toBe(2);
  });

  it("with waitEndsAt 'started', records arrival until started(), once, and nothing when never started", async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry, waitEndsAt: 'started' });
    const ticket = await queue.acquire();
    vi.advanceTimersByTime(40);
    ticket.started();
    vi.advanceTimersByTime(500);
    ticket.started();
    ticket.release();
    const rejectedEarly = await queue.acquire();
    rejectedEarly.release();
    expect(await sample(registry, 'request_queue_wait_seconds_count')).toBe(1);
    expect(await sample(registry, 'request_queue_wait_seconds_sum')).toBeCloseTo(0.04, 9);
  });

  it("with waitEndsAt 'slot', started() records nothing more", async () => {
    const registry = new Registry();
    const queue = new RequestQueue({ registry });
    const ticket = await queue.acquire();
    vi.advanceTimersByTime(40);
    ticket.started();
    ticket.release();
    expect(await sample(registry, 'request_queue_wait_seconds_count')).toBe(1);
    expect(await sample(registry, 'request_queue_wait_seconds_sum')).toBe(0);
  });

  it('fails at construction on options that make no sense', () => {
    const registry = new Registry();
    expect(() => new RequestQueue({ registry, concurrency: 0 })).toThrow(/concurrency must be/);
    expect(() => new RequestQueue({ registry, concurrency: 1.5 })).toThrow(/concurrency must be/);
    expect(() => new RequestQueue({ registry, maxWaiting: -1 })).toThrow(/maxWaiting must be/);
    expect(() => new RequestQueue({ registry, maxWaitMs: Number.NaN })).toThrow(/maxWaitMs/);
    expect(() => new RequestQueue({ registry, waitEndsAt: 'later' as unknown as 'slot' })).toThrow(
      /waitEndsAt must be 'slot' or 'started'/,
    );
  });
});
