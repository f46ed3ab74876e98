// The connection tracker on a plain Node HTTP server (real sockets): each request's fate, the
// pipelining limit and write stalls.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { until } from '@mlscale/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionTracker } from './connections.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A server whose handler leaves each response to the test, and a tracker on it. */
async function start(limits = { maxPipelined: 4, writeTimeoutMs: 300 }) {
  const pending: ServerResponse[] = [];
  let stalls = 0;
  const server = createServer((_req, res) => {
    pending.push(res);
  });
  servers.push(server);
  const tracker = new ConnectionTracker(server, limits, (reason) => {
    if (reason === 'write_timeout') stalls += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { tracker, pending, port, stalls: () => stalls };
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

describe('ConnectionTracker', () => {
  it('ends every request open on a connection when it closes, answered or queued', async () => {
    const { tracker, pending, port } = await start({ maxPipelined: 16, writeTimeoutMs: 1000 });
    const socket = connect(port, '127.0.0.1', () => socket.write(GET.repeat(3)));
    socket.on('error', () => {});
    await until(() => pending.length === 3);
    expect(tracker.requests).toBe(3);
    pending[1]?.end('second'); // answered, but queued behind the first: no 'close' comes for it
    socket.destroy();
    await until(() => tracker.connections === 0);
    expect(tracker.requests).toBe(0);
  });

  it('counts an answered request once, and its connection stays', async () => {
    const { tracker, pending, port } = await start();
    const socket = connect(port, '127.0.0.1', () => socket.write(GET));
    socket.on('data', () => {});
    await until(() => pending.length === 1);
    pending[0]?.end('ok');
    await until(() => tracker.requests === 0);
    expect(tracker.connections).toBe(1);
    socket.destroy();
    await until(() => tracker.connections === 0);
    expect(tracker.requests).toBe(0);
  });

  it('marks requests read past the limit in one packet', async () => {
    const { tracker, pending, port } = await start({ maxPipelined: 2, writeTimeoutMs: 1000 });
    const seen: boolean[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(GET.repeat(4)));
    socket.on('error', () => {});
    await until(() => pending.length === 4);
    for (const res of pending) {
      const open = tracker.requestOf(res.req);
      seen.push(open?.pastLimit ?? false);
    }
    expect(seen).toEqual([false, false, true, true]);
    socket.destroy();
  });

  it('destroys a connection whose answer stops moving for writeTimeoutMs, and says so once', async () => {
    const { tracker, pending, port, stalls } = await start({
      maxPipelined: 4,
      writeTimeoutMs: 300,
    });
    const socket = connect(port, '127.0.0.1', () => socket.write(GET));
    socket.on('error', () => {});
    socket.pause(); // never reads
    await until(() => pending.length === 1);
    // Far more than the loopback's socket buffers hold.
    pending[0]?.end(Buffer.alloc(64 * 1024 * 1024));
    await until(() => tracker.connections === 0);
    expect(stalls()).toBe(1);
    expect(tracker.requests).toBe(0);
  });

  it('leaves a slow reader that keeps reading alone', async () => {
    const { tracker, pending, port, stalls } = await start({
      maxPipelined: 4,
      writeTimeoutMs: 500,
    });
    let received = 0;
    const socket = connect(port, '127.0.0.1', () => socket.write(GET));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      socket.pause();
      setTimeout(() => socket.resume(), 10); // a chunk every 10 ms: slow, never stopped
    });
    await until(() => pending.length === 1);
    const res = pending[0] as ServerResponse;
    for (let i = 0; i < 256; i++) res.write(Buffer.alloc(64 * 1024));
    res.end();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(stalls()).toBe(0);
    expect(tracker.connections).toBe(1);
    expect(received).toBeGreaterThan(0);
    socket.destroy();
  });
});
