/**
 * Processes for the end-to-end suite and the demo: a real Prometheus (Debian's `prometheus`
 * package, found on PATH or through PROMETHEUS_BIN), model servers from
 * `apps/model-server/dist/main.js`, and a closed-loop load generator. Everything listens on
 * 127.0.0.1 on free ports and is stopped by the returned handles.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** The repository root (two levels above this package). */
export const REPO_ROOT = resolve(new URL('.', import.meta.url).pathname, '../../..');
/** The built model server. */
export const MODEL_SERVER_MAIN = join(REPO_ROOT, 'apps/model-server/dist/main.js');

/** Where the Prometheus binary is, or why it is not there (with how to install it). */
export function findPrometheus(): { path: string } | { error: string } {
  const explicit = process.env.PROMETHEUS_BIN;
  if (explicit) {
    try {
      accessSync(explicit, constants.X_OK);
      return { path: explicit };
    } catch {
      return { error: `PROMETHEUS_BIN=${explicit} is not an executable file` };
    }
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'prometheus');
    try {
      accessSync(candidate, constants.X_OK);
      return { path: candidate };
    } catch {
      // keep looking
    }
  }
  return {
    error:
      'prometheus is not installed: `apt-get install -y prometheus` (Debian) or download it from https://prometheus.io/download/ and set PROMETHEUS_BIN=/path/to/prometheus',
  };
}

/** A free TCP port on 127.0.0.1. */
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

/** Polls until `check` returns true (or throws the last error after `timeoutMs`). */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
  );
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A started child process. */
export interface Running {
  /** Base URL. */
  url: string;
  /** Port. */
  port: number;
  /** The process. */
  child: ChildProcess;
  /** Recent output, for failure messages. */
  output: () => string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s). */
  stop: () => Promise<void>;
}

function track(child: ChildProcess, url: string, port: number, cleanup?: () => void): Running {
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    port,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      cleanup?.();
    },
  };
}

/** A scrape target of the test Prometheus. */
export interface Target {
  /** `host:port`. */
  address: string;
  /** Extra labels (`namespace`, `pod`). */
  labels: Record<string, string>;
}

/**
 * Starts Prometheus with a generated config scraping `targets` every `scrapeInterval`, its own
 * temporary TSDB, on a free 127.0.0.1 port.
 */
export async function startPrometheus(
  binary: string,
  targets: Target[],
  scrapeInterval = '1s',
): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'mlscale-prom-'));
  const port = await freePort();
  const config = [
    'global:',
    `  scrape_interval: ${scrapeInterval}`,
    `  evaluation_interval: ${scrapeInterval}`,
    'scrape_configs:',
    '  - job_name: model-server',
    '    metrics_path: /metrics',
    '    static_configs:',
    ...targets.flatMap((t) => [
      `      - targets: ['${t.address}']`,
      '        labels:',
      ...Object.entries(t.labels).map(([k, v]) => `          ${k}: '${v}'`),
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const running = track(child, `http://127.0.0.1:${port}`, port, () =>
    rmSync(dir, { recursive: true, force: true }),
  );
  await waitFor(
    `Prometheus on port ${port} to be ready`,
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${running.output()}`);
      return (await fetch(`${running.url}/-/ready`)).ok;
    },
    30_000,
  );
  return running;
}

/** Starts a model server (`apps/model-server/dist/main.js`) on a free port and waits for /health. */
export async function startModelServer(env: Record<string, string> = {}): Promise<Running> {
  if (!existsSync(MODEL_SERVER_MAIN)) {
    throw new Error(
      `${MODEL_SERVER_MAIN} is missing: build the app first (pnpm turbo run build --filter @mlscale/model-server...)`,
    );
  }
  const port = await freePort();
  const child = spawn(process.execPath, [MODEL_SERVER_MAIN], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      GPU_PROBE: 'off',
      SHUTDOWN_DELAY_SECONDS: '0',
      SHUTDOWN_DRAIN_SECONDS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running = track(child, `http://127.0.0.1:${port}`, port);
  await waitFor(`the model server on port ${port} to be healthy`, async () => {
    if (child.exitCode !== null) throw new Error(`model server exited: ${running.output()}`);
    return (await fetch(`${running.url}/health`)).ok;
  });
  return running;
}

/** A running closed-loop load: `clients` loops, each sending the next request when the last returns. */
export interface Load {
  /** Requests completed so far. */
  completed: () => number;
  /** Failed requests so far. */
  failed: () => number;
  /** Stops the loops and waits for in-flight requests. */
  stop: () => Promise<void>;
}

/** The guide's full-width request body (768 features). */
export function predictBody(): string {
  const anchor = join(REPO_ROOT, '..', 'shared/anchors/predict-768.json');
  if (existsSync(anchor)) return readFileSync(anchor, 'utf8');
  return JSON.stringify({ features: Array.from({ length: 768 }, (_, i) => ((i % 17) - 8) / 8) });
}

/** Starts `clients` closed-loop clients spread over `urls`, POSTing `/predict`. */
export function startLoad(urls: readonly string[], clients: number, body = predictBody()): Load {
  let running = true;
  let completed = 0;
  let failed = 0;
  const loops = Array.from({ length: clients }, async (_, i) => {
    const url = `${urls[i % urls.length]}/predict`;
    while (running) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        if (res.ok) completed++;
        else failed++;
      } catch {
        failed++;
        await sleep(50);
      }
    }
  });
  return {
    completed: () => completed,
    failed: () => failed,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}
