// Test fixture: an HTTP "pod" with a known capacity, for the calibrate tests.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const servers: Server[] = [];
/** Closes every pod {@link fakePod} started. */
export async function closeFakePods(): Promise<void> {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

/**
 * A pod with a known capacity: one request at a time, `serviceMs` each, exporting the depth
 * integral like the model server does.
 */
export async function fakePod(serviceMs: number): Promise<string> {
  const queue: ServerResponse[] = [];
  let busy = false;
  let depth = 0;
  let depthSeconds = 0;
  let last = performance.now();
  const integrate = () => {
    const now = performance.now();
    depthSeconds += (depth * (now - last)) / 1000;
    last = now;
  };
  const next = () => {
    const res = queue.shift();
    if (!res) {
      busy = false;
      return;
    }
    busy = true;
    setTimeout(() => {
      integrate();
      depth--;
      res.end('{"prediction":[0,0]}');
      next();
    }, serviceMs);
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/metrics') {
        integrate();
        res.end(`request_queue_depth_seconds_total ${depthSeconds}\n`);
      } else if (req.url === '/predict') {
        integrate();
        depth++;
        queue.push(res);
        if (!busy) next();
      } else {
        res.statusCode = 404;
        res.end('{"error":"no route"}');
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
