/**
 * Runs simulations on every core: a pool of worker threads (node:worker_threads), each evaluating
 * one job at a time. Where the worker script is not built (tests run from the TypeScript source),
 * the jobs run in this thread, and `threads` says 0.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Evaluation, type EvaluationJob, evaluate } from './evaluate.js';

/** A pool of simulation workers. */
export interface SimulationPool {
  /** Worker threads (0: jobs run in the calling thread). */
  readonly threads: number;
  /** Runs the jobs, calling `onDone` after each; results in job order. */
  run(
    jobs: readonly Omit<EvaluationJob, 'id'>[],
    onDone?: (done: number, total: number) => void,
  ): Promise<Evaluation[]>;
  /** Ends the threads. */
  close(): Promise<void>;
}

/** The built worker script beside this module (dist/tune-worker.js), if there is one. */
function workerScript(): URL | undefined {
  const url = new URL('./tune-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

type Reply = { id: number; ok: true; value: Evaluation } | { id: number; ok: false; error: string };

/**
 * Starts a pool.
 *
 * @param threads - worker threads (default: the machine's available parallelism)
 * @returns the pool
 * @example
 * const pool = startPool(); const results = await pool.run(jobs); await pool.close();
 */
export function startPool(threads = availableParallelism()): SimulationPool {
  const script = workerScript();
  if (!script || threads < 1) {
    return {
      threads: 0,
      async run(jobs, onDone) {
        const results: Evaluation[] = [];
        for (const [id, job] of jobs.entries()) {
          results.push(evaluate({ ...job, id }));
          onDone?.(id + 1, jobs.length);
          // let progress output and signals through between simulations
          await new Promise((resolve) => setImmediate(resolve));
        }
        return results;
      },
      async close() {},
    };
  }
  const workers = Array.from({ length: threads }, () => new Worker(script));
  return {
    threads,
    run(jobs, onDone) {
      return new Promise((resolve, reject) => {
        const results = new Array<Evaluation>(jobs.length);
        let next = 0;
        let done = 0;
        let failed = false;
        const feed = (worker: Worker) => {
          if (next >= jobs.length) return;
          const id = next++;
          worker.postMessage({ ...jobs[id], id });
        };
        const listeners = workers.map((worker) => {
          const onMessage = (reply: Reply) => {
            if (failed) return;
            if (!reply.ok) {
              failed = true;
              cleanup();
              reject(new Error(reply.error));
              return;
            }
            results[reply.id] = reply.value;
            done++;
            onDone?.(done, jobs.length);
            if (done === jobs.length) {
              cleanup();
              resolve(results);
            } else feed(worker);
          };
          const onError = (error: Error) => {
            if (failed) return;
            failed = true;
            cleanup();
            reject(error);
          };
          worker.on('message', onMessage);
          worker.on('error', onError);
          return { worker, onMessage, onError };
        });
        const cleanup = () => {
          for (const { worker, onMessage, onError } of listeners) {
            worker.off('message', onMessage);
            worker.off('error', onError);
          }
        };
        if (jobs.length === 0) {
          cleanup();
          resolve([]);
          return;
        }
        for (const worker of workers) feed(worker);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
