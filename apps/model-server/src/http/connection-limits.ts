// The per-connection rules of the app: pipelined requests past MAX_PIPELINED, requests read after
// the response that closes their connection, and which response closes a connection while the
// server drains.
import type { IncomingMessage } from 'node:http';
import type { RequestQueue } from '@mlscale/queue-gauge';
import type { MiddlewareHandler } from 'hono';
import type { ConnectionTracker } from '../connections.js';
import { problem } from './body.js';
import type { ServerState } from './health.js';
import { expectsContinue } from './intake.js';

/** Options of {@link connectionLimits}. */
export interface ConnectionLimitsOptions {
  /** The server's connections; without it (`app.request()`) only the drain rule applies. */
  connections: ConnectionTracker | undefined;
  state: Pick<ServerState, 'draining'>;
  /** Counts the refusals in `requests_rejected_total` and gives their Retry-After. */
  queue: Pick<RequestQueue, 'countRejected' | 'retryAfterSeconds'>;
  /** `MAX_PIPELINED`, for the refusal's message. */
  maxPipelined: number;
  /** `MAX_CONNECTION_AGE_SECONDS`: 0 never closes a connection for its age. */
  maxConnectionAgeSeconds: number;
}

/**
 * Middleware, first after the metrics, so its refusals are counted in `http_requests_total`:
 * - a request read after its connection's closing response was decided is refused before it runs
 *   (503, `connection_closing`): the connection closes after the answers ahead of it, and HTTP
 *   tells the client that requests it pipelined past a `Connection: close` were not processed;
 * - a request read while its connection had `maxPipelined` requests open (the server stops reading
 *   at the limit, so only those that came in the same packet) is refused before it runs (503,
 *   `pipeline_full`, `Connection: close`), after the answers ahead of it;
 * - while the server drains, and on a refusal for load (503, 429), the response to the last
 *   request read on a connection says `Connection: close`; the ones ahead of it do not, so every
 *   request pipelined before the close is answered. A shed client re-dials: behind a Service that
 *   balances connections (kube-proxy), its next request lands on any ready pod, the ones the HPA
 *   just added included, instead of coming back to this full one on a kept-alive connection;
 * - so does the answer on a connection open longer than `maxConnectionAgeSeconds`, so a client's
 *   kept-alive connections follow the pods as they come and go.
 */
export function connectionLimits({
  connections,
  state,
  queue,
  maxPipelined,
  maxConnectionAgeSeconds,
}: ConnectionLimitsOptions): MiddlewareHandler {
  return async function connectionLimits(c, next) {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const request = incoming && connections?.requestOf(incoming);
    if (request !== undefined && connections !== undefined) {
      if (connections.readAfterClose(request)) {
        // The server answers these before the app (ConnectionTracker.refuseAfterClose); one that
        // got here was read between the decision and this check.
        queue.countRejected('connection_closing');
        c.header('Connection', 'close');
        return problem(
          c,
          503,
          'this connection is closing; the request was not processed: send it on a new connection',
        );
      }
      if (request.pastLimit) {
        connections.closeWith(request);
        queue.countRejected('pipeline_full');
        c.header('Connection', 'close');
        c.header('Retry-After', String(queue.retryAfterSeconds));
        return problem(
          c,
          503,
          `more than ${maxPipelined} requests pipelined on one connection (MAX_PIPELINED); the request was not processed: send it on a new connection`,
        );
      }
    }
    await next();
    const aged =
      maxConnectionAgeSeconds > 0 &&
      request !== undefined &&
      connections !== undefined &&
      connections.ageSeconds(request) > maxConnectionAgeSeconds;
    const closing = state.draining || aged || isShedding(c.res.status);
    if (closing && (request === undefined || connections?.closeAfter(request))) {
      c.header('Connection', 'close');
    }
    // Refused before its body was asked for: the client may still send it, or may not; closing
    // is the only way both sides agree where the next request starts.
    if (incoming !== undefined && expectsContinue(incoming) && !c.res.headers.has('connection')) {
      c.header('Connection', 'close');
    }
  };
}

/** A refusal for load: the queue full, no slot in time, too many bodies arriving. */
function isShedding(status: number): boolean {
  return status === 503 || status === 429;
}
