import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { denseModel, mulberry32, uniformWeights } from '../../scripts/onnx-graph.js';
import { type BatchEvent, InferenceError, InferencePool } from './pool.js';
import type { TensorData } from './tensors.js';

const linearPath = fileURLToPath(new URL('../../models/linear-768x2.onnx', import.meta.url));

function row(seed: number, rows = 1): TensorData {
  const random = mulberry32(seed);
  return {
    type: 'float32',
    dims: [rows, 768],
    data: Float32Array.from({ length: rows * 768 }, () => random() - 0.5),
  };
}

async function outputOf(pool: InferencePool, feed: TensorData): Promise<number[]> {
  const { outputs } = await pool.infer({ input: feed });
  return Array.from(outputs.output?.data as Float32Array);
}

describe('InferencePool', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'pool-test-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('reads names, types and shapes from the model metadata', async () => {
    const random = mulberry32(1);
    const file = path.join(tmp, 'small.onnx');
    await writeFile(
      file,
      denseModel({
        name: 'small',
        doc: 'test',
        inFeatures: 4,
        layers: [
          {
            weight: { name: 'w', dims: [3, 4], data: uniformWeights(random, 12, 4) },
            bias: { name: 'b', dims: [3], data: new Float32Array(3) },
            relu: true,
          },
        ],
      }),
    );
    const pool = await InferencePool.start({ modelPath: file });
    try {
      expect(pool.signature).toEqual({
        inputs: [{ name: 'input', type: 'float32', shape: ['batch', 4] }],
        outputs: [{ name: 'output', type: 'float32', shape: ['batch', 3] }],
      });
      expect(pool.batchable).toBe(true);
      const { outputs } = await pool.infer({
        input: { type: 'float32', dims: [2, 4], data: new Float32Array(8).fill(-1) },
      });
      expect(outputs.output?.dims).toEqual([2, 3]);
    } finally {
      await pool.close();
    }
  });

  it('merges requests that arrive while the worker is busy, and splits the outputs back', async () => {
    const batches: BatchEvent[] = [];
    const pool = await InferencePool.start({
      modelPath: linearPath,
      batchMaxSize: 8,
      onBatch: (e) => batches.push(e),
    });
    try {
      // Reference outputs, one request at a time.
      const expected: number[][] = [];
      for (let i = 0; i < 10; i++) expected.push(await outputOf(pool, row(i)));
      expect(batches.map((b) => b.requests)).toEqual(Array(10).fill(1));
      batches.length = 0;

      // Ten at once (plus one 3-row request): the first goes alone to the idle worker, the rest
      // queue and leave in batches of at most 8 rows.
      const concurrent = Array.from({ length: 10 }, (_, i) => outputOf(pool, row(i)));
      const three = outputOf(pool, row(100, 3));
      const got = await Promise.all(concurrent);
      for (let i = 0; i < 10; i++) {
        for (let k = 0; k < 2; k++) expect(got[i]?.[k]).toBeCloseTo(expected[i]?.[k] ?? NaN, 5);
      }
      expect((await three).length).toBe(6);
      expect(batches.map((b) => b.rows)).toEqual([1, 8, 4]);
      expect(batches.map((b) => b.requests)).toEqual([1, 8, 2]);
      for (const b of batches) expect(b.seconds).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it('hands a batch back one request per macrotask, each continuation running to its end', async () => {
    const pool = await InferencePool.start({ modelPath: linearPath, batchMaxSize: 8 });
    try {
      await outputOf(pool, row(0));
      const log: string[] = [];
      // Several awaits per continuation, like a handler that answers and writes its response.
      const consume = async (i: number) => {
        await pool.infer({ input: row(i) });
        log.push(`start ${i}`);
        for (let k = 0; k < 3; k++) await Promise.resolve();
        log.push(`end ${i}`);
      };
      // The first goes alone to the idle worker; 1–4 wait and come back as one batch.
      await Promise.all([0, 1, 2, 3, 4].map(consume));
      expect(log.slice(2)).toEqual([
        'start 1',
        'end 1',
        'start 2',
        'end 2',
        'start 3',
        'end 3',
        'start 4',
        'end 4',
      ]);
    } finally {
      await pool.close();
    }
  });

  it.runIf(existsSync('/proc/thread-self'))(
    "lowers the workers' scheduling priority, not the HTTP thread's",
    async () => {
      const nices = () =>
        readdirSync('/proc/self/task').map((tid) => {
          const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
          // Fields after the parenthesised name: state is 3rd, nice is the 19th field overall.
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
        });
      expect(nices()).not.toContain(7);
      const pool = await InferencePool.start({ modelPath: linearPath, nice: 7 });
      try {
        expect(pool.niceProblem).toBeUndefined();
        expect(nices()).toContain(7);
        expect(os.getPriority()).toBe(0);
      } finally {
        await pool.close();
      }
    },
  );

  it('with batchMaxWaitMs, holds a partial batch for more requests (until full or the wait ends)', async () => {
    const batches: BatchEvent[] = [];
    const pool = await InferencePool.start({
      modelPath: linearPath,
      batchMaxSize: 4,
      batchMaxWaitMs: 2000,
      onBatch: (e) => batches.push(e),
    });
    try {
      const a = outputOf(pool, row(0)); // idle worker: goes at once
      const waiting = [outputOf(pool, row(1)), outputOf(pool, row(2))];
      await a;
      // The worker is free, but two rows of four are waiting: it holds off.
      expect(pool.busy).toBe(0);
      expect(pool.pending).toBe(2);
      waiting.push(outputOf(pool, row(3)));
      expect(pool.pending).toBe(3);
      waiting.push(outputOf(pool, row(4))); // four rows: leaves at once
      expect(pool.pending).toBe(0);
      await Promise.all(waiting);
      expect(batches.map((b) => b.rows)).toEqual([1, 4]);
    } finally {
      await pool.close();
    }

    const short = await InferencePool.start({
      modelPath: linearPath,
      batchMaxSize: 4,
      batchMaxWaitMs: 20,
      onBatch: (e) => batches.push(e),
    });
    try {
      batches.length = 0;
      const first = outputOf(short, row(0));
      const rest = [outputOf(short, row(1)), outputOf(short, row(2))];
      await Promise.all([first, ...rest]); // the partial batch leaves when the wait is over
      expect(batches.map((b) => b.rows)).toEqual([1, 2]);
    } finally {
      await short.close();
    }
  });

  it('runs every request alone when batchMaxSize is 1', async () => {
    const batches: BatchEvent[] = [];
    const pool = await InferencePool.start({
      modelPath: linearPath,
      batchMaxSize: 1,
      onBatch: (e) => batches.push(e),
    });
    try {
      await Promise.all(Array.from({ length: 5 }, (_, i) => outputOf(pool, row(i))));
      expect(batches.map((b) => b.rows)).toEqual([1, 1, 1, 1, 1]);
    } finally {
      await pool.close();
    }
  });

  it('rejects a run the model refuses and keeps serving', async () => {
    const pool = await InferencePool.start({ modelPath: linearPath });
    try {
      const bad = pool.infer({
        input: { type: 'float32', dims: [1, 5], data: new Float32Array(5) },
      });
      await expect(bad).rejects.toBeInstanceOf(InferenceError);
      await expect(bad).rejects.toThrow(/model run failed/);
      expect(await outputOf(pool, row(1))).toHaveLength(2);
    } finally {
      await pool.close();
    }
  });

  it('replaces a worker that dies and fails only the requests it was running', async () => {
    const errors: Error[] = [];
    const pool = await InferencePool.start({
      modelPath: linearPath,
      worker: { url: new URL('./crash-worker.fixture.ts', import.meta.url), typescript: true },
      onWorkerError: (e) => errors.push(e),
    });
    try {
      const crash = pool.infer({
        input: { type: 'float32', dims: [1, 13], data: new Float32Array(13) },
      });
      const queued = outputOf(pool, row(1));
      await expect(crash).rejects.toThrow(/inference worker failed: worker exited with code 3/);
      // The queued request runs on the replacement worker.
      await expect(queued).resolves.toHaveLength(2);
      expect(errors.map((e) => e.message)).toEqual(['worker exited with code 3']);
    } finally {
      await pool.close();
    }
  });

  it('finishes taken requests on close, then refuses new ones', async () => {
    const pool = await InferencePool.start({ modelPath: linearPath });
    const taken = Array.from({ length: 5 }, (_, i) => outputOf(pool, row(i)));
    const closed = pool.close();
    await expect(pool.infer({ input: row(9) })).rejects.toThrow(/shutting down/);
    for (const p of taken) await expect(p).resolves.toHaveLength(2);
    await closed;
  });

  it('fails to start with the path and the reason when the model cannot load', async () => {
    const file = path.join(tmp, 'not-a-model.onnx');
    await writeFile(file, 'this is not protobuf');
    await expect(InferencePool.start({ modelPath: file })).rejects.toThrow(
      new RegExp(`cannot load model ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
    await expect(InferencePool.start({ modelPath: linearPath, workers: 0 })).rejects.toThrow(
      /workers must be a positive integer/,
    );
  });
});
