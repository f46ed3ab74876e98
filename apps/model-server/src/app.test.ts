import { readFile } from 'node:fs/promises';
import type { Hono } from 'hono';
import pino from 'pino';
import { type Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Float32Initializer, readInitializers } from '../scripts/onnx-graph.js';
import { testApp } from './app.fixture.js';
import { type AppOptions, createLoadingApp } from './app.js';
import { BUNDLED_MODEL } from './config.js';
import type { ServerState } from './http/health.js';
import { InferencePool } from './inference/pool.js';

const silent = pino({ level: 'silent' });
const BODY_LIMIT = 16 * 1024;
const predict768 = JSON.parse(
  await readFile(new URL('../bench/bodies/predict-768.json', import.meta.url), 'utf8'),
) as { features: number[] };

/** The bundled model's output for `features` (zero-padded / truncated to 768), in plain JS. */
let linear: (features: number[]) => number[];

let pool: InferencePool;
beforeAll(async () => {
  pool = await InferencePool.start({ modelPath: BUNDLED_MODEL, batchMaxSize: 8 });
  const init = readInitializers(await readFile(BUNDLED_MODEL));
  const w = init.get('w0') as Float32Initializer;
  const b = init.get('b0') as Float32Initializer;
  linear = (features) =>
    [0, 1].map((o) => {
      let sum = b.data[o] ?? 0;
      for (let i = 0; i < 768; i++)
        sum += Math.fround(features[i] ?? 0) * (w.data[o * 768 + i] ?? 0);
      return sum;
    });
});
afterAll(async () => {
  await pool.close();
});

function setup({
  strict = false,
  ...limits
}: { strict?: boolean } & Partial<AppOptions['config']> = {}) {
  const state: ServerState = { phase: 'ready', draining: false };
  const config = { predictStrict: strict, bodyLimitBytes: BODY_LIMIT, ...limits };
  return { ...testApp({ pool, config, state }), state };
}

function post(
  app: Hono,
  path: string,
  body: string,
  contentType: string | null = 'application/json',
) {
  const headers: Record<string, string> = {};
  if (contentType !== null) headers['Content-Type'] = contentType;
  return app.request(path, { method: 'POST', headers, body });
}

async function depth(registry: Registry): Promise<number> {
  const gauge = registry.getSingleMetric('request_queue_depth') as Gauge;
  return (await gauge.get()).values[0]?.value ?? Number.NaN;
}

describe('POST /predict', () => {
  it('answers the guide request, zero-padded, and says so', async () => {
    const { app } = setup();
    const res = await post(app, '/predict', '{"features": [0.1, 0.2, 0.3, 0.4, 0.5]}');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Input-Adjusted')).toBe('padded 5->768');
    const body = (await res.json()) as { prediction: number[]; latency_ms: number };
    expect(Object.keys(body)).toEqual(['prediction', 'latency_ms']);
    const expected = linear([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(body.prediction).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(body.prediction[i]).toBeCloseTo(expected[i] ?? NaN, 5);
    expect(body.latency_ms).toBeGreaterThan(0);
  });

  it('takes a full-width request as is, and truncates a longer one, saying so', async () => {
    const { app } = setup();
    const full = await post(app, '/predict', JSON.stringify(predict768));
    expect(full.status).toBe(200);
    expect(full.headers.get('X-Input-Adjusted')).toBeNull();
    const got = ((await full.json()) as { prediction: number[] }).prediction;
    const expected = linear(predict768.features);
    for (let i = 0; i < 2; i++) expect(got[i]).toBeCloseTo(expected[i] ?? NaN, 4);

    const longer = await post(
      app,
      '/predict',
      JSON.stringify({ features: [...predict768.features, 1, 2] }),
    );
    expect(longer.status).toBe(200);
    expect(longer.headers.get('X-Input-Adjusted')).toBe('truncated 770->768');
    expect(((await longer.json()) as { prediction: number[] }).prediction).toEqual(got);
  });

  it('in strict mode refuses any other length', async () => {
    const { app } = setup({ strict: true });
    const res = await post(app, '/predict', '{"features": [0.1, 0.2]}');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "'features' must have 768 values, got 2 (PREDICT_STRICT is on)",
    });
    expect((await post(app, '/predict', JSON.stringify(predict768))).status).toBe(200);
  });

  it('merges concurrent requests and answers each with its own prediction', async () => {
    const { app, registry } = setup();
    const inputs = Array.from({ length: 24 }, (_, i) => [i / 10, -i / 7, 1]);
    const responses = await Promise.all(
      inputs.map((features) => post(app, '/predict', JSON.stringify({ features }))),
    );
    for (const [i, res] of responses.entries()) {
      expect(res.status).toBe(200);
      const { prediction } = (await res.json()) as { prediction: number[] };
      const expected = linear(inputs[i] ?? []);
      for (let k = 0; k < 2; k++) expect(prediction[k]).toBeCloseTo(expected[k] ?? NaN, 5);
    }
    expect(await depth(registry)).toBe(0);
    const text = await registry.metrics();
    expect(text).toContain('inference_latency_seconds_count 24');
    expect(text).toContain('http_requests_total{method="POST",route="/predict",status="200"} 24');
  });
});

