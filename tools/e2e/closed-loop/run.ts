/**
 * The closed loop on one machine: model-server processes as replicas (a local replica controller),
 * a real Prometheus scraping them through file-based discovery rewritten as pods come and go, the
 * prometheus-adapter rules rendered as the adapter renders them, the HPA port deciding every sync,
 * and an open-loop generator playing a rate trace across the ready pods like a Service. It records
 * what it saw: per second the offered rate, client latency and replicas; per sync the per-pod
 * signals and the decision.
 *
 * The figures use the reactive simulator's definitions (`simulate --profile`), so that a run and a
 * simulation of the same trace and HPA can be compared figure by figure.
 */
import {
  type AdapterRule,
  type Collection,
  collectAdapterMetrics,
  type LatencySlo,
  PrometheusClient,
  percentile,
  type ReactiveReport,
  type RequestResult,
  rateFromTrace,
  startOpenLoop,
  timelineFigures,
} from '@mlscale/autoscale';
import {
  describeDecision,
  type HorizontalPodAutoscaler,
  HpaController,
  type HpaControllerOptions,
  type HpaDecision,
  type PodInfo,
} from '@mlscale/hpa';
import { predictBody, type RunningPrometheus, sleep, startPrometheus } from '@mlscale/testkit';
import { LocalReplicaSet, type PodState } from './replica-set.js';

/** A rate trace: from each point's time on, its rate (the last point marks the end). */
export interface RateTrace {
  points: readonly { time: number; rps: number }[];
}

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  /** Requests per second offered to the Service over time. */
  load: RateTrace;
  /** The HPA deciding. */
  hpa: HorizontalPodAutoscaler;
  /** prometheus-adapter `rules.custom` serving its metrics. */
  rules: readonly AdapterRule[];
  /** Environment of every model server (EMULATED_DEVICE_MS, BATCH_MAX_SIZE, WORKERS, ...). */
  podEnv: Record<string, string>;
  /** The latency objective the figures count against. @default p95 = 200 ms */
  slo?: LatencySlo;
  /** @default 15 */
  syncPeriodSeconds?: number;
  /** @default 5 */
  scrapeIntervalSeconds?: number;
  /** Seconds from the HPA's decision until a new pod's process starts. @default 30 */
  startupDelaySeconds?: number;
  /** Seconds of the first rate before the trace, no syncs, so the windows are full at 0. @default 60 */
  warmupSeconds?: number;
  /** @default the HPA's minReplicas */
  initialReplicas?: number;
  /** The load step (for time to first scale-up and recovery). @default the first rise of the rate */
  stepAt?: number;
  /**
   * Seconds a client waits for an answer before it counts the request as failed. Long, so that
   * an overload shows as latency, as in the simulator, not as time-outs. @default 60
   */
  requestTimeoutSeconds?: number;
  /** Request body. @default 768 features */
  body?: string;
  /** Namespace label of the pods. @default 'closed-loop' */
  namespace?: string;
  /** Controller flags. */
  controller?: HpaControllerOptions;
  /** Called every second with what is known so far (for a live view). */
  onTick?: (tick: LoopTick) => void;
  /** Called after every sync. */
  onSync?: (sync: LoopSync) => void;
  /** Called when a pod fails to start or its process exits on its own (it is replaced). */
  onPodFailure?: (error: Error) => void;
  /** Ends the run early (what was recorded is returned; every process is stopped). */
  signal?: AbortSignal;
}

/** The state of the loop at one second, for a live view. */
export interface LoopTick {
  /** Trace seconds (negative during the warm-up). */
  time: number;
  offeredRps: number;
  replicas: number;
  ready: number;
  pods: number;
  inFlight: number;
  /** The previous full second, client side (answers may still be missing). */
  last?: { time: number; sent: number; p95?: number; failed: number };
}

/** One second of the run, by the requests meant to be sent in it. */
export interface LoopSecond {
  /** Trace seconds (start of the second). */
  time: number;
  /** Requests offered in the second. */
  offeredRps: number;
  /** `spec.replicas`, pods ready, pods that exist (starting, ready, terminating), at its end. */
  replicas: number;
  ready: number;
  pods: number;
  /** Client latency of the second's requests, seconds, failures counted as infinitely slow. */
  p50?: number;
  p95?: number;
  p99?: number;
  /** Mean latency of the answered requests. */
  mean?: number;
  /** Requests answered 503/429. */
  rejected: number;
  /** Requests that failed otherwise (other statuses, connection errors, time-outs, no pod). */
  errors: number;
  /** The SLO statistic of the second is above the objective. */
  violation: boolean;
}

