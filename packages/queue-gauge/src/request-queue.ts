import type { Registry, RegistryContentType } from 'prom-client';
import { type QueueRecorder, queueRecorder, type RejectReason } from './queue-metrics.js';

/** Options of {@link RequestQueue}. */
export interface RequestQueueOptions {
  /** Where the queue metrics are registered. Never prom-client's global registry. */
  registry: Registry<RegistryContentType>;
  /**
   * How many requests may be worked on at once. Default `Infinity`: the queue only measures, and
   * every request starts at once.
   */
  concurrency?: number;
  /**
   * How many requests may wait for a slot; one more is refused (`reason="queue_full"`).
   * Default `Infinity`. Only meaningful with a finite `concurrency`.
   */
  maxWaiting?: number;
  /**
   * How long a request may wait for a slot before it is refused (`reason="wait_timeout"`), in
   * milliseconds. Default `Infinity`.
   */
  maxWaitMs?: number;
  /** The `Retry-After` a refused request is told, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Labels fixed for the process, such as `{ model: 'resnet50' }`. Default none. */
  constLabels?: Readonly<Record<string, string>>;
  /** Buckets of `request_queue_wait_seconds`. Default 1 ms … 10 s. */
  waitBuckets?: readonly number[];
  /**
   * Where the wait recorded in `request_queue_wait_seconds` ends. `'slot'` (default): when the
   * request gets its slot. `'started'`: when your code calls {@link QueueTicket.started}, for
   * servers that queue again behind this queue (a dynamic batcher, a worker pool), so the wait is
   * arrival until the model really starts on the request. A ticket released without `started()`
   * records no wait.
   */
  waitEndsAt?: 'slot' | 'started';
}

/** A request's place in the queue: it holds a slot until {@link QueueTicket.release}. */
export interface QueueTicket {
  /** Seconds the request waited for its slot. */
  readonly waitedSeconds: number;
  /**
   * Says that work on the request starts now. With `waitEndsAt: 'started'` the first call records
   * the wait since arrival; otherwise it does nothing.
   */
  started(): void;
  /** Gives the slot back. Safe to call more than once; only the first call counts. */
  release(): void;
}

/** A request refused by {@link RequestQueue.refuseIfFull}: what to answer with. */
export interface QueueRefusal {
  /** Why it was refused. */
  readonly reason: RejectReason;
  /** What to tell the client in `Retry-After`, in seconds. */
  readonly retryAfterSeconds: number;
  /** A sentence for the client, such as `server is at capacity: 4 requests in flight and 8 waiting`. */
  readonly message: string;
}

/** Thrown by {@link RequestQueue.acquire} when the request is refused: shed it with a 503. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(
    /** Why it was refused. */
    readonly reason: RejectReason,
    /** What to tell the client in `Retry-After`, in seconds. */
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
  }
}

interface Waiter {
  arrival: number;
  resolve(ticket: QueueTicket): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/**
 * Tracks requests waiting and in flight, for code with or without Hono, and records
 * `request_queue_depth`, `request_queue_depth_seconds_total`, `request_queue_wait_seconds` and
 * `requests_rejected_total`. With a `concurrency` limit it admits that many requests at a time,
 * lets up to `maxWaiting` more wait in arrival order, and refuses the rest.
 *
 * @example
 * const queue = new RequestQueue({ registry, concurrency: 4, maxWaiting: 64 });
 * const result = await queue.run(() => model.predict(input));
 */
export class RequestQueue {
  readonly concurrency: number;
  readonly maxWaiting: number;
  readonly maxWaitMs: number;
  readonly retryAfterSeconds: number;
  readonly waitEndsAt: 'slot' | 'started';
  private readonly recorder: QueueRecorder;
  private readonly waiters: Waiter[] = [];
  private waitersHead = 0;
  private running = 0;

  constructor({
    registry,
    concurrency = Number.POSITIVE_INFINITY,
    maxWaiting = Number.POSITIVE_INFINITY,
    maxWaitMs = Number.POSITIVE_INFINITY,
    retryAfterSeconds = 1,
    constLabels,
    waitBuckets,
    waitEndsAt = 'slot',
  }: RequestQueueOptions) {
    if (!(concurrency >= 1) || (Number.isFinite(concurrency) && !Number.isInteger(concurrency))) {
      throw new RangeError(
        `concurrency must be a whole number ≥ 1 or Infinity, got ${concurrency}`,
      );
    }
    if (!(maxWaiting >= 0) || (Number.isFinite(maxWaiting) && !Number.isInteger(maxWaiting))) {
      throw new RangeError(`maxWaiting must be a whole number ≥ 0 or Infinity, got ${maxWaiting}`);
    }
    if (!(maxWaitMs > 0)) throw new RangeError(`maxWaitMs must be > 0, got ${maxWaitMs}`);
    if (!(retryAfterSeconds >= 0) || !Number.isFinite(retryAfterSeconds)) {
      throw new RangeError(
        `retryAfterSeconds must be a finite number ≥ 0, got ${retryAfterSeconds}`,
      );
    }
    this.concurrency = concurrency;
    this.maxWaiting = maxWaiting;
    this.maxWaitMs = maxWaitMs;
    if (waitEndsAt !== 'slot' && waitEndsAt !== 'started') {
      throw new RangeError(`waitEndsAt must be 'slot' or 'started', got ${String(waitEndsAt)}`);
    }
    this.retryAfterSeconds = Math.ceil(retryAfterSeconds);
    this.waitEndsAt = waitEndsAt;
    this.recorder = queueRecorder(registry, constLabels, waitBuckets);
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.waiters.length - this.waitersHead;
  }

