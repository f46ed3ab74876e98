import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1, asked of the OS (port 0). Several test runs share the machine:
 * nothing in the kit binds a fixed port.
 * @example const port = await freePort();
 */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
