// Test fixture: the real inference worker, which also exits (as a crash would) when it is sent an
// input whose second dimension is 13.
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from './protocol.js';
import './worker.js';

parentPort?.on('message', (message: ToWorker) => {
  if (message.kind === 'run' && Object.values(message.feeds).some((t) => t.dims[1] === 13)) {
    process.exit(3);
  }
});
