/**
 * prometheus-adapter's rules and Prometheus address: from a file the user gives (the adapter's
 * `--config` file or the chart's values), or found in the cluster as the adapter runs there: the
 * APIService's Service → the adapter's pods → their `--config` and `--prometheus-url` arguments →
 * the ConfigMap mounted at that path.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { type AdapterRule, readAdapterValues } from '../adapter/rules.js';
import { field, list, stringMap } from '../chain/manifests.js';
import { isRecord } from '../is-record.js';
import type { KubeApi } from './kube-api.js';
import { statusMessage } from './objects.js';
import type { FoundRules } from './types.js';

/** Rules and the Prometheus address the adapter uses, or why they were not found. */
export type AdapterConfig =
  | { readonly ok: true; readonly rules: FoundRules; readonly prometheusUrl?: string }
  | { readonly ok: false; readonly error: string };

/**
 * Reads rules from YAML text: the adapter's own config (`rules`, `externalRules` lists) or the
 * prometheus-community chart's values (`rules.custom`, `rules.external`).
 */
export function rulesFromText(text: string, source: string): AdapterConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    return { ok: false, error: `${source} is not valid YAML: ${(error as Error).message}` };
  }
  const record = isRecord(doc) ? doc : {};
  const isConfig = Array.isArray(record.rules) || Array.isArray(record.externalRules);
  const values = isConfig
    ? { rules: { custom: record.rules, external: record.externalRules } }
    : doc;
  if (!isConfig && !isRecord(record.rules)) {
    return {
      ok: false,
      error: `${source} holds neither prometheus-adapter's config (rules: [...]) nor its chart's values (rules.custom)`,
    };
  }
  const read = readAdapterValues(values);
  if (!read.ok) return { ok: false, error: `${source}: ${read.error}` };
  const { prometheusUrl, prometheusPort, prometheusPath } = read.value;
  // Paths as the file spells them: the adapter's config has `rules` and `externalRules` lists.
  const where = (rule: AdapterRule): AdapterRule =>
    isConfig
      ? {
          ...rule,
          path: rule.path
            .replace(/^rules\.custom/, 'rules')
            .replace(/^rules\.external/, 'externalRules'),
        }
      : rule;
  const custom = read.value.custom.map(where);
  const external = read.value.external.map(where);
  const url = isConfig ? undefined : `${prometheusUrl}:${prometheusPort}${prometheusPath}`;
  return { ok: true, rules: { custom, external, source }, ...(url ? { prometheusUrl: url } : {}) };
}

/** Reads `--adapter-config <file>`. */
export async function rulesFromFile(file: string): Promise<AdapterConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return {
      ok: false,
      error: `cannot read --adapter-config ${file}: ${(error as Error).message}`,
    };
  }
  return rulesFromText(text, `--adapter-config ${file}`);
}

/** `--flag=value` or `--flag value` in a container's command and args. */
function argValue(args: readonly string[], flag: string): string | undefined {
  for (const [i, arg] of args.entries()) {
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
    if (arg === flag) return args[i + 1];
  }
  return undefined;
}

/** The Service behind the custom metrics APIService, or why there is none to follow. */
async function adapterService(
  api: KubeApi,
): Promise<{ ok: true; service: unknown } | { ok: false; error: string }> {
  const names = ['v1beta2.custom.metrics.k8s.io', 'v1beta1.custom.metrics.k8s.io'];
  for (const name of names) {
    const answer = await api.get(`/apis/apiregistration.k8s.io/v1/apiservices/${name}`);
    if (answer.status !== 200) continue;
    const namespace = field(answer.body, 'spec', 'service', 'namespace');
    const serviceName = field(answer.body, 'spec', 'service', 'name');
    if (typeof namespace !== 'string' || typeof serviceName !== 'string') {
      return {
        ok: false,
        error: `APIService ${name} is served by the API server itself, not an adapter`,
      };
    }
    const service = await api.get(`/api/v1/namespaces/${namespace}/services/${serviceName}`);
    if (service.status !== 200) {
      return {
        ok: false,
        error: `the Service ${namespace}/${serviceName} of APIService ${name} answered ${statusMessage(service)}`,
      };
    }
    return { ok: true, service: service.body };
  }
  return { ok: false, error: 'no APIService for custom.metrics.k8s.io' };
}

