// kube-proxy balances connections, not requests. A refusal for load closes its connection, and so
// does the next answer on a connection older than MAX_CONNECTION_AGE_SECONDS, so a client re-dials
// and lands on any ready pod, the pods the HPA just added included. Before, a kept-alive connection
// brought its next request back to the same pod: on the local control plane the two first pods
// shed 5,728 requests of a step while two pods added by the HPA took none.
import { connect } from 'node:net';
import { until } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleOf, startTestServer } from './server.fixture.js';
import type { RunningServer } from './server.js';

const PREDICT =
  'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"features":[1]}';

let server: RunningServer;
let base: string;
/** One slot, no queue, and a device that holds the slot for `deviceMs`: a second request is shed. */
async function start(deviceMs: number, maxAgeSeconds: number) {
  await server?.shutdown('next server');
  ({ server, base } = await startTestServer({
    GPU_PROBE: 'off',
    WORKERS: '1',
    BATCH_MAX_SIZE: '1',
    MAX_CONCURRENCY: '1',
    MAX_QUEUE: '0',
    EMULATED_DEVICE_MS: String(deviceMs),
    MAX_CONNECTION_AGE_SECONDS: String(maxAgeSeconds),
  }));
}
afterAll(async () => {
  await server?.shutdown('test done');
});

/** A kept-alive connection that sends a request and resolves on the first complete answer. */
function keptAlive() {
  const socket = connect(server.port, '127.0.0.1');
  let received = '';
  let ended = false;
  socket.on('error', () => {});
  socket.on('end', () => {
    ended = true;
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let onAnswer: (answer: string) => void = () => {};
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
    const head = received.split('\r\n\r\n')[0] ?? '';
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? Number.NaN);
    if (received.length >= head.length + 4 + length) {
      const answer = received;
      received = '';
      onAnswer(answer);
    }
  });
  const next = () => {
    const answer = new Promise<string>((resolve) => {
      onAnswer = resolve;
    });
    socket.write(PREDICT);
    return answer;
  };
  const answer = next();
  return {
    answer,
    next,
    closed,
    get ended() {
      return ended;
    },
    destroy: () => socket.destroy(),
  };
}

describe('a request shed for load', () => {
  beforeAll(() => start(1500, 0));
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

describe('a connection older than MAX_CONNECTION_AGE_SECONDS', () => {
  beforeAll(() => start(2000, 3));
  it('gets Connection: close on its next answer, and closes', async () => {
    const client = keptAlive();
    const first = await client.answer;
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toMatch(/\r\nconnection: keep-alive\r\n/i);
    // The first answer takes 2 s on the device, the second ends 4 s after the connection opened.
    const second = await client.next();
    expect(second).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    await client.closed;
  });
});
