import type { Context, MiddlewareHandler } from 'hono';
import { type NodeBindings, nodeBindings, whenClosed, whenHandedOver } from './node-connection.js';
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

/**
 * Hono middleware that counts each request in `queue` from the moment it reaches the middleware
 * until its response is sent, and, when the queue has a concurrency limit, holds it until a slot is
 * free. A request the queue refuses gets `503` with `Retry-After` and a JSON `error`. Mount it on
 * the routes that reach the model, after the body has been read (and parsed): a request is counted,
 * and takes a slot, once it is ready to run, so a client that uploads slowly holds neither a slot
 * nor a place in `request_queue_depth`. {@link shedWhenFull} ahead of the body read refuses cheaply
 * when the queue is full.
 *
 * Every request that took a slot or entered the depth gives it back exactly once, whichever way it
 * ends: answered (on `@hono/node-server`, once the response has been handed to Node whole, not when
 * a slow reader has taken the last byte: a computed answer uses no model capacity), refused, the
 * handler threw, or the client went away while the request waited or ran. The connection's own
 * close counts as the client going away: Node emits no `close` on a response still queued behind
 * another on a pipelined connection, so a server that waited for it would keep the slot forever.
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
    const node = nodeBindings(c.env);
    // Already gone (a pipelined request read off a connection that has closed since): nobody
    // reads the answer, so it takes no slot.
    if (node?.incoming.socket?.destroyed) return clientGone(c);
    let ticket = queue.tryAcquire();
    if (ticket === undefined) {
      const refused = queue.refuseIfFull();
      if (refused) return refusal(c, refused);
      const gone = new AbortController();
      const cancel = node?.incoming.socket
        ? whenClosed(node.incoming.socket, () => gone.abort(new Error('connection closed')))
        : () => {};
      try {
        ticket = await queue.acquire({ signal: AbortSignal.any([c.req.raw.signal, gone.signal]) });
      } catch (error) {
        if (error instanceof QueueFullError) return refusal(c, error);
        if (c.req.raw.signal.aborted || gone.signal.aborted) return clientGone(c);
        throw error;
      } finally {
        cancel();
      }
    }
    if (exposeTicket) c.set('queueTicket', ticket);
    try {
      await next();
    } finally {
      release(node, ticket);
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

/** The answer to a request whose client is gone; nobody reads it. 499: nginx's "client closed request". */
function clientGone(c: Context): Response {
  return c.json({ error: 'client closed the request while it waited' }, 499 as 400);
}

/** Releases at once, or, on @hono/node-server, once the response is handed over or the client gone. */
function release(node: NodeBindings | undefined, ticket: QueueTicket): void {
  if (node === undefined) ticket.release();
  else whenHandedOver(node, ticket.release);
}
