/**
 * `pnpm demo`: the end-to-end chain for a person. Starts two model servers labelled as two pods,
 * a Prometheus scraping them (or says how to install it), drives load, shows `mlscale watch`
 * output live with the project's HPA, then what `mlscale simulate` makes of the recorded run
 * with the guide's HPA and with this project's.
 *
 * Environment: DEMO_LOAD (seconds of load, default 60), DEMO_CLIENTS (default 32),
 * DEMO_SYNC (seconds between watch lines, default 5), PROMETHEUS_BIN.
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collectAdapterMetrics,
  formatSummaryTable,
  formatTraceCsv,
  formatWatchHeader,
  formatWatchLine,
  meanPerPod,
  PrometheusClient,
  parseAdapterValues,
  parseTraceCsv,
  renderSvgChart,
  simulate,
  type Trace,
  Watcher,
} from '@mlscale/autoscale';
import type { HorizontalPodAutoscaler } from '@mlscale/hpa';
import { SERIES } from '@mlscale/metric-contract';
import {
  findPrometheus,
  REPO_ROOT,
  type Running,
  sleep,
  startLoad,
  waitFor,
} from '@mlscale/testkit';
import { parse } from 'yaml';
import { startTwoPods } from '../chain/two-pods.js';

const LOAD = Number(process.env.DEMO_LOAD ?? 60);
const CLIENTS = Number(process.env.DEMO_CLIENTS ?? 32);
const SYNC = Number(process.env.DEMO_SYNC ?? 5);
const IDLE_BEFORE = 10;
const IDLE_AFTER = 45;

const readYaml = (relative: string) =>
  parse(readFileSync(join(REPO_ROOT, relative), 'utf8')) as HorizontalPodAutoscaler;
const guide = readYaml('infra/hpa/guide-hpa.yaml');
const project = readYaml('infra/base/hpa.yaml');
const out = mkdtempSync(join(tmpdir(), 'mlscale-demo-'));

function showSimulation(title: string, trace: Trace, svgName: string): void {
  const report = simulate(trace, [
    { name: 'guide (infra/hpa/guide-hpa.yaml)', hpa: guide },
    { name: 'project (infra/base/hpa.yaml)', hpa: project },
  ]);
  const svg = join(out, svgName);
  writeFileSync(svg, renderSvgChart(report, { metric: SERIES.queueDepth.name, title }));
  console.log(`\n== ${title}\n${formatSummaryTable(report)}\nchart: ${svg}`);
}

const binary = findPrometheus();
const running: Running[] = [];
const stopAll = async () => {
  await Promise.all(running.map((r) => r.stop()));
};
process.once('SIGINT', () => {
  void stopAll().then(() => process.exit(130));
});

try {
  if ('error' in binary) {
    console.log(
      `Prometheus is needed for the live part: ${binary.error}\nShowing the simulation of the committed trace only.`,
    );
  } else {
    console.log(
      'starting two model servers (pods model-server-a and model-server-b of namespace "demo")...',
    );
    const pods = await startTwoPods(binary.path, 'demo');
    running.push(...pods.servers, pods.prometheus);
    const { servers, prometheus } = pods;
    console.log(
      `Prometheus ${prometheus.url} (scrape every 1 s); servers ${servers.map((s) => s.url).join(', ')}`,
    );
    const client = new PrometheusClient({ url: prometheus.url });
    await waitFor('both targets up', async () => {
      const r = await client.query('sum(up{namespace="demo"})');
      return r.resultType === 'vector' && r.result[0]?.value === 2;
    });
    await sleep(3000);
    const adapter = parseAdapterValues(
      readFileSync(join(REPO_ROOT, 'infra/helm/prometheus-adapter-values.yaml'), 'utf8'),
    );
    if (!adapter.ok) throw new Error(adapter.error);
    const rules = adapter.value.custom;
    const watcher = new Watcher({ client, hpa: project, rules, namespace: 'demo' });
    const names = [
      ...new Set(
        [guide, project].flatMap((h) =>
          (h.spec.metrics ?? []).flatMap((m) => (m.pods ? [m.pods.metric.name] : [])),
        ),
      ),
    ];
    // Latency here is bound by the batch wait, not by the per-pod backlog: reported unchanged.
    const trace: Trace = {
      metrics: names,
      intensive: new Set(names.filter((n) => /latency|duration/.test(n))),
      points: [],
    };

    console.log(
      `\nmlscale watch (project HPA, infra/base/hpa.yaml): load of ${CLIENTS} clients from t=${IDLE_BEFORE}s for ${LOAD}s\n${formatWatchHeader(project)}`,
    );
    const t0 = Date.now() / 1000;
    let load: ReturnType<typeof startLoad> | undefined;
    let nextSync = 0;
    for (let t = 0; t <= IDLE_BEFORE + LOAD + IDLE_AFTER; t = Date.now() / 1000 - t0) {
      if (!load && t >= IDLE_BEFORE && t < IDLE_BEFORE + LOAD) {
        load = startLoad(
          servers.map((s) => s.url),
          CLIENTS,
        );
        console.log('--- load started');
      }
      if (load && t >= IDLE_BEFORE + LOAD) {
        await load.stop();
        console.log(`--- load stopped (${load.completed()} requests, ${load.failed()} failed)`);
        load = undefined;
      }
      const values = meanPerPod(
        await collectAdapterMetrics({ client, rules, namespace: 'demo', metrics: names }),
      );
      trace.points.push({ time: Math.round(t), replicas: 2, load: load ? CLIENTS : 0, values });
      if (t >= nextSync) {
        nextSync += SYNC;
        console.log(formatWatchLine(project, await watcher.tick()));
      }
      await sleep(1000);
    }
    const csv = join(out, 'demo-trace.csv');
    writeFileSync(csv, formatTraceCsv(trace));
    console.log(`\nrecorded trace: ${csv}`);
    showSimulation('simulate: this demo run', trace, 'demo-run.svg');
  }
  const committed = join(REPO_ROOT, 'packages/autoscale/examples/step-load.csv');
  showSimulation(
    'simulate: the example trace (examples/step-load.csv)',
    parseTraceCsv(readFileSync(committed, 'utf8')),
    'step-load.svg',
  );
  console.log(
    `\nreplay it yourself: node packages/autoscale/dist/cli.js simulate --trace ${committed} --hpa infra/hpa/guide-hpa.yaml --hpa infra/base/hpa.yaml --timeline --svg sim.svg`,
  );
} finally {
  await stopAll();
}
