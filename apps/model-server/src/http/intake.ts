// Receiving a request body, before the request may take a queue slot: the cap on bodies arriving
// at once, the body's size and time limits, the content checks, and JSON parsing.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERIES } from '@mlscale/metric-contract';
import type { RequestQueue } from '@mlscale/queue-gauge';
import type { Context, MiddlewareHandler } from 'hono';
import { Gauge, type Registry } from 'prom-client';
import { problem } from './body.js';

/** Options of {@link bodyIntake}. */
export interface IntakeOptions {
  /** Where `requests_receiving` is registered. */
  registry: Registry;
  /** Counts this middleware's refusals in `requests_rejected_total` and gives their Retry-After. */
  queue: Pick<RequestQueue, 'countRejected' | 'retryAfterSeconds'>;
  /** Largest body in bytes (`BODY_LIMIT_BYTES`); larger gets 413. */
  maxBytes: number;
  /** Longest the body may take to arrive once the headers are in (`BODY_TIMEOUT_MS`); then 408. */
  timeoutMs: number;
  /** Requests whose body may be arriving at once (`MAX_RECEIVING`); one more gets 503. */
  maxReceiving: number;
  /** Awaited between reading and parsing (see `turnBarrier`). */
  nextTurn?: () => Promise<void>;
  /** Labels fixed for the process on `requests_receiving` (the serving series' `model`, `version`). */
  constLabels?: Readonly<Record<string, string>>;
}

/** The Hono context variables {@link bodyIntake}'s middlewares set. */
export interface IntakeVariables {
  /** The request body as text, once it has fully arrived (`receive`). */
  bodyText: string;
  /** The parsed request body (`parse`). */
  json: unknown;
}

/** The two steps of {@link bodyIntake}. */
export interface BodyIntake {
  /** Reads the whole body, within the limits; the request is ready to run once it passes. */
  receive: MiddlewareHandler<{ Variables: IntakeVariables }>;
  /** Parses the body as JSON (after the turn barrier). */
  parse: MiddlewareHandler<{ Variables: IntakeVariables }>;
}

type Read = { ok: true; text: string } | { ok: false; status: 400 | 408 | 413; error: string };

/**
 * How long a body may take behind its headers and still count as having come with them, when
 * `MAX_RECEIVING` bodies are arriving already: a few round trips on a local network.
 */
export const RECEIVING_GRACE_MS = 50;

