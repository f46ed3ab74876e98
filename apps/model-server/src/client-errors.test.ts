// What a client gets for requests the server cannot use: a 4xx with a plain message, counted
// under its status, the queue back at 0. Driven through app.request (no sockets).
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.fixture.js';
import { BUNDLED_MODEL } from './config.js';
import { InferencePool } from './inference/pool.js';

let pool: InferencePool;
beforeAll(async () => {
  pool = await InferencePool.start({ modelPath: BUNDLED_MODEL, batchMaxSize: 8 });
});
afterAll(async () => {
  await pool.close();
});

function setup(bodyLimitBytes = 1024 * 1024) {
  return testApp({ pool, config: { bodyLimitBytes } });
}

const INFER = '/v2/models/linear-768x2/infer';
const row = (v: number) => Array.from({ length: 768 }, () => v);
const tensor = (data: unknown, shape = [1, 768], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ inputs: [{ name: 'input', shape, datatype: 'FP32', data }], ...extra });
const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

function post(app: Hono, path: string, body: string | Uint8Array, headers = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
}

async function expectProblem(res: Response, status: number, error: RegExp) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: string };
  expect(body.error).toMatch(error);
  expect(body.error).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack traces
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for echoed binary
  expect(body.error).not.toMatch(/[\x00-\x08\x0e-\x1f\x7f\ufffd]/);
  return body.error;
}

describe('values a float32 tensor cannot hold are 400, not nulls', () => {
  it('on /predict', async () => {
    const { app } = setup();
    await expectProblem(
      await post(app, '/predict', '{"features":[1e39]}'),
      400,
      /^features\[0\] is 1e\+39, outside the float32 range \(±3\.4028234663852886e\+38\)$/,
    );
    await expectProblem(
      await post(app, '/predict', '{"features":[0.5, -3.5e38]}'),
      400,
      /features\[1\] is -3\.5e\+38/,
    );
    // The largest float32 itself is fine.
    expect((await post(app, '/predict', '{"features":[3.4028234663852886e38]}')).status).toBe(200);
  });

  it('on v2 FP32 data', async () => {
    const { app } = setup();
    const data = row(0);
    data[5] = 1e39;
    await expectProblem(
      await post(app, INFER, tensor(data)),
      400,
      /input 'input' data\[5\] is 1e\+39, outside the float32 range/,
    );
  });
});

describe("the v2 'id' is echoed back", () => {
  it('up to 256 characters; a longer one is 400, never written back', async () => {
    const { app } = setup();
    const ok = await post(app, INFER, tensor(row(0.1), [1, 768], { id: 'x'.repeat(256) }));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: string }).id).toHaveLength(256);
    const error = await expectProblem(
      await post(app, INFER, tensor(row(0.1), [1, 768], { id: 'x'.repeat(100_000) })),
      400,
      /^'id' must be at most 256 characters, got 100000$/,
    );
    expect(error.length).toBeLessThan(100);
  });
});

describe('v2 data must follow its shape', () => {
  it('refuses ragged rows whose total happens to match', async () => {
    const { app } = setup();
    const ragged = [
      row(0.1).concat(row(0.1)).slice(0, 700),
      row(0.1).concat(row(0.1)).slice(0, 836),
    ];
    await expectProblem(
      await post(app, INFER, tensor(ragged, [2, 768])),
      400,
      /^input 'input' data\[0\] has 700 values; the shape needs 768 per row \(ragged data\)$/,
    );
  });

  it('refuses a wrong number of rows and rows mixing arrays and numbers', async () => {
    const { app } = setup();
    await expectProblem(
      await post(app, INFER, tensor([row(0), row(0), row(0)], [2, 768])),
      400,
      /data has 3 rows; the shape needs 2 there \(ragged data\)/,
    );
    await expectProblem(
      await post(app, INFER, tensor([row(0), 1], [2, 768])),
      400,
      /data\[1\] is a number; nested data needs an array in every row/,
    );
  });

  it('still takes flat and fully nested data', async () => {
    const { app } = setup();
    expect((await post(app, INFER, tensor([...row(0.1), ...row(0.2)], [2, 768]))).status).toBe(200);
    expect((await post(app, INFER, tensor([row(0.1), row(0.2)], [2, 768]))).status).toBe(200);
  });
});

