// Test helper (not a test, not built into dist/): the real server as the socket tests start it.
import pino, { type Logger } from 'pino';
import { loadConfig } from './config.js';
import { type RunningServer, startServer } from './server.js';

/**
 * Starts the server on a free port of 127.0.0.1 with `env` over a quick shutdown (no delay, 1 s
 * drain), and waits until it is ready.
 *
 * @param env - the environment it reads (MODEL_NAME, WORKERS, limits...); HOST, PORT and the
 *   shutdown timings can be overridden here too
 * @param logger - default: a silent one
 * @returns the server and its base URL (`http://127.0.0.1:<port>`)
 * @example
 * ({ server, base } = await startTestServer({ WORKERS: '1', GPU_PROBE: 'off' }));
 */
export async function startTestServer(
  env: Record<string, string>,
  logger: Logger = pino({ level: 'silent' }),
): Promise<{ server: RunningServer; base: string }> {
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    SHUTDOWN_DELAY_SECONDS: '0',
    SHUTDOWN_DRAIN_SECONDS: '1',
    ...env,
  });
  const server = await startServer({ config, logger });
  await server.ready;
  return { server, base: `http://127.0.0.1:${server.port}` };
}
