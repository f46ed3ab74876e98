// A refusal for load closes its connection, so a client behind a Service that balances connections
// (kube-proxy) re-dials and lands on any ready pod, the pods the HPA just added included. Before,
// a kept-alive connection brought its next request back to the same full pod: on the local control
// plane the two first pods shed 5,728 requests while two pods added by the HPA took none.
import { connect } from 'node:net';
import { until } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleOf, startTestServer } from './server.fixture.js';
import type { RunningServer } from './server.js';

const PREDICT =
  'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"features":[1]}';

let server: RunningServer;
let base: string;
beforeAll(async () => {
  // One slot, no queue, and a device that holds the slot for 1.5 s: a second request is shed.
  ({ server, base } = await startTestServer({
    GPU_PROBE: 'off',
    WORKERS: '1',
    BATCH_MAX_SIZE: '1',
    MAX_CONCURRENCY: '1',
    MAX_QUEUE: '0',
    EMULATED_DEVICE_MS: '1500',
  }));
});
afterAll(async () => {
  await server?.shutdown('test done');
});

/** A kept-alive connection that sends one request and resolves on the first complete answer. */
function keptAlive() {
  const socket = connect(server.port, '127.0.0.1');
  let received = '';
  let ended = false;
  socket.on('error', () => {});
  socket.on('end', () => {
    ended = true;
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const answer = new Promise<string>((resolve) =>
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const head = received.split('\r\n\r\n')[0] ?? '';
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? Number.NaN);
      if (received.length >= head.length + 4 + length) resolve(received);
    }),
  );
  socket.write(PREDICT);
  return {
    answer,
    closed,
    get ended() {
      return ended;
    },
    destroy: () => socket.destroy(),
  };
}

describe('a request shed for load', () => {
  it('is answered 503 with Connection: close and its connection closes; an answered one keeps its connection', async () => {
    const running = keptAlive();
    // The first request holds the only slot (no queue: depth 1 is the running one).
    await until(async () => (await sampleOf(base, 'request_queue_depth')) === 1);
    const shed = keptAlive();
    const refused = await shed.answer;
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused).toMatch(/\r\nconnection: close\r\n/i);
    await shed.closed;

    const served = await running.answer;
    expect(served).toMatch(/^HTTP\/1\.1 200 /);
    expect(served).toMatch(/\r\nconnection: keep-alive\r\n/i);
    expect(running.ended).toBe(false);
    running.destroy();
  });
});
