/**
 * Prediction against reality: a reactive simulation (`mlscale simulate --profile --json`) and a
 * closed-loop run of the same trace and HPA, compared figure by figure against agreement bounds
 * stated before the run.
 */
import type { ClosedLoopTrace } from './run.js';

/** The parts of `simulate --profile --json`'s report this comparison reads (one config). */
export interface SimulatedRun {
  summary: {
    sloViolationSeconds: number;
    replicaSeconds: number;
    recoverySeconds?: number;
    timeToFirstScaleUp?: number;
    maxReplicas: number;
    failed: number;
  };
  seconds: { time: number; p95?: number | null; replicas: number }[];
  syncs: { time: number; replicas: number }[];
}

/** The agreement bounds, stated before any run. */
export const AGREEMENT_BOUNDS = {
  /** Replicas after every sync from the first scale-up on: within ±1. */
  replicas: 1,
  /** Seconds in SLO violation: within ±30 % of the closed loop's, or ±5 s when that is small. */
  violationShare: 0.3,
  violationSlackSeconds: 5,
  /** p95 per phase (the median of the phase's per-second p95): within ±25 %. */
  p95Share: 0.25,
} as const;

/** A phase of the trace: [from, to) seconds. */
export interface Phase {
  name: string;
  from: number;
  to: number;
}

/** One compared figure. */
export interface Agreement {
  figure: string;
  simulated: number | undefined;
  measured: number | undefined;
  /** The bound, in words. */
  bound: string;
  ok: boolean;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** The median over a phase of the per-second p95 (failures count as infinitely slow). */
export function phaseP95(
  seconds: readonly { time: number; p95?: number | null }[],
  phase: Phase,
): number | undefined {
  return median(
    seconds
      .filter((s) => s.time >= phase.from && s.time < phase.to && s.p95 !== undefined)
      .map((s) => (s.p95 === null ? Number.POSITIVE_INFINITY : (s.p95 as number))),
  );
}

/**
 * Compares a simulation with a closed-loop run of the same trace and HPA.
 *
 * @param simulated - one config of `simulate --profile --json`
 * @param measured - the closed loop's record
 * @param phases - the trace's phases (before the step, held, after)
 * @returns one line per figure, each with its bound and whether it holds
 */
export function compareRuns(
  simulated: SimulatedRun,
  measured: ClosedLoopTrace,
  phases: readonly Phase[],
): Agreement[] {
  const out: Agreement[] = [];
  const b = AGREEMENT_BOUNDS;
  // Replicas after each sync, from the first scale-up (in either) on, paired by sync time.
  const firstUp = Math.min(
    simulated.syncs.find((s, i) => i > 0 && s.replicas > (simulated.syncs[i - 1]?.replicas ?? 0))
      ?.time ?? Number.POSITIVE_INFINITY,
    measured.syncs.find((s) => s.decision.desiredReplicas > s.decision.currentReplicas)?.time ??
      Number.POSITIVE_INFINITY,
  );
  let worst = 0;
  let pairs = 0;
  for (const sync of measured.syncs) {
    if (sync.time < firstUp - 1) continue;
    const twin = simulated.syncs.find((s) => Math.abs(s.time - sync.time) < 2);
    if (!twin) continue;
    pairs++;
    worst = Math.max(worst, Math.abs(twin.replicas - sync.decision.desiredReplicas));
  }
  out.push({
    figure: `replicas after each of ${pairs} syncs from the first scale-up (largest difference)`,
    simulated: undefined,
    measured: worst,
    bound: `≤ ${b.replicas}`,
    ok: pairs > 0 && worst <= b.replicas,
  });
  const sim = simulated.summary.sloViolationSeconds;
  const real = measured.summary.sloViolationSeconds;
  out.push({
    figure: 'seconds in SLO violation',
    simulated: sim,
    measured: real,
    bound: `±${b.violationShare * 100} % (or ±${b.violationSlackSeconds} s)`,
    ok: Math.abs(sim - real) <= Math.max(b.violationShare * real, b.violationSlackSeconds),
  });
  for (const phase of phases) {
    const s = phaseP95(simulated.seconds, phase);
    const m = phaseP95(measured.seconds, phase);
    const ok =
      s !== undefined &&
      m !== undefined &&
      (s === m || (Number.isFinite(m) && Math.abs(s - m) <= b.p95Share * m));
    out.push({
      figure: `p95 ${phase.name} (median of per-second p95, s)`,
      simulated: s,
      measured: m,
      bound: `±${b.p95Share * 100} %`,
      ok,
    });
  }
  out.push({
    figure: 'replica-seconds (not bounded: for reading)',
    simulated: simulated.summary.replicaSeconds,
    measured: measured.summary.replicaSeconds,
    bound: '-',
    ok: true,
  });
  return out;
}

/** The comparison as an aligned text table. */
export function formatAgreement(name: string, rows: readonly Agreement[]): string {
  const cell = (v: number | undefined) =>
    v === undefined ? '-' : Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : 'inf';
  const table = [
    ['figure', 'simulated', 'closed loop', 'bound', ''],
    ...rows.map((r) => [
      r.figure,
      cell(r.simulated),
      cell(r.measured),
      r.bound,
      r.ok ? 'ok' : 'OUT',
    ]),
  ];
  const widths =
    table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
  return [
    `== ${name}`,
    ...table.map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    ),
  ].join('\n');
}
