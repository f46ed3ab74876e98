// Messages between the inference pool (HTTP thread) and its workers.
import type { EmulatedDevice } from './emulated-device.js';
import type { NumericType, TensorData } from './tensors.js';

/** One input or output of the model as its metadata declares it (string dims are symbolic). */
export interface TensorSpec {
  name: string;
  type: NumericType;
  shape: (number | string)[];
}

/** What the worker learned from the session metadata. */
export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** Data the worker gets at start (`workerData`). */
export interface WorkerInit {
  modelPath: string;
  intraOpThreads: number;
  allowSpinning: boolean;
  /** Nice value for the worker thread (and the ORT threads it starts); 0 leaves it alone. */
  nice: number;
  /** Batch sizes to run once on zero inputs before reporting ready (empty: no warm-up). */
  warmupBatchSizes: number[];
  /** When set, every run also holds the worker as this test device says (not during warm-up). */
  emulatedDevice?: EmulatedDevice;
}

/** Pool → worker. */
export type ToWorker = { kind: 'run'; id: number; feeds: Record<string, TensorData> };

/** Worker → pool. */
export type FromWorker =
  | { kind: 'ready'; signature: ModelSignature; warmupSeconds: number; niceProblem?: string }
  | { kind: 'failed'; error: string }
  | { kind: 'result'; id: number; outputs: Record<string, TensorData>; seconds: number }
  | { kind: 'error'; id: number; error: string };
