import { readScaledObject } from '../adapter/keda.js';
import { renderMetricsQuery } from '../adapter/render.js';
import { type AdapterValues, readAdapterValues } from '../adapter/rules.js';
import {
  compileRuleNamer,
  type DiscoveredMetric,
  discoverMetrics,
  type LabelMatcher,
  metricNameForSeries,
  parseSeriesSelector,
  seriesMatches,
} from '../adapter/series.js';
import { checkPromql, formatPromqlIssue } from '../promql/check.js';
import { metricNamesInQuery } from '../promql/names.js';
import { type Exposition, parseExposition } from './exposition.js';
import { describe, field, isRecord, list, ofKind, selects, stringMap } from './manifests.js';
import { closestName } from './similar.js';

/** How one link of the chain stands. `warn` does not fail the check; `skipped` lacked an input. */
export type LinkStatus = 'ok' | 'broken' | 'warn' | 'skipped';

/** One link of the metric → Prometheus → adapter/KEDA → HPA → Deployment chain. */
export interface ChainLink {
  /** Which kind of link (`service-selects-pods`, `hpa-metric`...), stable for scripts. */
  readonly link: string;
  /** The two ends, in words: `HorizontalPodAutoscaler/model-server → request_queue_depth_avg`. */
  readonly subject: string;
  readonly status: LinkStatus;
  /** What was found. */
  readonly detail: string;
  /** How to fix it, when it is not ok. */
  readonly fix?: string;
}

/** The result of {@link checkChain}. */
export interface ChainReport {
  /** True when no link is broken. */
  readonly ok: boolean;
  readonly links: readonly ChainLink[];
}

/** Everything the chain check reads. Every field but `manifests` is optional; links that need a missing one are `skipped`. */
export interface ChainInput {
  /** Parsed Kubernetes objects: Deployment, Service, ServiceMonitor, HPA, ScaledObject... */
  readonly manifests: readonly unknown[];
  /** Parsed prometheus-adapter Helm values. */
  readonly adapterValues?: unknown;
  /** Parsed kube-prometheus-stack Helm values. */
  readonly prometheusStackValues?: unknown;
  /** The model server's `/metrics` body. */
  readonly exposition?: string;
  /** HTTP status each probe path answered with on the running app (`{'/readyz': 200}`). */
  readonly probeStatus?: Readonly<Record<string, number>>;
  /** Namespace to render queries for; default `default`. */
  readonly namespace?: string;
  /** kube-prometheus-stack release name and namespace; default `prometheus` in `monitoring`. */
  readonly prometheus?: { readonly release?: string; readonly namespace?: string };
}

/** Labels Prometheus adds to every scraped series of a ServiceMonitor target. */
const targetLabelNames = [
  'namespace',
  'pod',
  'service',
  'job',
  'instance',
  'endpoint',
  'container',
];

/** Exposition suffixes by family type: what a scrape stores for one family. */
const suffixes: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
  counter: ['_total'],
};

interface Collector {
  add(link: ChainLink): void;
}

function defaultedNumber(value: unknown, fallback: number): number {
  const n = Number(value);
  return value === undefined || value === '' || !Number.isFinite(n) ? fallback : n;
}

function containersOf(deployment: unknown): unknown[] {
  return [...list(deployment, 'spec', 'template', 'spec', 'containers')];
}

function podLabels(deployment: unknown): Record<string, string> {
  return stringMap(deployment, 'spec', 'template', 'metadata', 'labels');
}

function envValue(container: unknown, name: string): string | undefined {
  const entry = list(container, 'env').find((item) => field(item, 'name') === name);
  const value = field(entry, 'value');
  return typeof value === 'string' ? value : undefined;
}

