// The test kit's launcher of this app's build (tools/testkit startModelServer) and its load,
// tested here, where the build is: the kit itself depends on no app.
import { createServer } from 'node:net';
import { type Running, startLoad, startModelServer, until } from '@mlscale/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('startModelServer and startLoad', () => {
  let server: Running;
  beforeAll(async () => {
    server = await startModelServer({ WORKERS: '1', ORT_INTRA_OP_THREADS: '1' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves on 127.0.0.1 and answers a closed-loop load', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const load = startLoad([server.url], 2);
    await until(() => load.completed() >= 10);
    await load.stop();
    expect(load.completed()).toBeGreaterThan(0);
    expect(load.failed()).toBe(0);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/inference_latency_seconds_count\S* [1-9]/);
  });

  it('stops the process', async () => {
    await server.stop();
    expect(server.child.exitCode !== null || server.child.signalCode !== null).toBe(true);
  });
});

describe('startModelServer when the server cannot start', () => {
  it('says so as soon as it exits, with its output, after trying a taken port three times', async () => {
    // A port held here: every attempt is told to use it (PORT overrides the free one), so every
    // attempt exits with EADDRINUSE, and the third one's error is reported, long before the 30 s
    // readiness timeout.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    const started = Date.now();
    try {
      await expect(startModelServer({ PORT: String(port) })).rejects.toThrow(
        /exited \(1\):[\s\S]*EADDRINUSE/,
      );
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      holder.close();
    }
  }, 40_000);
});
