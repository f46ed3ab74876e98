/**
 * A real Prometheus for tests: Debian's `prometheus` package (on PATH, or PROMETHEUS_BIN), its own
 * temporary TSDB, a free 127.0.0.1 port, and file-based service discovery so that the scraped
 * targets can be rewritten while it runs (pods come and go in a closed loop).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './ports.js';
import { type Running, track } from './process.js';
import { waitFor } from './wait.js';

/** How to get Prometheus, said by every failure to find it. */
export const INSTALL_PROMETHEUS =
  '`apt-get install -y prometheus` (Debian/Ubuntu), or download it from https://prometheus.io/download/ and set PROMETHEUS_BIN=/path/to/prometheus';

/**
 * Where the Prometheus binary is (PROMETHEUS_BIN, else `prometheus` on PATH), or why it is not
 * there, with how to install it.
 * @example const found = findPrometheus(); if ('error' in found) throw new Error(found.error);
 */
export function findPrometheus(): { path: string } | { error: string } {
  const explicit = process.env.PROMETHEUS_BIN;
  if (explicit) {
    try {
      accessSync(explicit, constants.X_OK);
      return { path: explicit };
    } catch {
      return {
        error: `PROMETHEUS_BIN=${explicit} is not an executable file: ${INSTALL_PROMETHEUS}`,
      };
    }
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'prometheus');
    try {
      accessSync(candidate, constants.X_OK);
      return { path: candidate };
    } catch {
      // keep looking
    }
  }
  return { error: `prometheus is not installed: ${INSTALL_PROMETHEUS}` };
}

/** A scrape target: what a pod looks like to Prometheus. */
export interface Target {
  /** `host:port` of the /metrics endpoint. */
  address: string;
  /** Labels attached to every series scraped from it (`namespace`, `pod`, ...). */
  labels?: Record<string, string>;
}

/** How to start Prometheus. */
export interface PrometheusOptions {
  /** The binary; default: {@link findPrometheus} (throws with how to install it when absent). */
  binary?: string;
  /** The targets scraped from the start; default none. Change them with `setTargets`. */
  targets?: readonly Target[];
  /** Scrape (and rule evaluation) interval, a Prometheus duration; default `1s`. */
  scrapeInterval?: string;
  /** The `job` label of the scraped series; default `model-server`. */
  jobName?: string;
  /** Path scraped on each target; default `/metrics`. */
  metricsPath?: string;
}

/** One sample of an instant vector, as the HTTP API returns it. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** The HTTP API's answer to an instant query. */
export interface QueryResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: VectorSample[] };
}

/** A target as Prometheus sees it (`/api/v1/targets`, active only). */
export interface ActiveTarget {
  /** `host:port`. */
  address: string;
  /** `up`, `down` or `unknown` (not scraped yet). */
  health: string;
  /** Labels after relabelling. */
  labels: Record<string, string>;
}

/** A started Prometheus. */
export interface RunningPrometheus extends Running {
  /** The file-based service discovery file it watches (JSON, `file_sd_configs`). */
  readonly targetsFile: string;
  /**
   * Replaces the scraped targets (atomically: write, then rename). Prometheus notices through
   * inotify; its discovery manager passes updates on at most every 5 s, so wait with
   * {@link RunningPrometheus.waitForTargets} rather than a fixed sleep.
   */
  setTargets(targets: readonly Target[]): void;
  /** The targets last written. */
  targets(): readonly Target[];
  /** Runs an instant query (`/api/v1/query`). */
  query(promql: string): Promise<QueryResponse>;
  /** The active targets Prometheus knows now. */
  activeTargets(): Promise<ActiveTarget[]>;
  /**
   * Waits until Prometheus scrapes exactly the addresses last given to `setTargets`, every one
   * `up`. Default timeout 30 s.
   */
  waitForTargets(timeoutMs?: number): Promise<void>;
}

function sdFile(targets: readonly Target[]): string {
  return `${JSON.stringify(
    targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} })),
    null,
    2,
  )}\n`;
}

/**
 * Starts Prometheus scraping `targets` every `scrapeInterval`, with its own temporary TSDB, on a
 * free 127.0.0.1 port, and waits until it is ready. Stop it with `stop()` (removes its files).
 * @example
 * const prometheus = await startPrometheus({ targets: [{ address: '127.0.0.1:8080', labels: { pod: 'a' } }] });
 * prometheus.setTargets([]); // the pod is gone
 * await prometheus.stop();
 */
export async function startPrometheus({
  binary,
  targets = [],
  scrapeInterval = '1s',
  jobName = 'model-server',
  metricsPath = '/metrics',
}: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const found = binary ? { path: binary } : findPrometheus();
  if ('error' in found) throw new Error(found.error);
  const dir = mkdtempSync(join(tmpdir(), 'mlscale-prom-'));
  const targetsFile = join(dir, 'targets.json');
  let current: readonly Target[] = [];
  const setTargets = (next: readonly Target[]) => {
    const staging = join(dir, '.targets.json.next');
    writeFileSync(staging, sdFile(next));
    renameSync(staging, targetsFile);
    current = [...next];
  };
  setTargets(targets);
  // JSON is YAML: no YAML library needed to write the config.
  const config = {
    global: { scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval },
    scrape_configs: [
      {
        job_name: jobName,
        metrics_path: metricsPath,
        // The file is watched with inotify; the refresh is the fallback where that is missed.
        file_sd_configs: [{ files: [targetsFile], refresh_interval: '1s' }],
      },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const child = spawn(
    found.path,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const running = track(child, port, () => rmSync(dir, { recursive: true, force: true }));
  const query = async (promql: string): Promise<QueryResponse> => {
    const response = await fetch(`${running.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    return (await response.json()) as QueryResponse;
  };
  const activeTargets = async (): Promise<ActiveTarget[]> => {
    const response = await fetch(`${running.url}/api/v1/targets?state=active`);
    const body = (await response.json()) as {
      data: { activeTargets: { labels: Record<string, string>; health: string }[] };
    };
    return body.data.activeTargets.map((t) => ({
      address: t.labels.instance ?? '',
      health: t.health,
      labels: t.labels,
    }));
  };
  const prometheus: RunningPrometheus = {
    ...running,
    targetsFile,
    setTargets,
    targets: () => current,
    query,
    activeTargets,
    waitForTargets: (timeoutMs = 30_000) =>
      waitFor(
        `Prometheus to scrape ${current.map((t) => t.address).join(', ') || 'no target'}`,
        async () => {
          const active = await activeTargets();
          const want = current.map((t) => t.address).sort();
          const have = active.map((t) => t.address).sort();
          return (
            JSON.stringify(want) === JSON.stringify(have) && active.every((t) => t.health === 'up')
          );
        },
        timeoutMs,
      ),
  };
  try {
    await waitFor(`Prometheus on port ${port} to be ready`, async () => {
      if (child.exitCode !== null) {
        throw new Error(`prometheus exited (${child.exitCode}): ${running.output()}`);
      }
      return (await fetch(`${running.url}/-/ready`)).ok;
    });
  } catch (error) {
    await running.stop();
    throw error;
  }
  return prometheus;
}
