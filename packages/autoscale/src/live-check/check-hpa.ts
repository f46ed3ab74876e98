/**
 * One HPA's chain, source first: its target's pods and their /metrics, Prometheus' scrape targets,
 * then per metric the adapter's rule and its PromQL, the APIService, discovery and the value the
 * HPA reads, and last the HPA's own status. A link that fails only because one before it is
 * broken is reported `skipped`, naming that link: each break is reported once, where it is.
 */
import { labelForResource } from '../adapter/render.js';
import { field, list } from '../chain/manifests.js';
import type { ChainLink } from '../chain/types.js';
import { skipped } from '../chain/verdict.js';
import { externalRuleLink } from './external-links.js';
import { hpaStatusLink, metricName } from './hpa-links.js';
import { apiServiceLink, discoveryLink, type MetricsApi } from './metrics-api-links.js';
import { type LivePod, targetPods } from './objects.js';
import { type PodMetrics, podMetricsLink, readPodMetrics } from './pod-links.js';
import { ruleLinks } from './rule-links.js';
import { type ScrapeTarget, scrapeLink, type TargetLabels } from './scrape-links.js';
import type { LiveContext, ScalerReport } from './types.js';
import { externalValueLink, podValueLink } from './value-links.js';

/** What one HPA's metric chains share. */
interface HpaScope {
  readonly ctx: LiveContext;
  readonly namespace: string;
  readonly selector: string;
  readonly ready: readonly LivePod[];
  readonly served: readonly PodMetrics[];
  readonly apiServices: Map<MetricsApi, Promise<ChainLink>>;
  /** The ScaledObject owning the HPA, when KEDA made it. */
  readonly scaledObject?: unknown;
}

function apiService(scope: HpaScope, which: MetricsApi): Promise<ChainLink> {
  let link = scope.apiServices.get(which);
  if (!link) {
    link = apiServiceLink(scope.ctx.api, which);
    scope.apiServices.set(which, link);
  }
  return link;
}

/** The links of one `Pods` metric, from its rule to its value. */
async function podsMetricChain(scope: HpaScope, entry: unknown): Promise<ChainLink[]> {
  const metric = metricName(entry);
  const pods = scope.ready.map((p) => p.name);
  const rules = await ruleLinks(scope.ctx, {
    metric,
    namespace: scope.namespace,
    pods,
    served: scope.served,
  });
  const service = await apiService(scope, 'custom');
  const found = await discoveryLink(scope.ctx.api, 'custom', metric);
  const question = {
    metric,
    namespace: scope.namespace,
    version: found.version ?? 'v1beta2',
    metricSelector: field(entry, 'pods', 'metric', 'selector'),
  };
  const value = await podValueLink(scope.ctx.api, question, scope.selector, pods);
  return [...rules, service, found.link, value];
}

/** The links of one `External` metric: the APIService, discovery and the items. */
async function externalMetricChain(scope: HpaScope, entry: unknown): Promise<ChainLink[]> {
  const metric = metricName(entry);
  const selector = field(entry, 'external', 'metric', 'selector');
  const rule = await externalRuleLink(scope.ctx, {
    metric,
    namespace: scope.namespace,
    selector,
    ...(scope.scaledObject ? { scaledObject: scope.scaledObject } : {}),
  });
  const service = await apiService(scope, 'external');
  // KEDA's metrics server lists no metric names in discovery (one placeholder, externalmetrics).
  const found = scope.scaledObject
    ? {
        link: skipped(
          'discovery',
          `external.metrics.k8s.io discovery → ${metric}`,
          "KEDA's metrics server does not list its metrics in discovery: the value below asks for the metric itself",
        ),
      }
    : await discoveryLink(scope.ctx.api, 'external', metric);
  const question = {
    metric,
    namespace: scope.namespace,
    version: found.version ?? 'v1beta1',
    metricSelector: selector,
  };
  return [rule, service, found.link, await externalValueLink(scope.ctx.api, question)];
}

async function metricChain(scope: HpaScope, entry: unknown): Promise<ChainLink[]> {
  const type = field(entry, 'type');
  if (type === 'Pods') return podsMetricChain(scope, entry);
  if (type === 'External') return externalMetricChain(scope, entry);
  const subject = `${String(type)} metric ${metricName(entry)}`;
  return [
    skipped(
      'metric-value',
      subject,
      `${String(type)} metrics are not followed by the live check (its HPA status below says whether the controller reads it)`,
    ),
  ];
}

/** A broken link turned `skipped`: it follows from `cause`. */
function follows(link: ChainLink, cause: ChainLink): ChainLink {
  if (link.status !== 'broken') return link;
  return {
    link: link.link,
    subject: link.subject,
    status: 'skipped',
    detail: `follows from the broken link "${cause.subject}": ${link.detail}`,
  };
}

