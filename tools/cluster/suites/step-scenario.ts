/**
 * The step load on the real control plane: infra/overlays/local (the project's HPA, or another
 * overlay's) in its own namespace, pods on the emulated device of the closed loop (40 ms per
 * request on one worker: 25 req/s each, whatever this machine's CPUs), an open-loop load through
 * the Service's local port (the node agent's kube-proxy), and the real HPA observed sync by sync
 * against the port ({@link HpaObserver}).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { type RequestResult, startOpenLoop } from '@mlscale/autoscale';
import { CLI } from '@mlscale/e2e/closed-loop/simulate.js';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { waitFor } from '@mlscale/testkit';
import { parseAllDocuments } from 'yaml';
import { ensureBinaries } from '../src/binaries.js';
import { clusterInfo, REPO_ROOT } from '../src/control-plane.js';
import { HpaObserver, type ObservedSync } from './hpa-observer.js';
import { getJson, isPodReady, kubectl, services } from './kube.js';

/** The closed loop's emulated pod (tools/e2e/closed-loop/scenario.ts): 25 req/s per pod. */
export const EMULATED_POD_ENV = {
  WORKERS: '1',
  ORT_INTRA_OP_THREADS: '1',
  BATCH_MAX_SIZE: '1',
  EMULATED_DEVICE_MS: '40',
};
export const POD_CAPACITY_RPS = 25;
/** The emulated pod's capacity profile (calibrated by the e2e closed loop's bench). */
export const EMULATED_POD_PROFILE = join(REPO_ROOT, 'tools/e2e/docs/emulated-pod.profile.json');

/**
 * The plan for the step: `mlscale plan` from the emulated pod's profile for the step's base and peak
 * (1× and 4× one pod's capacity), the cluster's sync and scrape periods, and a start-up of 5 s (what
 * the node agent takes to start and ready a pod, 2 to 3 s, with margin).
 *
 * @param extraArgs - more of plan's flags (e.g. `['--forecast', 'linear']`)
 * @returns the files `plan -o` wrote
 */
export function planForStep(extraArgs: readonly string[] = []): {
  hpaFile: string;
  adapterValues: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'mlscale-cluster-plan-'));
  execFileSync(process.execPath, [
    ...[CLI, 'plan', '--profile', EMULATED_POD_PROFILE, '--slo', 'p95=200ms'],
    ...['--base-rate', String(POD_CAPACITY_RPS), '--peak-rate', String(4 * POD_CAPACITY_RPS)],
    ...['--startup-seconds', '5', '--sync-period', '15', '--scrape-interval', '5'],
    ...extraArgs,
    ...['-o', dir],
  ]);
  return {
    hpaFile: join(dir, 'hpa.yaml'),
    adapterValues: join(dir, 'prometheus-adapter-values.yaml'),
  };
}

/** The guide's load-test body (5 features). */
const BODY = JSON.stringify({ features: [0.1, 0.2, 0.3, 0.4, 0.5] });

/** A pod's life as the run saw it (seconds since the load started). */
export interface PodLife {
  name: string;
  created: number;
  ready?: number;
  deleting?: number;
  gone?: number;
}

/** What a run recorded. */
export interface StepRun {
  syncs: ObservedSync[];
  results: (RequestResult & { t: number })[];
  pods: PodLife[];
  /** The HPA that ran. */
  hpa: HorizontalPodAutoscaler;
  /** Epoch milliseconds of trace second 0. */
  t0: number;
  /** The load's phases (seconds). */
  stepAt: number;
  stepEnd: number;
  end: number;
}

/** Options of {@link runStep}. */
export interface StepOptions {
  namespace: string;
  overlay?: string;
  /** Seconds at 1× before the step, at 4×, and the most at 1× after (the run ends earlier once a pod was removed and drained). */
  before?: number;
  hold?: number;
  afterAtMost?: number;
  /** Ends the 1× tail this many seconds after the first pod removed by a scale-down is gone. */
  afterScaleDown?: number;
  /** Ends the run at this trace second instead (the closed loop: the trace's end). */
  endAt?: number;
  /** Seconds of 1× before the trace (the closed loop's warm-up: the rate windows full at 0). */
  warmupSeconds?: number;
  /** An HPA manifest in place of the overlay's (e.g. infra/hpa/guide-hpa.yaml; relative to the repository, or absolute). */
  hpaFile?: string;
  /** Variables of the overlay's container env to leave out (the server's defaults apply). */
  withoutEnv?: readonly string[];
  /**
   * How the client's requests reach the pods through the Service, which balances connections:
   * `kept-alive` (default) reuses pooled connections as most clients do, so a request goes where its
   * connection was dialled (an idle one first); `connection per request` sends `Connection: close`,
   * so every request is a new connection and the Service spreads requests evenly over the ready
   * pods, as `simulate` assumes.
   */
  connections?: 'kept-alive' | 'connection per request';
  log?: (line: string) => void;
  onSync?: (sync: ObservedSync) => void;
}

