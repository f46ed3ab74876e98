// Starting an inference worker thread and waiting until its model is loaded and warm.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ModelSignature, WorkerInit } from './protocol.js';

/** How to start a worker: the module to load, and whether it is TypeScript (loaded through tsx). */
export interface WorkerEntry {
  url: URL;
  typescript: boolean;
}

/**
 * The worker module beside this one: `worker.js` when running from `dist/`, `worker.ts` through
 * tsx when running from source (tests, `pnpm dev`).
 */
export function defaultWorkerEntry(): WorkerEntry {
  const typescript = import.meta.url.endsWith('.ts');
  return { url: new URL(typescript ? './worker.ts' : './worker.js', import.meta.url), typescript };
}

/** URL of tsx's ESM register API (its CJS build cannot register hooks from a worker on Node 20). */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const pkg = require(manifest) as { exports: Record<string, { import: { default: string } }> };
  const file = pkg.exports['./esm/api']?.import.default ?? './dist/esm/api/index.mjs';
  return pathToFileURL(path.join(path.dirname(manifest), file)).href;
}

function newWorker(entry: WorkerEntry, init: WorkerInit): Worker {
  if (!entry.typescript) return new Worker(entry.url, { workerData: init });
  // Node 20 does not apply `--import tsx` to a worker's entry module: register tsx, then import it.
  const tsx = tsxEsmApi();
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.url.href)}); });`;
  return new Worker(code, { eval: true, workerData: init });
}

/** A started worker and what it reported. */
export interface Spawned {
  worker: Worker;
  signature: ModelSignature;
  warmupSeconds: number;
  niceProblem: string | undefined;
}

/** Starts a worker; resolves once its model is warm, rejects with the load error. */
export function spawn(entry: WorkerEntry, init: WorkerInit): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const worker = newWorker(entry, init);
    const onExit = (code: number) =>
      reject(new Error(`inference worker exited with code ${code} while loading the model`));
    const onError = (error: Error) => {
      worker.off('exit', onExit);
      void worker.terminate();
      reject(error);
    };
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.once('message', (message: FromWorker) => {
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (message.kind === 'ready') {
        resolve({
          worker,
          signature: message.signature,
          warmupSeconds: message.warmupSeconds,
          niceProblem: message.niceProblem,
        });
      } else {
        void worker.terminate();
        const reason = message.kind === 'failed' ? message.error : `unexpected ${message.kind}`;
        reject(new Error(`cannot load model ${init.modelPath}: ${reason}`));
      }
    });
  });
}
