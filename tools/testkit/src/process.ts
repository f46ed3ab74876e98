import type { ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** A process the kit started, listening on 127.0.0.1. */
export interface Running {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The process. */
  readonly child: ChildProcess;
  /** Its last 8 000 characters of stdout and stderr, for failure messages. */
  output(): string;
  /** Stops it: SIGTERM, SIGKILL after 5 s, and waits for the exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** Wraps a spawned child: keeps its recent output and gives it a `stop` that waits for the exit. */
export function track(child: ChildProcess, port: number): Running {
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    stop: () => {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
      })();
      return stopped;
    },
  };
}

/**
 * Starts a server process on a free 127.0.0.1 port and waits until `ready` says it serves. A free
 * port is free when asked, not when the process binds it: another test run can take it in between.
 * The process then exits saying the address is in use, and it is started again on another port
 * (three tries). Any other exit ends the wait at once, with the process' output in the error.
 * @param what the server, for messages ("the model server")
 * @param start spawns it on `port` and tracks it ({@link track})
 * @param ready resolves true once it serves (a throw counts as "not yet")
 * @example const server = await startOnFreePort('x', (port) => track(spawn(...), port), isReady);
 */
export async function startOnFreePort(
  what: string,
  start: (port: number) => Running,
  ready: (running: Running) => Promise<boolean>,
  { timeoutMs = 30_000, everyMs = 250 } = {},
): Promise<Running> {
  for (let attempt = 1; ; attempt++) {
    const running = start(await freePort());
    const { child } = running;
    const gone = () => child.exitCode !== null || child.signalCode !== null;
    try {
      await waitFor(
        `${what} on port ${running.port} to be ready`,
        async () => gone() || (await ready(running)),
        timeoutMs,
        everyMs,
      );
    } catch (error) {
      await running.stop();
      throw error;
    }
    if (!gone()) return running;
    const output = running.output();
    await running.stop();
    if (attempt < 3 && /EADDRINUSE|address already in use/.test(output)) continue;
    throw new Error(
      `${what} on port ${running.port} exited (${child.exitCode ?? child.signalCode}): ${output}`,
    );
  }
}
