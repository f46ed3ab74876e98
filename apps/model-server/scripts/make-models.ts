// Writes the bundled ONNX models into models/: `pnpm --filter @mlscale/model-server models`.
// The output is deterministic (seeded weights), so rerunning it reproduces the committed files.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type DenseLayer, denseModel, mulberry32, uniformWeights } from './onnx-graph.js';

/** Input width of both models: the guide's `nn.Linear(768, 2)`. */
export const FEATURES = 768;

function dense(
  random: () => number,
  index: number,
  inFeatures: number,
  outFeatures: number,
  relu: boolean,
): DenseLayer {
  return {
    weight: {
      name: `w${index}`,
      dims: [outFeatures, inFeatures],
      data: uniformWeights(random, outFeatures * inFeatures, inFeatures),
    },
    bias: {
      name: `b${index}`,
      dims: [outFeatures],
      data: uniformWeights(random, outFeatures, inFeatures),
    },
    relu,
  };
}

/** The guide's model: one 768→2 linear layer, `output = input · Wᵀ + b`. */
export function linearModel(): Uint8Array {
  const random = mulberry32(768_2);
  return denseModel({
    name: 'linear-768x2',
    doc: 'A 768→2 linear layer (the reference guide model), seeded weights.',
    inFeatures: FEATURES,
    layers: [dense(random, 0, FEATURES, 2, false)],
  });
}

/** Hidden layer widths of the benchmark MLP: 768→2048→1024→2, about 3.7 M parameters. */
export const MLP_LAYERS = [FEATURES, 2048, 1024, 2] as const;

/** A heavier MLP for benchmarks (Gemm+Relu layers), seeded weights. */
export function mlpModel(): Uint8Array {
  const random = mulberry32(2048_1024);
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < MLP_LAYERS.length; i++) {
    const last = i + 2 === MLP_LAYERS.length;
    layers.push(dense(random, i, MLP_LAYERS[i] ?? 0, MLP_LAYERS[i + 1] ?? 0, !last));
  }
  return denseModel({
    name: 'mlp-bench',
    doc: `An MLP ${MLP_LAYERS.join('→')} with Relu, seeded weights, for benchmarks.`,
    inFeatures: FEATURES,
    layers,
  });
}

/** Writes both models into `dir` and returns their paths. */
export async function writeModels(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, Uint8Array][] = [
    ['linear-768x2.onnx', linearModel()],
    ['mlp-bench.onnx', mlpModel()],
  ];
  const written: string[] = [];
  for (const [name, bytes] of files) {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    written.push(file);
  }
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../models');
  for (const file of await writeModels(dir))
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
