// A port the OS says is free on 127.0.0.1, so benchmarks never collide with other servers.
import { createServer } from 'node:net';

/** Asks the OS for a free port on 127.0.0.1 (listens on port 0, reads it, closes). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
