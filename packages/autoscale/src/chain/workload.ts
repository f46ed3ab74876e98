/** Links inside the workload: Service → pods, Service port → container port, probes, shutdown budget. */

import { isRecord } from '../is-record.js';
import type { CheckContext } from './context.js';
import { describe, field, list, ofKind, selects, stringMap } from './manifests.js';
import { describeScope, namespaceOf, resolve, unresolved } from './namespaces.js';
import type { ChainLink } from './types.js';
import { skipped, verdict } from './verdict.js';

/** The containers of a Deployment's pod template. */
export function containersOf(deployment: unknown): readonly unknown[] {
  return list(deployment, 'spec', 'template', 'spec', 'containers');
}

/** The labels of a Deployment's pods. */
export function podLabels(deployment: unknown): Record<string, string> {
  return stringMap(deployment, 'spec', 'template', 'metadata', 'labels');
}

function portNames(ports: readonly unknown[]): string {
  return (
    ports
      .map((p) => `${String(field(p, 'name') ?? '-')}:${String(field(p, 'containerPort'))}`)
      .join(', ') || 'none'
  );
}

function isPort(port: unknown, ref: unknown): boolean {
  return typeof ref === 'string'
    ? field(port, 'name') === ref
    : field(port, 'containerPort') === ref;
}

/** Checks Services against the Deployments' pods, then each Deployment's probes and shutdown budget. */
export function checkWorkload(ctx: CheckContext): void {
  const deployments = ofKind(ctx.manifests, 'Deployment');
  for (const service of ofKind(ctx.manifests, 'Service')) {
    const selector = stringMap(service, 'spec', 'selector');
    const subject = `${describe(service)} → pods`;
    if (Object.keys(selector).length === 0) {
      ctx.out.add(
        skipped(
          'service-selects-pods',
          subject,
          'the Service has no spec.selector: its endpoints are managed outside it (an EndpointSlice of its own), which the input does not show',
        ),
      );
      continue;
    }
    // A Service selects pods in its own namespace only.
    const scope = { names: [namespaceOf(ctx, service)] };
    const resolved = resolve(ctx, 'Deployment', scope, (d) => selects(selector, podLabels(d)));
    const targets = resolved.found;
    ctx.out.add(
      targets.length > 0
        ? {
            link: 'service-selects-pods',
            subject,
            status: 'ok',
            detail: `selects the pods of ${targets.map(describe).join(', ')} in ${describeScope(scope)}`,
          }
        : unresolved(ctx, resolved, {
            link: 'service-selects-pods',
            subject,
            kind: 'Deployment',
            scope,
            broken: `selector ${JSON.stringify(selector)} matches the pod labels of no Deployment in ${describeScope(scope)} (${resolved.candidates.map((d) => `${describe(d)} ${JSON.stringify(podLabels(d))}`).join(', ')})`,
            fix: 'make spec.selector of the Service equal to labels of the Deployment pod template',
            namespaceFix: 'put the Service in the namespace of the pods it should select',
          }),
    );
    if (targets.length === 0) continue;
    const ports = targets.flatMap((deployment) =>
      containersOf(deployment).flatMap((c) => [...list(c, 'ports')]),
    );
    for (const port of list(service, 'spec', 'ports')) {
      const target = field(port, 'targetPort') ?? field(port, 'port');
      const found = ports.find((p) => isPort(p, target));
      ctx.out.add(
        verdict({
          link: 'service-port',
          subject: `${describe(service)} port ${String(field(port, 'name') ?? field(port, 'port'))} → container port`,
          holds: found !== undefined,
          ok: `targetPort ${String(target)} is container port ${String(field(found, 'containerPort'))}`,
          broken: `targetPort ${JSON.stringify(target)} is no container port of the selected pods (${portNames(ports)})`,
          fix: `set targetPort to a container port name or number (${portNames(ports)})`,
        }),
      );
    }
  }
  for (const deployment of deployments) {
    for (const container of containersOf(deployment)) {
      const name = `${describe(deployment)} container ${String(field(container, 'name'))}`;
      checkProbes(name, container, ctx);
      ctx.out.add(shutdownBudget(name, deployment, container, ctx));
    }
  }
}

