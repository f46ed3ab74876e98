// 405 Method Not Allowed with `Allow`, for every route the app serves under some other method.
import type { Hono } from 'hono';
import { problem } from './body.js';

/**
 * Adds, for each path routed so far, a handler answering every other method with 405 and
 * `Allow` (GET routes allow HEAD too, which Hono serves from them), and OPTIONS with 204 and
 * `Allow`. Call it after the routes are mounted and before the 404 fallback.
 *
 * @example
 * app.get('/livez', live);
 * methodNotAllowed(app); // POST /livez → 405, Allow: GET, HEAD
 */
export function methodNotAllowed(app: Hono): void {
  const byPath = new Map<string, Set<string>>();
  for (const { path, method } of app.routes) {
    if (method === 'ALL' || path.includes('*')) continue;
    const methods = byPath.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === 'GET') methods.add('HEAD');
    byPath.set(path, methods);
  }
  for (const [path, methods] of byPath) {
    const allow = [...methods].join(', ');
    app.all(path, (c) => {
      c.header('Allow', allow);
      if (c.req.method === 'OPTIONS') return c.body(null, 204);
      return problem(c, 405, `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`);
    });
  }
}