/** One sync: what the HPA saw and decided. */
export interface LoopSync {
  /** Trace seconds. */
  time: number;
  /** Pods and their states at the sync. */
  pods: { name: string; state: PodState }[];
  /** Per metric, per pod, the value the adapter rule gave (absent: no value). */
  values: Record<string, Record<string, number>>;
  /** Errors of metrics that gave no values. */
  errors: Record<string, string>;
  /**
   * Per pod, how old its latest scrape was at the sync (seconds): Prometheus scrapes each target
   * at a phase of its own. Absent when Prometheus did not answer.
   */
  sampleAges?: Record<string, number>;
  decision: HpaDecision;
  explanation: string;
}

/**
 * The run's figures, defined as the reactive simulator defines them (the same fields of its
 * summary). `failed` counts 503/429, other errors and requests with no pod ready.
 */
export type LoopSummary = Pick<
  ReactiveReport['results'][number]['summary'],
  | 'sloViolationSeconds'
  | 'failed'
  | 'offered'
  | 'replicaSeconds'
  | 'scaleEvents'
  | 'maxReplicas'
  | 'finalReplicas'
  | 'timeToFirstScaleUp'
  | 'recoverySeconds'
  | 'p95'
  | 'p99'
>;

/** Everything a run recorded. */
export interface ClosedLoopTrace {
  settings: {
    slo: LatencySlo;
    syncPeriodSeconds: number;
    scrapeIntervalSeconds: number;
    startupDelaySeconds: number;
    warmupSeconds: number;
    stepAt: number;
    podEnv: Record<string, string>;
    hpa: string;
  };
  seconds: LoopSecond[];
  syncs: LoopSync[];
  pods: {
    name: string;
    createdAt: number;
    readyAt?: number;
    terminatingAt?: number;
    goneAt?: number;
    /** Why it failed (did not start, or its process exited on its own), with its last output. */
    failure?: string;
  }[];
  /** Failed requests by why: the HTTP status (`"503"`) or the generator's error (`"connection"`). */
  failedBy: Record<string, number>;
  summary: LoopSummary;
}

/** The nearest-rank quantile of ascending values (`percentile`), none of no values. */
function quantile(sorted: readonly number[], q: number): number | undefined {
  return sorted.length > 0 ? percentile(sorted, q) : undefined;
}

/** The time the rate first rises (the load step). */
function firstRise(load: RateTrace): number {
  const points = load.points;
  for (let i = 1; i < points.length; i++) {
    if ((points[i]?.rps ?? 0) > (points[i - 1]?.rps ?? 0)) return points[i]?.time ?? 0;
  }
  return points[0]?.time ?? 0;
}

function metricNames(hpa: HorizontalPodAutoscaler): string[] {
  return (hpa.spec.metrics ?? []).flatMap((m) =>
    m.type === 'Pods' && m.pods ? [m.pods.metric.name] : [],
  );
}

/** A pod count sampled each second of the run. */
interface PodSample {
  time: number;
  replicas: number;
  ready: number;
  pods: number;
}

/** Samples the pods every second and, with `onTick`, reports the loop's state for a live view. */
function startTicker(loop: {
  replicaSet: LocalReplicaSet;
  now: () => number;
  podSamples: PodSample[];
  results: readonly RequestResult[];
  warmupSeconds: number;
  start: number;
  traceRate: (t: number) => number;
  generator: { inFlight(): number };
  onTick?: ((tick: LoopTick) => void) | undefined;
}): NodeJS.Timeout {
  const {
    replicaSet,
    now,
    podSamples,
    results,
    warmupSeconds,
    start,
    traceRate,
    generator,
    onTick,
  } = loop;
  return setInterval(() => {
    const t = now();
    const pods = replicaSet.pods;
    const sample = {
      time: Math.floor(t),
      replicas: replicaSet.replicas,
      ready: pods.filter((p) => p.state === 'ready').length,
      pods: pods.length,
    };
    podSamples.push(sample);
    if (onTick) {
      const lastSecond = Math.floor(t) - 1;
      const mine = results.filter(
        (r) => Math.floor(r.intendedMs / 1000 - warmupSeconds + start) === lastSecond,
      );
      const latencies = mine
        .map((r) => (r.status !== null && r.status < 300 ? r.latencyMs / 1000 : Infinity))
        .sort((a, b) => a - b);
      const p95 = quantile(latencies, 0.95);
      onTick({
        ...sample,
        time: t,
        offeredRps: t < 0 ? traceRate(start) : traceRate(start + t),
        inFlight: generator.inFlight(),
        last: {
          time: lastSecond,
          sent: mine.length,
          ...(p95 === undefined ? {} : { p95 }),
          failed: latencies.filter((l) => l === Infinity).length,
        },
      });
    }
  }, 1000);
}

