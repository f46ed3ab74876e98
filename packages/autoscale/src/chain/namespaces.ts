/**
 * References between objects, resolved as Kubernetes resolves them: an HPA's or ScaledObject's
 * `scaleTargetRef` and a Service's selector reach only their own namespace; a ServiceMonitor's
 * selector reaches its own namespace unless `namespaceSelector` says `any: true` or `matchNames`.
 * An object without `metadata.namespace` is in the namespace given (`--namespace`, else `default`),
 * as `kubectl apply -n` would put it; a kustomization's `namespace` is set on its objects when
 * they are read.
 */
import type { LabelSelector } from '../adapter/render.js';
import type { CheckContext } from './context.js';
import { describe, field, ofKind } from './manifests.js';
import type { ChainLink } from './types.js';
import { skipped } from './verdict.js';

/** The namespace an object lives in: its own, else the one the check was given. */
export function namespaceOf(ctx: CheckContext, manifest: unknown): string {
  const own = field(manifest, 'metadata', 'namespace');
  return typeof own === 'string' && own !== '' ? own : ctx.namespace;
}

/** Which namespaces a reference reaches: one, or every one (`any: true`). */
export type NamespaceScope = { readonly any: true } | { readonly names: readonly string[] };

/** The namespaces a ServiceMonitor selects Services in (`spec.namespaceSelector`). */
export function monitorScope(ctx: CheckContext, monitor: unknown): NamespaceScope {
  const selector = field(monitor, 'spec', 'namespaceSelector');
  if (field(selector, 'any') === true) return { any: true };
  const names = field(selector, 'matchNames');
  if (Array.isArray(names) && names.length > 0) return { names: names.map(String) };
  return { names: [namespaceOf(ctx, monitor)] };
}

function inScope(scope: NamespaceScope, namespace: string): boolean {
  return 'any' in scope || scope.names.includes(namespace);
}

/** The scope in words: `namespace serving`, `namespaces a, b`, `every namespace`. */
export function describeScope(scope: NamespaceScope): string {
  if ('any' in scope) return 'every namespace';
  return `namespace${scope.names.length === 1 ? '' : 's'} ${scope.names.join(', ')}`;
}

/** What a reference found among the objects given. */
export interface Resolved {
  /** Objects it reaches that match. */
  readonly found: readonly unknown[];
  /** Objects that match but lie outside its reach: a namespace mistake. */
  readonly elsewhere: readonly unknown[];
  /** Objects of the kind given within its reach (matching or not). */
  readonly candidates: readonly unknown[];
}

/**
 * Finds the objects of `kind` that a reference from the scope reaches and that `matches` accepts,
 * and, apart, those that match but lie in another namespace.
 */
export function resolve(
  ctx: CheckContext,
  kind: string,
  scope: NamespaceScope,
  matches: (manifest: unknown) => boolean,
): Resolved {
  const all = ofKind(ctx.manifests, kind);
  const candidates = all.filter((m) => inScope(scope, namespaceOf(ctx, m)));
  return {
    found: candidates.filter(matches),
    elsewhere: all.filter((m) => !inScope(scope, namespaceOf(ctx, m)) && matches(m)),
    candidates,
  };
}

/** `Kind/name (namespace ns)`, for messages about namespaces. */
export function describeIn(ctx: CheckContext, manifest: unknown): string {
  return `${describe(manifest)} (namespace ${namespaceOf(ctx, manifest)})`;
}

/**
 * The link for a reference that found nothing in reach: broken when the match lies in another
 * namespace (what Kubernetes would not follow) or when objects of the kind were given in reach and
 * none matches; skipped when none of the kind was given in reach (the input is partial: the object
 * may exist in the cluster).
 */
export function unresolved(
  ctx: CheckContext,
  resolved: Resolved,
  what: {
    readonly link: string;
    readonly subject: string;
    readonly kind: string;
    readonly scope: NamespaceScope;
    /** Says which objects of the kind in reach do not match, and why. */
    readonly broken: string;
    readonly fix: string;
    /** How to put the two in one namespace. */
    readonly namespaceFix: string;
  },
): ChainLink {
  const { link, subject, kind, scope } = what;
  if (resolved.elsewhere.length > 0) {
    return {
      link,
      subject,
      status: 'broken',
      detail: `only ${resolved.elsewhere.map((m) => describeIn(ctx, m)).join(', ')} would match, outside ${describeScope(scope)}: Kubernetes resolves this reference in ${describeScope(scope)} only`,
      fix: what.namespaceFix,
    };
  }
  if (resolved.candidates.length === 0) {
    return skipped(
      link,
      subject,
      `no ${kind} in ${describeScope(scope)} was given, so it cannot be told whether one matches (give the ${kind}'s manifest, or --namespace when the files leave the namespace out)`,
    );
  }
  return { link, subject, status: 'broken', detail: what.broken, fix: what.fix };
}

/**
 * Whether a label set satisfies a Kubernetes `LabelSelector` (`matchLabels` and `matchExpressions`
 * with `In`, `NotIn`, `Exists`, `DoesNotExist`). An empty selector selects everything, as
 * `metav1.LabelSelectorAsSelector` makes it; an unknown operator selects nothing.
 */
export function labelSelectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(
    ([key, value]) => labels[key] === value,
  );
  return (
    byLabels &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const value = labels[key];
      switch (operator) {
        case 'In':
          return value !== undefined && values.includes(value);
        case 'NotIn':
          return value === undefined || !values.includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
        default:
          return false;
      }
    })
  );
}

/**
 * The link from an HPA or ScaledObject to the workload its `scaleTargetRef` names: an object of
 * that kind (default `Deployment`) and name in the scaler's own namespace.
 *
 * @param link - `hpa-target` or `keda-target`
 */
export function scaleTargetLink(
  ctx: CheckContext,
  link: string,
  scaler: unknown,
  ref: { readonly kind?: string | undefined; readonly name: unknown },
): ChainLink {
  const kind = typeof ref.kind === 'string' && ref.kind !== '' ? ref.kind : 'Deployment';
  const subject = `${describe(scaler)} → ${kind}`;
  const scope = { names: [namespaceOf(ctx, scaler)] };
  const resolved = resolve(ctx, kind, scope, (m) => field(m, 'metadata', 'name') === ref.name);
  if (resolved.found.length > 0) {
    return {
      link,
      subject,
      status: 'ok',
      detail: `scales ${kind}/${String(ref.name)} in ${describeScope(scope)}`,
    };
  }
  return unresolved(ctx, resolved, {
    link,
    subject,
    kind,
    scope,
    broken: `scaleTargetRef ${String(ref.name)} is no ${kind} in ${describeScope(scope)} (given there: ${resolved.candidates.map(describe).join(', ')})`,
    fix: `set spec.scaleTargetRef.name to the ${kind}'s name, or give the file that defines ${kind}/${String(ref.name)}`,
    namespaceFix: `put ${describe(scaler)} in the namespace of the ${kind} it scales: a scaleTargetRef has no namespace of its own`,
  });
}
