/**
 * `mlscale check --kubeconfig`: finds the HPAs and KEDA ScaledObjects of a namespace (or the ones
 * named), where the adapter's rules and Prometheus are, and checks each scaler's chain.
 */
import { field, list } from '../chain/manifests.js';
import type { ChainLink } from '../chain/types.js';
import { skipped } from '../chain/verdict.js';
import { PrometheusClient } from '../prometheus/client.js';
import { type AdapterConfig, rulesFromCluster, rulesFromFile } from './adapter-config.js';
import { checkHpa } from './check-hpa.js';
import { ClusterError, type KubeApi } from './kube-api.js';
import { statusMessage } from './objects.js';
import { activeTargets, type ScrapeTarget } from './scrape-links.js';
import type { FoundRules, LiveContext, LiveReport, ScalerReport } from './types.js';

/** What to check. */
export interface LiveCheckOptions {
  readonly api: KubeApi;
  readonly namespace: string;
  /** HPA or ScaledObject names (`name`, `hpa/name`, `scaledobject/name`); all when empty. */
  readonly names?: readonly string[];
  /** Prometheus' URL, instead of the adapter's `--prometheus-url`. */
  readonly prometheusUrl?: string;
  /** The adapter's config file or chart values, instead of finding them in the cluster. */
  readonly adapterConfig?: string;
  readonly podTimeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** A usage problem of the live check (a named scaler that does not exist, an unreadable file): exit 2. */
export class LiveCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveCheckError';
  }
}

async function listItems(api: KubeApi, path: string, what: string): Promise<unknown[] | undefined> {
  const answer = await api.get(path);
  if (answer.status === 404) return undefined;
  if (answer.status !== 200)
    throw new ClusterError(
      `listing ${what} answered ${statusMessage(answer)} (${api.server}, context ${api.context})`,
    );
  return [...list(answer.body, 'items')];
}