/**
 * How old each pod's latest scrape is now: `timestamp(up)` is the time of a target's last scrape.
 * Undefined when Prometheus does not answer (the sync goes on without it).
 */
async function sampleAges(
  client: PrometheusClient,
  namespace: string,
): Promise<Record<string, number> | undefined> {
  const now = Date.now() / 1000;
  const result = await client
    .query(`timestamp(up{namespace="${namespace}"})`, { time: now })
    .catch(() => undefined);
  if (result?.resultType !== 'vector') return undefined;
  return Object.fromEntries(
    result.result.flatMap((sample) =>
      sample.metric.pod !== undefined && Number.isFinite(sample.value)
        ? [[sample.metric.pod, Math.round((now - sample.value) * 1000) / 1000]]
        : [],
    ),
  );
}

/** One HPA sync: collect the live pods' metrics through the adapter rules, decide, scale. */
async function syncOnce(sync: {
  client: PrometheusClient;
  rules: readonly AdapterRule[];
  namespace: string;
  names: string[];
  replicaSet: LocalReplicaSet;
  controller: HpaController;
  /** Loop seconds now. */
  time: number;
  /** Trace seconds the HPA decides at: the sync's scheduled time. */
  hpaTime: number;
  start: number;
}): Promise<LoopSync> {
  const { client, rules, namespace, names, replicaSet, controller, time, hpaTime, start } = sync;
  const live = replicaSet.pods.filter((p) => p.state !== 'terminating');
  const ages = sampleAges(client, namespace);
  // A failed collection is what the HPA sees when the metrics API fails: no values.
  const collection: Collection = await collectAdapterMetrics({
    client,
    rules,
    namespace,
    metrics: names,
    pods: live.map((p) => p.name),
  }).catch((error: Error) => ({
    pods: [],
    metrics: Object.fromEntries(
      names.map((name) => [name, { metric: name, values: {}, error: error.message }]),
    ),
  }));
  const values: Record<string, Record<string, number>> = {};
  const errors: Record<string, string> = {};
  const input: Record<string, Record<string, number>> = {};
  for (const name of names) {
    const entry = collection.metrics[name];
    const finite: Record<string, number> = Object.fromEntries(
      Object.entries(entry?.values ?? {}).filter(([, v]) => Number.isFinite(v)),
    );
    values[name] = finite;
    if (entry?.error) errors[name] = entry.error;
    if (Object.keys(finite).length > 0) input[name] = finite;
  }
  const pods: PodInfo[] = live.map((p) => ({
    name: p.name,
    phase: p.state === 'ready' ? 'Running' : 'Pending',
  }));
  // The HPA's clock is the sync's scheduled time (as in the simulator): the few ms a sleep
  // overshoots must not decide whether a scale event 60 s ago is still inside a 60 s policy
  // period, which would shift every later scale-up by a whole sync.
  const decision = controller.sync({
    time: hpaTime,
    currentReplicas: replicaSet.replicas,
    statusReplicas: live.length,
    pods,
    metrics: input,
  });
  if (decision.scaled) replicaSet.scaleTo(decision.desiredReplicas);
  const agesRead = await ages;
  return {
    time: start + time,
    pods: replicaSet.pods.map((p) => ({ name: p.name, state: p.state })),
    values,
    errors,
    ...(agesRead ? { sampleAges: agesRead } : {}),
    decision,
    explanation: describeDecision(decision),
  };
}

