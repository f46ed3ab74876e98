/** The HPA itself: what its controller says (conditions) and read (current metrics). */
import { field, list } from '../chain/manifests.js';
import type { ChainLink } from '../chain/types.js';
import { skipped } from '../chain/verdict.js';

/** A metric's name as `kubectl describe hpa` shows it, from a spec or status entry. */
export function metricName(entry: unknown): string {
  const type = String(field(entry, 'type') ?? '');
  const key = type.charAt(0).toLowerCase() + type.slice(1);
  if (type === 'Resource' || type === 'ContainerResource')
    return `resource ${String(field(entry, key, 'name'))}`;
  return String(field(entry, key, 'metric', 'name') ?? '?');
}

function currentValue(entry: unknown): string {
  const type = String(field(entry, 'type') ?? '');
  const key = type.charAt(0).toLowerCase() + type.slice(1);
  const current = field(entry, key, 'current');
  return String(
    field(current, 'averageValue') ??
      field(current, 'value') ??
      field(current, 'averageUtilization') ??
      '?',
  );
}

/**
 * The `hpa-status` link: `AbleToScale` and `ScalingActive` are True and every metric of the spec
 * has a current value (none `<unknown>`).
 *
 * @param hpa - the HPA as the API server returned it
 */
export function hpaStatusLink(hpa: unknown, subject: string): ChainLink {
  const conditions = list(hpa, 'status', 'conditions');
  if (conditions.length === 0) {
    return skipped(
      'hpa-status',
      subject,
      'the HPA controller has not written a status yet (a sync takes up to 15 s)',
    );
  }
  const problems: string[] = [];
  for (const type of ['AbleToScale', 'ScalingActive']) {
    const condition = conditions.find((c) => field(c, 'type') === type);
    if (field(condition, 'status') !== 'True') {
      problems.push(
        `${type} is ${String(field(condition, 'status') ?? 'missing')}: ${String(field(condition, 'reason') ?? '')} ${String(field(condition, 'message') ?? '')}`.trim(),
      );
    }
  }
  const current = new Map(
    list(hpa, 'status', 'currentMetrics').map((m) => [metricName(m), currentValue(m)]),
  );
  const metrics = list(hpa, 'spec', 'metrics').map(metricName);
  const unknown = metrics.filter((m) => !current.has(m));
  if (unknown.length > 0) problems.push(`<unknown> current value of ${unknown.join(', ')}`);
  const shown = metrics.map((m) => `${m}=${current.get(m) ?? '<unknown>'}`).join(', ');
  if (problems.length > 0) {
    return {
      link: 'hpa-status',
      subject,
      status: 'broken',
      detail: `${problems.join('\n')}\ncurrent metrics: ${shown}`,
      fix: "see the HPA's events (kubectl describe hpa); the links above say which part of the chain it cannot read",
    };
  }
  return {
    link: 'hpa-status',
    subject,
    status: 'ok',
    detail: `AbleToScale, ScalingActive True; current metrics: ${shown}`,
  };
}
