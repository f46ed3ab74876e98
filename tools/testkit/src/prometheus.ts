/**
 * A real Prometheus for tests: Debian's `prometheus` package (on PATH, or PROMETHEUS_BIN), its own
 * temporary TSDB, a free 127.0.0.1 port, and file-based service discovery so that the scraped
 * targets can be rewritten while it runs (pods come and go in a closed loop).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { type Running, startOnFreePort, track } from './process.js';
import { sleep, waitFor } from './wait.js';

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
  /**
   * Further scrape jobs with fixed targets, beside the pods' job: other exporters the queries read
   * (ingress-nginx, kube-state-metrics). `setTargets` leaves them alone; default none.
   */
  jobs?: readonly ScrapeJob[];
  /** Feature flags, each passed as `--enable-feature=<name>` (such as `exemplar-storage`); default none. */
  features?: readonly string[];
  /**
   * Samples to hold before it starts, as OpenMetrics text with timestamps (ending in `# EOF`):
   * written into its TSDB with `promtool tsdb create-blocks-from openmetrics` (promtool beside the
   * binary, or on PATH), so queries over known samples at known times answer exactly. Keep them
   * within one two-hour block (retention drops older blocks); default none.
   */
  openMetrics?: string;
}

/** A scrape job with fixed targets: another exporter, as Prometheus would scrape it in a cluster. */
export interface ScrapeJob {
  /** The `job_name` (the `job` label of its series); must differ from the pods' job and each other. */
  name: string;
  /** What it scrapes; a target may set its own path with the `__metrics_path__` label. */
  targets: readonly Target[];
  /**
   * Keep the exporter's own labels where they clash with the target's (`honor_labels`, as
   * kube-state-metrics' ServiceMonitor sets); default false: the exporter's clashing labels are
   * renamed `exported_<name>`, as Prometheus does.
   */
  honorLabels?: boolean;
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
   * Repeats an instant query until `done` holds of the answer or `timeoutMs` (default 20 s)
   * passes, and returns the last answer either way: assert on it, so a failure shows what
   * Prometheus said.
   */
  queryUntil(
    promql: string,
    done: (answer: QueryResponse) => boolean,
    timeoutMs?: number,
  ): Promise<QueryResponse>;
  /**
   * Waits until Prometheus scrapes exactly the addresses last given to `setTargets` and those of
   * the further `jobs`, every one `up`. Default timeout 30 s.
   */
  waitForTargets(timeoutMs?: number): Promise<void>;
}

function targetGroups(targets: readonly Target[]) {
  return targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} }));
}

function sdFile(targets: readonly Target[]): string {
  return `${JSON.stringify(targetGroups(targets), null, 2)}\n`;
}

/** The scrape configs of the further jobs; throws on a name used twice (Prometheus would too, less clearly). */
function jobConfigs(jobs: readonly ScrapeJob[], podsJob: string) {
  const names = [podsJob];
  return jobs.map((job) => {
    if (names.includes(job.name)) {
      throw new Error(`startPrometheus: scrape job name ${job.name} is used twice`);
    }
    names.push(job.name);
    return {
      job_name: job.name,
      metrics_path: job.metricsPath ?? '/metrics',
      honor_labels: job.honorLabels ?? false,
      static_configs: targetGroups(job.targets),
    };
  });
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
  jobs = [],
  features = [],
  openMetrics,
}: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const otherJobs = jobConfigs(jobs, jobName);
  const found = binary ? { path: binary } : findPrometheus();
  if ('error' in found) throw new Error(found.error);
  const dir = mkdtempSync(join(tmpdir(), 'mlscale-prom-'));
  const sd = fileDiscovery(join(dir, 'targets.json'));
  sd.setTargets(targets);
  writePrometheusConfig(dir, {
    scrapeInterval,
    jobName,
    metricsPath,
    targetsFile: sd.file,
    otherJobs,
  });
  let running: Running;
  try {
    if (openMetrics !== undefined) backfill(found.path, dir, openMetrics);
    running = await launchPrometheus(found.path, dir, features);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const api = prometheusApi(running.url);
  const fixed = jobs.flatMap((job) => job.targets);
  return {
    ...running,
    // Its TSDB and config go with it.
    stop: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    targetsFile: sd.file,
    setTargets: sd.setTargets,
    targets: sd.targets,
    ...api,
    waitForTargets: (timeoutMs = 30_000) =>
      waitForScraped(api.activeTargets, () => [...sd.targets(), ...fixed], timeoutMs),
  };
}

