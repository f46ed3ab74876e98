// The Open Inference Protocol routes over the bundled model.
import { describe, expect, it } from 'vitest';
import { post, predict768, withBundledModel } from '../bundled-app.fixture.js';

const { setup, linear } = withBundledModel();

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
