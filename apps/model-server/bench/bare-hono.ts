// The ceiling for the benchmark: a bare Hono route that parses the same JSON and returns a constant
// (no model, no metrics). Usage: node --import tsx bench/bare-hono.ts PORT
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.argv[2] ?? 0);
const app = new Hono();
app.post('/predict', async (c) => {
  const body = (await c.req.json()) as { features?: unknown };
  if (!Array.isArray(body.features)) return c.json({ error: 'no features' }, 400);
  return c.json({ prediction: [0, 0], latency_ms: 0 });
});
app.get('/health', (c) => c.json({ status: 'healthy' }));
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => {
  process.stdout.write(`bare hono on :${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
