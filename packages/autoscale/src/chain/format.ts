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
  lines.push(chainSummary(report));
  return lines.join('\n');
}

/** Links that mean a scaler (HPA or ScaledObject) was given. */
const SCALER_LINKS = new Set(['hpa-target', 'keda-target']);

/**
 * The report's last line: how many links are broken and skipped, and whether there was a chain to
 * check at all. "chain ok" is said only when an HPA or ScaledObject was given and every link was
 * verified and holds (warnings allowed); with skipped links it is "no broken link (n of m skipped)".
 *
 * @example chainSummary(checkChain({ manifests: [configMap] })); // 'nothing to check: ...'
 */
export function chainSummary(report: ChainReport): string {
  const count = (status: LinkStatus) => report.links.filter((l) => l.status === status).length;
  const broken = count('broken');
  const skippedCount = count('skipped');
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const skippedNote =
    skippedCount > 0
      ? ` (${skippedCount} of ${plural(report.links.length, 'link')} skipped: not verifiable with the input given)`
      : '';
  if (report.links.length === 0) {
    return 'nothing to check: the input holds no Deployment, Service, ServiceMonitor, HorizontalPodAutoscaler or ScaledObject, and no usable prometheus-adapter values';
  }
  if (broken > 0) return `${plural(broken, 'broken link')}${skippedNote}`;
  if (!report.links.some((link) => SCALER_LINKS.has(link.link))) {
    return `no broken link, but no HorizontalPodAutoscaler or ScaledObject was given: the chain to a scaler was not checked${skippedNote}`;
  }
  // "chain ok" only when every link was seen; otherwise say how much was not.
  return skippedCount > 0 ? `no broken link${skippedNote}` : 'chain ok';
}
