// The hostile clients of the red-team issue, as raw sockets, for bench:clients' connection-abuse
// phase. Each runs until stopped (reconnecting when the server closes it, as an attacker would) and
// costs the bench process little: writes are prepared once, answers are discarded unread or read
// and dropped.
import { METHODS } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The request: 16 bytes of features. */
export const SMALL_POST =
  'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"features":[1]}';

/** A running hostile client. */
export interface Abuser {
  stop(): Promise<void>;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', () => {});
  });
}

function loop(step: (running: () => boolean) => Promise<void>): Abuser {
  let running = true;
  const done = (async () => {
    while (running) await step(() => running);
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Finding 1: connections that send two pipelined POSTs and close without reading, 150 a round. */
export function pipelineAndClose(port: number): Abuser {
  const twice = SMALL_POST + SMALL_POST;
  return loop(async () => {
    for (let i = 0; i < 150; i++) {
      const socket = await open(port);
      socket.end(twice);
    }
    await sleep(50);
  });
}

/**
 * Finding 2: one connection that pipelines and never reads, held open: 1,000 scrapes (about 17 MB
 * of answers: more than the loopback's socket buffers take, so the answers behind them wait) and
 * then `posts` POSTs, whose answers wait behind the scrapes'. About 36 kB sent.
 */
export function pipelineNeverRead(port: number, posts = 4): Abuser {
  const burst = 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1000) + SMALL_POST.repeat(posts);
  return loop(async (running) => {
    const socket = await open(port);
    socket.pause();
    socket.write(burst);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (!running() || socket.destroyed) {
          clearInterval(timer);
          socket.destroy();
          resolve();
        }
      }, 50);
    });
  });
}

/**
 * Finding 3: `connections` connections each pipelining `count` POSTs, reading and dropping the
 * answers. With `reconnect`, each opens again as soon as the server closes it, for as long as it
 * runs: no longer one client's cost but a request flood, which only a rate limit stops.
 */
export function pipelineFlood(
  port: number,
  { connections = 2, count = 40_000, reconnect = false } = {},
): Abuser {
  const burst = SMALL_POST.repeat(count);
  const one = () => {
    let first = true;
    return loop(async (running) => {
      if (!first && !reconnect) {
        await sleep(50);
        return;
      }
      first = false;
      const socket = await open(port);
      socket.on('data', () => {});
      socket.write(burst);
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (!running() || socket.destroyed) {
            clearInterval(timer);
            socket.destroy();
            resolve();
          }
        }, 50);
      });
    });
  };
  const all = Array.from({ length: connections }, one);
  return { stop: async () => void (await Promise.all(all.map((a) => a.stop()))) };
}

/** Finding 4: one request with each method Node accepts, on its own connection. */
export async function everyMethod(port: number): Promise<void> {
  for (const method of METHODS) {
    if (method === 'CONNECT') continue;
    const socket = await open(port);
    socket.on('data', () => {});
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end(`${method} /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    });
  }
}

/**
 * Finding 5: `connections` keep-alive connections opened before `drain()` starts, each then sends
 * `count` pipelined POSTs; resolves with how many answers came back in all.
 */
export async function pipelineDuringDrain(
  port: number,
  drain: () => void,
  connections = 5,
  count = 9,
): Promise<{ sent: number; answered: number; ok: number }> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = await open(port);
      let received = '';
      socket.on('data', (d: Buffer) => {
        received += d.toString('latin1');
      });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n');
      while (!received.includes('\r\n\r\n{')) await sleep(5);
      received = '';
      return { socket, closed, received: () => received };
    }),
  );
  drain();
  await sleep(300); // SHUTDOWN_DELAY_SECONDS=0: the drain has begun
  for (const client of clients) client.socket.write(SMALL_POST.repeat(count));
  await Promise.race([Promise.all(clients.map((c) => c.closed)), sleep(15_000)]);
  let answered = 0;
  let ok = 0;
  for (const client of clients) {
    const statuses = [...client.received().matchAll(/HTTP\/1\.1 (\d{3}) /g)];
    answered += statuses.length;
    ok += statuses.filter((m) => m[1] === '200').length;
    client.socket.destroy();
  }
  return { sent: connections * count, answered, ok };
}

/** Finding 6: `count` uploads announcing 100 kB that send a byte a second. */
export function stalledUploads(port: number, count = 256): Abuser {
  const sockets: Socket[] = [];
  const start = async () => {
    for (let i = 0; i < count; i++) {
      const socket = await open(port);
      socket.on('data', () => {});
      socket.write(
        'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
      );
      sockets.push(socket);
    }
  };
  const started = start();
  const timer = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write(' ');
  }, 1000);
  return {
    async stop() {
      await started;
      clearInterval(timer);
      for (const socket of sockets) socket.destroy();
    },
  };
}