function checkProbes(name: string, container: unknown, ctx: CheckContext): void {
  const ports = list(container, 'ports');
  for (const probeName of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const get = field(container, probeName, 'httpGet');
    if (!isRecord(get)) continue;
    const subject = `${name} ${probeName}`;
    const port = field(get, 'port');
    const path = String(field(get, 'path') ?? '/');
    const status = ctx.input.probeStatus?.[path];
    if (!ports.some((p) => isPort(p, port))) {
      ctx.out.add({
        link: 'probe',
        subject,
        status: 'broken',
        detail: `port ${JSON.stringify(port)} is not a port of the container (${portNames(ports)})`,
        fix: 'probe a container port, by name or number',
      });
    } else if (status === undefined) {
      ctx.out.add(
        skipped(
          'probe',
          subject,
          `${path}: the app was not asked (give --metrics-url of a running pod)`,
        ),
      );
    } else if (status === 503) {
      ctx.out.add({
        link: 'probe',
        subject,
        status: 'warn',
        detail: `GET ${path} answered 503 (not ready yet?)`,
      });
    } else {
      ctx.out.add(
        verdict({
          link: 'probe',
          subject,
          holds: status === 200,
          ok: `GET ${path} answered 200`,
          broken: `GET ${path} answered ${status || 'nothing'} on the app`,
          fix: 'point the probe at a path the app answers 200 on when healthy',
        }),
      );
    }
  }
}

function defaultedNumber(value: unknown, fallback: number): number {
  const n = Number(value);
  return value === undefined || value === '' || !Number.isFinite(n) ? fallback : n;
}

/** Seconds a preStop hook takes: `sleep.seconds`, or an exec'd `sleep N`; `undefined` when unknown. */
function preStopSeconds(hook: unknown): number | undefined {
  if (!isRecord(hook)) return 0;
  const sleep = field(hook, 'sleep', 'seconds');
  if (typeof sleep === 'number') return sleep;
  const command = list(hook, 'exec', 'command').map(String).join(' ');
  const match = /^(?:\S*sh -c )?sleep\s+(\d+(?:\.\d+)?)$/.exec(command.trim());
  return match?.[1] ? Number(match[1]) : undefined;
}

/** The seconds an environment variable gives, 0 when the app has no such phase, or why unknown. */
function envSeconds(container: unknown, variable: string): number | string {
  if (variable === '') return 0;
  const entry = list(container, 'env').find((item) => field(item, 'name') === variable);
  if (entry === undefined) return `${variable} is not set`;
  const value = field(entry, 'value');
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n)) {
    return `${variable} is not a literal number of seconds`;
  }
  return n;
}

function shutdownBudget(
  name: string,
  deployment: unknown,
  container: unknown,
  ctx: CheckContext,
): ChainLink {
  const subject = `${name} shutdown → terminationGracePeriodSeconds`;
  const grace = defaultedNumber(
    field(deployment, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds'),
    30,
  );
  const preStop = preStopSeconds(field(container, 'lifecycle', 'preStop'));
  const { shutdownDelayEnv, shutdownDrainEnv } = ctx.assumptions;
  const delay = envSeconds(container, shutdownDelayEnv);
  const drain = envSeconds(container, shutdownDrainEnv);
  const fix = (total: number) =>
    `raise terminationGracePeriodSeconds above ${total} or shorten the shutdown; the kubelet kills the pod mid-drain`;
  if (preStop !== undefined && preStop >= grace) {
    return {
      link: 'shutdown-budget',
      subject,
      status: 'broken',
      detail: `the preStop hook alone takes ${preStop} s, grace period ${grace} s`,
      fix: fix(preStop),
    };
  }
  const unknown = [
    ...(preStop === undefined ? ['the preStop hook is not a plain sleep'] : []),
    ...[delay, drain].filter((v): v is string => typeof v === 'string'),
  ];
  if (unknown.length > 0 || preStop === undefined) {
    return skipped(
      'shutdown-budget',
      subject,
      `the shutdown time is unknown: ${unknown.join('; ')} (name the app's variables with --shutdown-delay-env/--shutdown-drain-env, "" for none)`,
    );
  }
  const total = preStop + (delay as number) + (drain as number);
  const parts = [
    `preStop ${preStop} s`,
    ...(shutdownDelayEnv ? [`${shutdownDelayEnv} ${delay} s`] : []),
    ...(shutdownDrainEnv ? [`${shutdownDrainEnv} ${drain} s`] : []),
  ];
  const detail = `${parts.join(' + ')} = ${total} s, grace period ${grace} s`;
  return verdict({
    link: 'shutdown-budget',
    subject,
    holds: total < grace,
    ok: detail,
    broken: detail,
    fix: fix(total),
  });
}
