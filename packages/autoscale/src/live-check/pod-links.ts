/**
 * The first link: each ready pod's own `/metrics`, asked at its pod IP on its declared ports. From
 * outside the cluster network pod IPs do not answer; that is `skipped`, never broken.
 */
import { type Exposition, parseExposition } from '../chain/exposition.js';
import type { ChainLink } from '../chain/types.js';
import { skipped } from '../chain/verdict.js';
import type { LivePod } from './objects.js';
import type { LiveContext } from './types.js';

/** What one pod's /metrics answered. */
export interface PodMetrics {
  readonly pod: string;
  /** `ip:port`, where it answered. */
  readonly address?: string;
  /** The declared port that answered, in words (`containerPort http (8080)`). */
  readonly port?: string;
  readonly exposition?: Exposition;
  /** Why it did not answer. */
  readonly error?: string;
  /** The pod IP did not answer at all (not reachable from here). */
  readonly unreachable?: boolean;
}

const UNREACHABLE = new Set([
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return 'ETIMEDOUT';
  return cause?.code ?? (error as Error).message;
}

/** Ports to try: one named `metrics` first, then `http`, then the rest as declared. */
function portsToTry(pod: LivePod): LivePod['ports'] {
  const rank = (name: string) => (name === 'metrics' ? 0 : name === 'http' ? 1 : 2);
  return [...pod.ports].sort((a, b) => rank(a.name) - rank(b.name));
}

/** GETs one pod's /metrics on each declared port until one answers 200. */
export async function readPodMetrics(ctx: LiveContext, pod: LivePod): Promise<PodMetrics> {
  if (!pod.ip) return { pod: pod.name, error: 'it has no pod IP' };
  const path = pod.annotations['prometheus.io/path'] ?? '/metrics';
  const tried: string[] = [];
  for (const { name, port } of portsToTry(pod)) {
    const address = `${pod.ip.includes(':') ? `[${pod.ip}]` : pod.ip}:${port}`;
    try {
      const response = await ctx.fetch(`http://${address}${path}`, {
        signal: AbortSignal.timeout(ctx.podTimeoutMs),
      });
      const text = await response.text();
      if (response.status === 200) {
        const described = `containerPort ${name ? `${name} (${port})` : port}`;
        return { pod: pod.name, address, port: described, exposition: parseExposition(text) };
      }
      tried.push(`${address}${path} answered ${response.status}`);
    } catch (error) {
      const code = causeCode(error);
      if (UNREACHABLE.has(code)) {
        return { pod: pod.name, unreachable: true, error: `${address}: ${code}` };
      }
      tried.push(`${address}${path}: ${code}`);
    }
  }
  if (tried.length === 0) return { pod: pod.name, error: 'it declares no TCP containerPort' };
  return { pod: pod.name, error: tried.join('; ') };
}

/** The `pod-metrics` link from what each ready pod answered. */
export function podMetricsLink(subject: string, answers: readonly PodMetrics[]): ChainLink {
  if (answers.length === 0) return skipped('pod-metrics', subject, 'no ready pod to ask');
  const unreachable = answers.filter((a) => a.unreachable);
  if (unreachable.length > 0) {
    return skipped(
      'pod-metrics',
      subject,
      `pod IPs do not answer from where the check runs (${unreachable.map((a) => `${a.pod}: ${a.error}`).join('; ')}): run the check inside the cluster network to read the pods' /metrics`,
    );
  }
  const failed = answers.filter((a) => !a.exposition);
  if (failed.length > 0) {
    return {
      link: 'pod-metrics',
      subject,
      status: 'broken',
      detail: failed.map((a) => `${a.pod} serves no /metrics: ${a.error}`).join('\n'),
      fix: 'serve Prometheus metrics on a declared containerPort (name it metrics or http), at the path the scrape uses',
    };
  }
  const detail = answers
    .map((a) => `${a.pod}: ${a.address} (${a.port}), ${a.exposition?.names.size ?? 0} series names`)
    .join('\n');
  return { link: 'pod-metrics', subject, status: 'ok', detail };
}
