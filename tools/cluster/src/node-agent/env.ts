/** A container's environment, resolved as the kubelet resolves it (the subset the node agent supports). */
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/**
 * Resolves `env` (values, `$(VAR)` references, and the downward API's fieldRef and
 * resourceFieldRef). Sources the node agent does not read (configMapKeyRef, secretKeyRef, envFrom)
 * are an error naming them, never a silently empty variable.
 * @param pod the pod (fieldRef reads it)
 * @param container the container
 * @param podIP the address the agent gave the pod
 */
export function containerEnv(
  pod: V1Pod,
  container: V1Container,
  podIP: string,
): Record<string, string> {
  if (container.envFrom?.length) {
    throw new Error(`container ${container.name}: envFrom is not supported by the node agent`);
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOSTNAME: pod.metadata?.name ?? '',
    HOME: '/tmp',
  };
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      // $(VAR) expands to an earlier variable; $$ escapes (Kubernetes' expansion rules).
      env[variable.name] = variable.value.replace(
        /\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (match, name: string | undefined) =>
          match === '$$' ? '$' : ((name && env[name]) ?? match),
      );
    } else if (variable.valueFrom?.fieldRef) {
      env[variable.name] = fieldValue(pod, variable.valueFrom.fieldRef.fieldPath, podIP);
    } else if (variable.valueFrom?.resourceFieldRef) {
      env[variable.name] = resourceValue(container, variable.valueFrom.resourceFieldRef.resource);
    } else if (variable.valueFrom) {
      throw new Error(
        `container ${container.name}: env ${variable.name} comes from ${Object.keys(variable.valueFrom).join(', ')}, which the node agent does not read`,
      );
    } else {
      env[variable.name] = '';
    }
  }
  return env;
}

function fieldValue(pod: V1Pod, path: string, podIP: string): string {
  const annotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (annotation) {
    const map = annotation[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[annotation[2] ?? ''] ?? '';
  }
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': podIP,
    'status.podIPs': podIP,
    'status.hostIP': '127.0.0.1',
    'status.hostIPs': '127.0.0.1',
  };
  if (!(path in fields)) throw new Error(`fieldRef ${path} is not supported by the node agent`);
  return fields[path] ?? '';
}

function resourceValue(container: V1Container, resource: string): string {
  const [kind, name = ''] = resource.split('.');
  const value = (kind === 'limits' ? container.resources?.limits : container.resources?.requests)?.[
    name
  ];
  if (value === undefined) throw new Error(`resourceFieldRef ${resource}: the container sets none`);
  if (name === 'cpu') {
    // Divisor 1: whole cores, rounded up (as the kubelet does).
    const cores = String(value).endsWith('m')
      ? Number.parseFloat(String(value)) / 1000
      : Number(value);
    return String(Math.ceil(cores));
  }
  throw new Error(`resourceFieldRef ${resource} is not supported by the node agent (only cpu)`);
}
