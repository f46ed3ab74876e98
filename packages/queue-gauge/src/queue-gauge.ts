import type { Context, MiddlewareHandler } from 'hono';
import { refusal } from './refusal.js';
import { QueueFullError, type QueueTicket, type RequestQueue } from './request-queue.js';

/** Options of {@link queueGauge}. */
export interface QueueGaugeOptions {
  /** The queue that counts these requests and, if it has a limit, admits them. */
  queue: RequestQueue;
}

/** The Hono context variables {@link queueGauge} sets. */
export interface QueueGaugeVariables {
  /** The request's ticket, set when its queue has `waitEndsAt: 'started'`. */
  queueTicket: QueueTicket;
}

interface NodeOutgoing {
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Hono middleware that counts each request in `queue` from the moment it reaches the middleware
 * until its response is sent, and, when the queue has a concurrency limit, holds it until a slot is
 * free. A request the queue refuses gets `503` with `Retry-After` and a JSON `error`. Mount it on
 * the routes that reach the model, after the body has been read (and parsed): a request is counted,
 * and takes a slot, once it is ready to run, so a client that uploads slowly holds neither a slot
 * nor a place in `request_queue_depth`. {@link shedWhenFull} ahead of the body read refuses cheaply
 * when the queue is full.
 *
 * The depth goes back down whatever happens: the handler throws, the client goes away while the
 * request waits or runs, or the body streams (on `@hono/node-server` the slot is held until the
 * response is fully written or the connection closes).
 *
 * @param options.queue - the request queue
 * @example
 * const queue = new RequestQueue({ registry, concurrency: 8, maxWaiting: 64 });
 * app.post('/predict', queueGauge({ queue }), predict);
 */
export function queueGauge({
  queue,
}: QueueGaugeOptions): MiddlewareHandler<{ Variables: QueueGaugeVariables }> {
  const exposeTicket = queue.waitEndsAt === 'started';
  return async function queueGauge(c, next) {
    let ticket = queue.tryAcquire();
    if (ticket === undefined) {
      const refused = queue.refuseIfFull();
      if (refused) return refusal(c, refused);
      try {
        ticket = await queue.acquire({ signal: c.req.raw.signal });
      } catch (error) {
        if (error instanceof QueueFullError) return refusal(c, error);
        if (c.req.raw.signal.aborted) {
          // The client is gone; nobody reads this. 499 is nginx's "client closed request".
          return c.json({ error: 'client closed the request while it waited' }, 499 as 400);
        }
        throw error;
      }
    }
    if (exposeTicket) c.set('queueTicket', ticket);
    try {
      await next();
    } finally {
      releaseWhenSent(c, ticket);
    }
  };
}

/**
 * The ticket {@link queueGauge} took for this request, when its queue has
 * `waitEndsAt: 'started'`: call `started()` on it when the model starts on the request.
 *
 * @example
 * queueTicket(c)?.started();
 */
export function queueTicket(c: Context): QueueTicket | undefined {
  return (c as Context<{ Variables: Partial<QueueGaugeVariables> }>).get('queueTicket');
}

/** Releases at once, or, on @hono/node-server, once the response has been written or dropped. */
function releaseWhenSent(
  c: Context<{ Variables: QueueGaugeVariables }>,
  ticket: QueueTicket,
): void {
  const outgoing = (c.env as { outgoing?: NodeOutgoing } | undefined)?.outgoing;
  if (
    outgoing === undefined ||
    typeof outgoing.once !== 'function' ||
    outgoing.destroyed ||
    outgoing.writableFinished
  ) {
    ticket.release();
    return;
  }
  outgoing.once('close', ticket.release);
}