describe('bad input gets a 4xx JSON error naming the problem, and the queue empties', () => {
  const big = JSON.stringify({ features: Array.from({ length: 3000 }, () => 0.123456789) });
  const cases: [string, string, string, string | null, number, RegExp][] = [
    [
      'malformed JSON',
      '/predict',
      '{"features": [1, 2',
      'application/json',
      400,
      /^malformed JSON: /,
    ],
    ['empty body', '/predict', '', 'application/json', 400, /request body is empty/],
    [
      'wrong content type',
      '/predict',
      '{"features": [1]}',
      'text/plain',
      415,
      /Content-Type must be application\/json, got 'text\/plain'/,
    ],
    [
      'form content type',
      '/predict',
      'features=1',
      'application/x-www-form-urlencoded',
      415,
      /Content-Type/,
    ],
    [
      'not an object',
      '/predict',
      '[1, 2]',
      'application/json',
      400,
      /must be a JSON object.*got an array/,
    ],
    [
      'missing features',
      '/predict',
      '{"inputs": [1]}',
      'application/json',
      400,
      /missing 'features'/,
    ],
    [
      'features not an array',
      '/predict',
      '{"features": "0.1,0.2"}',
      'application/json',
      400,
      /'features' must be an array of numbers, got a string/,
    ],
    [
      'string feature',
      '/predict',
      '{"features": [0.1, "0.2"]}',
      'application/json',
      400,
      /features\[1\] is a string \("0.2"\), not a number/,
    ],
    [
      'null feature',
      '/predict',
      '{"features": [0.1, null]}',
      'application/json',
      400,
      /features\[1\] is null, not a number/,
    ],
    [
      'nested feature',
      '/predict',
      '{"features": [[0.1]]}',
      'application/json',
      400,
      /features\[0\] is an array, not a number/,
    ],
    [
      'infinite feature',
      '/predict',
      '{"features": [0.1, 1e999]}',
      'application/json',
      400,
      /features\[1\] is Infinity, not a finite number/,
    ],
    [
      '-infinite past the width',
      '/predict',
      JSON.stringify({ features: Array(768).fill(0) }).replace(']', ',-1e999]'),
      'application/json',
      400,
      /features\[768\] is -Infinity/,
    ],
    [
      'empty features',
      '/predict',
      '{"features": []}',
      'application/json',
      400,
      /'features' is empty/,
    ],
    [
      'body over the limit',
      '/predict',
      big,
      'application/json',
      413,
      /larger than 16384 bytes \(BODY_LIMIT_BYTES\)/,
    ],
    [
      'v2 wrong datatype',
      '/v2/models/linear-768x2/infer',
      '{"inputs":[{"name":"input","shape":[1,768],"datatype":"FP64","data":[]}]}',
      'application/json',
      400,
      /input 'input' has datatype "FP64"; the model takes FP32/,
    ],
    [
      'v2 wrong shape',
      '/v2/models/linear-768x2/infer',
      '{"inputs":[{"name":"input","shape":[1,5],"datatype":"FP32","data":[1,2,3,4,5]}]}',
      'application/json',
      400,
      /has shape \[1, 5\]; the model takes \[-1, 768\]/,
    ],
    [
      'v2 wrong rank',
      '/v2/models/linear-768x2/infer',
      '{"inputs":[{"name":"input","shape":[768],"datatype":"FP32","data":[]}]}',
      'application/json',
      400,
      /has shape \[768\]/,
    ],
    [
      'v2 bad shape',
      '/v2/models/linear-768x2/infer',
      '{"inputs":[{"name":"input","shape":"1x768","datatype":"FP32","data":[]}]}',
      'application/json',
      400,
      /needs 'shape'/,
    ],
    [
      'v2 empty tensor',
      '/v2/models/linear-768x2/infer',
      '{"inputs":[{"name":"input","shape":[0,768],"datatype":"FP32","data":[]}]}',
      'application/json',
      400,
      /is empty \(shape \[0, 768\]\)/,
    ],
    [
      'v2 too few values',
      '/v2/models/linear-768x2/infer',
      '{"inputs":[{"name":"input","shape":[1,768],"datatype":"FP32","data":[1,2]}]}',
      'application/json',
      400,
      /has 2 values; shape \[1, 768\] needs 768/,
    ],
    [
      'v2 string value',
      '/v2/models/linear-768x2/infer',
      JSON.stringify({
        inputs: [
          { name: 'input', shape: [1, 768], datatype: 'FP32', data: ['x', ...Array(767).fill(0)] },
        ],
      }),
      'application/json',
      400,
      /input 'input' data\[0\] is a string/,
    ],
    [
      'v2 infinite value',
      '/v2/models/linear-768x2/infer',
      JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 768], datatype: 'FP32', data: Array(768).fill(0) }],
      }).replace('[0,', '[1e999,'),
      'application/json',
      400,
      /data\[0\] is Infinity, not a finite number/,
    ],
    [
      'v2 unknown input',
      '/v2/models/linear-768x2/infer',
      '{"inputs":[{"name":"x","shape":[1,768],"datatype":"FP32","data":[]}]}',
      'application/json',
      400,
      /inputs\[0\] names "x"; the model's inputs are: input/,
    ],
    [
      'v2 no inputs',
      '/v2/models/linear-768x2/infer',
      '{"inputs":[]}',
      'application/json',
      400,
      /'inputs' must be a non-empty array/,
    ],
    [
      'v2 unknown output',
      '/v2/models/linear-768x2/infer',
      JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 768], datatype: 'FP32', data: Array(768).fill(0) }],
        outputs: [{ name: 'nope' }],
      }),
      'application/json',
      400,
      /outputs\[0\] names no output/,
    ],
    [
      'v2 nested too deep',
      '/v2/models/linear-768x2/infer',
      '{"inputs":[{"name":"input","shape":[1,1],"datatype":"FP32","data":[[[1]]]}]}',
      'application/json',
      400,
      /has shape \[1, 1\]/,
    ],
    [
      'v2 wrong model',
      '/v2/models/resnet/infer',
      '{}',
      'application/json',
      404,
      /model 'resnet' is not served here; this server serves 'linear-768x2'/,
    ],
    [
      'v2 wrong version',
      '/v2/models/linear-768x2/versions/7/infer',
      '{}',
      'application/json',
      404,
      /has no version '7'/,
    ],
    [
      'v2 malformed JSON',
      '/v2/models/linear-768x2/infer',
      '{"inputs": [',
      'application/json',
      400,
      /^malformed JSON/,
    ],
  ];
  it.each(cases)('%s', async (_name, path, body, contentType, status, error) => {
    const { app, registry } = setup();
    const res = await post(app, path, body, contentType);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const json = (await res.json()) as { error: string };
    expect(json.error).toMatch(error);
    expect(JSON.stringify(json)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
    expect(await depth(registry)).toBe(0);
    // The server keeps serving.
    expect((await post(app, '/predict', '{"features": [1]}')).status).toBe(200);
  });

  it('a chunked body over the limit (no Content-Length) gets 413 too', async () => {
    const { app, registry } = setup();
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
        controller.close();
      },
    });
    const res = await app.request('/predict', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await depth(registry)).toBe(0);
  });

  it('a request without Content-Type is read as JSON (like the guide server)', async () => {
    const { app } = setup();
    // A string body would get text/plain from fetch; bytes get no Content-Type at all.
    const body = new TextEncoder().encode('{"features": [1, 2]}');
    const res = await app.request('/predict', { method: 'POST', body });
    expect(res.status).toBe(200);
  });
});

