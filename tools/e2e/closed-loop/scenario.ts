/**
 * The closed loop's standard scenario, shared by the demo, the end-to-end suite and the benchmark:
 * pods on the emulated device (capacity fixed by their settings, not by this machine's CPUs), the
 * step trace of issue 11 (1× one pod's capacity, a step to 4×, held, back), and the adapter rules
 * and HPAs from infra/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AdapterRule, parseAdapterValues } from '@mlscale/autoscale';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { REPO_ROOT } from '@mlscale/testkit';
import { parse } from 'yaml';
import type { Phase } from './compare.js';
import type { ClosedLoopTrace, RateTrace } from './run.js';

/**
 * An emulated pod: 40 ms per request on one worker (no batching): 25 req/s. Small on purpose: at
 * 4× on several pods the whole loop stays far below what this machine's CPUs carry, so the pods'
 * capacity is their device's, not the host's.
 */
export const EMULATED_POD = {
  env: {
    WORKERS: '1',
    ORT_INTRA_OP_THREADS: '1',
    BATCH_MAX_SIZE: '1',
    EMULATED_DEVICE_MS: '40',
  },
  /** What its settings imply it serves flat out, req/s. */
  impliedCapacityRps: 25,
};

/** The guide's load-test body (5 features, zero-padded by /predict): little HTTP work per request. */
export const SMALL_BODY = JSON.stringify({ features: [0.1, 0.2, 0.3, 0.4, 0.5] });

/** When the step comes, how long 4× is held, how long 1× follows (seconds). */
export interface StepTimings {
  stepAt: number;
  holdSeconds: number;
  afterSeconds: number;
}

/** The default step: 30 s at 1×, 120 s at 4×, 60 s at 1×. */
const STEP_TIMINGS: StepTimings = { stepAt: 30, holdSeconds: 120, afterSeconds: 60 };

/**
 * The step trace: `capacity` req/s (1×) until `stepAt`, then 4× for `holdSeconds`, then 1× for
 * `afterSeconds`.
 */
export function stepTrace(capacity: number, timings: Partial<StepTimings> = {}): RateTrace {
  const { stepAt, holdSeconds, afterSeconds } = { ...STEP_TIMINGS, ...timings };
  return {
    points: [
      { time: 0, rps: capacity },
      { time: stepAt, rps: 4 * capacity },
      { time: stepAt + holdSeconds, rps: capacity },
      { time: stepAt + holdSeconds + afterSeconds, rps: capacity },
    ],
  };
}

/** The three phases of {@link stepTrace} with the same timings, for the agreement table. */
export function stepPhases(timings: Partial<StepTimings> = {}): Phase[] {
  const { stepAt, holdSeconds, afterSeconds } = { ...STEP_TIMINGS, ...timings };
  return [
    { name: 'before the step', from: 0, to: stepAt },
    { name: 'held at 4x', from: stepAt, to: stepAt + holdSeconds },
    { name: 'back at 1x', from: stepAt + holdSeconds, to: stepAt + holdSeconds + afterSeconds },
  ];
}

/** The trace as `simulate --profile --load` reads it (`time,rps`). */
export function formatLoadCsv(trace: RateTrace): string {
  return `time,rps\n${trace.points.map((p) => `${p.time},${p.rps}`).join('\n')}\n`;
}

/** prometheus-adapter's `rules.custom` from infra/. */
export function infraRules(): readonly AdapterRule[] {
  return adapterRules(join(REPO_ROOT, 'infra/helm/prometheus-adapter-values.yaml'));
}

/** The `rules.custom` of a prometheus-adapter values file (`mlscale plan -o` writes one). */
export function adapterRules(file: string): readonly AdapterRule[] {
  const values = parseAdapterValues(readFileSync(file, 'utf8'));
  if (!values.ok) throw new Error(`${file}: ${values.error}`);
  return values.value.custom;
}

/** An HPA manifest from the repository (e.g. `infra/base/hpa.yaml`). */
export function readHpa(relative: string): HorizontalPodAutoscaler {
  return parse(readFileSync(join(REPO_ROOT, relative), 'utf8')) as HorizontalPodAutoscaler;
}

/** A run's seconds as CSV (time, offered, replicas, ready, pods, p50, p95, p99, failures). */
export function formatSecondsCsv(trace: ClosedLoopTrace): string {
  const cell = (v: number | undefined) =>
    v === undefined ? '' : Number.isFinite(v) ? v.toFixed(4) : 'Inf';
  const rows = trace.seconds.map((s) =>
    [
      s.time,
      s.offeredRps,
      s.replicas,
      s.ready,
      s.pods,
      cell(s.p50),
      cell(s.p95),
      cell(s.p99),
      s.rejected,
      s.errors,
      s.violation ? 1 : 0,
    ].join(','),
  );
  return `time,offered,replicas,ready,pods,p50,p95,p99,rejected,errors,violation\n${rows.join('\n')}\n`;
}

/** Writes a run's full record (JSON) and its seconds (CSV) under `dir`, named `name.*`. */
export function writeTrace(dir: string, name: string, trace: ClosedLoopTrace): string[] {
  const json = join(dir, `${name}.json`);
  const csv = join(dir, `${name}.seconds.csv`);
  writeFileSync(json, `${JSON.stringify(trace, null, 1)}\n`);
  writeFileSync(csv, formatSecondsCsv(trace));
  return [json, csv];
}
