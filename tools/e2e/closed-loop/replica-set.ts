/**
 * A local replica controller: model-server processes as the pods of a Deployment. Scaling up
 * creates a pod that starts after a start-up delay (image pull, scheduling: what a real pod waits)
 * and serves once `/readyz` says so; scaling down takes it out of the Service at once and stops it
 * with SIGTERM, so it drains what it holds. Pods to remove are chosen as a ReplicaSet does: not yet
 * ready ones first, then the newest. A pod whose process fails to start or exits on its own is
 * gone, with why and its last output, and a replacement is created as a ReplicaSet creates one,
 * after the start-up delay and a back-off that doubles with each failure (1 s, 2 s, ... 60 s), so a
 * pod that cannot start does not spin.
 */
import { type Running, startModelServer } from '@mlscale/testkit';

/** Where a pod is in its life. */
export type PodState = 'starting' | 'ready' | 'terminating';

/** One pod: a model-server process (once started). */
export interface LocalPod {
  name: string;
  state: PodState;
  /** Seconds (the replica set's clock) when it was created, became ready, was told to stop, exited. */
  createdAt: number;
  readyAt?: number;
  terminatingAt?: number;
  goneAt?: number;
  /** The process, once started. */
  server?: Running;
  /** Why it failed, when its process did not start or exited without being told to stop. */
  failure?: string;
}

/** The last characters of a failed process' output kept in {@link LocalPod.failure}. */
const FAILURE_OUTPUT_CHARS = 2000;
/** The longest back-off before a failed pod's replacement, seconds. */
const MAX_BACKOFF_SECONDS = 60;

/** Options of {@link LocalReplicaSet}. */
export interface LocalReplicaSetOptions {
  /** Environment of every model server (EMULATED_DEVICE_MS, BATCH_MAX_SIZE, ...). */
  env: Record<string, string>;
  /** Seconds a new pod waits before its process starts. */
  startupDelaySeconds: number;
  /** Pod name prefix. @default 'model-server' */
  prefix?: string;
  /** The clock, seconds. */
  now: () => number;
  /** Called whenever a pod changes state (to rewrite the scrape targets). */
  onChange?: () => void;
  /** Called when a pod fails to start or its process exits on its own (it is replaced). */
  onError?: (pod: LocalPod, error: Error) => void;
}

/** Model-server processes playing the pods of one Deployment. */
export class LocalReplicaSet {
  readonly #options: LocalReplicaSetOptions;
  readonly #pods: LocalPod[] = [];
  readonly #pending = new Set<Promise<void>>();
  #serial = 0;
  #failures = 0;
  #closed = false;

  /** @param options - the pods' environment, start-up delay and clock */
  constructor(options: LocalReplicaSetOptions) {
    this.#options = options;
  }

  /** Every pod that exists (starting, ready or terminating). */
  get pods(): readonly LocalPod[] {
    return this.#pods.filter((p) => p.goneAt === undefined);
  }

  /** Every pod it ever had, gone ones included, in creation order. */
  get allPods(): readonly LocalPod[] {
    return this.#pods;
  }

  /** `spec.replicas`: the pods not terminating. */
  get replicas(): number {
    return this.pods.filter((p) => p.state !== 'terminating').length;
  }

  /** The Service's endpoints: base URLs of the ready pods. */
  endpoints(): string[] {
    return this.pods.flatMap((p) => (p.state === 'ready' && p.server ? [p.server.url] : []));
  }

  /**
   * Starts `count` pods at once, with no start-up delay, and waits until they serve.
   *
   * @param count - pods to start
   */
  async startInitial(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => this.#create(0)));
  }

  /**
   * Scales to `replicas`: creates pods (they serve after the start-up delay and their start) or
   * removes the not-ready ones first, then the newest. Returns at once.
   *
   * @param replicas - the desired count
   */
  scaleTo(replicas: number): void {
    if (this.#closed) return;
    const live = this.pods.filter((p) => p.state !== 'terminating');
    for (let i = live.length; i < replicas; i++) {
      this.#track(this.#create(this.#options.startupDelaySeconds));
    }
    if (replicas < live.length) {
      const order = [
        ...live.filter((p) => p.state === 'starting').reverse(),
        ...live.filter((p) => p.state === 'ready').reverse(),
      ];
      for (const pod of order.slice(0, live.length - replicas)) this.#track(this.#terminate(pod));
    }
  }

  /** Stops every pod (SIGTERM, drain) and waits for them. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pod of this.pods) {
      if (pod.state !== 'terminating') this.#track(this.#terminate(pod));
    }
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  #track(work: Promise<void>): void {
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  async #create(delaySeconds: number): Promise<void> {
    const { now, env, onChange, prefix = 'model-server' } = this.#options;
    const pod: LocalPod = {
      name: `${prefix}-${this.#serial++}`,
      state: 'starting',
      createdAt: now(),
    };
    this.#pods.push(pod);
    onChange?.();
    if (delaySeconds > 0) await new Promise((r) => setTimeout(r, delaySeconds * 1000));
    if (pod.state === 'terminating') return; // removed during its start-up delay

    let server: Running;
    try {
      server = await startModelServer(env, 60_000);
    } catch (error) {
      this.#fail(pod, (error as Error).message);
      return;
    }
    pod.server = server;
    // (The state may have changed while the process started.)
    if ((pod.state as PodState) === 'terminating') {
      await server.stop(); // removed while its process started: it never served
      pod.goneAt ??= now();
    } else {
      pod.state = 'ready';
      pod.readyAt = now();
      server.child.once('exit', (code, signal) => {
        if (pod.state === 'terminating') return; // told to stop
        const output = server.output().slice(-FAILURE_OUTPUT_CHARS);
        this.#fail(pod, `its process exited on its own (${code ?? signal}): ${output}`);
      });
    }
    onChange?.();
  }

  /** A pod that failed: gone at once, with why, and replaced after the start-up delay and a back-off. */
  #fail(pod: LocalPod, why: string): void {
    const { now, onChange, onError, startupDelaySeconds } = this.#options;
    pod.state = 'terminating';
    pod.terminatingAt ??= now();
    pod.goneAt = now();
    pod.failure = why;
    onError?.(pod, new Error(`${pod.name}: ${why}`));
    onChange?.();
    if (this.#closed) return;
    const backoff = Math.min(MAX_BACKOFF_SECONDS, 2 ** this.#failures++);
    this.#track(this.#create(startupDelaySeconds + backoff));
  }

  async #terminate(pod: LocalPod): Promise<void> {
    const { now, onChange } = this.#options;
    pod.state = 'terminating';
    pod.terminatingAt = now();
    onChange?.(); // out of the Service at once, as Kubernetes removes the endpoint with SIGTERM
    if (!pod.server) {
      // Not started yet: gone now (#create sees the state and stops a process it was starting).
      pod.goneAt = now();
      onChange?.();
      return;
    }
    await pod.server.stop();
    pod.goneAt = now();
    onChange?.();
  }
}