  /** Requests holding a slot. */
  get inFlight(): number {
    return this.running;
  }

  /** Requests waiting or in flight: the value of `request_queue_depth`. */
  get depth(): number {
    return this.waiting + this.running;
  }

  /**
   * True when a request arriving now would be refused: every slot is taken and `maxWaiting`
   * requests are waiting already. Never true without a `concurrency` limit.
   */
  get full(): boolean {
    return this.running >= this.concurrency && this.waiting >= this.maxWaiting;
  }

  /**
   * Refuses a request now when the queue is {@link RequestQueue.full}: counts it as `queue_full`
   * and returns the refusal to answer with (a value, not an Error: a refusal is an expected
   * outcome, and capturing a stack for each one costs more than the rest of a 503); returns
   * `undefined`, and counts nothing, when there is room. Lets a server shed before it spends
   * anything on the request (reading its body).
   *
   * @example
   * const refused = queue.refuseIfFull();
   * if (refused) return c.json({ error: refused.message }, 503, { 'Retry-After': '1' });
   */
  refuseIfFull(): QueueRefusal | undefined {
    if (!this.full) return undefined;
    this.recorder.reject('queue_full');
    return {
      reason: 'queue_full',
      retryAfterSeconds: this.retryAfterSeconds,
      message: `server is at capacity: ${this.running} requests in flight and ${this.waiting} waiting`,
    };
  }

  /**
   * Takes a slot at once when one is free and nobody is waiting for it; otherwise returns
   * `undefined` and takes nothing (then call {@link RequestQueue.acquire}).
   */
  tryAcquire(): QueueTicket | undefined {
    if (this.running >= this.concurrency || this.waiting > 0) return undefined;
    this.running += 1;
    this.recorder.changeDepth(1);
    return this.ticket(performance.now(), 0);
  }

  /**
   * Counts a request that the server refused before it reached this queue (its own limits, such
   * as too many bodies being received, or a body that took too long), in
   * `requests_rejected_total{reason}`, beside `queue_full` and `wait_timeout`. Keep `reason` to a
   * few fixed words: each one is a series.
   *
   * @example
   * queue.countRejected('body_timeout');
   */
  countRejected(reason: string): void {
    this.recorder.reject(reason);
  }

  /**
   * Waits for a slot, in arrival order.
   *
   * @param options.signal - stops waiting when aborted (the client went away); rejects with the
   *   signal's reason
   * @throws {QueueFullError} when `maxWaiting` requests are waiting already, or after `maxWaitMs`
   */
  acquire({ signal }: { signal?: AbortSignal } = {}): Promise<QueueTicket> {
    const now = this.tryAcquire();
    if (now !== undefined) return Promise.resolve(now);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const refused = this.refuseIfFull();
    if (refused) {
      return Promise.reject(
        new QueueFullError(refused.reason, refused.retryAfterSeconds, refused.message),
      );
    }
    return new Promise<QueueTicket>((resolve, reject) => {
      const arrival = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        this.leave(waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        arrival,
        resolve,
        reject,
        cleanup() {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      if (Number.isFinite(this.maxWaitMs)) {
        timer = setTimeout(() => {
          this.leave(waiter);
          this.recorder.reject('wait_timeout');
          reject(
            new QueueFullError(
              'wait_timeout',
              this.retryAfterSeconds,
              `no slot was free within ${this.maxWaitMs} ms`,
            ),
          );
        }, this.maxWaitMs);
        timer.unref?.();
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.recorder.changeDepth(1);
    });
  }

  /**
   * Runs `fn` once a slot is free and gives the slot back when it settles, whatever happens.
   *
   * @throws {QueueFullError} when the request is refused
   * @example
   * const output = await queue.run(() => session.run(feeds));
   */
  async run<T>(fn: () => T | Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const ticket = this.tryAcquire() ?? (await this.acquire(options));
    try {
      return await fn();
    } finally {
      ticket.release();
    }
  }

  private ticket(arrival: number, waitedSeconds: number): QueueTicket {
    let held = true;
    let waitRecorded = this.waitEndsAt === 'slot';
    if (waitRecorded) this.recorder.observeWait(waitedSeconds);
    return {
      waitedSeconds,
      started: () => {
        if (waitRecorded) return;
        waitRecorded = true;
        this.recorder.observeWait((performance.now() - arrival) / 1000);
      },
      release: () => {
        if (!held) return;
        held = false;
        this.running -= 1;
        this.recorder.changeDepth(-1);
        this.admitNext();
      },
    };
  }

  private admitNext(): void {
    while (this.running < this.concurrency && this.waiting > 0) {
      const waiter = this.waiters[this.waitersHead] as Waiter;
      this.waitersHead += 1;
      this.compact();
      waiter.cleanup();
      this.running += 1;
      waiter.resolve(this.ticket(waiter.arrival, (performance.now() - waiter.arrival) / 1000));
    }
  }

  /** Removes a waiter that gave up; it leaves the depth without ever holding a slot. */
  private leave(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter, this.waitersHead);
    if (index === -1) return;
    waiter.cleanup();
    this.waiters.splice(index, 1);
    this.recorder.changeDepth(-1);
  }

  /** Drops admitted waiters from the front of the array once they are a large share of it. */
  private compact(): void {
    if (this.waitersHead > 1024 && this.waitersHead * 2 > this.waiters.length) {
      this.waiters.splice(0, this.waitersHead);
      this.waitersHead = 0;
    }
  }
}
