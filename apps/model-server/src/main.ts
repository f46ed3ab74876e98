// Entry point: `node dist/main.js`. Configuration from the environment (see README.md).
import pino from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

/** A signal this soon after the first is the same one delivered twice, not a second. */
const REPEATED_SIGNAL_MS = 1_000;

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

  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      // One Ctrl-C reaches the server twice when it runs under pnpm, npm or turbo: from the
      // terminal to the whole process group, and again from the runner forwarding it.
      if (Date.now() - firstSignalAt < REPEATED_SIGNAL_MS) return;
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    firstSignalAt = Date.now();
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
