import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PrometheusClient, parseQueryData } from './client.js';
import { PrometheusError } from './errors.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<string> {
  const created = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => handler(req, body, res));
  });
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function failure(promise: Promise<unknown>): Promise<PrometheusError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PrometheusError) return error;
    throw error;
  }
  throw new Error('expected a PrometheusError');
}

describe('parseQueryData', () => {
  it('parses vector, matrix, scalar and special values', () => {
    expect(
      parseQueryData({
        resultType: 'vector',
        result: [{ metric: { pod: 'a' }, value: [10, '+Inf'] }],
      }),
    ).toEqual({
      resultType: 'vector',
      result: [{ metric: { pod: 'a' }, time: 10, value: Number.POSITIVE_INFINITY }],
    });
    expect(
      parseQueryData({
        resultType: 'matrix',
        result: [
          {
            metric: {},
            values: [
              [1, '1.5'],
              [2, 'NaN'],
            ],
          },
        ],
      }),
    ).toEqual({
      resultType: 'matrix',
      result: [
        {
          metric: {},
          values: [
            [1, 1.5],
            [2, Number.NaN],
          ],
        },
      ],
    });
    expect(parseQueryData({ resultType: 'scalar', result: [3, '-Inf'] })).toEqual({
      resultType: 'scalar',
      result: { time: 3, value: Number.NEGATIVE_INFINITY },
    });
    expect(() => parseQueryData({ resultType: 'nope', result: [] })).toThrow(/unknown resultType/);
  });
});

describe('PrometheusClient', () => {
  it('sends the query as a form and parses the answer', async () => {
    let seen = '';
    const url = await serve((req, body, res) => {
      seen = `${req.method} ${req.url} ${body}`;
      json(res, 200, {
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: { pod: 'a' }, value: [5, '2'] }] },
      });
    });
    const result = await new PrometheusClient({ url }).query('sum(up)', { time: 5 });
    expect(seen).toBe('POST /api/v1/query query=sum%28up%29&time=5');
    expect(result).toEqual({
      resultType: 'vector',
      result: [{ metric: { pod: 'a' }, time: 5, value: 2 }],
    });
  });

  it('sends range queries with start, end and step', async () => {
    let seen = '';
    const url = await serve((_req, body, res) => {
      seen = body;
      json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    });
    await new PrometheusClient({ url }).queryRange('up', {
      start: 100,
      end: new Date(200_000),
      step: 15,
    });
    expect(seen).toBe('query=up&start=100&end=200&step=15');
  });

  it('reports an invalid query with Prometheus message (bad_data)', async () => {
    const url = await serve((_req, _body, res) =>
      json(res, 400, {
        status: 'error',
        errorType: 'bad_data',
        error: '1:5: parse error: unexpected end of input',
      }),
    );
    const error = await failure(new PrometheusClient({ url }).query('sum('));
    expect(error.kind).toBe('bad_query');
    expect(error.errorType).toBe('bad_data');
    expect(error.message).toBe(
      'Prometheus rejected the query (bad_data): 1:5: parse error: unexpected end of input',
    );
  });

  it('reports an HTTP error without an API body', async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(503);
      res.end('Service Unavailable');
    });
    const error = await failure(new PrometheusClient({ url }).query('up'));
    expect(error).toMatchObject({ kind: 'http', status: 503 });
    expect(error.message).toMatch(/answered HTTP 503/);
  });

  it('reports a non-Prometheus answer', async () => {
    const url = await serve((_req, _body, res) => json(res, 200, { hello: 'world' }));
    expect((await failure(new PrometheusClient({ url }).query('up'))).kind).toBe(
      'invalid_response',
    );
  });

  it('reports a refused connection as unreachable, naming the URL', async () => {
    const url = await serve(() => undefined);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const error = await failure(new PrometheusClient({ url }).query('up'));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(
      `cannot reach Prometheus at ${url}: ECONNREFUSED (is it running? check the URL and port)`,
    );
  });

  it('times out through AbortSignal', async () => {
    const url = await serve(() => undefined); // never answers
    const error = await failure(new PrometheusClient({ url, timeoutMs: 100 }).query('up'));
    expect(error.kind).toBe('timeout');
    server?.closeAllConnections();
  });
});
