import type { ChildProcess } from 'node:child_process';

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
  /** Stops it: SIGTERM, SIGKILL after 5 s; then removes its temporary files. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Wraps a spawned child: keeps its recent output and gives it a `stop` that waits for the exit.
 * @param cleanup runs once the process has exited (temporary folders)
 */
export function track(child: ChildProcess, port: number, cleanup?: () => void): Running {
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
        cleanup?.();
      })();
      return stopped;
    },
  };
}