/** One second's figures from its requests (by intended send time) and the pods sampled in it. */
function figuresOfSecond(
  i: number,
  mine: readonly RequestResult[],
  run: { start: number; slo: LatencySlo; podSamples: readonly PodSample[] },
  failedBy: Record<string, number>,
): { second: LoopSecond; latencies: number[] } {
  const { start, slo, podSamples } = run;
  const ok: RequestResult[] = [];
  let rejected = 0;
  for (const r of mine) {
    if (r.status !== null && r.status >= 200 && r.status < 300) {
      ok.push(r);
      continue;
    }
    if (r.status === 503 || r.status === 429) rejected++;
    const why = r.status === null ? (r.error ?? 'no answer') : String(r.status);
    failedBy[why] = (failedBy[why] ?? 0) + 1;
  }
  const errors = mine.length - ok.length - rejected;
  const latencies = [
    ...ok.map((r) => r.latencyMs / 1000),
    ...Array.from({ length: rejected + errors }, () => Number.POSITIVE_INFINITY),
  ].sort((a, b) => a - b);
  const mean =
    ok.length > 0 ? ok.reduce((s, r) => s + r.latencyMs / 1000, 0) / ok.length : undefined;
  const value =
    slo.statistic === 'mean'
      ? rejected + errors > 0
        ? Number.POSITIVE_INFINITY
        : mean
      : quantile(latencies, Number(slo.statistic.slice(1)) / 100);
  const sample = podSamples.find((s) => s.time === i) ?? podSamples.find((s) => s.time > i);
  const second: LoopSecond = {
    time: start + i,
    offeredRps: mine.length,
    replicas: sample?.replicas ?? 0,
    ready: sample?.ready ?? 0,
    pods: sample?.pods ?? 0,
    rejected,
    errors,
    violation: value !== undefined && value > slo.seconds,
  };
  const p50 = quantile(latencies, 0.5);
  const p95 = quantile(latencies, 0.95);
  const p99 = quantile(latencies, 0.99);
  if (p50 !== undefined) second.p50 = p50;
  if (p95 !== undefined) second.p95 = p95;
  if (p99 !== undefined) second.p99 = p99;
  if (mean !== undefined) second.mean = mean;
  return { second, latencies };
}

/**
 * The run's figures from what it recorded: per second by intended send time, the failures by why,
 * and the summary (the timeline's figures are autoscale's `timelineFigures`, as the simulator's).
 */
function loopFigures(run: {
  results: readonly RequestResult[];
  podSamples: readonly PodSample[];
  syncs: readonly LoopSync[];
  start: number;
  end: number;
  warmupSeconds: number;
  slo: LatencySlo;
  stepAt: number;
  /** The HPA's `minReplicas` (default 1). */
  minReplicas: number;
}): Pick<ClosedLoopTrace, 'seconds' | 'failedBy' | 'summary'> {
  const { results, syncs, start, end, warmupSeconds, stepAt, minReplicas } = run;
  const total = Math.round(end - start);
  const buckets: RequestResult[][] = Array.from({ length: total }, () => []);
  for (const r of results) {
    const second = Math.floor(r.intendedMs / 1000 - warmupSeconds);
    if (second >= 0 && second < total) buckets[second]?.push(r);
  }
  const seconds: LoopSecond[] = [];
  const all: number[] = [];
  const failedBy: Record<string, number> = {};
  const summary: LoopSummary = {
    sloViolationSeconds: 0,
    failed: 0,
    offered: 0,
    replicaSeconds: 0,
    scaleEvents: syncs.filter((s) => s.decision.scaled).length,
    maxReplicas: Math.max(minReplicas, ...syncs.map((s) => s.decision.desiredReplicas)),
    finalReplicas: syncs[syncs.length - 1]?.decision.desiredReplicas ?? minReplicas,
  };
  for (let i = 0; i < total; i++) {
    const mine = buckets[i] ?? [];
    const { second, latencies } = figuresOfSecond(i, mine, run, failedBy);
    all.push(...latencies);
    seconds.push(second);
    summary.failed += second.rejected + second.errors;
    summary.offered += mine.length;
  }
  all.sort((a, b) => a - b);
  const p95 = quantile(all, 0.95);
  const p99 = quantile(all, 0.99);
  if (p95 !== undefined) summary.p95 = p95;
  if (p99 !== undefined) summary.p99 = p99;
  const firstUp = syncs.find(
    (s) =>
      s.time >= stepAt &&
      s.decision.scaled &&
      s.decision.desiredReplicas > s.decision.currentReplicas,
  );
  if (firstUp) summary.timeToFirstScaleUp = firstUp.time - stepAt;
  const figures = timelineFigures(seconds, stepAt);
  summary.sloViolationSeconds = figures.sloViolationSeconds;
  summary.replicaSeconds = figures.replicaSeconds;
  if (figures.recoverySeconds !== undefined) summary.recoverySeconds = figures.recoverySeconds;
  return { seconds, failedBy, summary };
}