function checkWorkload(manifests: readonly unknown[], input: ChainInput, out: Collector): void {
  const deployments = ofKind(manifests, 'Deployment');
  const services = ofKind(manifests, 'Service');
  for (const service of services) {
    const selector = stringMap(service, 'spec', 'selector');
    const targets = deployments.filter((deployment) => selects(selector, podLabels(deployment)));
    if (targets.length === 0) {
      out.add({
        link: 'service-selects-pods',
        subject: `${describe(service)} → pods`,
        status: 'broken',
        detail: `selector ${JSON.stringify(selector)} matches the pod labels of no Deployment (${deployments.map((d) => `${describe(d)} ${JSON.stringify(podLabels(d))}`).join(', ') || 'none given'})`,
        fix: 'make spec.selector of the Service equal to labels of the Deployment pod template',
      });
      continue;
    }
    out.add({
      link: 'service-selects-pods',
      subject: `${describe(service)} → pods`,
      status: 'ok',
      detail: `selects the pods of ${targets.map(describe).join(', ')}`,
    });
    const ports = targets.flatMap((deployment) =>
      containersOf(deployment).flatMap((c) => [...list(c, 'ports')]),
    );
    for (const port of list(service, 'spec', 'ports')) {
      const target = field(port, 'targetPort') ?? field(port, 'port');
      const found = ports.find((p) =>
        typeof target === 'string'
          ? field(p, 'name') === target
          : field(p, 'containerPort') === target,
      );
      const names = ports.map(
        (p) => `${String(field(p, 'name') ?? '-')}:${String(field(p, 'containerPort'))}`,
      );
      out.add(
        found
          ? {
              link: 'service-port',
              subject: `${describe(service)} port ${String(field(port, 'name') ?? field(port, 'port'))} → container port`,
              status: 'ok',
              detail: `targetPort ${String(target)} is container port ${String(field(found, 'containerPort'))}`,
            }
          : {
              link: 'service-port',
              subject: `${describe(service)} port ${String(field(port, 'name') ?? field(port, 'port'))} → container port`,
              status: 'broken',
              detail: `targetPort ${JSON.stringify(target)} is no container port of the selected pods (${names.join(', ') || 'none'})`,
              fix: 'set targetPort to the container port name (http) or number',
            },
      );
    }
  }
  for (const deployment of deployments) checkPodSpec(deployment, input, out);
}

