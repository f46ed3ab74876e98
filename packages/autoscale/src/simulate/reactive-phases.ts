/**
 * The reactive simulation over every sync phase: where the load step falls between two HPA syncs
 * decides up to a sync period of the reaction, so one run can favour either config by luck.
 */
import type { PodModel } from '../capacity/model.js';
import type { LoadTrace } from './load.js';
import {
  type ReactiveConfig,
  type ReactiveOptions,
  type ReactiveSummary,
  simulateReactive,
} from './reactive.js';

/** Mean, lowest and highest of a figure over the phases. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
}

/** A config's figures over every sync phase. */
export interface ReactivePhaseSummary {
  /** Config label. */
  name: string;
  /** Phases run: one per whole second of the sync period. */
  phases: number;
  sloViolationSeconds: Spread;
  /** Over the phases that came back under the SLO within the trace. */
  recoverySeconds?: Spread;
  /** Phases that did not come back under the SLO within the trace. */
  neverRecovered: number;
  timeToFirstScaleUp?: Spread;
  replicaSeconds: Spread;
  failed: Spread;
}

function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  return {
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/**
 * Runs {@link simulateReactive} with the first sync 0, 1, … (sync period − 1) s after the trace
 * starts, and summarises each config over those runs.
 *
 * @param pod - the pod model
 * @param load - the arrival-rate trace
 * @param configs - the HPAs
 * @param options - as for `simulateReactive`; `syncOffsetSeconds` is ignored
 * @returns one summary per config, in order
 * @example
 * sweepReactivePhases(pod, load, configs).map((p) => `${p.name}: ${p.sloViolationSeconds.mean} s`);
 */
export function sweepReactivePhases(
  pod: PodModel,
  load: LoadTrace,
  configs: readonly ReactiveConfig[],
  options: ReactiveOptions = {},
): ReactivePhaseSummary[] {
  const period = options.syncPeriodSeconds ?? 15;
  const offsets = Array.from({ length: Math.max(1, Math.floor(period)) }, (_, i) => i);
  const runs = offsets.map(
    (syncOffsetSeconds) =>
      simulateReactive(pod, load, configs, { ...options, syncOffsetSeconds }).results,
  );
  return configs.map((config, index) => {
    const summaries = runs.map((results) => results[index]?.summary as ReactiveSummary);
    const pick = (f: (s: ReactiveSummary) => number | undefined) =>
      summaries.map(f).filter((v): v is number => v !== undefined);
    const recovered = pick((s) => s.recoverySeconds);
    const up = pick((s) => s.timeToFirstScaleUp);
    const out: ReactivePhaseSummary = {
      name: config.name,
      phases: offsets.length,
      sloViolationSeconds: spread(pick((s) => s.sloViolationSeconds)) as Spread,
      neverRecovered: summaries.length - recovered.length,
      replicaSeconds: spread(pick((s) => s.replicaSeconds)) as Spread,
      failed: spread(pick((s) => s.failed)) as Spread,
    };
    const r = spread(recovered);
    if (r) out.recoverySeconds = r;
    const u = spread(up);
    if (u) out.timeToFirstScaleUp = u;
    return out;
  });
}

function range(s: Spread | undefined, digits = 0): string {
  if (!s) return '-';
  const f = (v: number) => v.toFixed(digits);
  return s.min === s.max ? f(s.mean) : `${f(s.mean)} (${f(s.min)}-${f(s.max)})`;
}

/**
 * The phase sweep as a text table: mean (lowest-highest) of each figure.
 *
 * @param phases - from {@link sweepReactivePhases}
 * @returns the table
 * @example
 * console.log(formatReactivePhaseTable(sweepReactivePhases(pod, load, configs)));
 */
export function formatReactivePhaseTable(phases: readonly ReactivePhaseSummary[]): string {
  const header = [
    'config',
    's over SLO: mean (min-max)',
    'back under SLO',
    'never back',
    'first scale-up',
    'replica-seconds',
    '503s',
  ];
  const rows = phases.map((p) => [
    p.name,
    range(p.sloViolationSeconds),
    range(p.recoverySeconds),
    `${p.neverRecovered}/${p.phases}`,
    range(p.timeToFirstScaleUp),
    range(p.replicaSeconds),
    range(p.failed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
