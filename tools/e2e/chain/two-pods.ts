/**
 * The two pods the chain suite and the chain demo run on: two model servers (one worker each,
 * batches of up to 64 held 100 ms, so a queue builds on this machine's CPUs) and a real
 * Prometheus scraping them every second as pods `model-server-a` and `model-server-b`.
 */
import {
  type Running,
  type RunningPrometheus,
  startModelServer,
  startPrometheus,
} from '@mlscale/testkit';

/** The started pods and the Prometheus that scrapes them; `stop()` ends all three. */
export interface TwoPods {
  servers: Running[];
  prometheus: RunningPrometheus;
  stop(): Promise<void>;
}

/**
 * Starts the two model servers, then Prometheus scraping them with `namespace` and `pod` labels.
 * When Prometheus fails to start, the servers are stopped before the error is rethrown.
 *
 * @param binary - the Prometheus binary (from `findPrometheus()`)
 * @param namespace - the `namespace` label of both targets
 * @example
 * const pods = await startTwoPods(found.path, 'e2e');
 * await pods.stop();
 */
export async function startTwoPods(binary: string, namespace: string): Promise<TwoPods> {
  const servers = await Promise.all(
    [0, 1].map(() =>
      startModelServer({
        WORKERS: '1',
        ORT_INTRA_OP_THREADS: '1',
        BATCH_MAX_SIZE: '64',
        BATCH_MAX_WAIT_MS: '100',
      }),
    ),
  );
  const stopServers = () => Promise.all(servers.map((s) => s.stop()));
  try {
    const prometheus = await startPrometheus({
      binary,
      targets: ['model-server-a', 'model-server-b'].map((pod, i) => ({
        address: `127.0.0.1:${servers[i]?.port}`,
        labels: { namespace, pod },
      })),
    });
    return {
      servers,
      prometheus,
      stop: async () => {
        await Promise.all([stopServers(), prometheus.stop()]);
      },
    };
  } catch (error) {
    await stopServers();
    throw error;
  }
}
