/**
 * One pod on the node agent's node: its containers as processes, their probes, its status, and its
 * termination. This is the part of the kubelet and the container runtime the agent stands in for.
 *
 * - Start: each container's image names a local process ({@link localImage}); it runs with the
 *   container's resolved env, as `runAsUser`/`runAsGroup` where the agent runs as root, its output in
 *   `.cluster/logs/pods/`. The pod's address is a loopback address of its own (127.x.y.z), so every
 *   pod listens on its declared containerPort, as in a pod network.
 * - Probes: startup, then readiness and liveness, with the kubelet's timing and thresholds. A failed
 *   startup or liveness probe restarts the container; readiness sets the pod's Ready condition.
 * - A container that exits is restarted (restartPolicy Always) after the kubelet's back-off
 *   (10 s, doubling, at most 5 min).
 * - Deletion: preStop (exec, httpGet or sleep), SIGTERM, SIGKILL once the grace period
 *   (deletionGracePeriodSeconds, else terminationGracePeriodSeconds) is over, then the pod is
 *   removed from the API (delete with grace 0, as the kubelet does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CoreV1Api,
  V1Container,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
} from '@kubernetes/client-node';
import { containerEnv } from './env.js';
import { knownImages, localImage } from './images.js';
import { NODE_IP } from './node.js';
import { probeTiming, runProbe } from './probes.js';

interface ContainerRun {
  spec: V1Container;
  child?: ChildProcess;
  env: Record<string, string>;
  startedAt?: Date;
  started: boolean;
  ready: boolean;
  restartCount: number;
  waiting?: { reason: string; message: string };
  lastTerminated?: {
    exitCode: number;
    signal?: string;
    reason: string;
    startedAt?: Date;
    finishedAt: Date;
  };
  /** One pending timer per job (a probe kind, the restart back-off). */
  timers: Map<string, NodeJS.Timeout>;
  backoffMs: number;
  stopping?: Promise<void>;
}

/** Where the runner reports. */
export interface PodRunnerContext {
  core: CoreV1Api;
  logDir: string;
  log: (line: string) => void;
  /** Called once the pod's processes are gone and the pod is removed (or given up). */
  onGone: (uid: string) => void;
}

const MAX_BACKOFF_MS = 300_000;

/** Runs one pod. */
export class PodRunner {
  readonly uid: string;
  private pod: V1Pod;
  private readonly containers = new Map<string, ContainerRun>();
  private readonly conditionSince = new Map<string, Date>();
  private readonly startTime = new Date();
  private terminating = false;
  private pushing = false;
  private dirty = false;
  private readonly key: string;

