import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers.js';

/** Prometheus: `PROMETHEUS_BIN`, or `prometheus` on PATH (Debian's `prometheus` package). */
export const prometheusBin = process.env.PROMETHEUS_BIN ?? 'prometheus';

/** Why Prometheus cannot run, or undefined when it can. */
export function prometheusMissing(): string | undefined {
  const probe = spawnSync(prometheusBin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return `prometheus not found (${prometheusBin}): apt-get install prometheus, or set PROMETHEUS_BIN`;
  }
  return undefined;
}

/** One scrape target and the target labels the Operator would give it. */
export interface ScrapeTarget {
  /** host:port */
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The scrape job; default `model-server`. */
  readonly job?: string;
  /** Keep the exporter's labels over the target's (kube-state-metrics' ServiceMonitor does). */
  readonly honorLabels?: boolean;
}

/** One element of an instant vector. */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** A Prometheus answer to an instant query. */
export interface QueryAnswer {
  readonly status: string;
  readonly error?: string;
  readonly data?: { resultType: string; result: Sample[] };
}

/**
 * A real Prometheus on a free 127.0.0.1 port, scraping the given targets every second, with its
 * data in a temporary folder removed by {@link PrometheusServer.stop}.
 */
export class PrometheusServer {
  private constructor(
    readonly base: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  /** Starts Prometheus and waits until it is ready (at most 30 s). */
  static async start(targets: readonly ScrapeTarget[]): Promise<PrometheusServer> {
    const missing = prometheusMissing();
    if (missing) throw new Error(missing);
    const dir = mkdtempSync(join(tmpdir(), 'mlscale-prom-'));
    const port = await freePort();
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [...new Set(targets.map((t) => t.job ?? 'model-server'))].map((job) => {
        const own = targets.filter((t) => (t.job ?? 'model-server') === job);
        return {
          job_name: job,
          honor_labels: own.some((t) => t.honorLabels === true),
          static_configs: own.map((t) => ({ targets: [t.address], labels: t.labels })),
        };
      }),
    };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
    const child = spawn(
      prometheusBin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${server.base}/-/ready`)).status === 200) return server;
      } catch {
        // starting
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await server.stop();
    throw new Error('Prometheus did not become ready in 30 s');
  }

  /** An instant query. */
  async query(query: string): Promise<QueryAnswer> {
    const response = await fetch(`${this.base}/api/v1/query?query=${encodeURIComponent(query)}`);
    return (await response.json()) as QueryAnswer;
  }

  /** Repeats `query` until `done` holds or 20 s pass; returns the last answer. */
  async waitFor(query: string, done: (answer: QueryAnswer) => boolean): Promise<QueryAnswer> {
    const deadline = Date.now() + 20_000;
    let last = await this.query(query);
    while (!done(last) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      last = await this.query(query);
    }
    return last;
  }

  /** Stops Prometheus and removes its data. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
        this.child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        this.child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
