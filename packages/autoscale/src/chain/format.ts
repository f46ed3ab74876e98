import type { ChainReport, LinkStatus } from './types.js';

const MARK: Record<LinkStatus, string> = {
  ok: 'ok    ',
  broken: 'BROKEN',
  warn: 'warn  ',
  skipped: 'skip  ',
};

/**
 * Formats a report for a terminal: one line per link, with the detail and fix indented under
 * links that are not ok, and a last line counting broken and skipped links.
 *
 * @param report - from `checkChain`
 * @param verbose - also show the detail of links that are ok
 * @example console.log(formatChainReport(checkChain(input)));
 */
export function formatChainReport(report: ChainReport, verbose = false): string {
  const lines: string[] = [];
  for (const link of report.links) {
    lines.push(`${MARK[link.status]} ${link.subject}`);
    if (link.status !== 'ok' || verbose) {
      for (const line of link.detail.split('\n')) lines.push(`         ${line}`);
      if (link.fix) lines.push(`         fix: ${link.fix}`);
    }
  }
  const count = (status: LinkStatus) => report.links.filter((l) => l.status === status).length;
  const broken = count('broken');
  const skippedCount = count('skipped');
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    `${broken === 0 ? 'chain ok' : plural(broken, 'broken link')}${skippedCount > 0 ? ` (${plural(skippedCount, 'link')} skipped: not verifiable with the input given)` : ''}`,
  );
  return lines.join('\n');
}