/** Resolves once `incoming`'s body has been parsed whole, or after {@link RECEIVING_GRACE_MS}. */
async function arrived(incoming: IncomingMessage): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  const until = performance.now() + RECEIVING_GRACE_MS;
  while (!incoming.complete && !incoming.destroyed && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * True when the client sent `Expect: 100-continue` and waits for `100 Continue` before its body (the
 * server's `checkContinue` listener leaves it to this middleware).
 */
export function expectsContinue(incoming: IncomingMessage): boolean {
  return incoming.headers.expect?.toLowerCase() === '100-continue' && !incoming.complete;
}

/** True for `application/json` and `application/<something>+json`, parameters ignored. */
function isJsonType(contentType: string): boolean {
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'))
  );
}

/** A JSON.parse message without the echo of the body V8 adds, and printable. */
function parseMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const cut = raw.replace(/, ".*" is not valid JSON$/s, ' (not valid JSON)');
  const printable = cut.replace(
    /[^\x20-\x7e]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return printable.length > 200 ? `${printable.slice(0, 200)}…` : printable;
}

/** Reads a chunked body (no Content-Length), counting bytes, stopping past `maxBytes` or on abort. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Read> {
  const reader = body.getReader();
  const stop = () => {
    reader.cancel().catch(() => {});
  };
  signal.addEventListener('abort', stop, { once: true });
  try {
    const decoder = new TextDecoder();
    let text = '';
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        stop();
        return tooLarge(maxBytes);
      }
      text += decoder.decode(value, { stream: true });
    }
    return { ok: true, text: text + decoder.decode() };
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

function unreadable(error: unknown): Read {
  const reason = error instanceof Error ? error.message : String(error);
  return { ok: false, status: 400, error: `the request body could not be read: ${reason}` };
}

function tooLargeMessage(maxBytes: number): string {
  return `request body is larger than ${maxBytes} bytes (BODY_LIMIT_BYTES)`;
}

function tooLarge(maxBytes: number): Read {
  return { ok: false, status: 413, error: tooLargeMessage(maxBytes) };
}

/**
 * Reads `c`'s whole body: at once when it came with its headers, else within `timeoutMs` (408 past
 * it) and, when chunked, within `maxBytes`.
 */
async function readBody(c: Context, maxBytes: number, timeoutMs: number): Promise<Read> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // Usually the whole body came with the headers: no timer needed.
  if (incoming?.complete && c.req.header('content-length') !== undefined) {
    return c.req.text().then(
      (text): Read => ({ ok: true, text }),
      (error: unknown): Read => unreadable(error),
    );
  }
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Read>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({
        ok: false,
        status: 408,
        error: `the request body did not arrive within ${timeoutMs} ms (BODY_TIMEOUT_MS)`,
      });
    }, timeoutMs);
  });
  const chunked = c.req.header('content-length') === undefined;
  const reading = (async (): Promise<Read> => {
    if (!chunked) return { ok: true, text: await c.req.text() };
    const body = c.req.raw.body;
    return body ? readStream(body, maxBytes, controller.signal) : { ok: true, text: '' };
  })().catch(unreadable);
  try {
    return await Promise.race([reading, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The refusals decided on the headers alone, before anything is read: a compressed body or one
 * that is not JSON (415), a declared length over `maxBytes` (413, and the connection closes).
 */
function refuseByHeaders(c: Context, maxBytes: number): Response | undefined {
  const encoding = c.req.header('content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    c.header('Accept-Encoding', 'identity');
    return problem(
      c,
      415,
      `Content-Encoding '${encoding.slice(0, 40)}' is not supported; send the body uncompressed`,
    );
  }
  const contentType = c.req.header('content-type');
  if (contentType !== undefined && !isJsonType(contentType)) {
    return problem(
      c,
      415,
      `Content-Type must be application/json, got '${contentType.slice(0, 80)}'`,
    );
  }
  const length = c.req.header('content-length');
  if (length !== undefined && Number(length) > maxBytes) {
    // Close rather than read and discard what is coming: under a flood of large bodies the
    // discarding, not the answer, is what would keep the HTTP thread from the probes.
    c.header('Connection', 'close');
    return problem(c, 413, tooLargeMessage(maxBytes));
  }
  return undefined;
}

/**
 * Two middlewares that take in a JSON request body. `receive` sets `c.var.bodyText`; a request is
 * ready to run once it passes, so mount the queue after it. `parse` sets `c.var.json`; mount it
 * after the queue, so a request the queue refuses costs no parsing. In `receive`, in order, before
 * anything is read: `Content-Encoding` other than identity is
 * 415, a `Content-Type` that is not JSON is 415 (none is read as JSON, as FastAPI does), a declared
 * `Content-Length` over `maxBytes` is 413, and with `maxReceiving` bodies already arriving the
 * request gets 503 with `Retry-After` (`requests_rejected_total{reason="receiving_full"}`). Then
 * the body is read, counted in `requests_receiving`: past `maxBytes` it is 413, not complete within
 * `timeoutMs` it is 408 and the connection closes (`reason="body_timeout"`), cut off by the client
 * it is 400. Empty or malformed JSON is 400. Bodies with a Content-Length take
 * `@hono/node-server`'s fast path; chunked ones are counted as they arrive.
 *
 * @example
 * const { receive, parse } = bodyIntake({ registry, queue, maxBytes: 151552, timeoutMs: 10000, maxReceiving: 256 });
 * app.post('/predict', shedWhenFull({ queue }), receive, queueGauge({ queue }), parse, predict);
 */
export function bodyIntake({
  registry,
  queue,
  maxBytes,
  timeoutMs,
  maxReceiving,
  nextTurn,
  constLabels = {},
}: IntakeOptions): BodyIntake {
  let receiving = 0;
  new Gauge({
    name: SERIES.receiving.name,
    help: SERIES.receiving.help,
    labelNames: Object.keys(constLabels),
    registers: [registry],
    collect() {
      this.set(constLabels, receiving);
    },
  });

  const receive: BodyIntake['receive'] = async function receiveBody(c, next) {
    const refused = refuseByHeaders(c, maxBytes);
    if (refused !== undefined) return refused;
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    // MAX_RECEIVING bounds bodies still arriving, not those that come with their headers or right
    // behind them (a client's headers and a 10 kB body are often two packets). Node emits the
    // request before it parses the rest of the packet, so at the limit the body gets a short grace.
    if (receiving >= maxReceiving && incoming !== undefined) await arrived(incoming);
    if (receiving >= maxReceiving && incoming?.complete !== true) {
      queue.countRejected('receiving_full');
      c.header('Retry-After', String(queue.retryAfterSeconds));
      return problem(
        c,
        503,
        `too many requests are sending their bodies at once (MAX_RECEIVING=${maxReceiving}); retry later`,
      );
    }
    // Every check passed: now, not before, ask a client that waits for it to send the body.
    if (incoming !== undefined && expectsContinue(incoming)) {
      (c.env as { outgoing: ServerResponse }).outgoing.writeContinue();
    }
    receiving += 1;
    let body: Read;
    try {
      body = await readBody(c, maxBytes, timeoutMs);
    } finally {
      receiving -= 1;
    }
    if (!body.ok) {
      if (body.status === 408) {
        queue.countRejected('body_timeout');
        c.header('Connection', 'close');
      }
      return problem(c, body.status, body.error);
    }
    if (body.text.trim() === '') return problem(c, 400, 'request body is empty; send JSON');
    c.set('bodyText', body.text);
    await next();
  };

  const parse: BodyIntake['parse'] = async function parseJson(c, next) {
    // Let the event loop take in the other requests that arrived with this one before parsing.
    if (nextTurn) await nextTurn();
    let json: unknown;
    try {
      json = JSON.parse(c.get('bodyText'));
    } catch (error) {
      return problem(c, 400, `malformed JSON: ${parseMessage(error)}`);
    }
    c.set('json', json);
    await next();
  };
  return { receive, parse };
}
