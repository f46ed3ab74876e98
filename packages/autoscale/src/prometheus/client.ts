/**
 * A small client for the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`,
 * `/api/v1/series`) on `fetch`, with typed results and errors a person can act on.
 */

import { isRecord } from '../is-record.js';
import { PrometheusError } from './errors.js';

/** Label set of a series. */
export type Labels = Record<string, string>;

/** One sample of an instant vector. */
export interface VectorSample {
  /** Series labels (including `__name__` when the query keeps it). */
  metric: Labels;
  /** Sample time in seconds. */
  time: number;
  /** Value (`NaN`, `Infinity` as Prometheus sends them). */
  value: number;
}

/** One series of a range vector. */
export interface MatrixSeries {
  /** Series labels. */
  metric: Labels;
  /** `[time in seconds, value]` pairs. */
  values: [number, number][];
}

/** A parsed query result. */
export type QueryResult =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar'; result: { time: number; value: number } }
  | { resultType: 'string'; result: { time: number; value: string } };

/** Options of {@link PrometheusClient}. */
export interface PrometheusClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:9090` (a path prefix such as `/prometheus` is kept). */
  url: string;
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** `fetch` to use (default the global one); handy for tests. */
  fetch?: typeof fetch;
}

/** When a time is a `Date` or seconds since the epoch. */
export type PromTime = Date | number;

function toSeconds(time: PromTime): string {
  return String(time instanceof Date ? time.getTime() / 1000 : time);
}

/**
 * Parses a Prometheus sample value string (`"1.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`).
 *
 * @param text - the value as Prometheus sends it
 * @returns the number
 * @example
 * parseSampleValue('+Inf'); // Infinity
 */
export function parseSampleValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function parsePair(pair: unknown): [number, string] {
  if (!Array.isArray(pair) || pair.length !== 2)
    throw new TypeError('sample is not a [time, value] pair');
  return [Number(pair[0]), String(pair[1])];
}

/**
 * Parses the `data` of a query response into a typed result.
 *
 * @param data - the `data` field of a successful `/api/v1/query` or `/query_range` response
 * @returns the typed result
 * @throws TypeError when the shape is not one Prometheus produces
 * @example
 * parseQueryData({ resultType: 'scalar', result: [1700000000, '2'] }); // { resultType: 'scalar', result: { time: 1700000000, value: 2 } }
 */