/** The adapter's container: the first pod the Service selects with a `--config` argument. */
async function adapterContainer(
  api: KubeApi,
  service: unknown,
): Promise<{ pod: unknown; args: string[] } | string> {
  const where = `Service ${String(field(service, 'metadata', 'namespace'))}/${String(field(service, 'metadata', 'name'))}`;
  if (field(service, 'spec', 'type') === 'ExternalName') {
    return `${where} is ExternalName ${String(field(service, 'spec', 'externalName'))}: the adapter runs outside the cluster, so its configuration cannot be read from it`;
  }
  const selector = stringMap(service, 'spec', 'selector');
  if (Object.keys(selector).length === 0)
    return `${where} has no selector: its adapter pods cannot be found`;
  const labelSelector = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const namespace = String(field(service, 'metadata', 'namespace'));
  const pods = await api.get(
    `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(labelSelector)}`,
  );
  if (pods.status !== 200) return `listing the pods of ${where} answered ${statusMessage(pods)}`;
  for (const pod of list(pods.body, 'items')) {
    for (const container of list(pod, 'spec', 'containers')) {
      const args = [...list(container, 'command'), ...list(container, 'args')].map(String);
      if (argValue(args, '--config') !== undefined)
        return { pod, args: [...args, `--container=${String(field(container, 'name'))}`] };
    }
  }
  return `no pod of ${where} (${labelSelector}) runs the adapter with a --config argument`;
}

/** The ConfigMap key mounted at `path` in the adapter's container. */
function mountedConfigMap(
  pod: unknown,
  args: readonly string[],
  path: string,
): { name: string; key: string } | undefined {
  const containerName = argValue(args, '--container');
  const container = list(pod, 'spec', 'containers').find((c) => field(c, 'name') === containerName);
  for (const mount of list(container, 'volumeMounts')) {
    const mountPath = String(field(mount, 'mountPath') ?? '').replace(/\/+$/, '');
    if (!path.startsWith(`${mountPath}/`)) continue;
    const volume = list(pod, 'spec', 'volumes').find(
      (v) => field(v, 'name') === field(mount, 'name'),
    );
    const name = field(volume, 'configMap', 'name');
    if (typeof name !== 'string') continue;
    const file = path.slice(mountPath.length + 1);
    const item = list(volume, 'configMap', 'items').find((i) => field(i, 'path') === file);
    return { name, key: item ? String(field(item, 'key')) : file };
  }
  return undefined;
}

/**
 * Finds the adapter's configuration in the cluster, as it runs there.
 *
 * @param api - the API server
 * @example
 * const found = await rulesFromCluster(api); // { ok: true, rules, prometheusUrl: 'http://prometheus.monitoring.svc:9090/' }
 */
export async function rulesFromCluster(api: KubeApi): Promise<AdapterConfig> {
  const service = await adapterService(api);
  if (!service.ok) return service;
  const container = await adapterContainer(api, service.service);
  if (typeof container === 'string') return { ok: false, error: container };
  const configPath = argValue(container.args, '--config') ?? '';
  const prometheusUrl = argValue(container.args, '--prometheus-url');
  const namespace = String(field(container.pod, 'metadata', 'namespace'));
  const mounted = mountedConfigMap(container.pod, container.args, configPath);
  if (!mounted)
    return { ok: false, error: `the adapter's --config ${configPath} is not a mounted ConfigMap` };
  const configMap = await api.get(`/api/v1/namespaces/${namespace}/configmaps/${mounted.name}`);
  if (configMap.status !== 200) {
    return {
      ok: false,
      error: `ConfigMap ${namespace}/${mounted.name} answered ${statusMessage(configMap)}`,
    };
  }
  const text = field(configMap.body, 'data', mounted.key);
  if (typeof text !== 'string')
    return { ok: false, error: `ConfigMap ${namespace}/${mounted.name} has no key ${mounted.key}` };
  const found = rulesFromText(
    text,
    `ConfigMap ${namespace}/${mounted.name} key ${mounted.key} (the adapter's --config)`,
  );
  if (!found.ok) return found;
  return { ...found, ...(prometheusUrl ? { prometheusUrl } : {}) };
}
