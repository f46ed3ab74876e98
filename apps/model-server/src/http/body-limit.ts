// The default body limit, sized to the model's input instead of a fixed megabyte.
import type { ModelSignature } from '../inference/protocol.js';

/**
 * Most bytes one value takes in a JSON request: a float printed in full
 * (`-0.12345678901234568` or `1.2345678901234567e-300`, 19 to 23 characters) and its separator.
 */
export const JSON_BYTES_PER_VALUE = 24;
/** Rows of a batchable model's input the automatic limit leaves room for (v2 clients batch). */
export const AUTO_LIMIT_ROWS = 8;
/** Room for the rest of the request: names, shapes, datatypes, ids, whitespace. */
export const ENVELOPE_BYTES = 4096;
/** The smallest automatic limit (a model with a tiny input still gets a usable one). */
export const MIN_AUTO_LIMIT = 16 * 1024;
/** The limit when the input size cannot be known (symbolic dimensions past the batch). */
export const FALLBACK_BODY_LIMIT = 1024 * 1024;

/** An automatic body limit and how it was worked out, for the start-up log. */
export interface AutoBodyLimit {
  bytes: number;
  basis: string;
}

/**
 * The body limit for a model: room for {@link AUTO_LIMIT_ROWS} rows of every input (one for a
 * model without a batch dimension) at {@link JSON_BYTES_PER_VALUE} bytes a value, plus
 * {@link ENVELOPE_BYTES}. For the bundled 768-feature model that is 151,552 bytes, about 19 times
 * a full request, where a fixed 1 MiB was 125 times. A model with symbolic dimensions past the
 * batch has no fixed input size: it gets {@link FALLBACK_BODY_LIMIT}.
 *
 * @example
 * autoBodyLimit(pool.signature, pool.batchable).bytes; // 151552 for linear-768x2
 */
export function autoBodyLimit(signature: ModelSignature, batchable: boolean): AutoBodyLimit {
  let valuesPerRow = 0;
  for (const input of signature.inputs) {
    const rowShape = batchable ? input.shape.slice(1) : input.shape;
    if (rowShape.some((d) => typeof d !== 'number')) {
      return {
        bytes: FALLBACK_BODY_LIMIT,
        basis: `input '${input.name}' has symbolic dimensions past the batch; a fixed 1 MiB`,
      };
    }
    valuesPerRow += (rowShape as number[]).reduce((n, d) => n * d, 1);
  }
  const rows = batchable ? AUTO_LIMIT_ROWS : 1;
  const bytes = Math.max(
    MIN_AUTO_LIMIT,
    valuesPerRow * rows * JSON_BYTES_PER_VALUE + ENVELOPE_BYTES,
  );
  return {
    bytes,
    basis: `${rows} row(s) of ${valuesPerRow} values at ${JSON_BYTES_PER_VALUE} bytes + ${ENVELOPE_BYTES}`,
  };
}
