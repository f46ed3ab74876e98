// The predict route over the bundled model: answers, batching, and every kind of bad input.
import { describe, expect, it } from 'vitest';
import { depth, post, predict768, withBundledModel } from '../bundled-app.fixture.js';

const { setup, linear } = withBundledModel();

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
