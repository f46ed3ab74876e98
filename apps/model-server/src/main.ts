// Entry point: `node dist/main.js`. Configuration from the environment (see README.md).
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    pino({ base: { service: 'model-server' } }, pino.destination({ sync: true })).fatal(
      { problems: error.problems },
      error.message,
    );
    process.exit(1);
  }
  const logger = pino(
    { level: config.logLevel, base: { service: 'model-server' } },
    pino.destination({ sync: true }),
  );
  const server = await startServer({ config, logger });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    server.shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await server.ready;
  } catch (error) {
    logger.fatal({ err: error }, 'could not start');
    await server.shutdown('start-up failed');
    process.exit(1);
  }
}

void main();