export function parseQueryData(data: unknown): QueryResult {
  if (!isRecord(data)) throw new TypeError('"data" is not an object');
  const { resultType, result } = data;
  switch (resultType) {
    case 'vector': {
      if (!Array.isArray(result)) throw new TypeError('vector result is not an array');
      return {
        resultType,
        result: result.map((sample: unknown) => {
          if (!isRecord(sample)) throw new TypeError('vector sample is not an object');
          const [time, value] = parsePair(sample.value);
          return { metric: (sample.metric ?? {}) as Labels, time, value: parseSampleValue(value) };
        }),
      };
    }
    case 'matrix': {
      if (!Array.isArray(result)) throw new TypeError('matrix result is not an array');
      return {
        resultType,
        result: result.map((series: unknown) => {
          if (!isRecord(series) || !Array.isArray(series.values)) {
            throw new TypeError('matrix series has no values');
          }
          return {
            metric: (series.metric ?? {}) as Labels,
            values: series.values.map((pair: unknown) => {
              const [time, value] = parsePair(pair);
              return [time, parseSampleValue(value)] as [number, number];
            }),
          };
        }),
      };
    }
    case 'scalar': {
      const [time, value] = parsePair(result);
      return { resultType, result: { time, value: parseSampleValue(value) } };
    }
    case 'string': {
      const [time, value] = parsePair(result);
      return { resultType, result: { time, value } };
    }
    default:
      throw new TypeError(`unknown resultType ${JSON.stringify(resultType)}`);
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      for (const inner of errors) {
        const innerCode = networkCode(inner);
        if (innerCode) return innerCode;
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function innermostMessage(error: unknown): string {
  let current = error;
  let message = String(error);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    message = current.message;
    current = current.cause;
  }
  return message;
}

/**
 * Prometheus HTTP API client.
 *
 * @example
 * const prom = new PrometheusClient({ url: 'http://127.0.0.1:9090' });
 * const r = await prom.query('sum(up)');
 */
export class PrometheusClient {
  /** The base URL without a trailing slash. */
  readonly url: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  /**
   * @param options - base URL, timeout (default 10 s) and an optional `fetch`
   * @throws PrometheusError (`invalid_response`) when the URL cannot be parsed
   */
  constructor({ url, timeoutMs = 10_000, fetch: fetchImpl }: PrometheusClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new PrometheusError(
        'unreachable',
        `invalid Prometheus URL "${url}": expected e.g. http://127.0.0.1:9090`,
        {
          url,
          cause,
        },
      );
    }
    this.url = parsed.href.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
    this.#fetch = fetchImpl ?? fetch;
  }

  /**
   * Instant query (`/api/v1/query`).
   *
   * @param expr - PromQL expression
   * @param options - evaluation time (default now) and an abort signal
   * @returns the typed result
   * @throws PrometheusError on any failure
   */
  async query(
    expr: string,
    options: { time?: PromTime; signal?: AbortSignal } = {},
  ): Promise<QueryResult> {
    const params: Record<string, string> = { query: expr };
    if (options.time !== undefined) params.time = toSeconds(options.time);
    return this.#parse(await this.#request('/api/v1/query', params, options.signal));
  }

  /**
   * Range query (`/api/v1/query_range`).
   *
   * @param expr - PromQL expression
   * @param range - start, end (Date or epoch seconds) and step in seconds
   * @returns the typed result (a matrix)
   * @throws PrometheusError on any failure
   */
  async queryRange(
    expr: string,
    range: { start: PromTime; end: PromTime; step: number; signal?: AbortSignal },
  ): Promise<QueryResult> {
    const params = {
      query: expr,
      start: toSeconds(range.start),
      end: toSeconds(range.end),
      step: String(range.step),
    };
    return this.#parse(await this.#request('/api/v1/query_range', params, range.signal));
  }

  /**
   * Series matching selectors (`/api/v1/series`).
   *
   * @param match - series selectors, e.g. `['request_queue_depth{namespace!=""}']`
   * @param options - optional time range and abort signal
   * @returns the label sets
   * @throws PrometheusError on any failure
   */
  async series(
    match: readonly string[],
    options: { start?: PromTime; end?: PromTime; signal?: AbortSignal } = {},
  ): Promise<Labels[]> {
    const params = new URLSearchParams();
    for (const m of match) params.append('match[]', m);
    if (options.start !== undefined) params.set('start', toSeconds(options.start));
    if (options.end !== undefined) params.set('end', toSeconds(options.end));
    const data = await this.#request('/api/v1/series', params, options.signal);
    if (!Array.isArray(data)) {
      throw new PrometheusError(
        'invalid_response',
        `Prometheus at ${this.url} sent a series answer that is not a list`,
        {
          url: this.url,
        },
      );
    }
    return data as Labels[];
  }

  #parse(data: unknown): QueryResult {
    try {
      return parseQueryData(data);
    } catch (cause) {
      throw new PrometheusError(
        'invalid_response',
        `unexpected query result from ${this.url}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { url: this.url, cause },
      );
    }
  }

  async #request(
    path: string,
    params: Record<string, string> | URLSearchParams,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await this.#fetch(`${this.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams(params).toString(),
        signal: combined,
      });
    } catch (cause) {
      if (timeout.aborted) {
        throw new PrometheusError(
          'timeout',
          `Prometheus at ${this.url} did not answer within ${this.#timeoutMs} ms`,
          {
            url: this.url,
            cause,
          },
        );
      }
      if (signal?.aborted) throw cause;
      const code = networkCode(cause) ?? innermostMessage(cause);
      throw new PrometheusError(
        'unreachable',
        `cannot reach Prometheus at ${this.url}: ${code} (is it running? check the URL and port)`,
        { url: this.url, cause },
      );
    }

    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (isRecord(body) && body.status === 'error') {
      const errorType = String(body.errorType ?? 'unknown');
      const message = String(body.error ?? 'unknown error');
      const kind = errorType === 'bad_data' ? 'bad_query' : 'query_failed';
      throw new PrometheusError(
        kind,
        kind === 'bad_query'
          ? `Prometheus rejected the query (${errorType}): ${message}`
          : `Prometheus could not run the query (${errorType}): ${message}`,
        { url: this.url, status: response.status, errorType },
      );
    }
    if (!response.ok) {
      throw new PrometheusError(
        'http',
        `Prometheus at ${this.url} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for ${path}${text ? `: ${text.slice(0, 200)}` : ''}`,
        { url: this.url, status: response.status },
      );
    }
    if (!isRecord(body) || body.status !== 'success') {
      throw new PrometheusError(
        'invalid_response',
        `the answer from ${this.url}${path} is not a Prometheus API response (is this URL Prometheus?)`,
        { url: this.url, status: response.status },
      );
    }
    return body.data;
  }
}
