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

/**
 * A sample's value from the server's `/metrics`, by its series as written without the server's
 * `model`/`version` labels (`requests_rejected_total{reason="body_timeout"}`); 0 when absent.
 *
 * @param base - the server's base URL
 * @param series - the series, as written without the model and version labels
 * @returns the sample's value, or 0
 * @example
 * await sampleOf(base, 'request_queue_depth'); // 0
 */
export async function sampleOf(base: string, series: string): Promise<number> {
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
  return 0;
}

/**
 * One `POST /predict` with a JSON body; the answer is read whole.
 *
 * @param base - the server's base URL
 * @param body - the JSON request body
 * @returns the answer's status
 * @example
 * await predictStatus(base, '{"features":[1]}'); // 200
 */
export async function predictStatus(base: string, body: Uint8Array | string): Promise<number> {
  const res = await fetch(`${base}/predict`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}
