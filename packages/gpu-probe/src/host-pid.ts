import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The initial (host) PID namespace as `/proc/<pid>/ns/pid` names it: its inode is the kernel's
 * fixed `PROC_PID_INIT_INO` (0xEFFFFFFC, include/linux/proc_ns.h), the same on every Linux host.
 */
export const HOST_PID_NAMESPACE = 'pid:[4026531836]';

/**
 * This process's PID as NVML reports it. The driver does not know PID namespaces: it reports
 * every process by its PID in the host's namespace (NVIDIA/nvidia-docker#1483), which a process
 * in a container's own namespace does not know, unless the `/proc` it sees is the host's.
 */
export type HostPid =
  | {
      readonly ok: true;
      readonly pid: number;
      /**
       * - `host-pid-namespace`: the process runs in the host's PID namespace (`hostPID: true`, or
       *   no container): its own PID is the host's.
       * - `host-procfs`: the process has its own namespace, but the `/proc` it sees is the host's
       *   (its PID 1 is in the host's namespace), so `NSpid` in `/proc/self/status` starts with
       *   its host PID.
       */
      readonly how: 'host-pid-namespace' | 'host-procfs';
    }
  | {
      readonly ok: false;
      /** What stops attribution, for the `reason` label. */
      readonly reason: 'pid-namespace';
      /** What was found and what to change, for a person. */
      readonly detail: string;
    };

function readLink(path: string): string | Error {
  try {
    return readlinkSync(path);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Finds this process's PID in the host's PID namespace, reading `<procRoot>/self/ns/pid`,
 * `<procRoot>/self/status` (`NSpid`, `Pid`) and `<procRoot>/1/ns/pid`. Never throws.
 *
 * @param procRoot where procfs is mounted; default `/proc` (tests point it at a prepared folder)
 * @example
 * const self = findHostPid();
 * if (self.ok) console.log(`NVML knows this process as ${self.pid} (${self.how})`);
 * else console.log(`cannot attribute: ${self.detail}`);
 */
export function findHostPid(procRoot = '/proc'): HostPid {
  let status: string;
  try {
    status = readFileSync(join(procRoot, 'self', 'status'), 'utf8');
  } catch (error) {
    return {
      ok: false,
      reason: 'pid-namespace',
      detail: `cannot read ${join(procRoot, 'self', 'status')} (${(error as Error).message}): the process's PID as NVML knows it is unknown`,
    };
  }
  const field = (name: string): number[] =>
    (new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
  // NSpid (Linux 4.1+): the PID in each namespace from the one that mounted this procfs inwards.
  const nspid = field('NSpid');
  const ownPid = nspid.at(-1) ?? field('Pid')[0];
  const own = readLink(join(procRoot, 'self', 'ns', 'pid'));
  if (own === HOST_PID_NAMESPACE && ownPid !== undefined) {
    return { ok: true, pid: ownPid, how: 'host-pid-namespace' };
  }
  const outer = nspid[0];
  if (nspid.length >= 2 && outer !== undefined) {
    const init = readLink(join(procRoot, '1', 'ns', 'pid'));
    if (init === HOST_PID_NAMESPACE) return { ok: true, pid: outer, how: 'host-procfs' };
    return {
      ok: false,
      reason: 'pid-namespace',
      detail: `NSpid is ${nspid.join(' ')}, but the namespace of this /proc's PID 1 is ${init instanceof Error ? `unreadable (${init.message})` : init}, not the host's ${HOST_PID_NAMESPACE}: ${outer} may not be the PID NVML reports`,
    };
  }
  const where = own instanceof Error ? `unreadable (${own.message})` : own;
  return {
    ok: false,
    reason: 'pid-namespace',
    detail: `this process runs in its own PID namespace (${where}) and its /proc shows only that namespace's PID (${ownPid ?? 'none'}); NVML reports host PIDs: run the pod with hostPID: true to attribute the GPU to it`,
  };
}
