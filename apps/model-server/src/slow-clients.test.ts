// Slow, huge and broken clients against the real server (startServer, real sockets): they are cut
// off by the server's own limits, hold no inference slot, do not raise request_queue_depth, and
// normal requests and probes keep being answered. Floods are bounded in count; the assertions are
// outcomes (statuses, counts, metric values), never durations.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { until } from '@mlscale/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictStatus, sampleOf, startTestServer } from './server.fixture.js';
import type { RunningServer } from './server.js';

const predict768 = await readFile(new URL('../bench/bodies/predict-768.json', import.meta.url));
const logLines: { level: number; msg: string }[] = [];
const logger = pino(
  { level: 'info' },
  {
    write(line: string) {
      logLines.push(JSON.parse(line) as { level: number; msg: string });
    },
  },
);

const MAX_RECEIVING = 12;
let server: RunningServer;
let base: string;
beforeAll(async () => {
  ({ server, base } = await startTestServer(
    {
      GPU_PROBE: 'off',
      WORKERS: '1',
      MAX_CONCURRENCY: '4',
      MAX_QUEUE: '8',
      HEADERS_TIMEOUT_MS: '1000',
      // Long enough that the slow uploads are still arriving after 32 predictions on a loaded machine.
      BODY_TIMEOUT_MS: '5000',
      KEEP_ALIVE_TIMEOUT_MS: '1000',
      MAX_RECEIVING: String(MAX_RECEIVING),
    },
    logger,
  ));
});
afterAll(async () => {
  await server?.shutdown('test done');
});

/** A raw connection: writes what it is told, collects everything the server sends until close. */
function rawClient() {
  const socket: Socket = connect(server.port, '127.0.0.1');
  socket.setNoDelay(true);
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {}); // a reset after the answer is expected for cut-off uploads
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  return {
    socket,
    closed,
    get received() {
      return received;
    },
  };
}

/** An upload that announces `length` bytes and sends 3 of them every `everyMs` until stopped. */
function slowUpload(length = 100_000, everyMs = 200) {
  const client = rawClient();
  client.socket.write(
    `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{"f`,
  );
  const timer = setInterval(() => {
    if (!client.socket.destroyed) client.socket.write('0, ');
  }, everyMs);
  void client.closed.then(() => clearInterval(timer));
  return client;
}

const status = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

const scrape = async (): Promise<string> => (await fetch(`${base}/metrics`)).text();
/** A sample's value, the server's `model`/`version` labels left out of the series written here. */
const sample = (series: string) => sampleOf(base, series);
const predict = () => predictStatus(base, predict768);

