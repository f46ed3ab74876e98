/** What the cluster suites share: kubectl on the running cluster, its Services, waiting on pods. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { ensureBinaries } from '../src/binaries.js';
import { clusterInfo } from '../src/control-plane.js';

const run = promisify(execFile);

/** Runs the built kubectl against the cluster; resolves stdout, throws with stderr. */
export async function kubectl(args: readonly string[], input?: string): Promise<string> {
  const { kubectl: binary } = await ensureBinaries(() => {});
  const child = run(binary, [`--kubeconfig=${clusterInfo().kubeconfig}`, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    return (await child).stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`kubectl ${args.join(' ')}: ${stderr ?? String(error)}`);
  }
}

/** `kubectl get -o json`, parsed. */
export async function getJson<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectl(['get', ...args, '-o', 'json'])) as T;
}

/** The Services' local addresses the node agent keeps (`"namespace/name": "http://127.0.0.1:PORT"`). */
export function services(): Record<string, string> {
  return JSON.parse(readFileSync(clusterInfo().servicesFile, 'utf8')) as Record<string, string>;
}

/** The pod's `Ready` condition is `True` (what the kubelet reports from the readiness probe). */
export function isPodReady(pod: {
  status?: { conditions?: readonly { type: string; status: string }[] };
}): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
