import type { Context } from 'hono';
import type { QueueRefusal } from './request-queue.js';

/** The answer to a refused request: `503`, `Retry-After` and `{"error": "..."}`. */
export function refusal(
  c: Context,
  error: Pick<QueueRefusal, 'message' | 'retryAfterSeconds'>,
): Response {
  return c.json({ error: `${error.message}; retry later` }, 503, {
    'Retry-After': String(error.retryAfterSeconds),
  });
}
