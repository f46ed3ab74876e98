/** Links of the scrape: ServiceMonitor → Service, its port and path, → Prometheus; Prometheus addresses. */

import { readLabelSelector } from '../adapter/render.js';
import type { CheckContext } from './context.js';
import { describe, field, list, ofKind, selects, stringMap } from './manifests.js';
import {
  describeIn,
  describeScope,
  labelSelectorMatches,
  monitorScope,
  resolve,
  unresolved,
} from './namespaces.js';
import { skipped, verdict } from './verdict.js';

/** The `servicemonitor-selects-service` link; returns the Services it selects. */
function checkSelectsService(ctx: CheckContext, monitor: unknown): readonly unknown[] {
  const rawSelector = field(monitor, 'spec', 'selector');
  const selector = readLabelSelector(rawSelector);
  const scope = monitorScope(ctx, monitor);
  const toService = `${describe(monitor)} → Service`;
  const resolved = resolve(ctx, 'Service', scope, (service) =>
    labelSelectorMatches(selector, stringMap(service, 'metadata', 'labels')),
  );
  const selected = resolved.found;
  const shown = JSON.stringify(rawSelector ?? {});
  ctx.out.add(
    selected.length > 0
      ? {
          link: 'servicemonitor-selects-service',
          subject: toService,
          status: 'ok',
          detail: `selects ${selected.map((s) => describeIn(ctx, s)).join(', ')} (${describeScope(scope)})`,
        }
      : unresolved(ctx, resolved, {
          link: 'servicemonitor-selects-service',
          subject: toService,
          kind: 'Service',
          scope,
          broken: `spec.selector ${shown} matches the labels of no Service in ${describeScope(scope)} (${resolved.candidates.map((s) => `${describeIn(ctx, s)} ${JSON.stringify(stringMap(s, 'metadata', 'labels'))}`).join(', ')})`,
          fix: 'select the Service by its metadata.labels',
          namespaceFix:
            "put the ServiceMonitor in the Service's namespace, or name that namespace in spec.namespaceSelector.matchNames",
        }),
  );
  return selected;
}

/** The `servicemonitor-port` and `servicemonitor-path` links of each endpoint. */
function checkEndpoints(ctx: CheckContext, monitor: unknown, selected: readonly unknown[]): void {
  const names = selected.flatMap((service) =>
    list(service, 'spec', 'ports').map((p) => String(field(p, 'name'))),
  );
  for (const endpoint of list(monitor, 'spec', 'endpoints')) {
    const port = field(endpoint, 'port');
    if (typeof port === 'string' && selected.length > 0) {
      ctx.out.add(
        verdict({
          link: 'servicemonitor-port',
          subject: `${describe(monitor)} endpoint port ${port} → Service port`,
          holds: names.includes(port),
          ok: `the Service has a port named ${port}`,
          broken: `no selected Service has a port named "${port}" (names: ${names.join(', ') || 'none'}); Prometheus would scrape nothing`,
          fix: `set endpoints[].port to a Service port name (${names.join(', ') || 'name the Service port'})`,
        }),
      );
    }
    const path = String(field(endpoint, 'path') ?? '/metrics');
    const expected = ctx.assumptions.metricsPath;
    const given = ctx.input.assumptions?.metricsPath !== undefined;
    if (path !== expected) {
      ctx.out.add(
        given
          ? {
              link: 'servicemonitor-path',
              subject: `${describe(monitor)} endpoint path`,
              status: 'broken',
              detail: `scrapes ${path}, the workload serves ${expected}`,
              fix: `set endpoints[].path to ${expected}`,
            }
          : skipped(
              'servicemonitor-path',
              `${describe(monitor)} endpoint path`,
              `scrapes ${path}, not the usual ${expected}: whether the workload serves it is not known (give --metrics-path or --metrics-url)`,
            ),
      );
    }
  }
}

