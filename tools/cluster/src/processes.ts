/**
 * The control plane's processes: started detached (they outlive `pnpm cluster:up`), each with its
 * log file, recorded in `.cluster/state.json` so that `pnpm cluster:down` stops exactly them.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One started process. */
export interface Started {
  name: string;
  pid: number;
  log: string;
}

/** What `.cluster/state.json` holds. */
export interface ClusterState {
  processes: Started[];
  ports: Record<string, number>;
}

/** Reads `.cluster/state.json`, or an empty state when there is none. */
export function readState(clusterDir: string): ClusterState {
  const file = join(clusterDir, 'state.json');
  if (!existsSync(file)) return { processes: [], ports: {} };
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

/** Writes `.cluster/state.json`. */
export function writeState(clusterDir: string, state: ClusterState): void {
  writeFileSync(join(clusterDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

/** Whether a process id is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `command` detached in its own process group, stdout and stderr appended to
 * `<logDir>/<name>.log`, and records it in the state before returning.
 */
export function startDetached(
  clusterDir: string,
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd = clusterDir,
): Started {
  const log = join(clusterDir, 'logs', `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env,
    cwd,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  child.unref();
  const started = { name, pid: child.pid, log };
  const state = readState(clusterDir);
  state.processes.push(started);
  writeState(clusterDir, state);
  return started;
}

/** The last `chars` characters of a log, for error messages. */
export function logTail(log: string, chars = 3000): string {
  try {
    return readFileSync(log, 'utf8').slice(-chars);
  } catch {
    return '(no log)';
  }
}

/**
 * Stops the recorded processes in reverse start order: SIGTERM to each process group, SIGKILL
 * after `graceMs`. Each is signalled by its recorded id only.
 */
export async function stopAll(
  processes: readonly Started[],
  log: (line: string) => void,
  graceMs = 10_000,
): Promise<void> {
  for (const started of [...processes].reverse()) {
    if (!alive(started.pid)) continue;
    log(`stopping ${started.name} (pid ${started.pid})`);
    signalGroup(started.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(started.pid) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    if (alive(started.pid)) {
      log(`${started.name} still running after ${graceMs} ms: SIGKILL`);
      signalGroup(started.pid, 'SIGKILL');
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
