// Numeric tensor types the server accepts, their typed arrays and their Open Inference Protocol names.

/** ONNX Runtime element types this server can feed and fetch (numeric and bool). */
export type NumericType =
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

/** The typed array that carries each element type (bool is one byte per element, as in ORT). */
export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

/** Any typed array the server moves between threads. */
export type NumericArray = TypedArrayOf[NumericType];

/** A dense tensor: element type, concrete dimensions, row-major data. */
export interface TensorData {
  type: NumericType;
  dims: number[];
  data: NumericArray;
}

type ArrayConstructorOf = {
  [K in NumericType]: { new (length: number): TypedArrayOf[K]; BYTES_PER_ELEMENT: number };
};

const ARRAYS: ArrayConstructorOf = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

/** Open Inference Protocol datatype names, as KServe v2 and Triton spell them. */
export const OIP_DATATYPE = {
  float32: 'FP32',
  float64: 'FP64',
  int8: 'INT8',
  uint8: 'UINT8',
  int16: 'INT16',
  uint16: 'UINT16',
  int32: 'INT32',
  uint32: 'UINT32',
  int64: 'INT64',
  uint64: 'UINT64',
  bool: 'BOOL',
} as const satisfies Record<NumericType, string>;

/** True when `type` is an element type this server supports. */
export function isNumericType(type: string): type is NumericType {
  return Object.hasOwn(ARRAYS, type);
}

/** A zero-filled typed array of `length` elements of `type`, on its own ArrayBuffer. */
export function allocate<T extends NumericType>(type: T, length: number): TypedArrayOf[T] {
  const Ctor = ARRAYS[type] as ArrayConstructorOf[T];
  return new Ctor(length);
}

/** Number of elements in a tensor of `dims`. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** True when `data` is the whole of its ArrayBuffer, so it can be transferred without a copy. */
export function ownsBuffer(data: NumericArray): boolean {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
}

/**
 * Values of a tensor as JSON-safe numbers or booleans (64-bit integers become numbers; values past
 * 2^53 lose precision, as they would in any JSON client).
 */
export function toJsonValues(tensor: TensorData): number[] | boolean[] {
  const { type, data } = tensor;
  if (type === 'bool') return Array.from(data as Uint8Array, (v) => v !== 0);
  if (type === 'int64' || type === 'uint64') {
    return Array.from(data as BigInt64Array | BigUint64Array, (v) => Number(v));
  }
  return Array.from(data as Exclude<NumericArray, BigInt64Array | BigUint64Array>);
}