it('refuses an output named twice', async () => {
  const { app } = setup();
  await expectProblem(
    await post(
      app,
      INFER,
      tensor(row(0), [1, 768], { outputs: [{ name: 'output' }, { name: 'output' }] }),
    ),
    400,
    /^outputs\[1\] names 'output' again; name each output once$/,
  );
});

describe('deeply nested values are a 400 with a short message, never a 500', () => {
  const depth = 30_000;
  for (const [field, body] of [
    ['name', `{"inputs":[{"name":${nested(depth)},"shape":[1,768],"datatype":"FP32","data":[]}]}`],
    [
      'datatype',
      `{"inputs":[{"name":"input","shape":[1,768],"datatype":${nested(depth)},"data":[]}]}`,
    ],
    [
      'data',
      `{"inputs":[{"name":"input","shape":[1,768],"datatype":"FP32","data":${nested(depth)}}]}`,
    ],
    ['shape', `{"inputs":[{"name":"input","shape":${nested(depth)},"datatype":"FP32","data":[]}]}`],
    ['id', `{"id":${nested(depth)},"inputs":[]}`],
    [
      'outputs',
      `{"inputs":[{"name":"input","shape":[1,768],"datatype":"FP32","data":${JSON.stringify(row(0))}}],"outputs":${nested(depth)}}`,
    ],
  ] as const) {
    it(`in '${field}'`, async () => {
      const { app, registry } = setup();
      const error = await expectProblem(await post(app, INFER, body), 400, /./);
      expect(error.length).toBeLessThan(200);
      expect(await registry.metrics()).not.toMatch(/status="500"/);
    });
  }
  it("in /predict's features", async () => {
    const { app } = setup();
    await expectProblem(
      await post(app, '/predict', `{"features":${nested(depth)}}`),
      400,
      /features\[0\] is an array, not a number/,
    );
  });
});

describe('bodies the server does not decode', () => {
  it('Content-Encoding gzip is 415, names the encoding, echoes nothing, says what it takes', async () => {
    const { app } = setup();
    const gzip = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xff]);
    const res = await post(app, '/predict', gzip, { 'Content-Encoding': 'gzip' });
    await expectProblem(
      res,
      415,
      /^Content-Encoding 'gzip' is not supported; send the body uncompressed$/,
    );
    expect(res.headers.get('Accept-Encoding')).toBe('identity');
    expect(
      (await post(app, '/predict', '{"features":[1]}', { 'Content-Encoding': 'identity' })).status,
    ).toBe(200);
  });

  it('binary that is not JSON is a 400 whose message is printable', async () => {
    const { app } = setup();
    const error = await expectProblem(
      await post(app, '/predict', new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x41, 0x42])),
      400,
      /^malformed JSON: /,
    );
    expect(error).not.toContain('AB');
  });
});

describe('a wrong method is 405 with Allow', () => {
  for (const [method, path, allow, route] of [
    ['GET', '/predict', 'POST', '/predict'],
    ['PUT', INFER, 'POST', '/v2/models/:name/infer'],
    ['POST', '/livez', 'GET, HEAD', '/livez'],
    ['DELETE', '/health', 'GET, HEAD', '/health'],
    ['POST', '/v2/models/linear-768x2', 'GET, HEAD', '/v2/models/:name'],
  ] as const) {
    it(`${method} ${path}`, async () => {
      const { app, registry } = setup();
      const res = await app.request(path, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('Allow')).toBe(allow);
      expect(await res.json()).toEqual({
        error: `${method} is not allowed on ${path}; use ${allow}`,
      });
      const text = await registry.metrics();
      expect(text).toContain(
        `http_requests_total{method="${method}",route="${route}",status="405"} 1`,
      );
    });
  }

  it('OPTIONS says what is allowed; unknown paths stay 404', async () => {
    const { app } = setup();
    const options = await app.request('/predict', { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('Allow')).toBe('POST');
    expect((await app.request('/nope', { method: 'POST' })).status).toBe(404);
    expect((await app.request('/livez', { method: 'HEAD' })).status).toBe(200);
  });
});

it('says what is missing instead of "a undefined"', async () => {
  const { app } = setup();
  const error = await expectProblem(await post(app, INFER, '{}'), 400, /got nothing$/);
  expect(error).toBe("'inputs' must be a non-empty array, got nothing");
});
