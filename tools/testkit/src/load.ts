/** Closed-loop load on model servers: each client sends its next request when the last returns. */
import { sleep } from './wait.js';

/** A running load. */
export interface Load {
  /** Requests answered 2xx so far. */
  completed(): number;
  /** Requests failed (non-2xx or no answer) so far. */
  failed(): number;
  /** Stops the clients and waits for the requests in flight. */
  stop(): Promise<void>;
}

/** The guide's full-width request body: 768 features, deterministic. */
export function predictBody(): string {
  return JSON.stringify({ features: Array.from({ length: 768 }, (_, i) => ((i % 17) - 8) / 8) });
}

/** Options of {@link startLoad}. */
export interface LoadOptions {
  /** Request body; default {@link predictBody}. */
  body?: string;
  /** Path POSTed on each base URL; default `/predict`. */
  path?: string;
}

/**
 * Starts `clients` closed-loop clients spread round-robin over `urls`, POSTing `path`.
 * @example const load = startLoad([server.url], 16); await sleep(5000); await load.stop();
 */
export function startLoad(
  urls: readonly string[],
  clients: number,
  { body = predictBody(), path = '/predict' }: LoadOptions = {},
): Load {
  if (urls.length === 0) throw new Error('startLoad needs at least one URL');
  let running = true;
  let completed = 0;
  let failed = 0;
  const loops = Array.from({ length: clients }, async (_, i) => {
    const url = `${urls[i % urls.length]}${path}`;
    while (running) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await response.arrayBuffer();
        if (response.ok) completed++;
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