describe('slow uploads', () => {
  it('hold no slot and no depth; normal requests are served; each is cut with 408', async () => {
    const before408 = await sample(
      'http_requests_total{method="POST",route="/predict",status="408"}',
    );
    const beforeTimeouts = await sample('requests_rejected_total{reason="body_timeout"}');
    // More slow uploads than MAX_CONCURRENCY + MAX_QUEUE (12 would have filled every slot).
    const slow = Array.from({ length: 10 }, () => slowUpload());
    await until(async () => (await sample('requests_receiving')) === 10);
    expect(await sample('request_queue_depth')).toBe(0);

    const statuses = [];
    for (let round = 0; round < 4; round++) {
      statuses.push(...(await Promise.all(Array.from({ length: 8 }, () => predict()))));
    }
    expect(statuses).toEqual(Array(32).fill(200));
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect(await sample('requests_receiving')).toBe(10);
    expect(await sample('request_queue_depth')).toBe(0);

    const answers = await Promise.all(slow.map((client) => client.closed));
    for (const answer of answers) {
      expect(status(answer)).toBe(408);
      expect(answer).toMatch(/connection: close/i);
      expect(answer).toContain('the request body did not arrive within 5000 ms (BODY_TIMEOUT_MS)');
    }
    expect(await sample('requests_receiving')).toBe(0);
    expect(await sample('requests_rejected_total{reason="body_timeout"}')).toBe(
      beforeTimeouts + 10,
    );
    expect(await sample('http_requests_total{method="POST",route="/predict",status="408"}')).toBe(
      before408 + 10,
    );
  });

  it(`past MAX_RECEIVING (${MAX_RECEIVING}) bodies arriving at once, the next is refused before its body`, async () => {
    const before = await sample('requests_rejected_total{reason="receiving_full"}');
    const slow = Array.from({ length: MAX_RECEIVING }, () => slowUpload());
    await until(async () => (await sample('requests_receiving')) === MAX_RECEIVING);
    const extra = slowUpload();
    await until(async () => status(extra.received) === 503);
    expect(extra.received).toMatch(/retry-after: 1/i);
    expect(extra.received).toContain(`MAX_RECEIVING=${MAX_RECEIVING}`);
    expect(await sample('requests_rejected_total{reason="receiving_full"}')).toBe(before + 1);
    // A request whose whole body came with its headers waits for nothing: served meanwhile.
    const whole = rawClient();
    whole.socket.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${predict768.length}\r\nConnection: close\r\n\r\n${predict768}`,
    );
    expect(status(await whole.closed)).toBe(200);
    // So is one whose body follows its headers in the next packet, as most clients send them.
    const behind = rawClient();
    behind.socket.write(
      `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${predict768.length}\r\nConnection: close\r\n\r\n`,
    );
    setTimeout(() => behind.socket.write(predict768), 10);
    expect(status(await behind.closed)).toBe(200);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    extra.socket.destroy();
    for (const client of slow) expect(status(await client.closed)).toBe(408);
    expect(await predict()).toBe(200);
  });
});

it('a client that never finishes its headers gets 408 and is counted', async () => {
  const before = await sample('requests_rejected_total{reason="headers_timeout"}');
  const client = rawClient();
  client.socket.write('POST /predict HTTP/1.1\r\nHost: x\r\n');
  const timer = setInterval(() => client.socket.write('X-Slow: 1\r\n'), 100);
  expect((await fetch(`${base}/livez`)).status).toBe(200);
  const answer = await client.closed;
  clearInterval(timer);
  expect(status(answer)).toBe(408);
  expect(await sample('requests_rejected_total{reason="headers_timeout"}')).toBe(before + 1);
});

it('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS, as announced', async () => {
  const client = rawClient();
  client.socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n');
  const answer = await client.closed; // the server closes it; the client never does
  expect(status(answer)).toBe(200);
  expect(answer).toMatch(/keep-alive: timeout=1\r\n/i);
  expect(answer).toContain('{"status":"alive"}');
});

it('a chunked upload the client drops is a 400, counted as one, and logs no error', async () => {
  const before = await sample('http_requests_total{method="POST",route="/predict",status="400"}');
  const client = rawClient();
  client.socket.write(
    'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"fea\r\n',
  );
  await until(async () => (await sample('requests_receiving')) === 1);
  client.socket.destroy();
  await until(
    async () =>
      (await sample('http_requests_total{method="POST",route="/predict",status="400"}')) ===
      before + 1,
  );
  expect(await scrape()).not.toMatch(/status="500"/);
  expect(logLines.filter((l) => l.level >= 50)).toEqual([]);
});

it('a flood of 1 MB bodies gets 413 while /livez, /readyz and /metrics keep answering', async () => {
  const body = Buffer.alloc(1_000_000, 0x20);
  const probes: number[] = [];
  let flooding = true;
  const probing = (async () => {
    while (flooding) {
      for (const path of ['/livez', '/readyz', '/metrics']) {
        probes.push((await fetch(`${base}${path}`)).status);
      }
    }
  })();
  const answers: string[] = [];
  for (let round = 0; round < 3; round++) {
    const clients = Array.from({ length: 20 }, () => {
      const client = rawClient();
      client.socket.write(
        `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      client.socket.write(body);
      return client;
    });
    answers.push(...(await Promise.all(clients.map((c) => c.closed))));
  }
  flooding = false;
  await probing;
  expect(answers.map(status)).toEqual(Array(60).fill(413));
  expect(answers[0]).toContain('request body is larger than 151552 bytes (BODY_LIMIT_BYTES)');
  expect(probes.length).toBeGreaterThan(0);
  expect(new Set(probes)).toEqual(new Set([200]));
  expect(await predict()).toBe(200);
});

it('the scrape passes promtool check metrics', async () => {
  expect(await predict()).toBe(200);
  const text = await scrape();
  expect(text).toContain('nodejs_active_handles{');
  expect(text).not.toMatch(/^nodejs_active_\w+_total/m);
  let output: string;
  try {
    output = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'promtool is not installed: apt-get install prometheus (Debian) or get it from https://prometheus.io/download/',
      );
    }
    throw new Error(`promtool check metrics failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  expect(output).toBe('');
});