describe('Open Inference Protocol', () => {
  it('serves server and model metadata, health and readiness', async () => {
    const { app } = setup();
    expect(await (await app.request('/v2')).json()).toEqual({
      name: 'mlscale-model-server',
      version: '0.0.0',
      extensions: [],
    });
    expect(await (await app.request('/v2/health/live')).json()).toEqual({ live: true });
    expect(await (await app.request('/v2/health/ready')).json()).toEqual({ ready: true });
    const metadata = {
      name: 'linear-768x2',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 768] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 2] }],
    };
    expect(await (await app.request('/v2/models/linear-768x2')).json()).toEqual(metadata);
    expect(await (await app.request('/v2/models/linear-768x2/versions/1')).json()).toEqual(
      metadata,
    );
    expect(await (await app.request('/v2/models/linear-768x2/ready')).json()).toEqual({
      name: 'linear-768x2',
      ready: true,
    });
    expect((await app.request('/v2/models/other')).status).toBe(404);
  });

  it('infers a batch given flat or nested, echoes the id, and picks outputs', async () => {
    const { app } = setup();
    const a = predict768.features;
    const b = a.map((v) => -v);
    const flat = await post(
      app,
      '/v2/models/linear-768x2/infer',
      JSON.stringify({
        id: 'req-1',
        inputs: [{ name: 'input', shape: [2, 768], datatype: 'FP32', data: [...a, ...b] }],
      }),
    );
    expect(flat.status).toBe(200);
    const body = (await flat.json()) as {
      model_name: string;
      model_version: string;
      id: string;
      outputs: { name: string; datatype: string; shape: number[]; data: number[] }[];
    };
    expect(body.model_name).toBe('linear-768x2');
    expect(body.model_version).toBe('1');
    expect(body.id).toBe('req-1');
    expect(body.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['output', 'FP32', [2, 2]],
    ]);
    const expected = [...linear(a), ...linear(b)];
    for (let i = 0; i < 4; i++) expect(body.outputs[0]?.data[i]).toBeCloseTo(expected[i] ?? NaN, 4);

    const nested = await post(
      app,
      '/v2/models/linear-768x2/versions/1/infer',
      JSON.stringify({
        inputs: [{ name: 'input', shape: [2, 768], datatype: 'FP32', data: [a, b] }],
        outputs: [{ name: 'output' }],
      }),
    );
    expect(nested.status).toBe(200);
    const nestedBody = (await nested.json()) as typeof body;
    expect(nestedBody.id).toBeUndefined();
    expect(nestedBody.outputs[0]?.data).toEqual(body.outputs[0]?.data);
  });
});

