/** The live check's report for a terminal. */
import type { ChainLink, LinkStatus } from '../chain/types.js';
import type { LiveReport } from './types.js';

const MARK: Record<LinkStatus, string> = {
  ok: 'ok    ',
  broken: 'BROKEN',
  warn: 'warn  ',
  skipped: 'skip  ',
};

function linkLines(link: ChainLink, verbose: boolean): string[] {
  const lines = [`${MARK[link.status]} ${link.subject}`];
  if (link.status !== 'ok' || verbose) {
    for (const line of link.detail.split('\n')) lines.push(`         ${line}`);
    if (link.fix) lines.push(`         fix: ${link.fix}`);
  }
  return lines;
}

/**
 * One line per link, grouped by scaler, details under the links that are not ok, and a summary.
 *
 * @param report - from `runLiveCheck`
 * @param verbose - also show the detail of links that are ok
 */
export function formatLiveReport(report: LiveReport, verbose = false): string {
  const lines = [`cluster: ${report.server} (context ${report.context})`];
  for (const link of report.shared) lines.push(...linkLines(link, verbose));
  for (const scaler of report.scalers) {
    lines.push('', scaler.scaler);
    for (const link of scaler.links) lines.push(...linkLines(link, verbose));
  }
  lines.push('', liveSummary(report));
  return lines.join('\n');
}

/** The last line: broken and skipped links counted, or that nothing was found to check. */
export function liveSummary(report: LiveReport): string {
  const links = [...report.shared, ...report.scalers.flatMap((s) => s.links)];
  const count = (status: LinkStatus) => links.filter((l) => l.status === status).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (report.scalers.length === 0)
    return 'no HorizontalPodAutoscaler or ScaledObject found: nothing to check';
  const skippedNote =
    count('skipped') > 0
      ? ` (${count('skipped')} of ${plural(links.length, 'link')} skipped, see why above)`
      : '';
  const scalers = plural(report.scalers.length, 'scaler');
  if (count('broken') > 0)
    return `${plural(count('broken'), 'broken link')} in ${scalers}${skippedNote}`;
  return count('skipped') > 0
    ? `no broken link in ${scalers}${skippedNote}`
    : `${scalers}: every link ok`;
}