function checkPodSpec(deployment: unknown, input: ChainInput, out: Collector): void {
  const grace = defaultedNumber(
    field(deployment, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds'),
    30,
  );
  for (const container of containersOf(deployment)) {
    const name = `${describe(deployment)} container ${String(field(container, 'name'))}`;
    const ports = list(container, 'ports');
    for (const probeName of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const probe = field(container, probeName);
      if (!isRecord(probe)) continue;
      const get = field(probe, 'httpGet');
      if (!isRecord(get)) continue;
      const port = field(get, 'port');
      const portOk = ports.some((p) =>
        typeof port === 'string' ? field(p, 'name') === port : field(p, 'containerPort') === port,
      );
      const path = String(field(get, 'path') ?? '/');
      const status = input.probeStatus?.[path];
      if (!portOk) {
        out.add({
          link: 'probe',
          subject: `${name} ${probeName}`,
          status: 'broken',
          detail: `port ${JSON.stringify(port)} is not a port of the container`,
          fix: 'probe the named container port (http)',
        });
      } else if (status === undefined) {
        out.add({
          link: 'probe',
          subject: `${name} ${probeName}`,
          status: 'skipped',
          detail: `${path}: the app was not asked (give a /metrics URL of a running server)`,
        });
      } else if (status === 200 || status === 503) {
        out.add({
          link: 'probe',
          subject: `${name} ${probeName}`,
          status: status === 200 ? 'ok' : 'warn',
          detail: `GET ${path} answered ${status}${status === 503 ? ' (not ready yet?)' : ''}`,
        });
      } else {
        out.add({
          link: 'probe',
          subject: `${name} ${probeName}`,
          status: 'broken',
          detail: `GET ${path} answered ${status} on the app`,
          fix: 'use the server health paths: /readyz for startup and readiness, /livez for liveness',
        });
      }
    }
    const preStop = preStopSeconds(field(container, 'lifecycle', 'preStop'));
    const delay = defaultedNumber(envValue(container, 'SHUTDOWN_DELAY_SECONDS'), 5);
    const drain = defaultedNumber(envValue(container, 'SHUTDOWN_DRAIN_SECONDS'), 20);
    const total = preStop + delay + drain;
    out.add({
      link: 'shutdown-budget',
      subject: `${name} shutdown → terminationGracePeriodSeconds`,
      status: total < grace ? 'ok' : 'broken',
      detail: `preStop ${preStop} s + SHUTDOWN_DELAY_SECONDS ${delay} s + SHUTDOWN_DRAIN_SECONDS ${drain} s = ${total} s, grace period ${grace} s`,
      ...(total < grace
        ? {}
        : {
            fix: `raise terminationGracePeriodSeconds above ${total} or shorten the delay/drain; the kubelet kills the pod mid-drain`,
          }),
    });
  }
}

function preStopSeconds(hook: unknown): number {
  const sleep = field(hook, 'sleep', 'seconds');
  if (typeof sleep === 'number') return sleep;
  const command = list(hook, 'exec', 'command').map(String).join(' ');
  const match = /sleep\s+(\d+(?:\.\d+)?)/.exec(command);
  return match?.[1] ? Number(match[1]) : 0;
}

function checkMonitoring(manifests: readonly unknown[], input: ChainInput, out: Collector): void {
  const services = ofKind(manifests, 'Service');
  const release = input.prometheus?.release ?? 'prometheus';
  for (const monitor of ofKind(manifests, 'ServiceMonitor')) {
    const selector = stringMap(monitor, 'spec', 'selector', 'matchLabels');
    const selected = services.filter((service) =>
      selects(selector, stringMap(service, 'metadata', 'labels')),
    );
    out.add(
      selected.length > 0
        ? {
            link: 'servicemonitor-selects-service',
            subject: `${describe(monitor)} → Service`,
            status: 'ok',
            detail: `selects ${selected.map(describe).join(', ')}`,
          }
        : {
            link: 'servicemonitor-selects-service',
            subject: `${describe(monitor)} → Service`,
            status: 'broken',
            detail: `spec.selector.matchLabels ${JSON.stringify(selector)} matches the labels of no Service`,
            fix: 'select the Service by its metadata.labels (app: model-server)',
          },
    );
    for (const endpoint of list(monitor, 'spec', 'endpoints')) {
      const port = field(endpoint, 'port');
      const names = selected.flatMap((service) =>
        list(service, 'spec', 'ports').map((p) => field(p, 'name')),
      );
      if (typeof port === 'string') {
        out.add(
          names.includes(port)
            ? {
                link: 'servicemonitor-port',
                subject: `${describe(monitor)} endpoint port ${port} → Service port`,
                status: 'ok',
                detail: `the Service has a port named ${port}`,
              }
            : {
                link: 'servicemonitor-port',
                subject: `${describe(monitor)} endpoint port ${port} → Service port`,
                status: 'broken',
                detail: `no selected Service has a port named "${port}" (names: ${names.map(String).join(', ') || 'none'}); Prometheus would scrape nothing`,
                fix: 'set endpoints[].port to the Service port name (http)',
              },
        );
      }
      const path = String(field(endpoint, 'path') ?? '/metrics');
      if (path !== '/metrics') {
        out.add({
          link: 'servicemonitor-path',
          subject: `${describe(monitor)} endpoint path`,
          status: 'broken',
          detail: `scrapes ${path}, the server serves /metrics`,
          fix: 'set endpoints[].path to /metrics',
        });
      }
    }
    const labels = stringMap(monitor, 'metadata', 'labels');
    const stack = input.prometheusStackValues;
    if (stack === undefined) {
      out.add({
        link: 'servicemonitor-release',
        subject: `${describe(monitor)} → Prometheus`,
        status: 'skipped',
        detail: 'no kube-prometheus-stack values given',
      });
      continue;
    }
    const spec = field(stack, 'prometheus', 'prometheusSpec');
    const nilUsesHelm = field(spec, 'serviceMonitorSelectorNilUsesHelmValues') !== false;
    const explicit = stringMap(spec, 'serviceMonitorSelector', 'matchLabels');
    const wanted = Object.keys(explicit).length > 0 ? explicit : nilUsesHelm ? { release } : {};
    const matched = Object.keys(wanted).length === 0 || selects(wanted, labels);
    out.add(
      matched
        ? {
            link: 'servicemonitor-release',
            subject: `${describe(monitor)} → Prometheus`,
            status: 'ok',
            detail: `labels match serviceMonitorSelector ${JSON.stringify(wanted)}`,
          }
        : {
            link: 'servicemonitor-release',
            subject: `${describe(monitor)} → Prometheus`,
            status: 'broken',
            detail: `labels ${JSON.stringify(labels)} do not match the Prometheus serviceMonitorSelector ${JSON.stringify(wanted)}: the ServiceMonitor is ignored`,
            fix: `add ${Object.entries(wanted)
              .map(([k, v]) => `${k}: ${v}`)
              .join(', ')} to the ServiceMonitor's metadata.labels`,
          },
    );
  }
}

function expectedPrometheusHost(input: ChainInput): string {
  const release = input.prometheus?.release ?? 'prometheus';
  const namespace = input.prometheus?.namespace ?? 'monitoring';
  const base = release.includes('kube-prometheus') ? release : `${release}-kube-prometheus`;
  return `${base}-prometheus.${namespace}.svc`;
}

function checkAddress(subject: string, address: string, input: ChainInput, out: Collector): void {
  const expected = expectedPrometheusHost(input);
  let url: URL | undefined;
  try {
    url = new URL(address);
  } catch {
    url = undefined;
  }
  const host = url?.hostname ?? '';
  const port = url?.port === '' ? undefined : Number(url?.port);
  const hostOk = host === expected || host === `${expected}.cluster.local`;
  out.add(
    hostOk && port === 9090
      ? {
          link: 'prometheus-address',
          subject,
          status: 'ok',
          detail: `${address} is the kube-prometheus-stack Prometheus`,
        }
      : {
          link: 'prometheus-address',
          subject,
          status: 'broken',
          detail: `${address} is not the kube-prometheus-stack Prometheus (http://${expected}:9090)`,
          fix: `point it at http://${expected}:9090`,
        },
  );
}

interface MetricSource {
  readonly exposition?: Exposition;
  readonly series: { name: string; labels: Record<string, string> }[];
}

function seriesFromExposition(exposition: Exposition, namespace: string): MetricSource['series'] {
  const target: Record<string, string> = {
    namespace,
    pod: 'model-server-0',
    service: 'model-server',
    job: 'model-server',
    instance: '10.0.0.1:8080',
    endpoint: 'http',
    container: 'model-server',
  };
  return exposition.samples.map((sample) => ({
    name: sample.name,
    labels: { ...sample.labels, ...target },
  }));
}

function missingSeriesHint(name: string, exposition: Exposition): string {
  if (name.startsWith('gpu_')) {
    return 'GPU series appear only with GPU_PROBE=on on a GPU node (infra/overlays/gpu); check gpu_probe_up there';
  }
  for (const [family, type] of exposition.families) {
    if (name === family && suffixes[type]) {
      return `${name} is a ${type}: its series are ${suffixes[type]?.map((s) => family + s).join(', ')}`;
    }
  }
  const close = closestName(name, exposition.names);
  return close
    ? `did you mean ${close}? (rename one side so they agree)`
    : 'rename it to a series the server exposes';
}

function labelMismatch(
  name: string,
  matchers: readonly LabelMatcher[],
  exposition: Exposition | undefined,
): { label: string; matcher: string; seen: string[] } | undefined {
  const samples = exposition?.samples.filter((sample) => sample.name === name) ?? [];
  for (const matcher of matchers) {
    if (matcher.label === '__name__' || targetLabelNames.includes(matcher.label)) continue;
    const ok = samples.some((sample) => seriesMatches({ name, labels: sample.labels }, [matcher]));
    if (ok) continue;
    const seen = [...new Set(samples.map((sample) => sample.labels[matcher.label] ?? '""'))];
    return {
      label: matcher.label,
      matcher: `${matcher.label}${matcher.op}"${matcher.value}"`,
      seen,
    };
  }
  return undefined;
}

function declaredFamily(name: string, exposition: Exposition | undefined): boolean {
  if (!exposition) return false;
  for (const [family, type] of exposition.families) {
    if (name === family || (suffixes[type] ?? []).some((suffix) => name === family + suffix))
      return true;
  }
  return false;
}

function targetedMetrics(manifests: readonly unknown[]): Map<string, string[]> {
  const targeted = new Map<string, string[]>();
  for (const hpa of ofKind(manifests, 'HorizontalPodAutoscaler')) {
    for (const metric of list(hpa, 'spec', 'metrics')) {
      const type = field(metric, 'type');
      if (type !== 'Pods' && type !== 'Object') continue;
      const name = field(metric, type === 'Pods' ? 'pods' : 'object', 'metric', 'name');
      if (typeof name !== 'string') continue;
      targeted.set(name, [...(targeted.get(name) ?? []), describe(hpa)]);
    }
  }
  return targeted;
}

function checkAdapter(
  manifests: readonly unknown[],
  values: AdapterValues | undefined,
  source: MetricSource,
  input: ChainInput,
  out: Collector,
  pending: Set<string>,
): DiscoveredMetric[] {
  if (!values) return [];
  const namespace = input.namespace ?? 'default';
  checkAddress(
    'prometheus-adapter prometheus.url → Prometheus',
    `${values.prometheusUrl}:${values.prometheusPort}${values.prometheusPath}`,
    input,
    out,
  );
  const targeted = targetedMetrics(manifests);
  const discovery = discoverMetrics(values.custom, source.series);
  for (const error of discovery.errors) {
    out.add({
      link: 'adapter-rule',
      subject: 'prometheus-adapter rule',
      status: 'broken',
      detail: error,
    });
  }
  for (const rule of values.custom) {
    const selector = parseSeriesSelector(rule.seriesQuery);
    if (!selector.ok) continue;
    const found = discovery.metrics.filter((metric) => metric.rule === rule);
    const names = selector.value
      .filter((m) => m.label === '__name__' && m.op === '=')
      .map((m) => m.value);
    const subject = `${rule.path} seriesQuery ${rule.seriesQuery} → /metrics`;
    if (!source.exposition) {
      out.add({ link: 'rule-series', subject, status: 'skipped', detail: 'no /metrics given' });
    } else if (found.length === 0) {
      const namer = compileRuleNamer(rule);
      const wouldServe = namer.ok
        ? names
            .map((n) => metricNameForSeries(namer.value, n))
            .filter((n): n is string => n !== undefined)
        : [];
      const critical = wouldServe.some((metric) => targeted.has(metric));
      const exposedName = names.find((n) => source.exposition?.names.has(n));
      const declared = names.find((n) => declaredFamily(n, source.exposition));
      const unmatched = exposedName
        ? labelMismatch(exposedName, selector.value, source.exposition)
        : undefined;
      if (unmatched) {
        // The series exists with other label values (e.g. only route="/readyz" before any inference).
        out.add({
          link: 'rule-series',
          subject,
          status: 'warn',
          detail: `${exposedName} has no series with ${unmatched.matcher} yet (${unmatched.label} seen: ${unmatched.seen.join(', ')})`,
          fix: `send a request that produces it (POST /predict), then check again; if it still fails, the ${unmatched.label} label changed in the server or the rule`,
        });
        for (const metric of wouldServe) pending.add(metric);
      } else if (!exposedName && declared) {
        // A labelled family (route, reason...) has no series until its first observation.
        out.add({
          link: 'rule-series',
          subject,
          status: 'warn',
          detail: `${declared} is declared by the server but has no series yet (its labels appear with the first request)`,
          fix: 'send one request to /predict, then check again',
        });
        for (const metric of wouldServe) pending.add(metric);
      } else {
        const why = exposedName
          ? `${exposedName} is exposed but its labels do not satisfy the selector`
          : `the server exposes no ${names.join(', ') || 'series matching it'}`;
        out.add({
          link: 'rule-series',
          subject,
          status: critical ? 'broken' : 'warn',
          detail: `${why}${critical ? `, so ${wouldServe.join(', ')} (targeted by ${wouldServe.flatMap((m) => targeted.get(m) ?? []).join(', ')}) cannot be served` : ' (no HPA given targets this rule: a GPU-only series on a CPU server?)'}`,
          fix: names[0] ? missingSeriesHint(names[0], source.exposition) : 'fix the seriesQuery',
        });
      }
    } else {
      out.add({
        link: 'rule-series',
        subject,
        status: 'ok',
        detail: `found ${found.map((m) => m.series).join(', ')} → serves ${found.map((m) => m.metric).join(', ')}`,
      });
    }
    const reported = new Set(found.length === 0 ? names : []);
    const series = found[0]?.series ?? names[0] ?? 'series';
    const rendered = renderMetricsQuery(rule, {
      series,
      namespace,
      names: ['model-server-0', 'model-server-1'],
    });
    if (!rendered.ok) {
      out.add({
        link: 'rule-query',
        subject: `${rule.path} metricsQuery`,
        status: 'broken',
        detail: rendered.error,
      });
      continue;
    }
    checkQuery(
      `${rule.path} metricsQuery`,
      rendered.value,
      source,
      out,
      {
        grouped: /<<\s*\.GroupBy\s*>>/.test(rule.metricsQuery),
        matched: /<<\s*\.LabelMatchers\s*>>/.test(rule.metricsQuery),
      },
      reported,
    );
  }
  return discovery.metrics;
}

function checkQuery(
  subject: string,
  query: string,
  source: MetricSource,
  out: Collector,
  template?: { grouped: boolean; matched: boolean },
  alreadyReported: ReadonlySet<string> = new Set(),
): void {
  const parsed = checkPromql(query);
  if (!parsed.ok) {
    out.add({
      link: 'promql',
      subject,
      status: 'broken',
      detail: `invalid PromQL:\n${parsed.errors.map((e) => formatPromqlIssue(query, e)).join('\n')}`,
      fix: 'fix the query; it is shown as it would be sent to Prometheus',
    });
    return;
  }
  if (template && (!template.grouped || !template.matched)) {
    out.add({
      link: 'promql',
      subject,
      status: 'warn',
      detail: `valid PromQL, but the template ${template.matched ? '' : 'does not use <<.LabelMatchers>>'}${!template.matched && !template.grouped ? ' and ' : ''}${template.grouped ? '' : 'does not aggregate by <<.GroupBy>>'}: ${query}`,
      fix: 'select with {<<.LabelMatchers>>} and aggregate sum(...) by (<<.GroupBy>>) so each pod gets one value',
    });
  } else {
    out.add({ link: 'promql', subject, status: 'ok', detail: `valid PromQL: ${query}` });
  }
  const exposition = source.exposition;
  if (!exposition) return;
  for (const name of metricNamesInQuery(query)) {
    if (exposition.names.has(name) || alreadyReported.has(name) || declaredFamily(name, exposition))
      continue;
    out.add({
      link: 'query-series',
      subject: `${subject} → ${name}`,
      status: name.startsWith('gpu_') ? 'warn' : 'broken',
      detail: `the query reads ${name}, which the server does not expose${name.startsWith('gpu_') ? ' (GPU series; expected only with GPU_PROBE on a GPU node)' : ''}`,
      fix: missingSeriesHint(name, exposition),
    });
  }
}

function checkHpas(
  manifests: readonly unknown[],
  discovered: DiscoveredMetric[],
  haveAdapter: boolean,
  out: Collector,
  pending: ReadonlySet<string>,
): void {
  const deployments = ofKind(manifests, 'Deployment').map((d) => field(d, 'metadata', 'name'));
  const served = [...new Set(discovered.map((metric) => metric.metric))];
  for (const hpa of ofKind(manifests, 'HorizontalPodAutoscaler')) {
    const target = field(hpa, 'spec', 'scaleTargetRef', 'name');
    out.add(
      deployments.includes(target)
        ? {
            link: 'hpa-target',
            subject: `${describe(hpa)} → Deployment`,
            status: 'ok',
            detail: `scales Deployment/${String(target)}`,
          }
        : {
            link: 'hpa-target',
            subject: `${describe(hpa)} → Deployment`,
            status: 'broken',
            detail: `scaleTargetRef ${String(target)} is no Deployment given (${deployments.map(String).join(', ') || 'none'})`,
            fix: 'set spec.scaleTargetRef.name to the Deployment name',
          },
    );
    for (const metric of list(hpa, 'spec', 'metrics')) {
      const type = field(metric, 'type');
      if (type !== 'Pods' && type !== 'Object') continue;
      const name = field(metric, type === 'Pods' ? 'pods' : 'object', 'metric', 'name');
      if (typeof name !== 'string') continue;
      const subject = `${describe(hpa)} → ${name}`;
      if (!haveAdapter) {
        out.add({
          link: 'hpa-metric',
          subject,
          status: 'skipped',
          detail: 'no prometheus-adapter values given',
        });
      } else if (pending.has(name)) {
        out.add({
          link: 'hpa-metric',
          subject,
          status: 'warn',
          detail: `${name} will be served once the server has handled an inference request (its series have no labels yet)`,
        });
      } else if (served.includes(name)) {
        const from = discovered.find((m) => m.metric === name);
        out.add({
          link: 'hpa-metric',
          subject,
          status: 'ok',
          detail: `served by ${from?.rule.path} from ${from?.series}`,
        });
      } else {
        const close = closestName(name, served);
        out.add({
          link: 'hpa-metric',
          subject,
          status: 'broken',
          detail: `no adapter rule serves ${name}, so the HPA would show <unknown> (served: ${served.join(', ') || 'nothing'})`,
          fix: close
            ? `did you mean ${close}? rename the HPA metric or the rule's name.as`
            : 'add a prometheus-adapter rule whose name.as yields this name, over a series the server exposes',
        });
      }
    }
  }
}

function checkKeda(
  manifests: readonly unknown[],
  source: MetricSource,
  input: ChainInput,
  out: Collector,
): void {
  const deployments = ofKind(manifests, 'Deployment').map((d) => field(d, 'metadata', 'name'));
  for (const doc of ofKind(manifests, 'ScaledObject')) {
    const parsed = readScaledObject(doc);
    if (!parsed.ok) {
      out.add({ link: 'keda', subject: describe(doc), status: 'broken', detail: parsed.error });
      continue;
    }
    const so = parsed.value;
    out.add(
      deployments.includes(so.scaleTargetRef.name)
        ? {
            link: 'keda-target',
            subject: `${describe(doc)} → Deployment`,
            status: 'ok',
            detail: `scales Deployment/${so.scaleTargetRef.name}`,
          }
        : {
            link: 'keda-target',
            subject: `${describe(doc)} → Deployment`,
            status: 'broken',
            detail: `scaleTargetRef ${so.scaleTargetRef.name} is no Deployment given`,
            fix: 'set spec.scaleTargetRef.name to the Deployment name',
          },
    );
    if (!so.fallback) {
      out.add({
        link: 'keda-fallback',
        subject: `${describe(doc)} fallback`,
        status: 'warn',
        detail: 'no spec.fallback: when Prometheus fails, the replica count is left to chance',
        fix: 'set spec.fallback {failureThreshold, replicas}',
      });
    }
    for (const trigger of so.prometheusTriggers) {
      const subject = `${describe(doc)} trigger ${trigger.name ?? trigger.index} (${trigger.metricName})`;
      checkAddress(`${subject} serverAddress → Prometheus`, trigger.serverAddress, input, out);
      out.add(
        trigger.ignoreNullValues
          ? {
              link: 'keda-empty-result',
              subject,
              status: 'broken',
              detail:
                'ignoreNullValues is true (KEDA default): an empty result (Prometheus lost the targets) reads as 0 and scales down',
              fix: 'set metadata.ignoreNullValues: "false" so an empty result is an error and spec.fallback applies',
            }
          : {
              link: 'keda-empty-result',
              subject,
              status: 'ok',
              detail: 'an empty result is an error, so fallback applies',
            },
      );
      checkQuery(`${subject} query`, trigger.query, source, out);
    }
  }
}

/**
 * Checks every link of the autoscaling chain, from the model server's `/metrics` to the
 * Deployment the HPA (or KEDA) scales, and says for each whether it holds and how to fix it.
 * Pure: it reads only its input, so tests and the `mlscale check` command share it.
 *
 * @param input - the manifests, Helm values and (optionally) a live `/metrics` body
 * @returns every link, `ok: false` when any is broken
 * @example
 * const report = checkChain({ manifests, adapterValues, prometheusStackValues, exposition });
 * for (const link of report.links) console.log(link.status, link.subject, link.detail);
 */
export function checkChain(input: ChainInput): ChainReport {
  const links: ChainLink[] = [];
  const out: Collector = { add: (link) => links.push(link) };
  const manifests = input.manifests.filter(isRecord);
  const exposition = input.exposition === undefined ? undefined : parseExposition(input.exposition);
  const namespace = input.namespace ?? 'default';
  const series = exposition ? seriesFromExposition(exposition, namespace) : [];
  checkWorkload(manifests, input, out);
  checkMonitoring(manifests, input, out);
  let values: AdapterValues | undefined;
  if (input.adapterValues !== undefined) {
    const read = readAdapterValues(input.adapterValues);
    if (read.ok) values = read.value;
    else
      out.add({
        link: 'adapter-values',
        subject: 'prometheus-adapter values',
        status: 'broken',
        detail: read.error,
      });
  }
  const source: MetricSource = { ...(exposition ? { exposition } : {}), series };
  if (values && !exposition) {
    // Without /metrics, assume each rule's own series exist, to still check names and queries.
    for (const rule of values.custom) {
      const selector = parseSeriesSelector(rule.seriesQuery);
      if (!selector.ok) continue;
      const labels: Record<string, string> = Object.fromEntries(
        targetLabelNames.map((l) => [l, 'x']),
      );
      for (const matcher of selector.value) {
        if (matcher.label !== '__name__' && matcher.op === '=')
          labels[matcher.label] = matcher.value;
      }
      const name = selector.value.find((m) => m.label === '__name__' && m.op === '=')?.value;
      if (name) series.push({ name, labels });
    }
  }
  const pending = new Set<string>();
  const discovered = checkAdapter(manifests, values, source, input, out, pending);
  checkHpas(manifests, discovered, values !== undefined, out, pending);
  checkKeda(manifests, source, input, out);
  return { ok: links.every((link) => link.status !== 'broken'), links };
}

/**
 * Formats a report for a terminal: one line per link, with the detail and fix indented under
 * links that are not ok.
 *
 * @param report - from {@link checkChain}
 * @param verbose - also show the detail of links that are ok
 */
export function formatChainReport(report: ChainReport, verbose = false): string {
  const mark: Record<LinkStatus, string> = {
    ok: 'ok    ',
    broken: 'BROKEN',
    warn: 'warn  ',
    skipped: 'skip  ',
  };
  const lines: string[] = [];
  for (const link of report.links) {
    lines.push(`${mark[link.status]} ${link.subject}`);
    if (link.status !== 'ok' || verbose) {
      for (const line of link.detail.split('\n')) lines.push(`         ${line}`);
      if (link.fix) lines.push(`         fix: ${link.fix}`);
    }
  }
  const broken = report.links.filter((link) => link.status === 'broken').length;
  lines.push(broken === 0 ? 'chain ok' : `${broken} broken link${broken === 1 ? '' : 's'}`);
  return lines.join('\n');
}
