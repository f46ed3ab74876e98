// JSON values → typed tensor data, with an error naming the first bad element.
import { allocate, type NumericArray, type NumericType } from '../inference/tensors.js';
import { describe } from './body.js';

/** Converted data, or the first problem found. */
export type Converted = { ok: true; data: NumericArray } | { ok: false; error: string };

/** The largest finite float32, as JSON prints it. */
const FLOAT32_MAX = 3.4028234663852886e38;

const INTEGER_RANGE: Partial<Record<NumericType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * Checks every element of `values` and writes the first `length` of them into a new typed array
 * of `type` (zero-filled past the end of `values`). `label` names the array in errors
 * (`features[3] is null, not a number`).
 */
export function toTypedArray(
  type: NumericType,
  values: readonly unknown[],
  length: number,
  label: string,
): Converted {
  const data = allocate(type, length);
  const n = values.length;
  if (type === 'float32' || type === 'float64') {
    const out = data as Float32Array | Float64Array;
    const narrow = type === 'float32';
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') return notANumber(label, i, v);
      if (!Number.isFinite(v)) return notFinite(label, i, v);
      // Past ±3.4028235e38 a float32 is ±Infinity: the model would answer nulls.
      if (narrow && !Number.isFinite(Math.fround(v))) {
        return {
          ok: false,
          error: `${label}[${i}] is ${v}, outside the float32 range (±${FLOAT32_MAX})`,
        };
      }
      if (i < length) out[i] = v;
    }
    return { ok: true, data };
  }
  if (type === 'bool') {
    const out = data as Uint8Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== true && v !== false && v !== 0 && v !== 1) {
        return { ok: false, error: `${label}[${i}] is ${describe(v)}, not a boolean` };
      }
      if (i < length) out[i] = v === true || v === 1 ? 1 : 0;
    }
    return { ok: true, data };
  }
  const [min, max] = INTEGER_RANGE[type] ?? [0, 0];
  const big = type === 'int64' || type === 'uint64';
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number') return notANumber(label, i, v);
    if (!Number.isFinite(v)) return notFinite(label, i, v);
    if (!Number.isInteger(v) || v < min || v > max) {
      return {
        ok: false,
        error: `${label}[${i}] is ${v}, not an integer in ${min}…${max} (${type})`,
      };
    }
    if (i < length) {
      if (big) (data as BigInt64Array)[i] = BigInt(v);
      else (data as Int32Array)[i] = v;
    }
  }
  return { ok: true, data };
}

function notANumber(label: string, i: number, v: unknown): Converted {
  return { ok: false, error: `${label}[${i}] is ${describe(v)}, not a number` };
}

function notFinite(label: string, i: number, v: number): Converted {
  return { ok: false, error: `${label}[${i}] is ${v}, not a finite number` };
}
