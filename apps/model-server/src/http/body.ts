// Small helpers of the HTTP layer: JSON errors, the turn barrier, describing JSON values.
import type { Context } from 'hono';

/** Answers a problem as `{"error": "..."}`. */
export function problem(c: Context, status: number, error: string): Response {
  return c.json({ error }, status as 400);
}

/** Options of {@link turnBarrier}. */
export interface TurnBarrierOptions {
  /**
   * Most milliseconds of the check phase the callers may take before the rest wait for the next
   * event-loop iteration (after its I/O: probes, scrapes, worker answers). Default 5.
   */
  budgetMs?: number;
  /** The clock (tests). Default `performance.now`. */
  now?: () => number;
}

/**
 * A function resolving at the event loop's next check phase, after the I/O of this turn, so that
 * requests that arrived together are all taken in before any is parsed. Callers resume one per
 * `setImmediate` callback, so each one's work (parsing, checking, handing to the model) runs
 * before the next resumes; once they have used `budgetMs` of the phase, the rest resume in the
 * next iteration, after its I/O. A burst of large bodies therefore blocks the event loop for about
 * the budget plus one request at a time, never for the whole burst.
 *
 * @example
 * const nextTurn = turnBarrier({ budgetMs: 5 });
 * await nextTurn(); // then parse
 */
export function turnBarrier({
  budgetMs = 5,
  now = () => performance.now(),
}: TurnBarrierOptions = {}): () => Promise<void> {
  let phaseStart = 0;
  let markQueued = false;
  const mark = () => {
    markQueued = false;
    phaseStart = now();
  };
  function enqueue(resolve: () => void): void {
    // The mark runs first in the check phase the callers below run in: it starts the budget.
    if (!markQueued) {
      markQueued = true;
      setImmediate(mark);
    }
    setImmediate(() => {
      if (now() - phaseStart > budgetMs) enqueue(resolve);
      else resolve();
    });
  }
  return function nextTurn() {
    return new Promise<void>(enqueue);
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