describe('health and lifecycle', () => {
  it('is healthy and ready while serving, unready (but alive) when shutting down', async () => {
    const { app, state } = setup();
    expect(await (await app.request('/health')).json()).toEqual({ status: 'healthy' });
    expect((await app.request('/readyz')).status).toBe(200);
    state.phase = 'shutting-down';
    const health = await app.request('/health');
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'shutting down' });
    expect((await app.request('/readyz')).status).toBe(503);
    expect((await app.request('/v2/health/ready')).status).toBe(503);
    expect((await app.request('/v2/models/linear-768x2/ready')).status).toBe(503);
    expect((await app.request('/livez')).status).toBe(200);
    // Requests still in the delay are served.
    expect((await post(app, '/predict', '{"features": [1]}')).status).toBe(200);
    state.draining = true;
    const last = await post(app, '/predict', '{"features": [1]}');
    expect(last.status).toBe(200);
    expect(last.headers.get('Connection')).toBe('close');
  });

  it('while loading: alive, not ready, inference 503, metrics without serving series', async () => {
    const registry = new Registry();
    const app = createLoadingApp({
      state: { phase: 'loading', draining: false },
      registry,
      logger: silent,
    });
    expect((await app.request('/livez')).status).toBe(200);
    const health = await app.request('/health');
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'loading' });
    const res = await post(app, '/predict', '{"features": [1]}');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'the model is loading; try again shortly' });
    expect(res.headers.get('Retry-After')).toBe('1');
    const metrics = await app.request('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).not.toMatch(/request_queue_depth|inference_latency_seconds/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { app } = setup();
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no route for GET /nope' });
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const { app } = setup();
    await post(app, '/predict', '{"features": [1]}');
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await res.text();
    expect(text).toMatch(/^request_queue_depth 0$/m);
    expect(text).toMatch(/^request_queue_depth_seconds_total /m);
    expect(text).toMatch(/^inference_latency_seconds_count 1$/m);
  });

  it('exports the inference routes at zero before their first request', async () => {
    const { registry } = setup();
    const text = await registry.metrics();
    for (const route of [
      '/predict',
      '/v2/models/:name/infer',
      '/v2/models/:name/versions/:version/infer',
    ]) {
      expect(text).toContain(
        `http_request_duration_seconds_count{method="POST",route="${route}",status="200"} 0`,
      );
    }
  });

  it('records the wait until the model starts, for requests that reach the model only', async () => {
    const { app, registry } = setup();
    await Promise.all([
      post(app, '/predict', '{"features": [1]}'),
      post(app, '/predict', '{"features": [2]}'),
      post(app, '/predict', '{"features": "nope"}'),
    ]);
    const text = await registry.metrics();
    expect(text).toMatch(/^request_queue_wait_seconds_count 2$/m);
    expect(Number(/^request_queue_wait_seconds_sum (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });
});
