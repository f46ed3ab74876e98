import { isRecord } from '../is-record.js';
import { type ChainInput, DEFAULT_ASSUMPTIONS, type WorkloadAssumptions } from './types.js';
import type { Collector } from './verdict.js';

/** What every link group reads: the input with its defaults applied, and where links go. */
export interface CheckContext {
  /** The Kubernetes objects (mappings only). */
  readonly manifests: readonly unknown[];
  readonly input: ChainInput;
  readonly assumptions: WorkloadAssumptions;
  /** Namespace queries are rendered for. */
  readonly namespace: string;
  readonly out: Collector;
}

/** Applies the defaults to a {@link ChainInput}. */
export function contextOf(input: ChainInput, out: Collector): CheckContext {
  const given = Object.fromEntries(
    Object.entries(input.assumptions ?? {}).filter(([, value]) => value !== undefined),
  );
  return {
    manifests: input.manifests.filter(isRecord),
    input,
    assumptions: { ...DEFAULT_ASSUMPTIONS, ...given },
    namespace: input.namespace ?? 'default',
    out,
  };
}
