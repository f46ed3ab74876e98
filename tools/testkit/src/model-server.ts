/** Model servers from this repository's built app (`apps/model-server/dist/main.js`). */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Running, startOnFreePort, track } from './process.js';

/** The repository root (this file is tools/testkit/src/model-server.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The built model server. */
export const MODEL_SERVER_MAIN = join(REPO_ROOT, 'apps/model-server/dist/main.js');

/**
 * Starts a model server on a free 127.0.0.1 port and waits until `/readyz` answers 200 (model
 * loaded). Defaults suit tests: no GPU probe, no preStop delay, a 1 s drain; `env` overrides them.
 * Throws, saying how to build it, when the app has not been built.
 * @param env extra environment (WORKERS, BATCH_MAX_SIZE, ...)
 * @param timeoutMs how long to wait for readiness; default 30 000
 * @example const server = await startModelServer({ WORKERS: '1' }); await server.stop();
 */
export async function startModelServer(
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Running> {
  if (!existsSync(MODEL_SERVER_MAIN)) {
    throw new Error(
      `${MODEL_SERVER_MAIN} is missing: build the app first (pnpm turbo run build --filter @mlscale/model-server...)`,
    );
  }
  return startOnFreePort(
    'the model server',
    (port) =>
      track(
        spawn(process.execPath, [MODEL_SERVER_MAIN], {
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
        }),
        port,
      ),
    async (running) =>
      (await fetch(`${running.url}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200,
    { timeoutMs, everyMs: 200 },
  );
}