/** Writes OpenMetrics samples into the TSDB at `dir/data` with promtool, before Prometheus starts. */
function backfill(prometheus: string, dir: string, openMetrics: string): void {
  const beside = join(dirname(prometheus), 'promtool');
  const promtool = existsSync(beside) ? beside : 'promtool';
  const file = join(dir, 'backfill.om');
  writeFileSync(file, openMetrics);
  const result = spawnSync(
    promtool,
    ['tsdb', 'create-blocks-from', 'openmetrics', file, join(dir, 'data')],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) {
    throw new Error(
      `promtool tsdb create-blocks-from openmetrics failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr ?? ''} (promtool comes with Prometheus: ${INSTALL_PROMETHEUS})`,
    );
  }
}

/** The file-based service discovery file, rewritten atomically (write, then rename). */
function fileDiscovery(file: string): {
  file: string;
  setTargets(targets: readonly Target[]): void;
  targets(): readonly Target[];
} {
  let current: readonly Target[] = [];
  return {
    file,
    setTargets(next) {
      const staging = `${file}.next`;
      writeFileSync(staging, sdFile(next));
      renameSync(staging, file);
      current = [...next];
    },
    targets: () => current,
  };
}

function writePrometheusConfig(
  dir: string,
  options: {
    scrapeInterval: string;
    jobName: string;
    metricsPath: string;
    targetsFile: string;
    otherJobs: readonly object[];
  },
): void {
  // JSON is YAML: no YAML library needed to write the config.
  const config = {
    global: {
      scrape_interval: options.scrapeInterval,
      evaluation_interval: options.scrapeInterval,
    },
    scrape_configs: [
      {
        job_name: options.jobName,
        metrics_path: options.metricsPath,
        // The file is watched with inotify; the refresh is the fallback where that is missed.
        file_sd_configs: [{ files: [options.targetsFile], refresh_interval: '1s' }],
      },
      ...options.otherJobs,
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
}

/** Starts the binary on a free port with its config and TSDB in `dir`, and waits until ready. */
function launchPrometheus(
  binary: string,
  dir: string,
  features: readonly string[],
): Promise<Running> {
  return startOnFreePort(
    'Prometheus',
    (port) =>
      track(
        spawn(
          binary,
          [
            `--config.file=${join(dir, 'prometheus.yml')}`,
            `--storage.tsdb.path=${join(dir, 'data')}`,
            `--web.listen-address=127.0.0.1:${port}`,
            '--storage.tsdb.retention.time=1h',
            '--log.level=warn',
            ...features.map((feature) => `--enable-feature=${feature}`),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        ),
        port,
      ),
    async (started) => (await fetch(`${started.url}/-/ready`)).ok,
  );
}

/** The parts of the HTTP API the tests use. */
function prometheusApi(
  url: string,
): Pick<RunningPrometheus, 'query' | 'queryUntil' | 'activeTargets'> {
  const query = async (promql: string): Promise<QueryResponse> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    return (await response.json()) as QueryResponse;
  };
  return {
    query,
    async queryUntil(promql, done, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = await query(promql);
      while (!done(last) && Date.now() < deadline) {
        await sleep(250);
        last = await query(promql);
      }
      return last;
    },
    async activeTargets() {
      const response = await fetch(`${url}/api/v1/targets?state=active`);
      const body = (await response.json()) as {
        data: { activeTargets: { labels: Record<string, string>; health: string }[] };
      };
      return body.data.activeTargets.map((t) => ({
        address: t.labels.instance ?? '',
        health: t.health,
        labels: t.labels,
      }));
    },
  };
}

/** Waits until Prometheus scrapes exactly `expected()` and every one is up. */
function waitForScraped(
  activeTargets: () => Promise<ActiveTarget[]>,
  expected: () => readonly Target[],
  timeoutMs: number,
): Promise<void> {
  return waitFor(
    `Prometheus to scrape ${
      expected()
        .map((t) => t.address)
        .join(', ') || 'no target'
    }`,
    async () => {
      const active = await activeTargets();
      const want = expected()
        .map((t) => t.address)
        .sort();
      const have = active.map((t) => t.address).sort();
      return (
        JSON.stringify(want) === JSON.stringify(have) && active.every((t) => t.health === 'up')
      );
    },
    timeoutMs,
  );
}
