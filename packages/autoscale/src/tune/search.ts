/**
 * The search of `mlscale tune`: over every family of the space (headroom × scale-down window), a
 * bisection for the least minReplicas that keeps the seconds over the SLO within the budget (more
 * standing pods only cost more from there). Families are searched side by side, one
 * round of simulations at a time, on every worker. The answer is the configuration with the least
 * replica-seconds within the budget, the references (the guide's, the plan's) included; every configuration simulated is on the table, and the Pareto
 * front (none cheaper with fewer seconds over the SLO) is what is printed.
 */
import type { PodModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import type { LatencySlo } from '../capacity/slo.js';
import type { ForecastMethod } from '../forecast/signal.js';
import type { LoadTrace } from '../simulate/load.js';
import type { ReactiveOptions } from '../simulate/reactive.js';
import type { ConfigFiles, Evaluation } from './evaluate.js';
import type { SimulationPool } from './pool.js';
import {
  type Candidate,
  type ClusterTimings,
  candidateFiles,
  candidateLabel,
  candidatePlan,
  HEADROOMS,
  stabilizationWindows,
} from './space.js';

/** One configuration simulated. */
export interface Tried {
  /** Absent for the reference configurations (the guide's, the plan's). */
  candidate?: Candidate;
  files: ConfigFiles;
  result: Evaluation;
}

/** What the search found. */
export interface SearchResult {
  /** Every configuration simulated, references included. */
  tried: Tried[];
  /** The cheapest within the budget (undefined: none was). */
  chosen?: Tried;
  /** Seconds over the SLO allowed. */
  allowedSeconds: number;
  simulations: number;
}

/** What the search takes. */
export interface SearchInput {
  profile: CapacityProfile;
  pod: PodModel;
  load: LoadTrace;
  slo: LatencySlo;
  timings: ClusterTimings;
  /** Share of the trace's seconds allowed over the SLO (0.01 for 1 %). */
  budget: number;
  /** Configurations to compare against, simulated the same way. */
  references: ConfigFiles[];
  /** Sentence for the files' comments (window, budget). */
  why: string;
  pool: SimulationPool;
  /** The forecasts searched beside none (default none). */
  forecasts?: readonly ForecastMethod[];
  /** The period of a seasonal forecast (seconds). */
  forecastPeriodSeconds?: number;
  onProgress?: (done: number, total: number, round: number) => void;
}

/** The highest rate of a load (its binned peak). */
export function peakRate(load: LoadTrace): number {
  return Math.max(0, ...load.points.map((p) => p.rps));
}

/**
 * Configurations none of the others beats on both seconds over the SLO and replica-seconds,
 * cheapest first.
 *
 * @param tried - what was simulated
 * @returns the front
 */
export function paretoFront(tried: readonly Tried[]): Tried[] {
  const sorted = [...tried].sort(
    (a, b) =>
      a.result.replicaSeconds - b.result.replicaSeconds ||
      a.result.sloViolationSeconds - b.result.sloViolationSeconds,
  );
  const front: Tried[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const t of sorted) {
    if (t.result.sloViolationSeconds < best) {
      front.push(t);
      best = t.result.sloViolationSeconds;
    }
  }
  return front;
}

/**
 * Per family, a bisection for the least minReplicas within the budget: more standing pods only
 * lower the seconds over the SLO (and raise the replica-seconds), so the first feasible value is
 * the family's cheapest. `lo` is the least value not known to fail, `hi` the least known to pass
 * (max + 1 while none has).
 */
interface Family {
  headroom: number;
  window: number | undefined;
  forecast: ForecastMethod | undefined;
  lo: number;
  hi: number;
  max: number;
}

function familiesOf(input: SearchInput, peakRps: number): Family[] {
  const { pod, slo, timings } = input;
  const forecasts = [undefined, ...(input.forecasts ?? [])];
  return forecasts.flatMap((forecast) =>
    HEADROOMS.flatMap((headroom) =>
      stabilizationWindows(timings).map((window) => {
        const probe = candidatePlan(
          pod,
          { headroom, minReplicas: 1 },
          { slo, timings, peakRps, why: input.why },
        );
        const max = probe.maxReplicas.value;
        return { headroom, window, forecast, lo: 1, hi: max + 1, max };
      }),
    ),
  );
}

/**
 * Runs the search (see the module comment).
 *
 * @param input - profile, load, SLO, timings, budget, references and the pool
 * @returns every configuration tried and the chosen one
 */
export async function searchConfigurations(input: SearchInput): Promise<SearchResult> {
  const { pod, load, slo, timings } = input;
  const start = load.points[0]?.time ?? 0;
  const end = load.points[load.points.length - 1]?.time ?? 0;
  const allowedSeconds = Math.floor(input.budget * (end - start));
  const peakRps = peakRate(load) * 1.25;
  const options: Omit<ReactiveOptions, 'controller'> = {
    slo,
    startupDelaySeconds: timings.startupSeconds,
    syncPeriodSeconds: timings.syncPeriodSeconds,
    scrapeIntervalSeconds: timings.scrapeIntervalSeconds,
  };
  const job = (files: ConfigFiles) => ({ profile: input.profile, load, options, config: files });
  let simulations = 0;
  const run = async (files: ConfigFiles[], round: number) => {
    const results = await input.pool.run(files.map(job), (done, total) =>
      input.onProgress?.(simulations + done, simulations + total, round),
    );
    simulations += files.length;
    return results;
  };
  const referenceResults = await run(input.references, 0);
  const tried: Tried[] = input.references.map((files, i) => ({
    files,
    result: referenceResults[i] as Evaluation,
  }));

  const families = familiesOf(input, peakRps);
  for (let round = 1; families.some((f) => f.lo < f.hi && f.lo <= f.max); round++) {
    const batch = families
      .filter((f) => f.lo < f.hi && f.lo <= f.max)
      .map((f) => {
        const minReplicas = Math.min(f.max, Math.floor((f.lo + f.hi) / 2));
        const candidate: Candidate = {
          headroom: f.headroom,
          minReplicas,
          ...(f.window !== undefined ? { scaleDownStabilizationSeconds: f.window } : {}),
          ...(f.forecast !== undefined ? { forecast: f.forecast } : {}),
        };
        const plan = candidatePlan(pod, candidate, {
          slo,
          timings,
          peakRps,
          why: input.why,
          ...(input.forecastPeriodSeconds !== undefined
            ? { forecastPeriodSeconds: input.forecastPeriodSeconds }
            : {}),
        });
        return {
          family: f,
          candidate,
          files: candidateFiles(plan, candidateLabel(candidate, plan)),
        };
      });
    const results = await run(
      batch.map((b) => b.files),
      round,
    );
    batch.forEach((b, i) => {
      const result = results[i] as Evaluation;
      tried.push({ candidate: b.candidate, files: b.files, result });
      if (result.sloViolationSeconds <= allowedSeconds) b.family.hi = b.candidate.minReplicas;
      else b.family.lo = b.candidate.minReplicas + 1;
    });
  }
  const within = tried.filter((t) => t.candidate && t.result.sloViolationSeconds <= allowedSeconds);
  within.sort(
    (a, b) =>
      a.result.replicaSeconds - b.result.replicaSeconds ||
      a.result.sloViolationSeconds - b.result.sloViolationSeconds,
  );
  return {
    tried,
    ...(within[0] ? { chosen: within[0] } : {}),
    allowedSeconds,
    simulations,
  };
}