/**
 * An overlay rendered (`kubectl kustomize`) into `namespace`, its Deployment's pods on the emulated
 * device ({@link EMULATED_POD_ENV}), as a List for `kubectl apply -f -`.
 */
export async function withEmulatedPods(
  overlay: string,
  namespace: string,
  hpaFile?: string,
  withoutEnv: readonly string[] = [],
): Promise<string> {
  const { kubectl: binary } = await ensureBinaries(() => {});
  let rendered = execFileSync(binary, ['kustomize', join(REPO_ROOT, overlay)]).toString();
  if (hpaFile) {
    rendered = parseAllDocuments(rendered)
      .filter((doc) => doc.get('kind') !== 'HorizontalPodAutoscaler')
      .map((doc) => doc.toString())
      .concat(readFileSync(resolve(REPO_ROOT, hpaFile), 'utf8'))
      .join('\n---\n');
  }
  const docs = parseAllDocuments(rendered)
    // biome-ignore lint/suspicious/noExplicitAny: walking rendered manifests
    .map((doc) => doc.toJS() as Record<string, any> | null)
    .filter((doc) => doc !== null);
  for (const doc of docs) {
    doc.metadata = { ...doc.metadata, namespace };
    if (doc.kind === 'Deployment') {
      for (const container of doc.spec.template.spec.containers) {
        const env = (container.env as { name: string }[]).filter(
          (e) => !(e.name in EMULATED_POD_ENV) && !withoutEnv.includes(e.name),
        );
        container.env = [
          ...env,
          ...Object.entries(EMULATED_POD_ENV).map(([name, value]) => ({ name, value })),
        ];
      }
    }
  }
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs });
}

/** The trace's clock: seconds since `t0` (trace second 0 comes after the warm-up). */
interface StepClock {
  t0: number;
  now(): number;
}

/** Applies the overlay (with emulated pods and the HPA given) into `namespace`; returns its HPA. */
async function deployStep(options: StepOptions, overlay: string): Promise<HorizontalPodAutoscaler> {
  const { namespace } = options;
  await kubectl(['create', 'namespace', namespace]).catch(() => {});
  await kubectl(
    ['apply', '--server-side', '-f', '-'],
    await withEmulatedPods(overlay, namespace, options.hpaFile, options.withoutEnv),
  );
  const hpas = await getJson<{ items: HorizontalPodAutoscaler[] }>(['hpa', '-n', namespace]);
  const hpa = hpas.items[0];
  if (!hpa?.metadata?.name) throw new Error(`${overlay} has no HPA`);
  return hpa;
}

/** An informer of the namespace's pods that records each pod's life on `clock`. */
function watchPods(namespace: string, clock: StepClock, log: (line: string) => void) {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(clusterInfo().kubeconfig);
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1Pod>(kubeconfig, `/api/v1/namespaces/${namespace}/pods`, () =>
    core.listNamespacedPod({ namespace }),
  );
  const lives = new Map<string, PodLife>();
  const track = (pod: V1Pod) => {
    const name = pod.metadata?.name ?? '';
    const life = lives.get(name) ?? { name, created: clock.now() };
    lives.set(name, life);
    if (isPodReady(pod) && life.ready === undefined) {
      life.ready = clock.now();
      log(`pod ${name} ready`);
    }
    if (pod.metadata?.deletionTimestamp && life.deleting === undefined) {
      life.deleting = clock.now();
      log(`pod ${name} deleting`);
    }
  };
  informer.on('add', track);
  informer.on('update', track);
  informer.on('delete', (pod) => {
    const life = lives.get(pod.metadata?.name ?? '');
    if (life && life.gone === undefined) {
      life.gone = clock.now();
      log(`pod ${life.name} gone`);
    }
  });
  return { informer, lives };
}

/**
 * Plays the step through the Service's local port from now on (after `warmupSeconds` at 1×), until
 * `endAt`, or until a pod removed by a scale-down is gone (and `afterScaleDown` more seconds).
 */
