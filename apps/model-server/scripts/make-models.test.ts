import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FEATURES, linearModel, MLP_LAYERS, mlpModel } from './make-models.js';
import { type Float32Initializer, mulberry32, readInitializers } from './onnx-graph.js';

const modelsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../models');

/** y = x·Wᵀ + b in plain JS, W stored [out, in]. */
function dense(x: Float32Array, rows: number, w: Float32Initializer, b: Float32Initializer) {
  const [out = 0, inF = 0] = w.dims;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let sum = b.data[o] ?? 0;
      for (let i = 0; i < inF; i++) sum += (x[r * inF + i] ?? 0) * (w.data[o * inF + i] ?? 0);
      y[r * out + o] = sum;
    }
  }
  return Float32Array.from(y);
}

function randomInput(rows: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: rows * FEATURES }, () => random() * 2 - 1);
}

async function run(file: string, x: Float32Array, rows: number) {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  try {
    expect(session.inputMetadata).toEqual([
      { name: 'input', isTensor: true, type: 'float32', shape: ['batch', FEATURES] },
    ]);
    const result = await session.run({ input: new ort.Tensor('float32', x, [rows, FEATURES]) });
    return result.output as ort.Tensor;
  } finally {
    await session.release();
  }
}

describe('bundled models', () => {
  it('are what the generator writes (deterministic, committed up to date)', async () => {
    const linear = await readFile(path.join(modelsDir, 'linear-768x2.onnx'));
    const mlp = await readFile(path.join(modelsDir, 'mlp-bench.onnx'));
    expect(Buffer.compare(linear, Buffer.from(linearModel()))).toBe(0);
    expect(Buffer.compare(mlp, Buffer.from(mlpModel()))).toBe(0);
  });

  it('linear-768x2 computes x·Wᵀ + b for a batch', async () => {
    const file = path.join(modelsDir, 'linear-768x2.onnx');
    const init = readInitializers(await readFile(file));
    const w = init.get('w0') as Float32Initializer;
    const b = init.get('b0') as Float32Initializer;
    expect(w.dims).toEqual([2, FEATURES]);
    const x = randomInput(3, 1);
    const output = await run(file, x, 3);
    expect(output.dims).toEqual([3, 2]);
    const expected = dense(x, 3, w, b);
    const got = output.data as Float32Array;
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i] ?? 0, 4);
    // Not a degenerate model: outputs differ between rows and are not all zero.
    expect(new Set(got).size).toBe(6);
  });

  it('mlp-bench is a Relu MLP of a few million parameters', async () => {
    const file = path.join(modelsDir, 'mlp-bench.onnx');
    const init = readInitializers(await readFile(file));
    const params = [...init.values()].reduce((n, t) => n + t.data.length, 0);
    expect(params).toBeGreaterThan(3_000_000);
    const x = randomInput(2, 2);
    const output = await run(file, x, 2);
    expect(output.dims).toEqual([2, MLP_LAYERS.at(-1)]);
    let h = x;
    for (let i = 0; i + 1 < MLP_LAYERS.length; i++) {
      h = dense(
        h,
        2,
        init.get(`w${i}`) as Float32Initializer,
        init.get(`b${i}`) as Float32Initializer,
      );
      if (i + 2 < MLP_LAYERS.length) h = h.map((v) => Math.max(0, v));
    }
    const got = output.data as Float32Array;
    for (let i = 0; i < h.length; i++) expect(got[i]).toBeCloseTo(h[i] ?? 0, 4);
  });
});
