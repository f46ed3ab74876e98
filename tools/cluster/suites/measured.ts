/**
 * A step run on the control plane as the closed loop's record (tools/e2e/closed-loop), so that the
 * e2e comparison with `simulate --profile --load` reads it unchanged: per second by intended send
 * time (requests, latency with failures as infinitely slow, the p95 against the SLO, the pods that
 * exist), the real HPA's syncs (its decisions), the pods' start-up, and the summary as the
 * reactive simulator defines it.
 */
import type { ClosedLoopTrace, LoopSecond, LoopSync } from '@mlscale/e2e/closed-loop/run.js';
import type { HpaDecision } from '@mlscale/hpa';
import type { StepRun } from './step-scenario.js';

const SLO_SECONDS = 0.2;

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The run as a closed-loop record (the fields the comparison reads, and the ones it prints). */
export function asClosedLoopTrace(run: StepRun): ClosedLoopTrace {
  const total = Math.floor(run.end);
  const seconds: LoopSecond[] = [];
  const failedBy: Record<string, number> = {};
  let sloViolationSeconds = 0;
  let failed = 0;
  let offered = 0;
  let replicaSeconds = 0;
  for (let i = 0; i < total; i++) {
    const mine = run.results.filter((r) => r.t >= i && r.t < i + 1);
    const ok = mine.filter((r) => r.status !== null && r.status >= 200 && r.status < 300);
    const rejected = mine.filter((r) => r.status === 503 || r.status === 429).length;
    for (const r of mine) {
      if (r.status !== null && r.status >= 200 && r.status < 300) continue;
      const why = r.status === null ? (r.error ?? 'no answer') : String(r.status);
      failedBy[why] = (failedBy[why] ?? 0) + 1;
    }
    const errors = mine.length - ok.length - rejected;
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
      errors,
      violation: p95 !== undefined && p95 > SLO_SECONDS,
    };
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    if (p50 !== undefined) second.p50 = p50;
    if (p95 !== undefined) second.p95 = p95;
    if (p99 !== undefined) second.p99 = p99;
    seconds.push(second);
    if (second.violation) sloViolationSeconds++;
    failed += mine.length - ok.length;
    offered += mine.length;
    replicaSeconds += second.pods;
  }
  const syncs: LoopSync[] = run.syncs
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
  const summary: ClosedLoopTrace['summary'] = {
    sloViolationSeconds,
    failed,
    offered,
    replicaSeconds,
    scaleEvents: syncs.filter((s) => s.decision.scaled).length,
    maxReplicas: Math.max(...syncs.map((s) => s.decision.desiredReplicas)),
    finalReplicas: syncs.at(-1)?.decision.desiredReplicas ?? 0,
  };
  const firstUp = syncs.find(
    (s) => s.time >= run.stepAt && s.decision.desiredReplicas > s.decision.currentReplicas,
  );
  if (firstUp) summary.timeToFirstScaleUp = firstUp.time - run.stepAt;
  const firstViolation = seconds.find((s) => s.time >= run.stepAt && s.violation);
  if (!firstViolation) summary.recoverySeconds = 0;
  else {
    const back = seconds.find((s) => s.time > firstViolation.time && !s.violation);
    if (back) summary.recoverySeconds = back.time - run.stepAt;
  }
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
    summary,
  } as ClosedLoopTrace;
}
