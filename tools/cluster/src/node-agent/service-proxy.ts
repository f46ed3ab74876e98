/**
 * kube-proxy's job, as the node agent plays it: each Service port gets a local TCP port on
 * 127.0.0.1, and each connection goes to the next of the Service's ready endpoints (round robin).
 * Endpoints are the pods the Service selects that are Ready and not terminating, the targetPort
 * resolved through the pod's container ports: what the EndpointSlice controller would publish and
 * kube-proxy would route to (EndpointSlices refuse the pods' loopback addresses, so the agent reads
 * the pods).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';

interface Listener {
  server: Server;
  port: number;
  next: number;
  sockets: Set<Socket>;
}

/** A backend: a ready pod's address and port. */
export interface Backend {
  ip: string;
  port: number;
}

function matches(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function podReady(pod: V1Pod): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    !!pod.status?.podIP &&
    pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

function targetPort(pod: V1Pod, port: V1ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(String(target))) return Number(target);
  for (const container of pod.spec?.containers ?? []) {
    const named = container.ports?.find((p) => p.name === target);
    if (named) return named.containerPort;
  }
  return undefined;
}

/** The ready backends of one Service port, among `pods`. */
export function backends(
  service: V1Service,
  port: V1ServicePort,
  pods: Iterable<V1Pod>,
): Backend[] {
  const selector = service.spec?.selector;
  if (!selector) return [];
  const found: Backend[] = [];
  for (const pod of pods) {
    if (pod.metadata?.namespace !== service.metadata?.namespace) continue;
    if (!matches(selector, pod.metadata?.labels) || !podReady(pod)) continue;
    const portNumber = targetPort(pod, port);
    if (portNumber !== undefined) found.push({ ip: pod.status?.podIP ?? '', port: portNumber });
  }
  return found.sort((a, b) => a.ip.localeCompare(b.ip));
}

/** The Service proxy: keep it in step with `sync`, read its addresses with `addresses`. */
export class ServiceProxy {
  private readonly listeners = new Map<string, Listener>();

  constructor(
    private readonly pods: () => Iterable<V1Pod>,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens a port for each port of each Service that selects pods; closes those of removed ones. */
  async sync(services: Iterable<V1Service>): Promise<boolean> {
    const wanted = new Map<string, { service: V1Service; port: V1ServicePort }>();
    for (const service of services) {
      if (!service.spec?.selector || service.spec.type === 'ExternalName') continue;
      for (const port of service.spec.ports ?? []) {
        if ((port.protocol ?? 'TCP') !== 'TCP') continue;
        wanted.set(this.key(service, port), { service, port });
      }
    }
    let changed = false;
    for (const [key, listener] of this.listeners) {
      if (!wanted.has(key)) {
        for (const socket of listener.sockets) socket.destroy();
        listener.server.close();
        this.listeners.delete(key);
        changed = true;
      }
    }
    for (const [key, { service, port }] of wanted) {
      if (this.listeners.has(key)) continue;
      this.listeners.set(key, await this.listen(key, service, port));
      changed = true;
    }
    return changed;
  }

  /** `"namespace/name"` (first port) and `"namespace/name:port"` (each port) → `http://127.0.0.1:PORT`. */
  addresses(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, listener] of [...this.listeners].sort(([a], [b]) => a.localeCompare(b))) {
      const service = key.slice(0, key.lastIndexOf(':'));
      out[service] ??= `http://127.0.0.1:${listener.port}`;
      out[key] = `http://127.0.0.1:${listener.port}`;
    }
    return out;
  }

  /** Closes every port. */
  close(): void {
    for (const listener of this.listeners.values()) {
      for (const socket of listener.sockets) socket.destroy();
      listener.server.close();
    }
    this.listeners.clear();
  }

  private key(service: V1Service, port: V1ServicePort): string {
    return `${service.metadata?.namespace}/${service.metadata?.name}:${port.name || port.port}`;
  }

  private listen(key: string, service: V1Service, port: V1ServicePort): Promise<Listener> {
    const listener: Listener = { server: createServer(), port: 0, next: 0, sockets: new Set() };
    const serviceName = key.slice(0, key.lastIndexOf(':'));
    listener.server.on('connection', (client) => {
      // The Service's current endpoints, read per connection (as kube-proxy's rules are).
      const current = backends(service, port, this.pods());
      if (current.length === 0) {
        client.destroy();
        return;
      }
      const backend = current[listener.next++ % current.length] as Backend;
      const upstream = connect({ host: backend.ip, port: backend.port });
      listener.sockets.add(client);
      listener.sockets.add(upstream);
      const done = () => {
        listener.sockets.delete(client);
        listener.sockets.delete(upstream);
      };
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => {
        upstream.end();
        done();
      });
      upstream.on('close', () => {
        client.end();
        done();
      });
    });
    return new Promise((resolve, reject) => {
      listener.server.once('error', reject);
      listener.server.listen(0, '127.0.0.1', () => {
        const address = listener.server.address();
        listener.port = typeof address === 'object' && address ? address.port : 0;
        this.log(
          `service ${serviceName} (${port.name || port.port}) → http://127.0.0.1:${listener.port}`,
        );
        resolve(listener);
      });
    });
  }
}
