/** What to say about a series the workload does not expose. */
import { compileGoRegexp } from '../regexp/re2.js';
import type { CheckContext } from './context.js';
import type { Exposition } from './exposition.js';
import { closestName } from './similar.js';

/** Exposition suffixes by family type: what a scrape stores for one family. */
export const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
  counter: ['_total'],
};

/** Whether a series belongs to a family the exposition declares (it may have no sample yet). */
export function declaredFamily(name: string, exposition: Exposition | undefined): boolean {
  if (!exposition) return false;
  for (const [family, type] of exposition.families) {
    if (name === family || (SUFFIXES[type] ?? []).some((suffix) => name === family + suffix))
      return true;
  }
  return false;
}

/** Whether a series is one only some pods expose (`assumptions.optionalSeries`). */
export function isOptionalSeries(name: string, ctx: CheckContext): boolean {
  const re = compileGoRegexp(ctx.assumptions.optionalSeries);
  return re.ok && ctx.assumptions.optionalSeries !== '' && re.value.test(name);
}

/**
 * Whether the exposition shows that a missing series is the workload's own, misnamed: a close
 * name (typo, rename), or the bare name of a family whose series carry suffixes. Without such
 * evidence the series may come from another exporter, and its absence proves nothing.
 */
export function misnamedSeries(name: string, exposition: Exposition): boolean {
  if (closestName(name, exposition.names) !== undefined) return true;
  const type = exposition.families.get(name);
  return type !== undefined && SUFFIXES[type] !== undefined;
}

/** Why a missing series is skipped rather than broken. */
export function otherExporterReason(name: string): string {
  return `the workload does not expose ${name}, nor a name close to it: it may come from another exporter, which the metrics given do not show`;
}

/** How to fix a missing series: the family it belongs to, a close name, or renaming. */
export function missingSeriesHint(name: string, exposition: Exposition, ctx: CheckContext): string {
  if (isOptionalSeries(name, ctx)) {
    return `series matching ${ctx.assumptions.optionalSeries} (--optional-series) exist only on some pods (GPU nodes): check against the metrics of such a pod`;
  }
  for (const [family, type] of exposition.families) {
    if (name === family && SUFFIXES[type]) {
      return `${name} is a ${type}: its series are ${SUFFIXES[type]?.map((s) => family + s).join(', ')}`;
    }
  }
  const close = closestName(name, exposition.names);
  return close
    ? `did you mean ${close}? (rename one side so they agree)`
    : 'rename it to a series the workload exposes';
}
