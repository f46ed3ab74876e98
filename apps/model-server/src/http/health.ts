// Health, readiness and server metadata routes, served from the first moment the port is open.
import type { Hono } from 'hono';

/** Where the server is in its life; read by the readiness routes. */
export interface ServerState {
  /** `loading` until the model is warm, `ready`, then `shutting-down` from SIGTERM on. */
  phase: 'loading' | 'ready' | 'shutting-down';
  /** Set once the server stops accepting connections: every response closes its connection. */
  draining: boolean;
}

/** Server metadata of `GET /v2`. */
export const SERVER_METADATA = { name: 'mlscale-model-server', version: '0.0.0', extensions: [] };

/**
 * Mounts `/health` (the guide's contract), `/livez`, `/readyz`, `/v2`, `/v2/health/live` and
 * `/v2/health/ready`. Readiness is 200 only in the `ready` phase, so Kubernetes takes the pod out
 * of its Service as soon as SIGTERM arrives and never sends traffic to a cold model.
 */
export function mountHealth(app: Hono, state: ServerState): void {
  const notReady = () => (state.phase === 'loading' ? 'loading' : 'shutting down');
  app.get('/health', (c) =>
    state.phase === 'ready' ? c.json({ status: 'healthy' }) : c.json({ status: notReady() }, 503),
  );
  app.get('/readyz', (c) =>
    state.phase === 'ready' ? c.json({ status: 'ready' }) : c.json({ status: notReady() }, 503),
  );
  app.get('/livez', (c) => c.json({ status: 'alive' }));
  app.get('/v2', (c) => c.json(SERVER_METADATA));
  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) =>
    state.phase === 'ready' ? c.json({ ready: true }) : c.json({ ready: false }, 503),
  );
}
