// What the HTTP layer needs to know about the loaded model, derived from its metadata.
import type { ModelSignature, TensorSpec } from './inference/protocol.js';
import { elementCount } from './inference/tensors.js';

/** How `/predict` maps `features` onto the model, or why it cannot. */
export type PredictTarget =
  | {
      ok: true;
      input: TensorSpec;
      output: TensorSpec;
      /** Dimensions of one row (the input shape without its batch dimension). */
      rowDims: number[];
      /** Values in one row: the length `features` is padded or truncated to. */
      rowSize: number;
    }
  | { ok: false; reason: string };

/** The model as the server presents it. */
export interface ServedModel {
  name: string;
  version: string;
  signature: ModelSignature;
  batchable: boolean;
  predict: PredictTarget;
}

/**
 * Works out `/predict`'s mapping: one input whose dimensions after the first (the batch) are fixed,
 * and its first output. Other models are served through the v2 `infer` route only.
 */
export function predictTarget(signature: ModelSignature, batchable: boolean): PredictTarget {
  const [input, ...others] = signature.inputs;
  const output = signature.outputs[0];
  if (!input || others.length > 0) {
    return {
      ok: false,
      reason: `the model has ${signature.inputs.length} inputs; /predict needs exactly one`,
    };
  }
  if (!output) return { ok: false, reason: 'the model has no outputs' };
  const rowShape = batchable ? input.shape.slice(1) : input.shape;
  if (!batchable && input.shape[0] !== 1) {
    return {
      ok: false,
      reason: `input '${input.name}' has shape [${input.shape.join(', ')}]; /predict needs a batch dimension first`,
    };
  }
  const fixed = rowShape.filter((d): d is number => typeof d === 'number');
  if (fixed.length !== rowShape.length) {
    return {
      ok: false,
      reason: `input '${input.name}' has symbolic dimensions past the batch ([${input.shape.join(', ')}]), so a flat features list has no single length`,
    };
  }
  const rowDims = batchable ? fixed : fixed.slice(1);
  return { ok: true, input, output, rowDims, rowSize: elementCount(rowDims) };
}
