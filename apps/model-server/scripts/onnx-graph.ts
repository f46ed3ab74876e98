// Small helpers to write ONNX graphs of dense layers with onnx-proto (a plain protobuf binding).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX opset the generated models declare; 13 covers Gemm, MatMul, Add and Relu as used here. */
export const OPSET = 13;

/** A float32 initializer (weights) with its dimensions. */
export interface Float32Initializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** Deterministic PRNG (mulberry32): the same seed gives the same weights on every machine. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Weights drawn uniformly from [-1/sqrt(fanIn), 1/sqrt(fanIn)], PyTorch's default for nn.Linear,
 * so the outputs have the same scale as the guide's `nn.Linear(768, 2)`.
 */
export function uniformWeights(random: () => number, count: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = (random() * 2 - 1) * bound;
  return data;
}

function tensorProto({ name, dims, data }: Float32Initializer): onnxProto.onnx.ITensorProto {
  // raw_data is little-endian by the ONNX spec; Float32Array is little-endian on every supported host.
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function floatValueInfo(name: string, shape: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  };
}

/** One fully connected layer: `Gemm(x, W, b)` with W stored as [out, in] (transB = 1, like PyTorch). */
export interface DenseLayer {
  weight: Float32Initializer;
  bias: Float32Initializer;
  relu: boolean;
}

/**
 * Builds a model that applies `layers` in order to input `input` [batch, inFeatures], producing
 * `output` [batch, outFeatures]. The batch dimension is symbolic (`batch`).
 */
export function denseModel({
  name,
  doc,
  inFeatures,
  layers,
}: {
  name: string;
  doc: string;
  inFeatures: number;
  layers: DenseLayer[];
}): Uint8Array {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  let current = 'input';
  let outFeatures = inFeatures;
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    const gemmOut = last && !layer.relu ? 'output' : `gemm_${i}`;
    initializers.push(tensorProto(layer.weight), tensorProto(layer.bias));
    nodes.push({
      name: `dense_${i}`,
      opType: 'Gemm',
      input: [current, layer.weight.name, layer.bias.name],
      output: [gemmOut],
      attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    });
    current = gemmOut;
    if (layer.relu) {
      const reluOut = last ? 'output' : `relu_${i}`;
      nodes.push({ name: `relu_${i}`, opType: 'Relu', input: [current], output: [reluOut] });
      current = reluOut;
    }
    outFeatures = layer.weight.dims[0] ?? outFeatures;
  });
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: '@mlscale/model-server scripts/make-models.ts',
    docString: doc,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name,
      node: nodes,
      initializer: initializers,
      input: [floatValueInfo('input', ['batch', inFeatures])],
      output: [floatValueInfo('output', ['batch', outFeatures])],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Reads a model's float32 initializers back (used by tests to recompute outputs in plain JS). */
export function readInitializers(bytes: Uint8Array): Map<string, Float32Initializer> {
  const model = onnx.ModelProto.decode(bytes);
  const out = new Map<string, Float32Initializer>();
  for (const t of model.graph?.initializer ?? []) {
    const raw = t.rawData ?? new Uint8Array();
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    const name = t.name ?? '';
    out.set(name, {
      name,
      dims: (t.dims ?? []).map((d) => Number(d)),
      data: new Float32Array(copy.buffer),
    });
  }
  return out;
}