async function playStep(
  options: StepOptions,
  hpa: HorizontalPodAutoscaler,
  clock: StepClock,
  lives: Map<string, PodLife>,
) {
  const { before = 30, hold = 120, afterAtMost = 540, afterScaleDown = 40 } = options;
  const { warmupSeconds = 0, namespace } = options;
  const log = options.log ?? (() => {});
  const url = services()[`${namespace}/model-server`];
  if (!url) throw new Error(`no local port for Service ${namespace}/model-server`);
  // Trace second 0 comes after the warm-up; the pods that exist now were there before it.
  clock.t0 = Date.now() + warmupSeconds * 1000;
  for (const life of lives.values()) life.created = -warmupSeconds;
  const stepAt = before;
  const stepEnd = before + hold;
  let end = options.endAt ?? stepEnd + afterAtMost;
  const results: StepRun['results'] = [];
  const load = startOpenLoop({
    targets: url,
    body: BODY,
    headers: {
      'content-type': 'application/json',
      ...(options.connections === 'connection per request' ? { connection: 'close' } : {}),
    },
    rate: (t) =>
      (t - warmupSeconds >= stepAt && t - warmupSeconds < stepEnd ? 4 : 1) * POD_CAPACITY_RPS,
    durationSeconds: warmupSeconds + end,
    // As the local closed loop: an overload shows as latency, as in the simulator, not as
    // time-outs that would drop the backlog (60 s), and up to 256 connections per pod of the
    // HPA's maximum (one target here, the Service, where the local loop has one per pod).
    timeoutMs: 60_000,
    connectionsPerTarget: 256 * (hpa.spec.maxReplicas ?? 10),
    // intendedMs counts from the generator's start.
    onResult: (result) => results.push({ ...result, t: result.intendedMs / 1000 - warmupSeconds }),
  });
  log(
    `load: ${POD_CAPACITY_RPS} req/s (${warmupSeconds} s of warm-up first), ${4 * POD_CAPACITY_RPS} req/s from ${stepAt} s to ${stepEnd} s, then ${POD_CAPACITY_RPS} req/s until ${options.endAt === undefined ? 'a scale-down removed a pod' : `${end} s`}`,
  );
  if (options.endAt === undefined) {
    await waitFor(
      'a pod removed by a scale-down to be gone',
      async () => {
        const gone = [...lives.values()].find((l) => l.gone !== undefined && l.gone > stepEnd);
        if (gone) {
          end = Math.min(end, clock.now() + afterScaleDown);
          return true;
        }
        return clock.now() > end;
      },
      (warmupSeconds + end + 60) * 1000,
      1000,
    );
  }
  while (clock.now() < end) await new Promise((r) => setTimeout(r, 1000));
  load.stop();
  await load.done;
  return { results, stepAt, stepEnd, end };
}

/** Runs the step; returns what it recorded (everything it created is deleted at the end). */
export async function runStep(options: StepOptions): Promise<StepRun> {
  const { namespace, overlay = 'infra/overlays/local' } = options;
  const log = options.log ?? (() => {});
  const hpa = await deployStep(options, overlay);
  const observer = new HpaObserver(
    clusterInfo().kubeconfig,
    namespace,
    hpa.metadata?.name ?? '',
    hpa,
    'app=model-server',
    options.onSync,
  );
  const clock: StepClock = {
    t0: Date.now(),
    now() {
      return (Date.now() - this.t0) / 1000;
    },
  };
  const pods = watchPods(namespace, clock, log);
  await pods.informer.start();
  await observer.start();
  try {
    // Ready pods only: the HPA's metrics may need traffic first (the guide's mean latency is 0/0,
    // no value, on an idle pod); the warm-up brings it.
    log(`waiting for ${hpa.spec.minReplicas} ready pods and the HPA's first sync`);
    await waitFor(
      'the Deployment at minReplicas with every pod ready, synced once by the HPA',
      () =>
        pods.informer.list().filter(isPodReady).length >= (hpa.spec.minReplicas ?? 1) &&
        observer.syncs.length > 0,
      300_000,
      1000,
    );
    const played = await playStep(options, hpa, clock, pods.lives);
    return { syncs: observer.syncs, pods: [...pods.lives.values()], hpa, t0: clock.t0, ...played };
  } finally {
    await observer.stop();
    await pods.informer.stop();
    await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => {});
  }
}
