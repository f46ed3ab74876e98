// Small helpers of the HTTP layer: JSON errors, the turn barrier, describing JSON values.
import type { Context } from 'hono';

/** Answers a problem as `{"error": "..."}`. */
export function problem(c: Context, status: number, error: string): Response {
  return c.json({ error }, status as 400);
}

/**
 * A function resolving at the event loop's next check phase (after the I/O of this turn). All
 * callers in one turn share one `setImmediate`, so waiting costs one timer per turn, not one per
 * request.
 */
export function turnBarrier(): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return function nextTurn() {
    pending ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        pending = undefined;
        resolve();
      }),
    );
    return pending;
  };
}

/** A short description of a JSON value's kind, for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.slice(0, 20))})`;
  return `a ${typeof value}`;
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
