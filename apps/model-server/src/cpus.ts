// How many CPUs this process may use: the scheduler's view (affinity) capped by a cgroup CPU quota,
// so thread counts follow a container's CPU limit rather than the host's core count.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Reads a file, or undefined when it is not there (not Linux, no cgroup, no permission). */
function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The CPU quota in CPUs from cgroup v2 `cpu.max` ("max 100000" or "150000 100000"), if limited. */
export function cgroupV2Quota(cpuMax: string | undefined): number | undefined {
  const [quota, period] = (cpuMax ?? '').split(/\s+/);
  const q = Number(quota);
  const p = Number(period);
  return q > 0 && p > 0 ? q / p : undefined;
}

/** The CPU quota in CPUs from cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: none). */
export function cgroupV1Quota(quotaUs: string | undefined, periodUs: string | undefined) {
  const q = Number(quotaUs);
  const p = Number(periodUs);
  return q > 0 && p > 0 ? q / p : undefined;
}

/**
 * CPUs available to this process: `os.availableParallelism()` capped by the cgroup quota (rounded
 * up, at least 1).
 */
export function availableCpus(): number {
  const parallelism = os.availableParallelism();
  const quota =
    cgroupV2Quota(read('/sys/fs/cgroup/cpu.max')) ??
    cgroupV1Quota(
      read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'),
      read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'),
    );
  return Math.max(1, Math.min(parallelism, quota === undefined ? parallelism : Math.ceil(quota)));
}
