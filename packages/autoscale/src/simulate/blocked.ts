/**
 * Finds the syncs where a missing or invalid metric kept an HPA from scaling: upstream, when any
 * metric is invalid the HPA does not scale down, and when every metric is invalid it does not scale
 * at all (`FailedComputeMetricsReplicas`). The guide's HPA is the classic case: its mean inference
 * latency is 0/0 = NaN while a pod is idle, the adapter drops it, and the HPA never scales down.
 */
import type { HpaDecision } from '../hpa/controller.js';

/** A stretch of syncs where scaling was blocked for the same reason. */
export interface BlockedNote {
  /** `down`: valid metrics wanted fewer pods; `any`: no metric was valid, so no scaling either way. */
  direction: 'down' | 'any';
  /** Metrics without a valid value. */
  metrics: string[];
  /** First sync (seconds, the timeline's clock). */
  from: number;
  /** Seconds the block lasted in total (syncs × sync period). */
  seconds: number;
  /** Syncs affected. */
  syncs: number;
  /** The first error, as the HPA reports it. */
  error: string;
}

/**
 * Whether a decision was blocked, and how.
 *
 * @param decision - one sync's decision
 * @returns the direction and the invalid metrics, or undefined when it was not blocked
 * @example
 * blockedBy(decision); // { direction: 'down', metrics: ['inference_latency_seconds_avg'] }
 */
export function blockedBy(
  decision: HpaDecision,
): { direction: 'down' | 'any'; metrics: string[] } | undefined {
  if (decision.reason !== 'FailedComputeMetricsReplicas') return undefined;
  const invalid = decision.metrics.filter((m) => m.error !== undefined).map((m) => m.name);
  if (invalid.length === 0) return undefined;
  const proposals = decision.metrics
    .map((m) => m.proposal)
    .filter((p): p is number => p !== undefined);
  if (proposals.length === 0) return { direction: 'any', metrics: invalid };
  return Math.max(...proposals) < decision.currentReplicas
    ? { direction: 'down', metrics: invalid }
    : undefined;
}

/**
 * Groups the blocked syncs of a timeline by direction and metrics.
 *
 * @param decisions - the decisions in time order
 * @param syncPeriodSeconds - seconds each sync stands for
 * @returns one note per kind of block, in order of first appearance
 * @example
 * blockedNotes(timeline.map((e) => e.decision), 15);
 */
export function blockedNotes(
  decisions: readonly HpaDecision[],
  syncPeriodSeconds: number,
): BlockedNote[] {
  const notes = new Map<string, BlockedNote>();
  for (const decision of decisions) {
    const blocked = blockedBy(decision);
    if (!blocked) continue;
    const key = `${blocked.direction}:${blocked.metrics.join(',')}`;
    const note = notes.get(key);
    if (note) {
      note.seconds += syncPeriodSeconds;
      note.syncs += 1;
    } else {
      notes.set(key, {
        ...blocked,
        from: decision.time,
        seconds: syncPeriodSeconds,
        syncs: 1,
        error: decision.error ?? '',
      });
    }
  }
  return [...notes.values()];
}

/**
 * One line for a person: `blocked from scaling down for 450 s: no valid inference_latency_seconds_avg`.
 *
 * @param note - a note
 * @returns the text
 * @example
 * formatBlockedNote(note);
 */
export function formatBlockedNote(note: BlockedNote): string {
  const what = note.direction === 'down' ? 'blocked from scaling down' : 'could not scale at all';
  return `${what} for ${Math.round(note.seconds)} s: no valid ${note.metrics.join(', ')} (missing or NaN: an invalid metric ${note.direction === 'down' ? 'blocks a scale-down' : 'leaves no proposal'})`;
}