/** The HPAs and ScaledObjects to check; an HPA a ScaledObject owns is checked under it. */
async function findScalers(
  options: LiveCheckOptions,
): Promise<{ hpas: unknown[]; scaledObjects: unknown[] }> {
  const { api, namespace } = options;
  const hpas =
    (await listItems(
      api,
      `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`,
      'HorizontalPodAutoscalers',
    )) ?? [];
  const scaledObjects =
    (await listItems(
      api,
      `/apis/keda.sh/v1alpha1/namespaces/${namespace}/scaledobjects`,
      'ScaledObjects',
    )) ?? [];
  const owned = (hpa: unknown) =>
    list(hpa, 'metadata', 'ownerReferences').some((o) => field(o, 'kind') === 'ScaledObject');
  const names = options.names ?? [];
  const named = (kind: 'hpa' | 'scaledobject', object: unknown) => {
    if (names.length === 0) return true;
    const name = String(field(object, 'metadata', 'name'));
    return names.some(
      (n) =>
        n === name ||
        n === `${kind}/${name}` ||
        (kind === 'hpa' && n === `horizontalpodautoscaler/${name}`),
    );
  };
  const found = {
    hpas: hpas.filter((h) => !owned(h) && named('hpa', h)),
    scaledObjects: scaledObjects.filter((s) => named('scaledobject', s)),
  };
  const all = [...found.hpas, ...found.scaledObjects].map((o) =>
    String(field(o, 'metadata', 'name')),
  );
  const missing = names.filter((n) => !all.includes(n.replace(/^[a-z]+\//, '')));
  if (missing.length > 0) {
    const have = [...hpas, ...scaledObjects].map((o) => String(field(o, 'metadata', 'name')));
    throw new LiveCheckError(
      `no HorizontalPodAutoscaler or ScaledObject named ${missing.join(', ')} in namespace ${namespace} (it has ${have.join(', ') || 'none'})`,
    );
  }
  return { ...found, hpas: names.length === 0 ? found.hpas : hpas.filter((h) => named('hpa', h)) };
}

/** The adapter's rules: the file given, else found in the cluster (never broken: skipped when not found). */
async function findRules(
  options: LiveCheckOptions,
): Promise<{ config: AdapterConfig; link: ChainLink }> {
  const subject = "prometheus-adapter's configuration";
  if (options.adapterConfig !== undefined) {
    const config = await rulesFromFile(options.adapterConfig);
    if (!config.ok) throw new LiveCheckError(config.error);
    return { config, link: rulesFound(config.rules, subject) };
  }
  const config = await rulesFromCluster(options.api);
  if (!config.ok) {
    return {
      config,
      link: skipped(
        'adapter-config',
        subject,
        `${config.error}; the rule links are skipped (give --adapter-config with the adapter's config file or its chart values)`,
      ),
    };
  }
  return { config, link: rulesFound(config.rules, subject) };
}

/** The `ok` link of the adapter's rules, saying how many and where from. */
function rulesFound({ custom, external, source }: FoundRules, subject: string): ChainLink {
  return {
    link: 'adapter-config',
    subject,
    status: 'ok',
    detail: `${custom.length} rules, ${external.length} external rules from ${source}`,
  };
}

/** Prometheus: `--prometheus` (which must answer), else the adapter's own address (skipped when it does not answer from here). */
async function findPrometheus(
  options: LiveCheckOptions,
  config: AdapterConfig,
): Promise<{ client?: PrometheusClient; link: ChainLink }> {
  const subject = 'Prometheus';
  const fetchImpl = options.fetch ?? fetch;
  if (options.prometheusUrl !== undefined) {
    const client = new PrometheusClient({ url: options.prometheusUrl, fetch: fetchImpl });
    await client.query('vector(1)'); // a PrometheusError here is the CLI's exit 3 or 4
    return {
      client,
      link: {
        link: 'prometheus',
        subject,
        status: 'ok',
        detail: `${client.url} (--prometheus) answers`,
      },
    };
  }
  const url = config.ok ? config.prometheusUrl : undefined;
  if (!url) {
    const why = config.ok
      ? 'the adapter configuration given has no Prometheus URL'
      : 'the adapter was not found';
    return {
      link: skipped(
        'prometheus',
        subject,
        `${why}: the Prometheus links are skipped (give --prometheus <url>)`,
      ),
    };
  }
  const client = new PrometheusClient({ url, fetch: fetchImpl, timeoutMs: 5000 });
  try {
    await client.query('vector(1)');
    return {
      client,
      link: {
        link: 'prometheus',
        subject,
        status: 'ok',
        detail: `${client.url} (the adapter's) answers`,
      },
    };
  } catch (error) {
    return {
      link: skipped(
        'prometheus',
        subject,
        `the adapter's Prometheus ${url} does not answer from here (${(error as Error).message}): the Prometheus links are skipped (give --prometheus, e.g. after kubectl port-forward)`,
      ),
    };
  }
}

/** The context every link shares, and the report's shared links. */
async function liveContext(
  options: LiveCheckOptions,
): Promise<{ ctx: LiveContext; shared: ChainLink[] }> {
  const rules = await findRules(options);
  const prometheus = await findPrometheus(options, rules.config);
  const ctx: LiveContext = {
    api: options.api,
    ...(rules.config.ok ? { rules: rules.config.rules } : { rulesMissing: rules.link.detail }),
    ...(prometheus.client
      ? { prometheus: prometheus.client }
      : { prometheusMissing: prometheus.link.detail }),
    podTimeoutMs: options.podTimeoutMs ?? 3000,
    fetch: options.fetch ?? fetch,
  };
  return { ctx, shared: [rules.link, prometheus.link] };
}

/** A ScaledObject: its HPA (which KEDA creates and names in its status), then that HPA's chain. */
async function checkScaledObject(
  ctx: LiveContext,
  scaledObject: unknown,
  targets: readonly ScrapeTarget[] | string,
): Promise<ScalerReport> {
  const namespace = String(field(scaledObject, 'metadata', 'namespace'));
  const name = String(field(scaledObject, 'metadata', 'name'));
  const scaler = `ScaledObject/${name} (namespace ${namespace})`;
  const hpaName = String(field(scaledObject, 'status', 'hpaName') ?? `keda-hpa-${name}`);
  const ready = list(scaledObject, 'status', 'conditions').find(
    (c) => field(c, 'type') === 'Ready',
  );
  const answer = await ctx.api.get(
    `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/${hpaName}`,
  );
  const subject = `${scaler} → HorizontalPodAutoscaler/${hpaName}`;
  if (answer.status !== 200 || field(ready, 'status') !== 'True') {
    const detail = `${answer.status !== 200 ? `its HPA ${hpaName}: ${statusMessage(answer)}; ` : ''}Ready is ${String(field(ready, 'status') ?? 'missing')}: ${String(field(ready, 'message') ?? '')}`;
    return {
      scaler,
      links: [
        {
          link: 'scaledobject-hpa',
          subject,
          status: 'broken',
          detail,
          fix: "check the KEDA operator (kubectl -n keda logs deploy/keda-operator) and the ScaledObject's events",
        },
      ],
    };
  }
  const hpa = await checkHpa(ctx, answer.body, targets, scaledObject);
  return {
    scaler,
    links: [
      { link: 'scaledobject-hpa', subject, status: 'ok', detail: 'Ready; KEDA created its HPA' },
      ...hpa.links,
    ],
  };
}

/**
 * Checks every HPA and ScaledObject of a namespace (or the ones named) on a running cluster.
 *
 * @throws ClusterError when the API server cannot be reached; LiveCheckError for a usage problem
 * @example
 * const report = await runLiveCheck({ api: await connectKube(), namespace: 'serving' });
 */
export async function runLiveCheck(options: LiveCheckOptions): Promise<LiveReport> {
  const { hpas, scaledObjects } = await findScalers(options);
  const { ctx, shared } = await liveContext(options);
  let targets: readonly ScrapeTarget[] | string = ctx.prometheusMissing ?? '';
  if (ctx.prometheus) {
    targets = await activeTargets(ctx).catch(
      (error: Error) => `Prometheus' targets could not be read: ${error.message}`,
    );
  }
  const scalers: ScalerReport[] = [];
  for (const hpa of hpas) scalers.push(await checkHpa(ctx, hpa, targets));
  for (const scaledObject of scaledObjects)
    scalers.push(await checkScaledObject(ctx, scaledObject, targets));
  const ok = [...shared, ...scalers.flatMap((s) => s.links)].every((l) => l.status !== 'broken');
  return { context: options.api.context, server: options.api.server, shared, scalers, ok };
}
