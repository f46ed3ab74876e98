/**
 * The aggregated metrics APIs as the HPA controller reads them: the APIService (Available, and
 * the Service behind it), the metric in the API's discovery, and its value for the target's pods.
 */
import { field, list } from '../chain/manifests.js';
import type { ChainLink } from '../chain/types.js';
import type { KubeApi } from './kube-api.js';
import { statusMessage } from './objects.js';

/** The metrics API groups and the versions the HPA controller may use, preferred first. */
export const METRICS_APIS = {
  custom: { group: 'custom.metrics.k8s.io', versions: ['v1beta2', 'v1beta1'] },
  external: { group: 'external.metrics.k8s.io', versions: ['v1beta1'] },
} as const;

/** Which API a metric goes through. */
export type MetricsApi = keyof typeof METRICS_APIS;

function serviceOf(apiService: unknown): string {
  const namespace = field(apiService, 'spec', 'service', 'namespace');
  const name = field(apiService, 'spec', 'service', 'name');
  const port = field(apiService, 'spec', 'service', 'port');
  return typeof name === 'string'
    ? `Service ${String(namespace)}/${name}${port ? `:${String(port)}` : ''}`
    : 'the API server itself';
}

/**
 * The `apiservice` link: every registered version of the group is Available.
 *
 * @param api - the API server
 * @param which - `custom` or `external`
 */
export async function apiServiceLink(api: KubeApi, which: MetricsApi): Promise<ChainLink> {
  const { group, versions } = METRICS_APIS[which];
  const subject = `APIService ${group}`;
  const found: string[] = [];
  const down: string[] = [];
  for (const version of versions) {
    const name = `${version}.${group}`;
    const answer = await api.get(`/apis/apiregistration.k8s.io/v1/apiservices/${name}`);
    if (answer.status === 404) continue;
    if (answer.status !== 200)
      return {
        link: 'apiservice',
        subject,
        status: 'broken',
        detail: `GET APIService ${name} answered ${statusMessage(answer)}`,
      };
    const available = list(answer.body, 'status', 'conditions').find(
      (c) => field(c, 'type') === 'Available',
    );
    const backing = serviceOf(answer.body);
    if (field(available, 'status') === 'True')
      found.push(`${name} Available, served by ${backing}`);
    else
      down.push(
        `${name} is not Available (${String(field(available, 'reason') ?? 'no condition')}: ${String(field(available, 'message') ?? '')}), served by ${backing}`,
      );
  }
  if (found.length === 0 && down.length === 0) {
    return {
      link: 'apiservice',
      subject,
      status: 'broken',
      detail: `no APIService registers ${group}`,
      fix:
        which === 'custom'
          ? 'install prometheus-adapter (its chart registers the APIService)'
          : 'install prometheus-adapter with external rules, or KEDA',
    };
  }
  if (down.length > 0) {
    return {
      link: 'apiservice',
      subject,
      status: 'broken',
      detail: [...down, ...found].join('\n'),
      fix: 'the adapter behind the APIService is not answering the API server: check that its pods are running and ready, and that the Service reaches them on the APIService port',
    };
  }
  return { link: 'apiservice', subject, status: 'ok', detail: found.join('\n') };
}

/** The discovery document of a metrics API (its first version that answers). */
async function discovery(
  api: KubeApi,
  which: MetricsApi,
): Promise<{ version: string; names: string[] } | string> {
  const { group, versions } = METRICS_APIS[which];
  let last = '';
  for (const version of versions) {
    const answer = await api.get(`/apis/${group}/${version}`);
    if (answer.status === 200) {
      return {
        version,
        names: list(answer.body, 'resources').map((r) => String(field(r, 'name'))),
      };
    }
    last = `GET /apis/${group}/${version} answered ${statusMessage(answer)}`;
  }
  return last;
}

/**
 * The `discovery` link: the metric is listed (`pods/<metric>` for custom metrics).
 *
 * @returns the link, and the API version that answered (for the value's path)
 */
export async function discoveryLink(
  api: KubeApi,
  which: MetricsApi,
  metric: string,
): Promise<{ link: ChainLink; version?: string }> {
  const subject = `${METRICS_APIS[which].group} discovery → ${metric}`;
  const found = await discovery(api, which);
  if (typeof found === 'string') {
    return {
      link: {
        link: 'discovery',
        subject,
        status: 'broken',
        detail: found,
        fix: 'the APIService must be Available',
      },
    };
  }
  const wanted = which === 'custom' ? `pods/${metric}` : metric;
  if (found.names.includes(wanted)) {
    return {
      link: {
        link: 'discovery',
        subject,
        status: 'ok',
        detail: `listed as ${wanted} in ${METRICS_APIS[which].group}/${found.version}`,
      },
      version: found.version,
    };
  }
  const listed = found.names.filter((n) => which === 'external' || n.startsWith('pods/'));
  return {
    link: {
      link: 'discovery',
      subject,
      status: 'broken',
      detail: `${METRICS_APIS[which].group}/${found.version} does not list ${wanted}; it lists ${listed.length > 0 ? listed.join(', ') : 'nothing'}`,
      fix: "the adapter lists a metric once its rule's seriesQuery finds series (at each metricsRelistInterval): make Prometheus hold them, or name in the HPA a listed metric",
    },
    version: found.version,
  };
}

/** The query string of an HPA metric's label selector (matchLabels only; expressions as set-based). */
export function selectorString(selector: unknown): string {
  const parts = Object.entries(
    (field(selector, 'matchLabels') ?? {}) as Record<string, unknown>,
  ).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of list(selector, 'matchExpressions')) {
    const key = String(field(e, 'key'));
    const values = list(e, 'values').map(String).join(',');
    const op = String(field(e, 'operator'));
    if (op === 'In') parts.push(`${key} in (${values})`);
    else if (op === 'NotIn') parts.push(`${key} notin (${values})`);
    else if (op === 'Exists') parts.push(key);
    else if (op === 'DoesNotExist') parts.push(`!${key}`);
  }
  return parts.join(',');
}
