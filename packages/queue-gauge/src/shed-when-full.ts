import type { MiddlewareHandler } from 'hono';
import { refusal } from './refusal.js';
import type { RequestQueue } from './request-queue.js';

/** Options of {@link shedWhenFull}. */
export interface ShedWhenFullOptions {
  /** The queue whose room decides; the same one {@link queueGauge} admits to. */
  queue: RequestQueue;
}

/**
 * Hono middleware that refuses a request on arrival, before anything reads its body, when `queue`
 * is full (every slot taken and `maxWaiting` requests waiting): `503` with `Retry-After` and a JSON
 * `error`, counted as `requests_rejected_total{reason="queue_full"}`. Mount it first on the routes
 * that reach the model, ahead of body reading, and `queueGauge` after it: shedding then costs a
 * few microseconds instead of a body read and parse, so a server at twice its capacity keeps
 * serving what it can. It only looks; it counts nothing in `request_queue_depth`.
 *
 * @param options.queue - the request queue
 * @example
 * app.post('/predict', shedWhenFull({ queue }), readBody, queueGauge({ queue }), predict);
 */
export function shedWhenFull({ queue }: ShedWhenFullOptions): MiddlewareHandler {
  return async function shedWhenFull(c, next) {
    const refused = queue.refuseIfFull();
    if (refused) return refusal(c, refused);
    await next();
  };
}
