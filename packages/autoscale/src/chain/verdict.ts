import type { ChainLink } from './types.js';

/** Where the checks put their links. */
export interface Collector {
  add(link: ChainLink): void;
}

/** A link's verdict: whether it holds, and what to say either way. */
export interface Verdict {
  /** The link kind (`service-port`...). */
  readonly link: string;
  /** The two ends, in words. */
  readonly subject: string;
  /** Whether the link holds. */
  readonly holds: boolean;
  /** What was found when it holds. */
  readonly ok: string;
  /** What was found when it does not. */
  readonly broken: string;
  /** How to fix it when it does not. */
  readonly fix?: string;
}

/**
 * The one place a yes/no check becomes a link: `ok` with its detail, or `broken` with the other
 * detail and the fix.
 *
 * @example
 * out.add(verdict({ link: 'hpa-target', subject, holds: found, ok: 'scales it', broken: 'no such Deployment', fix: 'rename it' }));
 */
export function verdict({ link, subject, holds, ok, broken, fix }: Verdict): ChainLink {
  return holds
    ? { link, subject, status: 'ok', detail: ok }
    : { link, subject, status: 'broken', detail: broken, ...(fix ? { fix } : {}) };
}

/**
 * A link that could not be verified, with the reason (never `broken`).
 *
 * @example out.add(skipped('probe', subject, 'the app was not asked'));
 */
export function skipped(link: string, subject: string, reason: string): ChainLink {
  return { link, subject, status: 'skipped', detail: reason };
}
