/**
 * The Kubernetes API as the live check reads it: plain GETs of API paths, authenticated from a
 * kubeconfig by `@kubernetes/client-node` (certificates, tokens, exec and OIDC plugins). Raw paths
 * rather than the generated clients: the check reads the aggregated metrics APIs, the scale
 * subresource and KEDA's objects, which have no generated client, and each link's evidence is the
 * API's own JSON (what the tests record).
 */
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One answer of the API server. */
export interface KubeAnswer {
  /** HTTP status. */
  readonly status: number;
  /** The JSON body, `undefined` when it was not JSON. */
  readonly body: unknown;
}

/** Reads the API server (real, or recorded answers in tests). */
export interface KubeApi {
  /** The API server's URL, for messages. */
  readonly server: string;
  /** The kubeconfig context, for messages. */
  readonly context: string;
  /** The context's namespace, when it names one. */
  readonly namespace?: string;
  /** GET of an API path (`/api/v1/namespaces/x/pods?labelSelector=...`). */
  get(path: string): Promise<KubeAnswer>;
}

/** The API server could not be reached, or the kubeconfig could not be used (exit 2). */
export class ClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterError';
  }
}

/** Where to find the cluster. */
export interface KubeConnection {
  /** A kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else the in-cluster account). */
  readonly kubeconfig?: string;
  /** A context of it (default: its current context). */
  readonly context?: string;
  /** Milliseconds per request (default 10000). */
  readonly timeoutMs?: number;
}

type KubeConfig = import('@kubernetes/client-node').KubeConfig;

/** Loads the kubeconfig as kubectl would; throws {@link ClusterError} saying what is missing. */
async function loadKubeConfig({ kubeconfig, context }: KubeConnection): Promise<KubeConfig> {
  // Loaded on use: the other commands do not pay for the Kubernetes client.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  const defaultFile = join(homedir(), '.kube', 'config');
  try {
    if (kubeconfig !== undefined) config.loadFromFile(kubeconfig);
    else if (
      process.env.KUBECONFIG ||
      existsSync(defaultFile) ||
      process.env.KUBERNETES_SERVICE_HOST
    )
      config.loadFromDefault();
    else {
      throw new ClusterError(
        `no kubeconfig: $KUBECONFIG is not set and ${defaultFile} does not exist (give --kubeconfig <file>)`,
      );
    }
  } catch (error) {
    if (error instanceof ClusterError) throw error;
    throw new ClusterError(
      `cannot read the kubeconfig ${kubeconfig ?? process.env.KUBECONFIG ?? defaultFile}: ${(error as Error).message}`,
    );
  }
  if (context !== undefined) {
    if (!config.getContextObject(context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new ClusterError(
        `the kubeconfig has no context "${context}" (it has ${known.join(', ') || 'none'})`,
      );
    }
    config.setCurrentContext(context);
  }
  if (!config.getCurrentCluster()) {
    throw new ClusterError(
      `the kubeconfig's current context "${config.getCurrentContext()}" names no cluster (give --context, or set one with kubectl config use-context)`,
    );
  }
  return config;
}

/**
 * Connects to the cluster of a kubeconfig. Nothing is sent until the first `get`; a request that
 * cannot reach the server throws {@link ClusterError}.
 *
 * @param connection - kubeconfig file, context and timeout
 * @example
 * const api = await connectKube({ kubeconfig: '.cluster/kubeconfig' });
 * const hpas = await api.get('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers');
 */
export async function connectKube(connection: KubeConnection = {}): Promise<KubeApi> {
  const config = await loadKubeConfig(connection);
  const server = (config.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  const timeoutMs = connection.timeoutMs ?? 10_000;
  const namespace = config.getContextObject(config.getCurrentContext())?.namespace;
  return {
    server,
    context: config.getCurrentContext(),
    ...(namespace ? { namespace } : {}),
    async get(path) {
      const options: RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
      try {
        await config.applyToHTTPSOptions(options);
      } catch (error) {
        throw new ClusterError(
          `cannot authenticate to ${server} with context "${config.getCurrentContext()}": ${(error as Error).message}`,
        );
      }
      return getJson(`${server}${path}`, options, timeoutMs);
    },
  };
}

function getJson(url: string, options: RequestOptions, timeoutMs: number): Promise<KubeAnswer> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', (error) => reject(unreachable(url, error)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => reject(unreachable(url, error)));
    req.end();
  });
}

function unreachable(url: string, error: Error): ClusterError {
  const code = (error as NodeJS.ErrnoException).code;
  return new ClusterError(
    `cannot reach the Kubernetes API server at ${new URL(url).origin}: ${code ?? error.message} (is the cluster up, and is this the right kubeconfig and context?)`,
  );
}
