/** Why a Prometheus request failed. */
export type PrometheusErrorKind =
  /** Connection refused, DNS failure, reset: nothing answered at the URL. */
  | 'unreachable'
  /** No answer within the timeout. */
  | 'timeout'
  /** Prometheus rejected the query (`errorType` `bad_data`, HTTP 400). */
  | 'bad_query'
  /** Prometheus answered with an error of another kind (`execution`, `timeout`, `canceled`, ...). */
  | 'query_failed'
  /** An HTTP error without a Prometheus error body (404 from a proxy, 503, ...). */
  | 'http'
  /** The body was not a Prometheus API response. */
  | 'invalid_response';

/**
 * A failed Prometheus request, with a message a person can act on and the details scripts need.
 *
 * @example
 * try { await client.query('up') } catch (e) { if (e instanceof PrometheusError && e.kind === 'unreachable') process.exit(3) }
 */
export class PrometheusError extends Error {
  /** What went wrong. */
  readonly kind: PrometheusErrorKind;
  /** The Prometheus base URL. */
  readonly url: string;
  /** HTTP status, when Prometheus answered. */
  readonly status: number | undefined;
  /** Prometheus' `errorType` (`bad_data`, `execution`, ...), when it sent one. */
  readonly errorType: string | undefined;

  /**
   * @param kind - what went wrong
   * @param message - the message for a person
   * @param details - URL, HTTP status, Prometheus error type and the underlying cause
   */
  constructor(
    kind: PrometheusErrorKind,
    message: string,
    details: { url: string; status?: number; errorType?: string; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PrometheusError';
    this.kind = kind;
    this.url = details.url;
    this.status = details.status;
    this.errorType = details.errorType;
  }
}