/** Every sync of the run, on schedule from the trace's start, until its end or `signal` aborts. */
async function runSyncs(loop: {
  client: PrometheusClient;
  rules: readonly AdapterRule[];
  namespace: string;
  names: string[];
  replicaSet: LocalReplicaSet;
  controller: HpaController;
  now: () => number;
  start: number;
  end: number;
  syncPeriodSeconds: number;
  syncs: LoopSync[];
  onSync?: ((sync: LoopSync) => void) | undefined;
  signal?: AbortSignal | undefined;
}): Promise<void> {
  const { now, start, end, syncPeriodSeconds, syncs, onSync, signal } = loop;
  const aborted = new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  for (let sync = 0; start + sync * syncPeriodSeconds < end && !signal?.aborted; sync++) {
    const at = sync * syncPeriodSeconds;
    await Promise.race([sleep(Math.max(0, (at - now()) * 1000)), aborted]);
    if (signal?.aborted) break;
    const record = await syncOnce({ ...loop, time: now(), hpaTime: start + at });
    syncs.push(record);
    onSync?.(record);
  }
}

/** Every pod the run had, its times in trace seconds. */
function podTimeline(replicaSet: LocalReplicaSet, start: number): ClosedLoopTrace['pods'] {
  return replicaSet.allPods.map(({ name, createdAt, readyAt, terminatingAt, goneAt, failure }) => ({
    name,
    createdAt: start + createdAt,
    ...(readyAt === undefined ? {} : { readyAt: start + readyAt }),
    ...(terminatingAt === undefined ? {} : { terminatingAt: start + terminatingAt }),
    ...(goneAt === undefined ? {} : { goneAt: start + goneAt }),
    ...(failure === undefined ? {} : { failure }),
  }));
}

/** The options with their defaults, and what follows from the trace. */
function loopSettings(options: ClosedLoopOptions) {
  const {
    load,
    hpa,
    podEnv,
    slo = { statistic: 'p95', seconds: 0.2 },
    syncPeriodSeconds = 15,
    scrapeIntervalSeconds = 5,
    startupDelaySeconds = 30,
    warmupSeconds = 60,
    requestTimeoutSeconds = 60,
    body = predictBody(),
    namespace = 'closed-loop',
  } = options;
  const start = load.points[0]?.time ?? 0;
  const end = load.points[load.points.length - 1]?.time ?? 0;
  if (!(end > start)) throw new Error('the load trace must span some time');
  return {
    ...options,
    slo,
    syncPeriodSeconds,
    scrapeIntervalSeconds,
    startupDelaySeconds,
    warmupSeconds,
    requestTimeoutSeconds,
    body,
    namespace,
    start,
    end,
    stepAt: options.stepAt ?? firstRise(load),
    names: metricNames(hpa),
    traceRate: rateFromTrace(load.points.map((p) => ({ atSeconds: p.time, rps: p.rps }))),
    env: { SHUTDOWN_DELAY_SECONDS: '0', SHUTDOWN_DRAIN_SECONDS: '3', ...podEnv },
  };
}

type LoopSettings = ReturnType<typeof loopSettings>;

/** The replica set of model servers; Prometheus (once started) scrapes the pods that have started. */
function startReplicaSet(
  { env, startupDelaySeconds, namespace, onPodFailure }: LoopSettings,
  now: () => number,
  prometheus: () => RunningPrometheus | undefined,
): LocalReplicaSet {
  const replicaSet = new LocalReplicaSet({
    env,
    startupDelaySeconds,
    now,
    ...(onPodFailure ? { onError: (_pod: unknown, error: Error) => onPodFailure(error) } : {}),
    onChange: () =>
      prometheus()?.setTargets(
        replicaSet.pods.flatMap((p) =>
          p.server && p.state !== 'starting'
            ? [{ address: `127.0.0.1:${p.server.port}`, labels: { namespace, pod: p.name } }]
            : [],
        ),
      ),
  });
  return replicaSet;
}

