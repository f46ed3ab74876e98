import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST_PID_NAMESPACE } from './host-pid.js';

/** How {@link createFakeProcRoot} lays out a process's view of /proc. */
export interface FakeProcRootOptions {
  /** The process's PID in its own namespace (the last `NSpid` entry). */
  pid: number;
  /**
   * - `'host'`: the process runs in the host's PID namespace (`hostPID: true`): `pid` is the host's.
   * - `'own'`: its own namespace; `/proc` shows only that namespace (a pod without hostPID).
   * - `'own-host-procfs'`: its own namespace, but the `/proc` it sees is the host's, so `NSpid`
   *   starts with `hostPid`.
   */
  namespace: 'host' | 'own' | 'own-host-procfs';
  /** Its PID in the host's namespace, for `'own-host-procfs'`. */
  hostPid?: number;
}

/**
 * Writes a folder that looks like `/proc` to a process in the given PID namespace setup
 * (`self/status`, `self/ns/pid`, `1/ns/pid`), for the probe's `procRoot` option: emulates pods
 * with and without `hostPID` on one machine. Returns the folder; remove it when done.
 *
 * @example
 * const procRoot = createFakeProcRoot({ pid: 4242, namespace: 'host' });
 * nvml.setProcess(0, 4242, { usedBytes: 2 ** 30 });
 * createGpuProbe({ libraryPath: nvml.libraryPath, procRoot });
 */
export function createFakeProcRoot({ pid, namespace, hostPid }: FakeProcRootOptions): string {
  if (namespace === 'own-host-procfs' && hostPid === undefined) {
    throw new TypeError('createFakeProcRoot: own-host-procfs needs the hostPid');
  }
  const root = mkdtempSync(join(tmpdir(), 'fake-proc-'));
  const own = 'pid:[4026532500]';
  const nspid = namespace === 'own-host-procfs' ? `${hostPid}\t${pid}` : `${pid}`;
  const shownPid = namespace === 'own-host-procfs' ? hostPid : pid;
  mkdirSync(join(root, 'self', 'ns'), { recursive: true });
  mkdirSync(join(root, '1', 'ns'), { recursive: true });
  writeFileSync(
    join(root, 'self', 'status'),
    `Name:\tnode\nTgid:\t${shownPid}\nPid:\t${shownPid}\nNSpid:\t${nspid}\n`,
  );
  symlinkSync(namespace === 'host' ? HOST_PID_NAMESPACE : own, join(root, 'self', 'ns', 'pid'));
  symlinkSync(namespace === 'own' ? own : HOST_PID_NAMESPACE, join(root, '1', 'ns', 'pid'));
  return root;
}