  constructor(
    pod: V1Pod,
    readonly podIP: string,
    private readonly context: PodRunnerContext,
  ) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  }

  /** Whether the pod's containers are all ready (and it is not terminating). */
  get ready(): boolean {
    return !this.terminating && [...this.containers.values()].every((c) => c.ready);
  }

  /** Starts every container. */
  start(): void {
    mkdirSync(this.context.logDir, { recursive: true });
    for (const spec of this.pod.spec?.containers ?? []) {
      const run: ContainerRun = {
        spec,
        env: {},
        started: false,
        ready: false,
        restartCount: 0,
        timers: new Map(),
        backoffMs: 10_000,
      };
      this.containers.set(spec.name, run);
      this.startContainer(run);
    }
    this.push();
  }

  /** Takes a newer version of the pod; a deletion timestamp starts termination. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.terminating) {
      this.terminate().catch((error) =>
        this.context.log(`${this.key}: termination failed: ${String(error)}`),
      );
    }
  }

  /** The pod is gone from the API (force-deleted): stop its processes at once. */
  async kill(): Promise<void> {
    this.terminating = true;
    await Promise.all([...this.containers.values()].map((run) => this.stopContainer(run, 2000)));
    this.context.onGone(this.uid);
  }

  private startContainer(run: ContainerRun): void {
    const { spec } = run;
    const image = localImage(spec.image ?? '');
    if (!image) {
      run.waiting = {
        reason: 'ErrImagePull',
        message: `the node agent runs no container images; it knows ${knownImages().join(', ')} (infra/overlays/local sets it)`,
      };
      this.push();
      return;
    }
    try {
      run.env = containerEnv(this.pod, spec, this.podIP);
    } catch (error) {
      run.waiting = { reason: 'CreateContainerConfigError', message: (error as Error).message };
      this.push();
      return;
    }
    const argv = [
      ...(spec.command ?? image.entrypoint),
      ...(spec.args ?? (spec.command ? [] : image.cmd)),
    ];
    const logFile = join(
      this.context.logDir,
      `${this.pod.metadata?.namespace}_${this.pod.metadata?.name}_${spec.name}.log`,
    );
    const fd = openSync(logFile, 'a');
    const security = { ...this.pod.spec?.securityContext, ...spec.securityContext };
    const asRoot = process.getuid?.() === 0;
    const [file = '', ...args] = argv;
    const child: ChildProcess = spawn(file, args, {
      env: run.env,
      cwd: spec.workingDir ?? '/tmp',
      stdio: ['ignore', fd, fd],
      detached: true,
      uid: asRoot && security.runAsUser !== undefined ? security.runAsUser : undefined,
      gid: asRoot && security.runAsGroup !== undefined ? security.runAsGroup : undefined,
    });
    closeSync(fd);
    run.child = child;
    run.startedAt = new Date();
    run.started = false;
    run.ready = false;
    run.waiting = undefined;
    this.context.log(`${this.key}: started ${spec.name} (pid ${child.pid}) at ${this.podIP}`);
    child.once('exit', (code, signal) => this.onExit(run, child, code, signal));
    this.startProbes(run);
    this.push();
  }

  private onExit(
    run: ContainerRun,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ) {
    if (run.child !== child) return;
    clearTimers(run);
    run.child = undefined;
    run.ready = false;
    run.started = false;
    const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
    run.lastTerminated = {
      exitCode,
      signal: signal ?? undefined,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt: run.startedAt,
      finishedAt: new Date(),
    };
    this.context.log(`${this.key}: ${run.spec.name} exited (${code ?? signal})`);
    if (this.terminating) {
      this.push();
      return;
    }
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) {
      this.push();
      return;
    }
    // The kubelet's crash back-off; reset once a container ran for 10 minutes.
    const ranMs = run.startedAt ? Date.now() - run.startedAt.getTime() : 0;
    if (ranMs > 600_000) run.backoffMs = 10_000;
    run.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off ${run.backoffMs / 1000}s restarting failed container=${run.spec.name} pod=${this.key}`,
    };
    const delay = run.backoffMs;
    run.backoffMs = Math.min(run.backoffMs * 2, MAX_BACKOFF_MS);
    run.timers.set(
      'restart',
      setTimeout(() => {
        if (this.terminating) return;
        run.restartCount += 1;
        this.startContainer(run);
      }, delay),
    );
    this.push();
  }

  /** Restarts a container whose startup or liveness probe failed, as the kubelet does. */
  private async restartContainer(run: ContainerRun, why: string): Promise<void> {
    this.context.log(`${this.key}: ${run.spec.name} ${why}, will be restarted`);
    const child = run.child;
    run.child = undefined; // its exit is not a crash
    clearTimers(run);
    run.ready = false;
    run.started = false;
    if (child)
      await signalAndWait(child, (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
    run.lastTerminated = {
      exitCode: 137,
      reason: 'Error',
      startedAt: run.startedAt,
      finishedAt: new Date(),
    };
    if (this.terminating) return;
    run.restartCount += 1;
    this.startContainer(run);
  }

  private startProbes(run: ContainerRun): void {
    const { spec } = run;
    const startReadinessAndLiveness = () => {
      run.started = true;
      if (spec.readinessProbe) this.loop(run, 'readiness');
      else run.ready = true;
      if (spec.livenessProbe) this.loop(run, 'liveness');
      this.push();
    };
    if (spec.startupProbe) this.loop(run, 'startup', startReadinessAndLiveness);
    else startReadinessAndLiveness();
  }

  private loop(
    run: ContainerRun,
    kind: 'startup' | 'readiness' | 'liveness',
    onStarted?: () => void,
  ) {
    const probe =
      kind === 'startup'
        ? run.spec.startupProbe
        : kind === 'readiness'
          ? run.spec.readinessProbe
          : run.spec.livenessProbe;
    if (!probe) return;
    const timing = probeTiming(probe);
    const child = run.child;
    let successes = 0;
    let failures = 0;
    const tick = async () => {
      if (run.child !== child || !child) return;
      if (this.terminating && kind !== 'readiness') return;
      const result = await runProbe(probe, this.podIP, run.spec, run.env);
      if (run.child !== child) return;
      if (result.ok) {
        successes += 1;
        failures = 0;
      } else {
        failures += 1;
        successes = 0;
      }
      if (kind === 'startup') {
        if (result.ok) {
          onStarted?.();
          return;
        }
        if (failures >= timing.failureThreshold) {
          void this.restartContainer(run, `failed its startup probe (${result.message})`);
          return;
        }
      } else if (kind === 'readiness') {
        const was = run.ready;
        if (result.ok && successes >= timing.successThreshold) run.ready = true;
        if (!result.ok && failures >= timing.failureThreshold) run.ready = false;
        if (was !== run.ready) {
          this.context.log(
            `${this.key}: ${run.spec.name} ${run.ready ? 'ready' : `not ready (${result.message})`}`,
          );
          this.push();
        }
      } else if (!result.ok && failures >= timing.failureThreshold) {
        void this.restartContainer(run, `failed its liveness probe (${result.message})`);
        return;
      }
      run.timers.set(kind, setTimeout(tick, timing.periodMs));
    };
    run.timers.set(kind, setTimeout(tick, timing.initialDelayMs));
  }

  private async terminate(): Promise<void> {
    this.terminating = true;
    const graceSeconds =
      this.pod.metadata?.deletionGracePeriodSeconds ??
      this.pod.spec?.terminationGracePeriodSeconds ??
      30;
    this.context.log(`${this.key}: terminating (grace ${graceSeconds}s)`);
    this.push();
    const deadline = Date.now() + graceSeconds * 1000;
    await Promise.all(
      [...this.containers.values()].map(async (run) => {
        await this.preStop(run, deadline);
        await this.stopContainer(run, Math.max(0, deadline - Date.now()));
      }),
    );
    await this.pushNow();
    this.context.log(`${this.key}: containers stopped; removing the pod`);
    try {
      await this.context.core.deleteNamespacedPod({
        name: this.pod.metadata?.name ?? '',
        namespace: this.pod.metadata?.namespace ?? '',
        // In the body: with a body, the API server reads no delete options from the query.
        body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 404) {
        this.context.log(`${this.key}: final delete failed: ${String(error)}`);
      }
    }
    this.context.onGone(this.uid);
  }

  private async preStop(run: ContainerRun, deadline: number): Promise<void> {
    const hook = run.spec.lifecycle?.preStop;
    if (!hook || !run.child) return;
    const budget = Math.max(0, deadline - Date.now());
    if (hook.sleep) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(hook.sleep?.seconds ?? 0, budget / 1000) * 1000),
      );
      return;
    }
    const probe = { ...hook, timeoutSeconds: Math.ceil(budget / 1000) };
    const result = await runProbe(probe, this.podIP, run.spec, run.env);
    if (!result.ok)
      this.context.log(`${this.key}: ${run.spec.name} preStop hook failed: ${result.message}`);
  }

  private stopContainer(run: ContainerRun, graceMs: number): Promise<void> {
    clearTimers(run);
    const child = run.child;
    if (!child) return Promise.resolve();
    run.stopping ??= signalAndWait(child, graceMs);
    return run.stopping;
  }

  private push(): void {
    if (this.pushing) {
      this.dirty = true;
      return;
    }
    this.pushing = true;
    void this.pushNow().finally(() => {
      this.pushing = false;
      if (this.dirty) {
        this.dirty = false;
        this.push();
      }
    });
  }

  /** Writes the pod's status (phase, conditions, addresses, container statuses). */
  private async pushNow(): Promise<void> {
    const now = new Date();
    const runs = [...this.containers.values()];
    const allReady = runs.length > 0 && runs.every((run) => run.ready) && !this.terminating;
    const anyRunning = runs.some((run) => run.child);
    const everRan = runs.some((run) => run.lastTerminated || run.child);
    let phase = this.pod.status?.phase ?? 'Pending';
    if (anyRunning) phase = 'Running';
    else if (this.terminating && everRan) {
      phase = runs.every((run) => run.lastTerminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    const condition = (type: string, ok: boolean): V1PodCondition => {
      const status = ok ? 'True' : 'False';
      const previous = this.pod.status?.conditions?.find((c) => c.type === type);
      const since = previous?.status === status ? (previous.lastTransitionTime ?? now) : now;
      this.conditionSince.set(type, since);
      return {
        type,
        status,
        lastTransitionTime: since,
        lastProbeTime: null as unknown as undefined,
      };
    };
    const scheduled = this.pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const conditions = [
      condition('PodReadyToStartContainers', anyRunning || everRan),
      condition('Initialized', true),
      condition('Ready', allReady),
      condition('ContainersReady', allReady),
      ...(scheduled ? [scheduled] : []),
    ];
    const containerStatuses: V1ContainerStatus[] = runs.map((run) => ({
      name: run.spec.name,
      image: run.spec.image ?? '',
      imageID: `mlscale-node-agent://${run.spec.image}`,
      containerID: run.child ? `process://${run.child.pid}` : undefined,
      ready: run.ready,
      started: run.started,
      restartCount: run.restartCount,
      state: run.child
        ? { running: { startedAt: run.startedAt } }
        : run.waiting
          ? { waiting: run.waiting }
          : run.lastTerminated
            ? { terminated: { ...run.lastTerminated, signal: undefined } }
            : { waiting: { reason: 'ContainerCreating' } },
      lastState:
        run.lastTerminated && (run.child || run.waiting)
          ? { terminated: { ...run.lastTerminated, signal: undefined } }
          : {},
    }));
    const set = (path: string, value: unknown) => ({ op: 'add', path: `/status/${path}`, value });
    try {
      const updated = await this.context.core.patchNamespacedPodStatus({
        name: this.pod.metadata?.name ?? '',
        namespace: this.pod.metadata?.namespace ?? '',
        body: [
          set('phase', phase),
          set('conditions', conditions),
          set('hostIP', NODE_IP),
          set('hostIPs', [{ ip: NODE_IP }]),
          set('podIP', this.podIP),
          set('podIPs', [{ ip: this.podIP }]),
          set('startTime', this.startTime),
          set('containerStatuses', containerStatuses),
        ],
      });
      if (updated.metadata?.resourceVersion) this.pod = { ...this.pod, status: updated.status };
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code !== 404)
        this.context.log(`${this.key}: status update failed: ${String(error).slice(0, 300)}`);
    }
  }
}

function clearTimers(run: ContainerRun): void {
  for (const timer of run.timers.values()) clearTimeout(timer);
  run.timers.clear();
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it exited. */
export function signalAndWait(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const timer = setTimeout(() => kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    kill('SIGTERM');
  });
}
