// The HTTP server's own limits: Node's timeouts from the configuration, the answer to a client
// whose request never became one, and the default metrics `promtool check metrics` accepts.
import type { ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';

/**
 * Node's server options for the configured timeouts. `headersTimeout` (HEADERS_TIMEOUT_MS) cuts a
 * client that has not sent its headers in time with 408. `requestTimeout` is a backstop behind
 * the app's own body timeout (BODY_TIMEOUT_MS, answered by the app with 408 and counted): headers
 * plus body plus 5 s. Node checks both every `connectionsCheckingInterval` (30 s by default, far
 * coarser than the timeouts): here a quarter of the headers timeout, between 50 ms and 1 s.
 */
export function serverTimeouts(
  config: Pick<Config, 'headersTimeoutMs' | 'bodyTimeoutMs'>,
): ServerOptions {
  return {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.headersTimeoutMs + config.bodyTimeoutMs + 5000,
    connectionsCheckingInterval: Math.min(
      1000,
      Math.max(50, Math.floor(config.headersTimeoutMs / 4)),
    ),
  };
}

const CLIENT_ERROR_RESPONSES: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
};

/**
 * The `requests_rejected_total` reason of a request Node refused before it became one (a
 * `clientError`), or `undefined` for a client that only went away (a reset): `headers_timeout`
 * (408), `headers_too_large` (431), `malformed_request` (400: a method Node does not know, a broken
 * request line or header).
 */
export function clientErrorReason(error: NodeJS.ErrnoException): string | undefined {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'headers_timeout';
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return undefined;
  return 'malformed_request';
}

/**
 * What Node does for a `clientError` when nobody listens (a listener replaces it): answer 408 for
 * a timeout, 431 for oversized headers, 400 otherwise, if nothing has been written yet, and close.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const net = socket as Duplex & { bytesWritten?: number };
  if (error.code !== 'ECONNRESET' && socket.writable && (net.bytesWritten ?? 0) === 0) {
    const status = CLIENT_ERROR_RESPONSES[error.code ?? ''] ?? '400 Bad Request';
    socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
  socket.destroy(error);
}

/**
 * prom-client's default metrics that `promtool check metrics` rejects: `nodejs_active_handles_total`,
 * `nodejs_active_requests_total` and `nodejs_active_resources_total` are gauges named like
 * counters. Their values are the sums of `nodejs_active_handles`, `nodejs_active_requests` and
 * `nodejs_active_resources` (labelled by type), which stay.
 */
export function dropLintFailingDefaults(registry: Registry): void {
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ]) {
    registry.removeSingleMetric(name);
  }
}
