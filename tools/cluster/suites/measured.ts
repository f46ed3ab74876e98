/**
 * A step run on the control plane as the closed loop's record (tools/e2e/closed-loop), so that the
 * e2e comparison with `simulate --profile --load` reads it unchanged: per second by intended send
 * time (requests, latency with failures as infinitely slow, the p95 against the SLO, the pods that
 * exist), the real HPA's syncs (its decisions), the pods' start-up, and the summary as the
 * reactive simulator defines it.
 */

import { type PrometheusClient, timelineFigures } from '@mlscale/autoscale';
import { sampleAgesAt } from '@mlscale/e2e/closed-loop/compare.js';
import type { ClosedLoopTrace, LoopSecond, LoopSync } from '@mlscale/e2e/closed-loop/run.js';
import type { HpaDecision } from '@mlscale/hpa';
import type { StepRun } from './step-scenario.js';

const SLO_SECONDS = 0.2;

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** One second of the run, by intended send time; `failedBy` counts its failures by kind. */
function secondOf(run: StepRun, i: number, failedBy: Record<string, number>): LoopSecond {
  const mine = run.results.filter((r) => r.t >= i && r.t < i + 1);
  const ok = mine.filter((r) => r.status !== null && r.status >= 200 && r.status < 300);
  const rejected = mine.filter((r) => r.status === 503 || r.status === 429).length;
  for (const r of mine) {
    if (r.status !== null && r.status >= 200 && r.status < 300) continue;
    const why = r.status === null ? (r.error ?? 'no answer') : String(r.status);
    failedBy[why] = (failedBy[why] ?? 0) + 1;
  }
  const latencies = [
    ...ok.map((r) => r.latencyMs / 1000),
    ...Array.from({ length: mine.length - ok.length }, () => Number.POSITIVE_INFINITY),
  ].sort((a, b) => a - b);
  const exists = run.pods.filter((p) => p.created <= i && (p.gone === undefined || p.gone > i));
  const ready = exists.filter(
    (p) => p.ready !== undefined && p.ready <= i && (p.deleting === undefined || p.deleting > i),
  );
  const p95 = quantile(latencies, 0.95);
  const second: LoopSecond = {
    time: i,
    offeredRps: mine.length,
    replicas: exists.filter((p) => p.deleting === undefined || p.deleting > i).length,
    ready: ready.length,
    pods: exists.length,
    rejected,
    errors: mine.length - ok.length - rejected,
    violation: p95 !== undefined && p95 > SLO_SECONDS,
  };
  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  if (p50 !== undefined) second.p50 = p50;
  if (p95 !== undefined) second.p95 = p95;
  if (p99 !== undefined) second.p99 = p99;
  return second;
}

/** The real HPA's syncs that decided on metric values, as the loop's syncs on the trace clock. */
function syncsOf(run: StepRun): LoopSync[] {
  return run.syncs
    .filter((s) => Object.keys(s.averages).length > 0)
    .map((s) => ({
      time: (s.seenAt - run.t0) / 1000,
      pods: [],
      values: {},
      errors: {},
      decision: {
        ...s.port,
        desiredReplicas: s.real,
        currentReplicas: s.currentReplicas,
        scaled: s.real !== s.currentReplicas,
      } as HpaDecision,
      explanation: `real HPA ${s.currentReplicas} → ${s.real}`,
    }))
    .filter((s) => s.time >= 0 && s.time < run.end);
}

/** The run's summary: the timeline's figures as the simulator counts them, and the syncs'. */
function summaryOf(
  run: StepRun,
  seconds: readonly LoopSecond[],
  syncs: readonly LoopSync[],
): ClosedLoopTrace['summary'] {
  const offered = seconds.reduce((sum, s) => sum + s.offeredRps, 0);
  const failed = seconds.reduce((sum, s) => sum + s.rejected + s.errors, 0);
  const summary: ClosedLoopTrace['summary'] = {
    ...timelineFigures(seconds, run.stepAt),
    failed,
    offered,
    scaleEvents: syncs.filter((s) => s.decision.scaled).length,
    maxReplicas: Math.max(...syncs.map((s) => s.decision.desiredReplicas)),
    finalReplicas: syncs.at(-1)?.decision.desiredReplicas ?? 0,
  };
  const firstUp = syncs.find(
    (s) => s.time >= run.stepAt && s.decision.desiredReplicas > s.decision.currentReplicas,
  );
  if (firstUp) summary.timeToFirstScaleUp = firstUp.time - run.stepAt;
  return summary;
}

/** The run as a closed-loop record (the fields the comparison reads, and the ones it prints). */
export function asClosedLoopTrace(run: StepRun): ClosedLoopTrace {
  const failedBy: Record<string, number> = {};
  const seconds = Array.from({ length: Math.floor(run.end) }, (_, i) => secondOf(run, i, failedBy));
  const syncs = syncsOf(run);
  return {
    settings: {
      slo: { statistic: 'p95', seconds: SLO_SECONDS },
      syncPeriodSeconds: 15,
      scrapeIntervalSeconds: 5,
      startupDelaySeconds: 0,
      warmupSeconds: 0,
      stepAt: run.stepAt,
      podEnv: {},
      hpa: run.hpa.metadata?.name ?? 'hpa',
    },
    seconds,
    syncs,
    pods: run.pods.map((p) => ({
      name: p.name,
      createdAt: p.created,
      ...(p.ready === undefined ? {} : { readyAt: p.ready }),
      ...(p.deleting === undefined ? {} : { terminatingAt: p.deleting }),
      ...(p.gone === undefined ? {} : { goneAt: p.gone }),
    })),
    failedBy,
    summary: summaryOf(run, seconds, syncs),
  } as ClosedLoopTrace;
}

/**
 * When Prometheus scraped each pod of the namespace during the run (trace seconds): the raw
 * samples of `up`, whose timestamps are the scrapes' times.
 *
 * @param client - the cluster's Prometheus
 * @param run - the run (its clock and end)
 * @param namespace - the run's namespace
 * @returns per pod, its scrape times in order
 */
export async function scrapeTimes(
  client: PrometheusClient,
  run: StepRun,
  namespace: string,
): Promise<Record<string, number[]>> {
  const endEpoch = run.t0 / 1000 + run.end;
  const result = await client.query(`up{namespace="${namespace}"}[${Math.ceil(run.end + 300)}s]`, {
    time: endEpoch,
  });
  if (result.resultType !== 'matrix') {
    throw new Error(`up[...] gave a ${result.resultType}, not the raw samples`);
  }
  return Object.fromEntries(
    result.result.flatMap((series) =>
      series.metric.pod === undefined
        ? []
        : [[series.metric.pod, series.values.map(([time]) => time - run.t0 / 1000)]],
    ),
  );
}

/**
 * The record's syncs with how old each pod's latest scrape was at them (`sampleAges`), as the
 * local loop records it at its syncs.
 *
 * @param trace - the run as a closed-loop record
 * @param scrapes - per pod, its scrape times (trace seconds)
 * @param intervalSeconds - the scrape interval
 * @returns the record, its syncs with `sampleAges`
 */
export function withSampleAges(
  trace: ClosedLoopTrace,
  scrapes: Record<string, readonly number[]>,
  intervalSeconds: number,
): ClosedLoopTrace {
  const syncs = trace.syncs.map((sync) => ({
    ...sync,
    sampleAges: sampleAgesAt(scrapes, sync.time, intervalSeconds),
  }));
  return { ...trace, syncs };
}
