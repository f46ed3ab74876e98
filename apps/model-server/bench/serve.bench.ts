// `pnpm --filter @mlscale/model-server bench`: this server against the reference server and a bare
// Hono route, on the same machine in one run, then batching on/off on the heavier model, /health
// while the model is saturated, and how much of the load the server's own signals see.
// A script that prints figures, not a test. Needs `pnpm build` first (turbo's bench task does it).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '@mlscale/testkit';
import { scrape } from './scrape.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const appDir = path.resolve(here, '..');
const repoRoot = path.resolve(appDir, '../..');
// The reference server (FastAPI + PyTorch) is not part of the repository: its start script is
// named by BENCH_REFERENCE_SERVER (called with the port; it writes its pid to
// /tmp/seed-server.pid). Without it, the reference row is skipped and says why.
const referenceScript = process.env.BENCH_REFERENCE_SERVER;
const bodiesDir = path.join(here, 'bodies');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const WARMUP_SECONDS = 1;
const CONCURRENCY = 50;

interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  ok: number;
  failed: number;
  seconds: number;
}

const children: ChildProcess[] = [];
function cleanup() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  stopReference();
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

function hasHey(): boolean {
  if (process.env.BENCH_LOAD === 'autocannon') return false;
  try {
    execFileSync('sh', ['-c', 'command -v hey'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const useHey = hasHey();

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out}`)),
    );
  });
}

/** Closed-loop load in a separate process: hey when installed (the guide's tool), else autocannon. */
async function load(opts: {
  url: string;
  bodyFile?: string;
  concurrency: number;
  seconds: number;
  rate?: number;
}): Promise<LoadResult> {
  const started = performance.now();
  if (useHey) {
    const args = ['-z', `${opts.seconds}s`, '-c', String(opts.concurrency)];
    if (opts.rate) args.push('-q', String(opts.rate / opts.concurrency));
    if (opts.bodyFile) args.push('-m', 'POST', '-T', 'application/json', '-D', opts.bodyFile);
    const out = await run('hey', [...args, opts.url]);
    const num = (re: RegExp) => Number(out.match(re)?.[1] ?? Number.NaN);
    const statuses = [...out.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)];
    const ok = statuses.filter((m) => m[1] === '200').reduce((n, m) => n + Number(m[2]), 0);
    const all = statuses.reduce((n, m) => n + Number(m[2]), 0);
    const errors = [...out.matchAll(/\[(\d+)\]\s+Get|\[(\d+)\]\s+Post/g)].reduce(
      (n, m) => n + Number(m[1] ?? m[2]),
      0,
    );
    return {
      rps: num(/Requests\/sec:\s+([\d.]+)/),
      p50Ms: num(/\s50% in ([\d.]+) secs/) * 1000,
      p99Ms: num(/99% in ([\d.]+) secs/) * 1000,
      meanMs: num(/Average:\s+([\d.]+) secs/) * 1000,
      ok,
      failed: all - ok + errors,
      seconds: (performance.now() - started) / 1000,
    };
  }
  const bin = path.join(appDir, 'node_modules/.bin/autocannon');
  const args = ['-c', String(opts.concurrency), '-d', String(opts.seconds), '-j'];
  if (opts.rate) args.push('-R', String(opts.rate));
  if (opts.bodyFile)
    args.push('-m', 'POST', '-H', 'Content-Type=application/json', '-i', opts.bodyFile);
  const out = await run(bin, [...args, opts.url]);
  const json = JSON.parse(out.slice(out.indexOf('{'))) as {
    requests: { average: number };
    latency: { p50: number; p99: number; average: number };
    '2xx': number;
    non2xx: number;
    errors: number;
  };
  return {
    rps: json.requests.average,
    p50Ms: json.latency.p50,
    p99Ms: json.latency.p99,
    meanMs: json.latency.average,
    ok: json['2xx'],
    failed: json.non2xx + json.errors,
    seconds: (performance.now() - started) / 1000,
  };
}

async function waitHealthy(url: string, seconds = 30): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${url} did not become healthy in ${seconds} s`);
}

async function startNode(args: string[], env: Record<string, string>, healthUrl: string) {
  const child = spawn(process.execPath, args, {
    cwd: appDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  await waitHealthy(healthUrl);
  return {
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) =>
        child.exitCode === null ? child.once('exit', resolve) : resolve(null),
      );
    },
  };
}

function startServer(port: number, env: Record<string, string> = {}) {
  return startNode(
    [path.join(appDir, 'dist/main.js')],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      GPU_PROBE: 'off',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DELAY_SECONDS: '0',
      ...env,
    },
    `http://127.0.0.1:${port}/health`,
  );
}

