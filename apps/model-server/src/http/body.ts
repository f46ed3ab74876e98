// Reading a JSON request body: content type, size limit and parse errors become 4xx JSON errors.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/** A request body that could not be used, with the status to answer. */
export interface BodyProblem {
  ok: false;
  status: 400 | 413 | 415;
  error: string;
}

/** `{ ok: true, value }` with the parsed JSON, or the problem to report. */
export type JsonBody = { ok: true; value: unknown } | BodyProblem;

/** Answers a problem as `{"error": "..."}`. */
export function problem(c: Context, status: number, error: string): Response {
  return c.json({ error }, status as 400);
}

/**
 * Middleware refusing bodies over `maxBytes` with 413. A declared `Content-Length` is checked
 * without touching the body (so @hono/node-server keeps its fast body path); a chunked body goes
 * through Hono's `bodyLimit`, which counts the bytes as they arrive.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = (c: Context) =>
    problem(c, 413, `request body is larger than ${maxBytes} bytes (BODY_LIMIT_BYTES)`);
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async function limitBody(c, next) {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number(length) > maxBytes ? tooLarge(c) : next();
    }
    return streamed(c, next);
  };
}

/** True for `application/json` and `application/<something>+json`, parameters ignored. */
function isJsonType(contentType: string): boolean {
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'))
  );
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

/**
 * Reads and parses the body as JSON, after `nextTurn()` when given (see {@link turnBarrier}). A request without `Content-Type` is read as JSON (as FastAPI
 * does, so plain load generators work); one with another type gets 415.
 */
export async function readJson(c: Context, nextTurn?: () => Promise<void>): Promise<JsonBody> {
  const contentType = c.req.header('content-type');
  if (contentType !== undefined && !isJsonType(contentType)) {
    return {
      ok: false,
      status: 415,
      error: `Content-Type must be application/json, got '${contentType}'`,
    };
  }
  let text: string;
  try {
    text = await c.req.text();
  } catch (error) {
    return { ok: false, status: 400, error: `could not read the request body: ${message(error)}` };
  }
  if (text.trim() === '') {
    return { ok: false, status: 400, error: 'request body is empty; send JSON' };
  }
  // Let the event loop take in the other requests that arrived with this one before parsing:
  // each gets its arrival time (and its place in request_queue_depth) first, then the CPU work
  // runs inside the measured window, instead of later arrivals waiting unseen in socket buffers.
  if (nextTurn) await nextTurn();
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, status: 400, error: `malformed JSON: ${message(error)}` };
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A short description of a JSON value's kind, for error messages. */
export function describe(value: unknown): string {
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