/**
 * Keeps each break once, where it is: within the shared links and within each metric's chain, a
 * broken link after the first broken one follows from it; the HPA's status follows from any. A
 * link shown twice (the APIService of two metrics) is kept once.
 */
export function rootCauses(
  shared: readonly ChainLink[],
  chains: readonly (readonly ChainLink[])[],
  sink: ChainLink,
): ChainLink[] {
  const out: ChainLink[] = [];
  const seen = new Set<string>();
  const push = (link: ChainLink) => {
    const key = `${link.link} ${link.subject}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(link);
  };
  const sharedCause = shared.find((l) => l.status === 'broken');
  for (const link of shared)
    push(link === sharedCause ? link : sharedCause ? follows(link, sharedCause) : link);
  let anyCause = sharedCause;
  for (const chain of chains) {
    let cause = sharedCause;
    for (const link of chain) {
      if (cause) push(follows(link, cause));
      else {
        if (link.status === 'broken') cause = link;
        push(link);
      }
    }
    anyCause ??= cause;
  }
  push(anyCause ? follows(sink, anyCause) : sink);
  return out;
}

/** The target labels of the pods: those the adapter's first rule maps, else `namespace` and `pod`. */
function targetLabels(ctx: LiveContext): TargetLabels {
  const rule = ctx.rules?.custom[0];
  const namespace = rule ? labelForResource(rule, 'namespaces') : undefined;
  const pod = rule ? labelForResource(rule, 'pods') : undefined;
  return {
    namespace: namespace?.ok ? namespace.value : 'namespace',
    pod: pod?.ok ? pod.value : 'pod',
  };
}

/**
 * The `pod-metrics` and `scrape-targets` links. Pods that do not answer here while Prometheus
 * scrapes them are out of reach of the check, not broken: another network may even refuse their
 * IPs.
 */
function podLinks(
  ctx: LiveContext,
  pods: {
    subject: string;
    namespace: string;
    ready: readonly LivePod[];
    served: readonly PodMetrics[];
  },
  targets: readonly ScrapeTarget[] | string,
): ChainLink[] {
  const { subject, namespace, ready, served } = pods;
  const scrape = scrapeLink(
    `Prometheus → scrape targets of the ${subject}`,
    ready,
    namespace,
    targets,
    served,
    targetLabels(ctx),
  );
  let metrics = podMetricsLink(`${subject} → /metrics`, served);
  if (metrics.status === 'broken' && scrape.status === 'ok') {
    metrics = skipped(
      metrics.link,
      metrics.subject,
      `Prometheus scrapes these pods (their targets are up), but they do not answer from where the check runs:\n${metrics.detail}`,
    );
  }
  return [metrics, scrape];
}

/**
 * Checks one HPA's chain on the live cluster.
 *
 * @param ctx - the cluster, Prometheus and the rules
 * @param hpa - the HPA as the API server returned it
 * @param targets - Prometheus' active targets, or why they could not be read
 * @param scaledObject - the ScaledObject that owns the HPA, when KEDA made it
 */
export async function checkHpa(
  ctx: LiveContext,
  hpa: unknown,
  targets: readonly ScrapeTarget[] | string,
  scaledObject?: unknown,
): Promise<ScalerReport> {
  const namespace = String(field(hpa, 'metadata', 'namespace'));
  const scaler = `HorizontalPodAutoscaler/${String(field(hpa, 'metadata', 'name'))} (namespace ${namespace})`;
  const target = await targetPods(ctx.api, namespace, field(hpa, 'spec', 'scaleTargetRef'));
  if (!target.ok) {
    const broken: ChainLink = {
      link: 'hpa-target',
      subject: `${scaler} → ${target.target}`,
      status: 'broken',
      detail: target.error,
      fix: target.fix,
    };
    return { scaler, links: rootCauses([broken], [], hpaStatusLink(hpa, scaler)) };
  }
  const ready = target.pods.filter((p) => p.ready);
  const podsSubject = `pods of ${target.target} (${target.selector})`;
  const targetLink: ChainLink = {
    link: 'hpa-target',
    subject: `${scaler} → ${target.target}`,
    status: 'ok',
    detail: `${ready.length} ready of ${target.pods.length} pods selected by ${target.selector}`,
  };
  const served = await Promise.all(ready.map((pod) => readPodMetrics(ctx, pod)));
  const shared = [
    targetLink,
    ...podLinks(ctx, { subject: podsSubject, namespace, ready, served }, targets),
  ];
  const scope: HpaScope = {
    ctx,
    namespace,
    selector: target.selector,
    ready,
    served,
    apiServices: new Map(),
    ...(scaledObject ? { scaledObject } : {}),
  };
  const chains: ChainLink[][] = [];
  for (const entry of list(hpa, 'spec', 'metrics')) chains.push(await metricChain(scope, entry));
  return { scaler, links: rootCauses(shared, chains, hpaStatusLink(hpa, scaler)) };
}
