// Inference worker: one onnxruntime-node session on its own thread, so the HTTP thread never blocks
// on session.run() (which runs the model synchronously on the calling thread).
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { emulatedBatchMs, holdWorker } from './emulated-device.js';
import type { FromWorker, ModelSignature, TensorSpec, ToWorker, WorkerInit } from './protocol.js';
import {
  allocate,
  elementCount,
  isNumericType,
  type NumericArray,
  ownsBuffer,
  type TensorData,
} from './tensors.js';

function send(
  port: NonNullable<typeof parentPort>,
  message: FromWorker,
  transfer: ArrayBuffer[] = [],
) {
  port.postMessage(message, transfer);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads names, element types and shapes from the session; rejects what the server cannot carry. */
function signatureOf(session: ort.InferenceSession): ModelSignature {
  const problems: string[] = [];
  const specs = (list: readonly ort.InferenceSession.ValueMetadata[], role: string) => {
    const out: TensorSpec[] = [];
    for (const meta of list) {
      if (!meta.isTensor) {
        problems.push(`${role} '${meta.name}' is not a tensor`);
        continue;
      }
      if (!isNumericType(meta.type)) {
        problems.push(`${role} '${meta.name}' has element type ${meta.type}`);
        continue;
      }
      const shape = meta.shape.map((d) => (typeof d === 'number' && d < 0 ? '?' : d));
      out.push({ name: meta.name, type: meta.type, shape });
    }
    return out;
  };
  const signature = {
    inputs: specs(session.inputMetadata, 'input'),
    outputs: specs(session.outputMetadata, 'output'),
  };
  if (problems.length > 0) {
    throw new Error(
      `unsupported model: ${problems.join('; ')} (numeric and bool tensors are supported)`,
    );
  }
  return signature;
}

function zeroFeeds(signature: ModelSignature, batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of signature.inputs) {
    const dims = input.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : 1));
    feeds[input.name] = new ort.Tensor(input.type, allocate(input.type, elementCount(dims)), dims);
  }
  return feeds;
}

function toTensorData(value: ort.OnnxValue): TensorData {
  const tensor = value as ort.Tensor;
  if (!isNumericType(tensor.type))
    throw new Error(`output of type ${tensor.type} is not supported`);
  let data = tensor.data as NumericArray;
  // Own the buffer so it can be transferred, not copied, to the HTTP thread.
  if (!ownsBuffer(data)) data = data.slice() as NumericArray;
  return { type: tensor.type, dims: [...tensor.dims], data };
}

/**
 * Lowers this thread's scheduling priority (Linux: nice is per thread, and threads ORT starts from
 * here inherit it), so under CPU contention the HTTP thread answers probes and takes requests first
 * and the wait lands in the inference queue, where the metrics see it. Returns why it could not.
 */
function lowerPriority(nice: number): string | undefined {
  if (nice === 0) return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid)) return 'no thread id';
    os.setPriority(tid, nice);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

async function main(port: NonNullable<typeof parentPort>, init: WorkerInit) {
  const niceProblem = lowerPriority(init.nice);
  let session: ort.InferenceSession;
  let signature: ModelSignature;
  const started = performance.now();
  try {
    const spinning = init.allowSpinning ? '1' : '0';
    session = await ort.InferenceSession.create(init.modelPath, {
      intraOpNumThreads: init.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Flattened by the Node binding into session config keys `session.intra_op.allow_spinning` etc.
      extra: {
        session: { intra_op: { allow_spinning: spinning }, inter_op: { allow_spinning: spinning } },
      },
    });
    signature = signatureOf(session);
    for (const batch of init.warmupBatchSizes) await session.run(zeroFeeds(signature, batch));
  } catch (error) {
    send(port, { kind: 'failed', error: errorMessage(error) });
    return;
  }
  send(port, {
    kind: 'ready',
    signature,
    warmupSeconds: (performance.now() - started) / 1000,
    ...(niceProblem ? { niceProblem } : {}),
  });

  port.on('message', async (message: ToWorker) => {
    if (message.kind !== 'run') return;
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(message.feeds)) {
        feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      }
      const t0 = performance.now();
      const results = await session.run(feeds);
      if (init.emulatedDevice) {
        const rows = Object.values(message.feeds)[0]?.dims[0] ?? 1;
        holdWorker(emulatedBatchMs(init.emulatedDevice, rows));
      }
      const seconds = (performance.now() - t0) / 1000;
      const outputs: Record<string, TensorData> = {};
      const transfer: ArrayBuffer[] = [];
      for (const spec of signature.outputs) {
        const value = results[spec.name];
        if (!value) continue;
        const data = toTensorData(value);
        outputs[spec.name] = data;
        transfer.push(data.data.buffer as ArrayBuffer);
      }
      send(port, { kind: 'result', id: message.id, outputs, seconds }, transfer);
    } catch (error) {
      send(port, { kind: 'error', id: message.id, error: errorMessage(error) });
    }
  });
}

if (parentPort) void main(parentPort, workerData as WorkerInit);
