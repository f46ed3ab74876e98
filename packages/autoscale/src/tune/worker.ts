/** The worker thread of `mlscale tune`'s pool: evaluates the jobs it is sent, one at a time. */
import { parentPort } from 'node:worker_threads';
import { type EvaluationJob, evaluate } from './evaluate.js';

parentPort?.on('message', (job: EvaluationJob) => {
  try {
    parentPort?.postMessage({ id: job.id, ok: true, value: evaluate(job) });
  } catch (error) {
    parentPort?.postMessage({ id: job.id, ok: false, error: (error as Error).message });
  }
});
