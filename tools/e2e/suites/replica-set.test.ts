/**
 * The closed loop's local replica controller on real model-server processes: a pod it stops
 * (scale-down) is not a failure; a pod whose process dies on its own leaves the Service at once, is
 * recorded with why, and is replaced as a ReplicaSet replaces it.
 *
 * Run with `pnpm test:e2e` from the repository root (needs the built model server).
 */
import { waitFor } from '@mlscale/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalPod, LocalReplicaSet } from '../closed-loop/replica-set.js';

const ENV = { WORKERS: '1', ORT_INTRA_OP_THREADS: '1', SHUTDOWN_DELAY_SECONDS: '0' };

let replicaSet: LocalReplicaSet | undefined;
afterEach(async () => {
  await replicaSet?.close();
});

describe('LocalReplicaSet', () => {
  it('replaces a pod whose process exits on its own, and says which and why', async () => {
    const origin = performance.now();
    const errors: string[] = [];
    replicaSet = new LocalReplicaSet({
      env: ENV,
      startupDelaySeconds: 0,
      now: () => (performance.now() - origin) / 1000,
      onError: (_pod, error) => errors.push(error.message),
    });
    await replicaSet.startInitial(2);
    const [first, second] = replicaSet.pods as LocalPod[];
    const killedUrl = first?.server?.url;
    expect(replicaSet.endpoints()).toHaveLength(2);

    first?.server?.child.kill('SIGKILL');
    await waitFor('the killed pod to be gone', async () => first?.goneAt !== undefined, 5_000);
    expect(replicaSet.endpoints()).not.toContain(killedUrl);
    expect(first?.failure).toMatch(/exited on its own \(SIGKILL\)/);
    expect(errors).toEqual([expect.stringContaining(`${first?.name}: its process exited`)]);

    // The replacement is counted at once (spec.replicas stays 2) and serves after its back-off.
    expect(replicaSet.replicas).toBe(2);
    await waitFor(
      'the replacement to serve',
      async () => replicaSet?.endpoints().length === 2,
      30_000,
    );
    const replacement = replicaSet.pods.find((p) => p !== second);
    expect(replacement?.name).not.toBe(first?.name);
    expect((await fetch(`${replacement?.server?.url}/readyz`)).status).toBe(200);

    // A pod it stops itself is no failure.
    replicaSet.scaleTo(1);
    await waitFor('the scale-down to finish', async () => replicaSet?.pods.length === 1, 15_000);
    expect(replicaSet.allPods.filter((p) => p.failure)).toEqual([first]);
    expect(errors).toHaveLength(1);
  }, 60_000);
});