/** Starts the HPA's initial replicas (`initialReplicas` within min and max) and waits for their scrape. */
async function startInitialPods(
  { hpa, initialReplicas }: LoopSettings,
  replicaSet: LocalReplicaSet,
  prometheus: RunningPrometheus,
): Promise<void> {
  const initial = Math.min(
    hpa.spec.maxReplicas,
    Math.max(hpa.spec.minReplicas ?? 1, initialReplicas ?? hpa.spec.minReplicas ?? 1),
  );
  await replicaSet.startInitial(initial);
  replicaSet.scaleTo(initial);
  await prometheus.waitForTargets();
}

/**
 * Drives the loop: pods, Prometheus, the load through the warm-up and the trace, an HPA sync every
 * period. Returns what it recorded; everything it started is stopped, also on failure.
 */
async function driveLoop(run: LoopSettings): Promise<{
  syncs: LoopSync[];
  results: RequestResult[];
  podSamples: PodSample[];
  replicaSet: LocalReplicaSet;
}> {
  const { start, end, warmupSeconds, traceRate } = run;
  // The clock: trace seconds, negative during the warm-up.
  let origin = performance.now() / 1000;
  const now = () => performance.now() / 1000 - origin;

  let prometheus: RunningPrometheus | undefined;
  const replicaSet = startReplicaSet(run, now, () => prometheus);
  const syncs: LoopSync[] = [];
  const results: RequestResult[] = [];
  const podSamples: PodSample[] = [];
  try {
    prometheus = await startPrometheus({ scrapeInterval: `${run.scrapeIntervalSeconds}s` });
    await startInitialPods(run, replicaSet, prometheus);
    const client = new PrometheusClient({ url: prometheus.url });
    const controller = new HpaController(run.hpa, run.controller);

    origin = performance.now() / 1000 + warmupSeconds;
    for (const pod of replicaSet.pods) {
      pod.createdAt = -warmupSeconds;
      pod.readyAt = -warmupSeconds;
    }
    const generator = startOpenLoop({
      targets: () => replicaSet.endpoints(),
      body: run.body,
      rate: (t) => (t < warmupSeconds ? traceRate(start) : traceRate(start + t - warmupSeconds)),
      durationSeconds: warmupSeconds + (end - start),
      timeoutMs: run.requestTimeoutSeconds * 1000,
      onResult: (r) => results.push(r),
    });
    const ticker = startTicker({ ...run, replicaSet, now, podSamples, results, generator });
    try {
      await runSyncs({ ...run, client, replicaSet, controller, now, syncs });
      if (run.signal?.aborted) generator.stop();
      await generator.done;
    } finally {
      clearInterval(ticker);
      generator.stop();
    }
  } finally {
    await replicaSet.close();
    await prometheus?.stop();
  }
  return { syncs, results, podSamples, replicaSet };
}

/**
 * Runs the closed loop (see the module comment) and returns what it recorded. Everything it
 * starts is stopped before it returns, also on failure.
 *
 * @param options - trace, HPA, adapter rules, pods, timings
 * @throws Error when Prometheus or the first pods cannot start
 */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopTrace> {
  const run = loopSettings(options);
  const { slo, start, warmupSeconds, stepAt, hpa } = run;
  const { syncs, results, podSamples, replicaSet } = await driveLoop(run);
  const { seconds, failedBy, summary } = loopFigures({
    results,
    podSamples,
    syncs,
    start,
    end: run.end,
    warmupSeconds,
    slo,
    stepAt,
    minReplicas: hpa.spec.minReplicas ?? 1,
  });

  return {
    settings: {
      slo,
      syncPeriodSeconds: run.syncPeriodSeconds,
      scrapeIntervalSeconds: run.scrapeIntervalSeconds,
      startupDelaySeconds: run.startupDelaySeconds,
      warmupSeconds,
      stepAt,
      podEnv: run.env,
      hpa: hpa.metadata?.name ?? 'hpa',
    },
    seconds,
    syncs,
    pods: podTimeline(replicaSet, start),
    failedBy,
    summary,
  };
}
