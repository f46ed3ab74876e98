/**
 * Container probes as the kubelet runs them: httpGet (success: a status from 200 to 399 within
 * timeoutSeconds), tcpSocket (a connection opens) and exec (exit 0), against the pod's IP, with
 * named ports resolved through the container's ports.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

/** A probe's timing, with the kubelet's defaults. */
export function probeTiming(probe: V1Probe): {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
} {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/** Resolves a port (a number, or the name of one of the container's ports). */
export function resolvePort(port: number | string, container: V1Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`container ${container.name} has no port named ${port}`);
  return named.containerPort;
}

/**
 * Runs one probe once. Resolves `{ ok, message }`; never throws.
 * @param probe the container's probe
 * @param podIP the pod's address
 * @param container the container (for named ports and exec's environment)
 * @param env the container's environment (exec probes run with it)
 */
export async function runProbe(
  probe: V1Probe,
  podIP: string,
  container: V1Container,
  env: NodeJS.ProcessEnv,
): Promise<{ ok: boolean; message: string }> {
  const { timeoutMs } = probeTiming(probe);
  try {
    if (probe.httpGet) {
      const port = resolvePort(probe.httpGet.port as number | string, container);
      const host = probe.httpGet.host ?? podIP;
      const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
      const path = probe.httpGet.path ?? '/';
      const headers = Object.fromEntries(
        (probe.httpGet.httpHeaders ?? []).map((header) => [header.name, header.value]),
      );
      const res = await fetch(`${scheme}://${host}:${port}${path}`, {
        headers: { 'user-agent': 'kube-probe/1.34 (mlscale node agent)', ...headers },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
      await res.body?.cancel();
      const ok = res.status >= 200 && res.status < 400;
      return { ok, message: `HTTP probe failed with statuscode: ${res.status}` };
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port as number | string, container);
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host: probe.tcpSocket?.host ?? podIP, port, timeout: timeoutMs });
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('timeout', () => socket.destroy(new Error('timeout')));
        socket.once('error', reject);
      });
      return { ok: true, message: '' };
    }
    if (probe.exec?.command?.length) {
      const [file = '', ...args] = probe.exec.command;
      await new Promise<void>((resolve, reject) => {
        execFile(file, args, { env, timeout: timeoutMs }, (error: Error | null) =>
          error ? reject(error) : resolve(),
        );
      });
      return { ok: true, message: '' };
    }
    return {
      ok: false,
      message: 'probe has no handler the node agent runs (httpGet, tcpSocket, exec)',
    };
  } catch (error) {
    return { ok: false, message: `probe failed: ${(error as Error).message}` };
  }
}
