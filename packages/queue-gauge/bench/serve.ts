// Child process of the middleware benchmark: serves one variant on 127.0.0.1:PORT.
import { serve } from '@hono/node-server';
import { buildApp, type Variant } from './apps.js';

const [variant, port] = process.argv.slice(2) as [Variant, string];
const server = serve({ fetch: buildApp(variant).fetch, port: Number(port), hostname: '127.0.0.1' });
server.once('listening', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