/** The `servicemonitor-release` link: the Prometheus' serviceMonitorSelector picks the ServiceMonitor. */
function checkRelease(ctx: CheckContext, monitor: unknown): void {
  const release = ctx.input.prometheus?.release ?? 'prometheus';
  const subject = `${describe(monitor)} → Prometheus`;
  const stack = ctx.input.prometheusStackValues;
  if (stack === undefined) {
    ctx.out.add(
      skipped('servicemonitor-release', subject, 'no kube-prometheus-stack values given'),
    );
    return;
  }
  const labels = stringMap(monitor, 'metadata', 'labels');
  const spec = field(stack, 'prometheus', 'prometheusSpec');
  const nilUsesHelm = field(spec, 'serviceMonitorSelectorNilUsesHelmValues') !== false;
  const explicit = stringMap(spec, 'serviceMonitorSelector', 'matchLabels');
  const wanted = Object.keys(explicit).length > 0 ? explicit : nilUsesHelm ? { release } : {};
  ctx.out.add(
    verdict({
      link: 'servicemonitor-release',
      subject,
      holds: Object.keys(wanted).length === 0 || selects(wanted, labels),
      ok: `labels match serviceMonitorSelector ${JSON.stringify(wanted)}`,
      broken: `labels ${JSON.stringify(labels)} do not match the Prometheus serviceMonitorSelector ${JSON.stringify(wanted)}: the ServiceMonitor is ignored`,
      fix: `add ${Object.entries(wanted)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')} to the ServiceMonitor's metadata.labels`,
    }),
  );
}

/** Checks each ServiceMonitor: the Services it selects, their port, the path, the release label. */
export function checkMonitoring(ctx: CheckContext): void {
  for (const monitor of ofKind(ctx.manifests, 'ServiceMonitor')) {
    const selected = checkSelectsService(ctx, monitor);
    checkEndpoints(ctx, monitor, selected);
    checkRelease(ctx, monitor);
  }
}

/** The kube-prometheus-stack Prometheus Service, from the release and its values. */
function expectedPrometheus(ctx: CheckContext): { host: string; port: number } {
  const release = ctx.input.prometheus?.release ?? 'prometheus';
  const namespace = ctx.input.prometheus?.namespace ?? 'monitoring';
  const values = ctx.input.prometheusStackValues;
  const override = field(values, 'fullnameOverride');
  // The chart's fullname: fullnameOverride, else the release, suffixed unless it already names the chart.
  const base =
    typeof override === 'string' && override !== ''
      ? override
      : release.includes('kube-prometheus')
        ? release
        : `${release}-kube-prometheus`;
  const port = Number(field(values, 'prometheus', 'service', 'port') ?? 9090);
  return { host: `${base}-prometheus.${namespace}.svc`, port: Number.isFinite(port) ? port : 9090 };
}

/**
 * Checks that an address (the adapter's `prometheus.url`, a KEDA `serverAddress`) is the
 * kube-prometheus-stack Prometheus. Skipped when neither its values nor its release were given:
 * then nothing says which Prometheus is meant.
 */
export function checkPrometheusAddress(subject: string, address: string, ctx: CheckContext): void {
  if (ctx.input.prometheusStackValues === undefined && ctx.input.prometheus === undefined) {
    ctx.out.add(
      skipped(
        'prometheus-address',
        subject,
        `${address}: no kube-prometheus-stack values or release given, so the Prometheus it should be is unknown (--release, --prometheus-namespace)`,
      ),
    );
    return;
  }
  const expected = expectedPrometheus(ctx);
  let url: URL | undefined;
  try {
    url = new URL(address);
  } catch {
    url = undefined;
  }
  const host = url?.hostname ?? '';
  const port = url?.port === '' ? undefined : Number(url?.port);
  const want = `http://${expected.host}:${expected.port}`;
  ctx.out.add(
    verdict({
      link: 'prometheus-address',
      subject,
      holds:
        (host === expected.host || host === `${expected.host}.cluster.local`) &&
        port === expected.port,
      ok: `${address} is the kube-prometheus-stack Prometheus`,
      broken: `${address} is not the kube-prometheus-stack Prometheus (${want})`,
      fix: `point it at ${want}`,
    }),
  );
}