let referencePid: number | undefined;
async function startReference(port: number): Promise<boolean> {
  const script = referenceScript;
  if (!script || !existsSync(script)) {
    console.log(
      `  reference (FastAPI+PyTorch): skipped, ${script ? `${script} does not exist` : 'BENCH_REFERENCE_SERVER is not set'} (the path of the reference server's start script, which is not part of the repository)`,
    );
    return false;
  }
  try {
    await run(script, [String(port)]);
    referencePid = Number(await readFile('/tmp/seed-server.pid', 'utf8'));
    return true;
  } catch (error) {
    console.log(`reference server did not start: ${(error as Error).message}`);
    return false;
  }
}
function stopReference() {
  if (referencePid) {
    try {
      process.kill(referencePid, 'SIGTERM');
    } catch {}
    referencePid = undefined;
  }
}

interface Signals {
  meanDepth: number;
  serverMeanMs: number;
  modelMeanMs: number;
  meanBatch: number;
}

/** Runs `measured` and reads what the server's own metrics saw over the same window. */
async function withSignals(
  port: number,
  measured: () => Promise<LoadResult>,
): Promise<[LoadResult, Signals]> {
  const duration = 'http_request_duration_seconds_{}{method="POST",route="/predict",status="200"}';
  const before = await scrape(port);
  const t0 = performance.now();
  const result = await measured();
  const elapsed = (performance.now() - t0) / 1000;
  const after = await scrape(port);
  const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  const ratio = (sum: string, count: string) => delta(sum) / delta(count);
  return [
    result,
    {
      meanDepth: delta('request_queue_depth_seconds_total') / elapsed,
      serverMeanMs: ratio(duration.replace('{}', 'sum'), duration.replace('{}', 'count')) * 1000,
      modelMeanMs: ratio('inference_latency_seconds_sum', 'inference_latency_seconds_count') * 1000,
      meanBatch: ratio('inference_batch_size_sum', 'inference_batch_size_count'),
    },
  ];
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const rows: string[][] = [];
function row(name: string, body: string, r: LoadResult, extra = '') {
  rows.push([
    name,
    body,
    fmt(r.rps, 0),
    fmt(r.p50Ms),
    fmt(r.p99Ms),
    fmt(r.meanMs),
    String(r.failed),
    extra,
  ]);
  console.log(
    `  ${name.padEnd(34)} ${body.padEnd(5)} ${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50Ms).padStart(6)} ms  p99 ${fmt(r.p99Ms).padStart(6)} ms  failed ${r.failed} ${extra}`,
  );
}

async function main() {
  if (!existsSync(path.join(appDir, 'dist/main.js'))) {
    throw new Error(
      'dist/main.js is missing: run `pnpm --filter @mlscale/model-server build` first',
    );
  }
  const bodies = {
    '5': path.join(bodiesDir, 'predict-5.json'),
    '768': path.join(bodiesDir, 'predict-768.json'),
  };
  for (const file of Object.values(bodies)) {
    if (!existsSync(file)) throw new Error(`missing load body ${file}`);
  }
  console.log(
    `load generator: ${useHey ? 'hey' : 'autocannon'} (separate process), -c ${CONCURRENCY}, ${SECONDS} s per phase after ${WARMUP_SECONDS} s warm-up`,
  );
  const results: Record<string, unknown> = {};
  const phase = async (name: string, port: number, body: keyof typeof bodies, signals = false) => {
    const url = `http://127.0.0.1:${port}/predict`;
    await load({ url, bodyFile: bodies[body], concurrency: CONCURRENCY, seconds: WARMUP_SECONDS });
    const measure = () =>
      load({ url, bodyFile: bodies[body], concurrency: CONCURRENCY, seconds: SECONDS });
    if (!signals) {
      const r = await measure();
      row(name, body, r);
      results[`${name} ${body}`] = r;
      return { r, s: undefined };
    }
    const [r, s] = await withSignals(port, measure);
    row(
      name,
      body,
      r,
      `depth ${fmt(s.meanDepth)}, server ${fmt(s.serverMeanMs, 2)} ms (${fmt((100 * s.serverMeanMs) / r.meanMs, 0)}% of client), batch ${fmt(s.meanBatch)}`,
    );
    results[`${name} ${body}`] = { ...r, ...s };
    return { r, s };
  };

  // 1. The guide's load against the three servers.
  console.log('\n1. /predict, guide bodies');
  const reference: Record<string, LoadResult | undefined> = {};
  const referencePort = await freePort();
  if (await startReference(referencePort)) {
    for (const body of ['5', '768'] as const)
      reference[body] = (await phase('reference (FastAPI+PyTorch)', referencePort, body)).r;
    stopReference();
    await sleep(500);
  }
  const barePort = await freePort();
  const bare = await startNode(
    ['--import', 'tsx', path.join(here, 'bare-hono.ts'), String(barePort)],
    {},
    `http://127.0.0.1:${barePort}/health`,
  );
  const bareResults: Record<string, LoadResult> = {};
  for (const body of ['5', '768'] as const)
    bareResults[body] = (await phase('bare Hono (parse JSON, constant)', barePort, body)).r;
  await bare.stop();
  const oursPort = await freePort();
  const ours = await startServer(oursPort);
  const oursResults: Record<string, { r: LoadResult; s: Signals | undefined }> = {};
  for (const body of ['5', '768'] as const)
    oursResults[body] = await phase('model-server (linear-768x2)', oursPort, body, true);
  await ours.stop();

  // 2. The heavier model, batching on and off, with /health probed while it is saturated.
  console.log('\n2. mlp-bench.onnx, 768 body, batching on vs off, /health at 50 req/s alongside');
  const heavy: Record<string, { r: LoadResult; s: Signals | undefined; health: LoadResult }> = {};
  for (const [label, size] of [
    ['batching on (BATCH_MAX_SIZE=32)', '32'],
    ['batching off (BATCH_MAX_SIZE=1)', '1'],
  ] as const) {
    const heavyPort = await freePort();
    const server = await startServer(heavyPort, {
      MODEL_PATH: path.join(appDir, 'models/mlp-bench.onnx'),
      BATCH_MAX_SIZE: size,
    });
    const healthProbe = sleep(WARMUP_SECONDS * 1000 + 500).then(() =>
      load({
        url: `http://127.0.0.1:${heavyPort}/health`,
        concurrency: 1,
        seconds: SECONDS - 1,
        rate: 50,
      }),
    );
    const measured = await phase(`model-server mlp ${label}`, heavyPort, '768', true);
    const health = await healthProbe;
    row('  /health during the above', '-', health);
    heavy[size] = { ...measured, health };
    await server.stop();
  }

  // 3. Ratios against the issue's goals.
  const ratioRows: [string, string, string, boolean | undefined][] = [];
  const goal = (name: string, value: number, target: string, pass: boolean | undefined) =>
    ratioRows.push([name, fmt(value, 2), target, Number.isFinite(value) ? pass : undefined]);
  const o768 = oursResults['768']?.r;
  const r768 = reference['768'];
  if (o768 && r768) {
    goal('throughput vs reference, 768 body', o768.rps / r768.rps, '≥ 6', o768.rps / r768.rps >= 6);
    goal(
      'p99 vs reference, 768 body',
      o768.p99Ms / r768.p99Ms,
      '≤ 0.33',
      o768.p99Ms / r768.p99Ms <= 1 / 3,
    );
  }
  const o5 = oursResults['5']?.r;
  const r5 = reference['5'];
  if (o5 && r5) goal('throughput vs reference, 5 body', o5.rps / r5.rps, '(info)', undefined);
  for (const body of ['5', '768'] as const) {
    const o = oursResults[body]?.r;
    const b = bareResults[body];
    if (o && b)
      goal(`throughput vs bare Hono, ${body} body`, o.rps / b.rps, '≥ 0.8', o.rps / b.rps >= 0.8);
  }
  const on = heavy['32'];
  const off = heavy['1'];
  if (on && off)
    goal('batching on vs off, mlp', on.r.rps / off.r.rps, '≥ 3', on.r.rps / off.r.rps >= 3);
  for (const [label, h] of [
    ['on', on],
    ['off', off],
  ] as const) {
    if (h)
      goal(
        `/health p99 ms, mlp saturated, batching ${label}`,
        h.health.p99Ms,
        '< 20',
        h.health.p99Ms < 20,
      );
  }
  if (on?.s) {
    goal('mean queue depth, mlp, 50 clients', on.s.meanDepth, '≥ 40', on.s.meanDepth >= 40);
    const share = on.s.serverMeanMs / on.r.meanMs;
    goal('server mean latency / client mean, mlp', share, '≥ 0.8', share >= 0.8);
  }
  const bundled = oursResults['768']?.s;
  if (bundled && o768) {
    goal(
      'mean queue depth, linear 768, 50 clients',
      bundled.meanDepth,
      '≥ 25',
      bundled.meanDepth >= 25,
    );
    goal(
      'server mean latency / client mean, linear 768',
      bundled.serverMeanMs / o768.meanMs,
      '(info)',
      undefined,
    );
  }

  console.log(
    '\n| server | body | req/s | p50 ms | p99 ms | mean ms | failed | server-side signals |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('\n| goal | measured | target | met |');
  console.log('| --- | ---: | --- | --- |');
  for (const [name, value, target, pass] of ratioRows) {
    console.log(
      `| ${name} | ${value} | ${target} | ${pass === undefined ? '' : pass ? 'yes' : 'NO'} |`,
    );
  }
  const outDir = path.join(repoRoot, '.bench');
  await mkdir(outDir, { recursive: true });
  const file = path.join(
    outDir,
    `model-server-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  await writeFile(
    file,
    JSON.stringify(
      { loadGenerator: useHey ? 'hey' : 'autocannon', seconds: SECONDS, results, goals: ratioRows },
      null,
      2,
    ),
  );
  console.log(`\nraw figures: ${path.relative(process.cwd(), file)}`);
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    cleanup();
    process.exit(1);
  },
);
