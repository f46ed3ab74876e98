// Connection-level abuse against the real server (startServer, real sockets), with infra/base's
// limits: pipelined requests on connections that close, clients that never read, floods of
// pipelined requests. Every slot and every place in request_queue_depth comes back, whichever way
// a request ends. The assertions are outcomes (statuses, counts, metric values), never durations.
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './server.fixture.js';
import type { RunningServer } from './server.js';

const predict768 = await readFile(new URL('../bench/bodies/predict-768.json', import.meta.url));
/** The request: 16 bytes of features, as the red team's python snippet sent it. */
const SMALL =
  'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"features":[1]}';

let server: RunningServer;
let base: string;
beforeAll(async () => {
  // infra/base's limits (WORKERS 2 there; one here, the shared test machine has two cores).
  ({ server, base } = await startTestServer({
    GPU_PROBE: 'off',
    WORKERS: '1',
    MAX_CONCURRENCY: '64',
    MAX_QUEUE: '256',
    MAX_WAIT_MS: '5000',
  }));
});
afterAll(async () => {
  await server?.shutdown('test done');
});

/** A sample's value, the server's `model`/`version` labels left out of the series written here. */
async function sample(series: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  for (const line of text.split('\n')) {
    const at = line.lastIndexOf(' ');
    const key = line
      .slice(0, at)
      .replace(/,?model="linear-768x2",version="1"/, '')
      .replace('{,', '{')
      .replace('{}', '');
    if (key === series) return Number(line.slice(at + 1));
  }
  return Number.NaN;
}
async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
async function predict(): Promise<number> {
  const res = await fetch(`${base}/predict`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: predict768,
  });
  await res.arrayBuffer();
  return res.status;
}
/** Opens a connection, writes `data`, resolves once it is written and the connection is open. */
function send(data: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () =>
      socket.write(data, () => resolve(socket)),
    );
    socket.on('error', reject);
  });
}

describe('pipelined requests on a connection that closes', () => {
  it("give back their slots and depth (the issue's 150 connections of two POSTs)", async () => {
    for (let i = 0; i < 150; i++) {
      const socket = await send(SMALL + SMALL);
      socket.destroy();
    }
    // Within 10 s of the client leaving, the depth is the true count again: nothing in flight.
    await until(async () => (await sample('request_queue_depth')) === 0);
    expect(await predict()).toBe(200);
  });
});
