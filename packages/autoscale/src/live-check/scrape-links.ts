/**
 * Prometheus' scrape targets of the ready pods (`/api/v1/targets`): one per pod, `up`, and its
 * last scrape error. Read with a GET of its own: the Prometheus client posts its queries, and the
 * targets endpoint takes GET only.
 */
import { field, list, stringMap } from '../chain/manifests.js';
import type { ChainLink } from '../chain/types.js';
import { skipped } from '../chain/verdict.js';
import type { LivePod } from './objects.js';
import type { PodMetrics } from './pod-links.js';
import type { LiveContext } from './types.js';

/** One active target, as the links need it. */
export interface ScrapeTarget {
  readonly labels: Readonly<Record<string, string>>;
  readonly scrapeUrl: string;
  readonly health: string;
  readonly lastError: string;
}

/** Prometheus' active targets; throws when Prometheus does not answer. */
export async function activeTargets(ctx: LiveContext): Promise<ScrapeTarget[]> {
  if (!ctx.prometheus) return [];
  const url = `${ctx.prometheus.url}/api/v1/targets?state=active`;
  const response = await ctx.fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  const body = (await response.json()) as unknown;
  return list(body, 'data', 'activeTargets').map((t) => ({
    labels: stringMap(t, 'labels'),
    scrapeUrl: String(field(t, 'scrapeUrl') ?? ''),
    health: String(field(t, 'health') ?? 'unknown'),
    lastError: String(field(t, 'lastError') ?? ''),
  }));
}

/** Where a scrape URL goes, and where the pod serves, when they differ. */
function portHint(target: ScrapeTarget, served: PodMetrics | undefined): string {
  if (!served?.address) return '';
  let goesTo: string;
  try {
    goesTo = new URL(target.scrapeUrl).host;
  } catch {
    return '';
  }
  return goesTo === served.address
    ? ''
    : `; the pod serves /metrics on ${served.address} (${served.port}), the scrape goes to ${goesTo}`;
}

/** The target labels naming a pod's namespace and pod (the adapter rules' `resources`). */
export interface TargetLabels {
  readonly namespace: string;
  readonly pod: string;
}

/** What to say about one ready pod's target; `undefined` when it is up. */
function podProblem(
  pod: LivePod,
  targets: readonly ScrapeTarget[],
  where: { namespace: string; labels: TargetLabels },
  served: PodMetrics | undefined,
): { detail: string; fix: string } | undefined {
  const { namespace, labels } = where;
  const mine = targets.filter(
    (t) => t.labels[labels.namespace] === namespace && t.labels[labels.pod] === pod.name,
  );
  if (mine.length === 0) {
    return {
      detail: `${pod.name}: Prometheus has no active scrape target labelled ${labels.namespace}="${namespace}", ${labels.pod}="${pod.name}": nothing Prometheus discovers selects this pod`,
      fix: "make a ServiceMonitor select the pods' Service (its selector matching the Service's labels, its endpoint port a port name of the Service, its namespaceSelector the namespace) or a PodMonitor the pods, in a namespace and with labels the Prometheus' serviceMonitorSelector picks",
    };
  }
  if (mine.some((t) => t.health === 'up')) return undefined;
  const down = mine[0] as ScrapeTarget;
  const hint = portHint(down, served);
  return {
    detail: `${pod.name}: target ${down.scrapeUrl} is ${down.health}: ${down.lastError || 'no error recorded yet'}${hint}`,
    fix: hint
      ? `scrape the port the pod serves /metrics on (${served?.port}): the ServiceMonitor's endpoint port (or the prometheus.io/port annotation) must name it`
      : 'make the target answer: the scrape must reach the pod on its metrics port and path',
  };
}

/** The `scrape-targets` link: each ready pod has an active target that is up. */
export function scrapeLink(
  subject: string,
  pods: readonly LivePod[],
  namespace: string,
  targets: readonly ScrapeTarget[] | string,
  served: readonly PodMetrics[],
  labels: TargetLabels = { namespace: 'namespace', pod: 'pod' },
): ChainLink {
  if (typeof targets === 'string') return skipped('scrape-targets', subject, targets);
  if (pods.length === 0) return skipped('scrape-targets', subject, 'no ready pod');
  const problems = pods.flatMap((pod) => {
    const problem = podProblem(
      pod,
      targets,
      { namespace, labels },
      served.find((s) => s.pod === pod.name),
    );
    return problem ? [problem] : [];
  });
  if (problems.length > 0) {
    return {
      link: 'scrape-targets',
      subject,
      status: 'broken',
      detail: problems.map((p) => p.detail).join('\n'),
      fix: (problems[0] as { fix: string }).fix,
    };
  }
  const detail = pods
    .map((pod) => {
      const target = targets.find((t) => t.labels[labels.pod] === pod.name && t.health === 'up');
      return `${pod.name}: ${target?.scrapeUrl} up`;
    })
    .join('\n');
  return { link: 'scrape-targets', subject, status: 'ok', detail };
}
