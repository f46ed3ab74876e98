// Integration: the built server (dist/main.js) as a child process, under load, gets SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface LogLine {
  level: number;
  msg: string;
  port?: number;
  cutOff?: number;
  [key: string]: unknown;
}

function start(env: Record<string, string>) {
  if (!existsSync(main)) throw new Error(`${main} is missing: run pnpm build first`);
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', GPU_PROBE: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters: [(line: LogLine) => boolean, (line: LogLine) => void][] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine;
    logs.push(line);
    for (const [match, resolve] of waiters) if (match(line)) resolve(line);
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const waitFor = (msg: string) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = logs.find((l) => l.msg === msg);
      if (seen) return resolve(seen);
      waiters.push([(l) => l.msg === msg, resolve]);
      void exited.then((code) => reject(new Error(`exited (${code}) before '${msg}': ${stderr}`)));
    });
  return { child, logs, exited, waitFor };
}

let running: ChildProcess | undefined;
afterEach(() => {
  if (running && running.exitCode === null) running.kill('SIGKILL');
});

/** A fetch outcome: the status, or the error code when no response came. */
async function attempt(url: string, init?: RequestInit): Promise<number | string> {
  try {
    const res = await fetch(url, init);
    await res.arrayBuffer();
    return res.status;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(error);
  }
}

describe('graceful shutdown (built server, child process)', () => {
  it('on SIGTERM goes unready, serves through the delay, drains, exits 0; no accepted request fails', async () => {
    const server = start({ SHUTDOWN_DELAY_SECONDS: '1', SHUTDOWN_DRAIN_SECONDS: '15' });
    running = server.child;
    const { port } = await server.waitFor('listening; loading the model');
    await server.waitFor('model warm; ready');
    const base = `http://127.0.0.1:${port}`;
    expect(await attempt(`${base}/health`)).toBe(200);

    const outcomes: { value: number | string; afterSignal: boolean }[] = [];
    let signalled = false;
    const body = JSON.stringify({ features: Array.from({ length: 768 }, (_, i) => i / 768) });
    const client = async () => {
      for (;;) {
        const value = await attempt(`${base}/predict`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
        outcomes.push({ value, afterSignal: signalled });
        if (typeof value === 'string') return; // no connection: the server stopped accepting
      }
    };
    const clients = Array.from({ length: 16 }, client);
    await new Promise((resolve) => setTimeout(resolve, 300));

    server.child.kill('SIGTERM');
    signalled = true;
    let health: number | string = 200;
    for (let i = 0; i < 100 && health === 200; i++) health = await attempt(`${base}/health`);
    expect(health).toBe(503);
    const livez = await attempt(`${base}/livez`);

    await Promise.all(clients);
    expect(await server.exited).toBe(0);

    expect(livez).toBe(200);
    const failures = outcomes.filter((o) => o.value !== 200 && o.value !== 'ECONNREFUSED');
    expect(failures).toEqual([]);
    expect(outcomes.filter((o) => o.value === 200 && o.afterSignal).length).toBeGreaterThan(16);
    expect(outcomes.filter((o) => o.value === 'ECONNREFUSED')).toHaveLength(16);
    const msgs = server.logs.map((l) => l.msg);
    expect(msgs).toContain('shutting down: unready now, serving through the delay');
    expect(server.logs.find((l) => l.msg === 'stopped')).toMatchObject({ cutOff: 0 });
  }, 30_000);

  it('one Ctrl-C delivered twice (the process group and a runner forwarding it) is one signal: exits 0', async () => {
    const server = start({ SHUTDOWN_DELAY_SECONDS: '0', SHUTDOWN_DRAIN_SECONDS: '1' });
    running = server.child;
    await server.waitFor('model warm; ready');
    server.child.kill('SIGINT');
    // The second copy arrives once the first was handled (two pending copies would merge into one).
    await server.waitFor('shutting down: unready now, serving through the delay');
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    expect(server.logs.map((l) => l.msg)).not.toContain('second signal; exiting now');
  }, 30_000);

  it('a second signal a while after the first exits at once with 1', async () => {
    const server = start({ SHUTDOWN_DELAY_SECONDS: '30' });
    running = server.child;
    await server.waitFor('model warm; ready');
    server.child.kill('SIGTERM');
    await server.waitFor('shutting down: unready now, serving through the delay');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(1);
    expect(server.logs.map((l) => l.msg)).toContain('second signal; exiting now');
  }, 30_000);

  it('exits 1 with a message naming the bad variable', async () => {
    const server = start({ BATCH_MAX_SIZE: 'lots' });
    running = server.child;
    expect(await server.exited).toBe(1);
    expect(server.logs[0]).toMatchObject({
      level: 60,
      msg: "invalid configuration: BATCH_MAX_SIZE must be a whole number 1…65536, got 'lots'",
    });
  }, 15_000);

  it('exits 1 when the model cannot be loaded', async () => {
    const server = start({
      MODEL_PATH: fileURLToPath(new URL('../package.json', import.meta.url)),
    });
    running = server.child;
    expect(await server.exited).toBe(1);
    const fatal = server.logs.find((l) => l.level === 60) as LogLine & {
      err?: { message?: string };
    };
    expect(fatal.msg).toBe('could not start');
    expect(fatal.err?.message).toMatch(/^cannot load model .*package\.json: /);
  });
});
