/**
 * One simulation of one configuration, as `mlscale tune` runs it in a worker thread: everything in
 * and out is plain data (the HPA and adapter values as the YAML text `tune` writes, the profile,
 * the load's points), so the files written are exactly the ones simulated.
 */
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { parseAllDocuments } from 'yaml';
import { parseAdapterValues } from '../adapter/rules.js';
import { podModel } from '../capacity/model.js';
import type { CapacityProfile } from '../capacity/profile.js';
import type { LoadTrace } from '../simulate/load.js';
import {
  type ReactiveConfig,
  type ReactiveOptions,
  type ReactiveSummary,
  simulateReactive,
} from '../simulate/reactive.js';
import { defaultAdapterRules, type Signal, signalsFromRules } from '../simulate/signals.js';
import { timelineFigures } from '../simulate/timeline-figures.js';

/** A configuration as files. */
export interface ConfigFiles {
  /** Label in tables. */
  name: string;
  /** One HorizontalPodAutoscaler, YAML. */
  hpaYaml: string;
  /** prometheus-adapter values whose rules serve its metrics (default: the guide's and the project's). */
  adapterYaml?: string;
}

/** What a worker is asked: a configuration on a load. */
export interface EvaluationJob {
  /** Index of the job, echoed back. */
  id: number;
  profile: CapacityProfile;
  load: LoadTrace;
  options: Omit<ReactiveOptions, 'controller'>;
  config: ConfigFiles;
  /**
   * Count the figures from this trace time on only (an out-of-sample window played after the
   * rest of the trace, as a deployed configuration lives through it): seconds over the SLO and
   * the pods that existed, second by second.
   */
  countFrom?: number;
}

/** The figures `tune` compares. */
export type Evaluation = Pick<
  ReactiveSummary,
  'name' | 'sloViolationSeconds' | 'replicaSeconds' | 'failed' | 'maxReplicas' | 'scaleEvents'
>;

/**
 * Reads a configuration's files into what the simulator takes.
 *
 * @param files - the HPA and adapter values as YAML
 * @returns the config
 * @throws Error when the YAML has no HPA, or a metric has no rule the simulator can read
 */
export function reactiveConfigFromFiles(files: ConfigFiles): ReactiveConfig {
  const hpa = parseAllDocuments(files.hpaYaml)
    .map((doc) => doc.toJS() as { kind?: string } | null)
    .find((value) => value?.kind === 'HorizontalPodAutoscaler') as
    | HorizontalPodAutoscaler
    | undefined;
  if (!hpa) throw new Error(`${files.name}: no HorizontalPodAutoscaler`);
  let rules = defaultAdapterRules();
  let external: typeof rules = [];
  if (files.adapterYaml !== undefined) {
    const values = parseAdapterValues(files.adapterYaml);
    if (!values.ok) throw new Error(`${files.name}: ${values.error}`);
    rules = values.value.custom;
    external = values.value.external;
  }
  const served = signalsFromRules(rules, external);
  const signals = new Map<string, Signal>();
  for (const metric of hpa.spec.metrics ?? []) {
    const name = (metric.pods ?? metric.object ?? metric.external)?.metric.name;
    if (name === undefined) continue;
    const found = served.get(name);
    if (!found) throw new Error(`${files.name}: no adapter rule serves "${name}"`);
    if (!found.ok) throw new Error(`${files.name}: ${name} cannot be simulated: ${found.error}`);
    signals.set(name, found.value);
  }
  return { name: files.name, hpa, signals };
}

/**
 * Runs one job.
 *
 * @param job - the configuration, profile, load and options
 * @returns its figures
 * @example
 * evaluate({ id: 0, profile, load, options: { startupDelaySeconds: 12 }, config }).replicaSeconds;
 */
export function evaluate(job: EvaluationJob): Evaluation {
  const report = simulateReactive(
    podModel(job.profile),
    job.load,
    [reactiveConfigFromFiles(job.config)],
    job.options,
  );
  const first = report.results[0];
  const s = first?.summary as ReactiveSummary;
  if (job.countFrom !== undefined) {
    const from = job.countFrom;
    const counted = (first?.seconds ?? []).filter((second) => second.time >= from);
    const figures = timelineFigures(counted, from);
    return {
      name: s.name,
      sloViolationSeconds: figures.sloViolationSeconds,
      replicaSeconds: figures.replicaSeconds,
      failed: counted.reduce((sum, second) => sum + second.failed, 0),
      maxReplicas: Math.max(0, ...counted.map((second) => second.replicas)),
      scaleEvents: (first?.syncs ?? []).filter((sync) => sync.time >= from && sync.decision.scaled)
        .length,
    };
  }
  return {
    name: s.name,
    sloViolationSeconds: s.sloViolationSeconds,
    replicaSeconds: s.replicaSeconds,
    failed: s.failed,
    maxReplicas: s.maxReplicas,
    scaleEvents: s.scaleEvents,
  };
}
