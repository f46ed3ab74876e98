// `pnpm --filter @mlscale/model-server bench:clients`: the server against slow, huge and excess
// clients, each phase side by side with its baseline in the same run:
//   1. 200 clients posting 1 MB bodies: worst /livez and /metrics latency, peak RSS, with the body
//      limit sized to the model (default) and with the old fixed 1 MiB;
//   2. shedding at MAX_CONCURRENCY=4 MAX_QUEUE=8: goodput at twice the capacity (open loop) and
//      under 100 closed-loop clients, against the unshed capacity (12 clients);
//   3. 50 slow uploads (100 kB at 3 bytes/s) holding connections: request_queue_depth and
//      requests_receiving, and normal requests served meanwhile against the capacity;
//   4. connection-level abuse, a row per finding of the red-team issue, this build and
//      BENCH_BEFORE_MAIN's side by side: legitimate clients' rate against their rate without the
//      hostile client, /livez's worst, peak RSS, and request_queue_depth once the client left.
// Prints figures; asserts nothing. Needs `pnpm build` and hey (apt-get install hey).
// BENCH_SECONDS (6), BENCH_ROUNDS (3), BENCH_PHASES (1,2,3,4), BENCH_SERVER_MAIN (another build to
// measure), BENCH_BEFORE_MAIN (phase 4's "before": another build's dist/main.js, such as the
// commit before the fix; without it phase 4 measures this build alone and says so).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '@mlscale/testkit';
import {
  type Abuser,
  everyMethod,
  pipelineAndClose,
  pipelineDuringDrain,
  pipelineFlood,
  pipelineNeverRead,
  stalledUploads,
} from './abusers.js';
import { scrape } from './scrape.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const appDir = path.resolve(here, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LOAD_NICE = process.env.BENCH_LOAD_NICE ?? '19';
// The server to measure: this package's build, or another build's dist/main.js to compare with.
const SERVER_MAIN = process.env.BENCH_SERVER_MAIN ?? path.join(appDir, 'dist/main.js');
const body768 = path.join(here, 'bodies/predict-768.json');
// BENCH_PHASES=1,3 runs only those phases (phase 3 compares with phase 2's capacity when both run).
const PHASES = new Set((process.env.BENCH_PHASES ?? '1,2,3,4').split(',').map((p) => p.trim()));
const BEFORE_MAIN = process.env.BENCH_BEFORE_MAIN;

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function requireHey(): void {
  try {
    execFileSync('sh', ['-c', 'command -v hey'], { stdio: 'ignore' });
  } catch {
    throw new Error('hey is not installed: apt-get install hey');
  }
}

interface HeyResult {
  seconds: number;
  statuses: Record<string, number>;
  errors: number;
  rps: number;
}

/** Runs hey in its own process and reads its summary. */
function hey(args: string[]): Promise<HeyResult> {
  return new Promise((resolve, reject) => {
    // Niced, so that on a machine shared with the server the load generator takes only the CPU
    // the server leaves: closer to hey on another machine (BENCH_LOAD_NICE=0 to compare).
    const child = spawn('nice', ['-n', LOAD_NICE, 'hey', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`hey exited ${code}: ${out}`));
      const statuses: Record<string, number> = {};
      for (const m of out.matchAll(/\[(\d{3})\]\s+(\d+) responses/g))
        statuses[m[1] as string] = Number(m[2]);
      const errorSection = out.split('Error distribution:')[1] ?? '';
      const errors = [...errorSection.matchAll(/\[(\d+)\]/g)].reduce((n, m) => n + Number(m[1]), 0);
      resolve({
        seconds: Number(/Total:\s+([\d.]+) secs/.exec(out)?.[1] ?? Number.NaN),
        statuses,
        errors,
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
      });
    });
  });
}

const ok = (r: HeyResult) => (r.statuses['200'] ?? 0) / r.seconds;

interface Server {
  port: number;
  pid: number;
  /** True once the process has exited (crashed, or stopped). */
  readonly exited: boolean;
  stop(): Promise<void>;
}

async function startServer(env: Record<string, string>, main = SERVER_MAIN): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    cwd: appDir,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      GPU_PROBE: 'off',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DELAY_SECONDS: '0',
      SHUTDOWN_DRAIN_SECONDS: '2',
      // The workers at the HTTP thread's priority: here the load generator shares the machine.
      WORKER_NICE: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
    } catch {}
    if (performance.now() > deadline) throw new Error('the server did not become ready in 30 s');
    await sleep(100);
  }
  return {
    port,
    pid: child.pid as number,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Milliseconds one GET takes on a fresh connection (as a kubelet probe does), NaN on failure. */
function probe(port: number, route: string, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: route, agent: false }, (res) => {
      res.resume();
      res.once('end', () =>
        resolve(res.statusCode === 200 ? performance.now() - started : Number.NaN),
      );
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.once('error', () => resolve(Number.NaN));
  });
}

/** Probes `route` back to back until `stop` resolves; returns every latency. */
async function probeUntil(port: number, route: string, everyMs: number, stop: Promise<unknown>) {
  let done = false;
  void stop.then(() => {
    done = true;
  });
  const latencies: number[] = [];
  while (!done) {
    latencies.push(await probe(port, route));
    await sleep(everyMs);
  }
  return latencies;
}

function memory(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** An upload announcing `length` bytes that sends 3 of them a second. */
function slowUpload(port: number, length: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => {
    answer += d.toString('latin1');
  });
  socket.on('error', () => {});
  socket.write(
    `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{"f`,
  );
  const timer = setInterval(() => socket.write('0, '), 1000);
  const closed = new Promise<string>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(answer);
    }),
  );
  return { closed, stop: () => socket.destroy() };
}

const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const max = (xs: number[]) => xs.reduce((m, x) => (Number.isNaN(x) ? m : Math.max(m, x)), 0);
const failures = (xs: number[]) => xs.filter(Number.isNaN).length;
const statuses = (r: HeyResult) =>
  `${Object.entries(r.statuses)
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ')}${r.errors ? `, connection errors: ${r.errors}` : ''}`;

async function flood(
  label: string,
  env: Record<string, string>,
  bodyFile: string,
  route = '/predict',
) {
  const server = await startServer(env);
  const before = memory(server.pid);
  let peakRss = before.rssMb;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, memory(server.pid).rssMb);
  }, 100);
  const load = hey([
    ...['-z', `${SECONDS}s`, '-c', '200', '-m', 'POST', '-T', 'application/json'],
    ...['-D', bodyFile, `http://127.0.0.1:${server.port}${route}`],
  ]);
  // The server's own view: the longest event-loop delay since the previous scrape (prom-client's
  // nodejs_eventloop_lag_max_seconds), read every 250 ms; a probe's time also holds the machine's.
  let lagMax = 0;
  let done = false;
  void load.finally(() => {
    done = true;
  });
  const lagWatch = (async () => {
    await scrape(server.port); // starts the window
    while (!done) {
      await sleep(250);
      const lag = (await scrape(server.port).catch(() => new Map())).get(
        'nodejs_eventloop_lag_max_seconds',
      );
      if (lag !== undefined) lagMax = Math.max(lagMax, lag * 1000);
    }
  })();
  const [result, livez] = await Promise.all([
    load,
    probeUntil(server.port, '/livez', 50, load),
    lagWatch,
  ]);
  clearInterval(sampler);
  const after = memory(server.pid);
  await server.stop();
  console.log(
    `  ${label.padEnd(44)} event loop blocked at most ${f(lagMax).padStart(5)} ms; /livez on a fresh connection median ${f(median(livez), 1)} ms, worst ${f(max(livez)).padStart(5)} ms (${livez.length} probes, ${failures(livez)} unanswered); RSS ${f(before.rssMb)} → peak ${f(Math.max(peakRss, after.peakMb))} MB  [${statuses(result)}]`,
  );
}

/** CPU seconds the main (HTTP) thread of `pid` has used. */
function mainThreadCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
  const ticks = Number(fields?.[11]) + Number(fields?.[12]); // utime + stime
  return ticks / 100; // USER_HZ is 100 on Linux
}

async function measured(pid: number, args: string[]) {
  const before = mainThreadCpu(pid);
  const result = await hey(args);
  return { result, cpu: mainThreadCpu(pid) - before };
}

const median = (xs: number[]) => {
  const sorted = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/**
 * Rounds of: capacity (12 clients, the limits' size: nothing shed), then twice that rate open
 * loop, then 100 clients closed loop; each round's ratios against its own capacity, medians over
 * the rounds. Also the HTTP thread's own CPU per 200 and per 503, which the machine's other load
 * disturbs far less than the rates.
 */
async function shedding(label: string, env: Record<string, string>, post: string[]) {
  const server = await startServer(env);
  const url = `http://127.0.0.1:${server.port}/predict`;
  await hey(['-z', '1s', '-c', '12', ...post, url]);
  const rows = { capacity: [] as number[], twice: [] as number[], hundred: [] as number[] };
  const ratios = { twice: [] as number[], hundred: [] as number[] };
  const cpu = { ok: [] as number[], shed: [] as number[] };
  const offered: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const capacity = await measured(server.pid, ['-z', `${SECONDS}s`, '-c', '12', ...post, url]);
    const cap = ok(capacity.result);
    const cpuPerOk = capacity.cpu / (capacity.result.statuses['200'] ?? 1);
    const rate = Math.max(1, Math.round((2 * cap) / 48));
    const twice = await measured(server.pid, [
      ...['-z', `${SECONDS}s`, '-c', '48', '-q', String(rate)],
      ...post,
      url,
    ]);
    const hundred = await measured(server.pid, ['-z', `${SECONDS}s`, '-c', '100', ...post, url]);
    rows.capacity.push(cap);
    rows.twice.push(ok(twice.result));
    rows.hundred.push(ok(hundred.result));
    ratios.twice.push(ok(twice.result) / cap);
    ratios.hundred.push(ok(hundred.result) / cap);
    offered.push(twice.result.rps / cap);
    cpu.ok.push(cpuPerOk);
    for (const m of [twice, hundred]) {
      const shed = m.result.statuses['503'] ?? 0;
      if (shed > 0) cpu.shed.push((m.cpu - (m.result.statuses['200'] ?? 0) * cpuPerOk) / shed);
    }
  }
  await server.stop();
  const list = (xs: number[]) => xs.map((x) => f(x)).join(', ');
  console.log(`  ${label}, medians of ${ROUNDS} rounds`);
  console.log(
    `    capacity, 12 clients (no shedding)     ${f(median(rows.capacity)).padStart(6)} ok/s   (rounds: ${list(rows.capacity)})`,
  );
  console.log(
    `    2x capacity, open loop, 48 clients     ${f(median(rows.twice)).padStart(6)} ok/s   = ${f(100 * median(ratios.twice))} % of capacity (rounds: ${list(ratios.twice.map((r) => 100 * r))} %; offered ${f(median(offered), 1)}x)`,
  );
  console.log(
    `    100 clients, closed loop               ${f(median(rows.hundred)).padStart(6)} ok/s   = ${f(100 * median(ratios.hundred))} % of capacity (rounds: ${list(ratios.hundred.map((r) => 100 * r))} %)`,
  );
  console.log(
    `    HTTP-thread CPU: ${f(median(cpu.ok) * 1e6)} µs per 200 served, ${f(median(cpu.shed) * 1e6)} µs per 503 shed`,
  );
  return median(rows.capacity);
}

async function main() {
  requireHey();
  const dir = await mkdtemp(path.join(tmpdir(), 'mlscale-clients-bench-'));
  // 1 MB of valid JSON: what a client that ignores the model's input size sends.
  const megabyte = path.join(dir, 'predict-1mb.json');
  const values: string[] = [];
  for (let size = 14; size < 1_000_000; size += 9) values.push('0.1234567');
  await writeFile(
    megabyte,
    `{"features":[${values.join(',')}]}`.slice(0, 999_998).replace(/,[^,]*$/, ']}'),
  );
  // The largest request the automatic limit admits in practice: a v2 batch of 8 rows of 768
  // full-precision floats (about 130 kB), valid, so every one is parsed and run.
  const batch8 = path.join(dir, 'infer-8x768.json');
  const rows = Array.from({ length: 8 * 768 }, (_, i) => Math.sin(i) / 3);
  await writeFile(
    batch8,
    JSON.stringify({
      inputs: [{ name: 'input', shape: [8, 768], datatype: 'FP32', data: rows }],
    }),
  );
  console.log(`server: ${SERVER_MAIN}\nhey in its own process, ${SECONDS} s per phase\n`);

  if (PHASES.has('1')) {
    console.log(
      '1. 200 clients posting 1 MB bodies to /predict; /livez probed every 50 ms, /metrics every 250 ms',
    );
    await flood('BODY_LIMIT_BYTES auto (151,552 here)', {}, megabyte);
    await flood(
      'BODY_LIMIT_BYTES=1048576 (the old default)',
      { BODY_LIMIT_BYTES: '1048576' },
      megabyte,
    );
    console.log(
      '   and 200 clients posting valid 8 x 768 v2 batches (130 kB), each parsed and run',
    );
    await flood('BODY_LIMIT_BYTES auto', {}, batch8, '/v2/models/linear-768x2/infer');
  }
  let capacityOk = Number.NaN;
  const limits = { MAX_CONCURRENCY: '4', MAX_QUEUE: '8' };
  const post = ['-m', 'POST', '-T', 'application/json', '-D', body768];

  if (PHASES.has('2')) {
    console.log(
      '\n2. shedding at MAX_CONCURRENCY=4 MAX_QUEUE=8, 768-feature body; "HTTP-thread CPU" is the server main thread\'s own CPU time',
    );
    capacityOk = await shedding('linear-768x2 (the HTTP thread is the bottleneck)', limits, post);
    await shedding(
      'mlp-bench.onnx (the model is the bottleneck)',
      { ...limits, MODEL_PATH: path.join(appDir, 'models/mlp-bench.onnx') },
      post,
    );
  }
  if (PHASES.has('3')) await slowUploads(capacityOk, limits, post);
  if (PHASES.has('4')) await connectionAbuse(post);
}

/** Phase 3: slow uploads against the limits, and with none. */
async function slowUploads(capacityOk: number, limits: Record<string, string>, post: string[]) {
  console.log(
    '\n3. 50 slow uploads (100 kB announced, 3 bytes/s) at MAX_CONCURRENCY=4 MAX_QUEUE=8',
  );
  const slowServer = await startServer({ ...limits, BODY_TIMEOUT_MS: '20000' });
  const slowUrl = `http://127.0.0.1:${slowServer.port}/predict`;
  const t0 = performance.now();
  const uploads = Array.from({ length: 50 }, () => slowUpload(slowServer.port, 100_000));
  await sleep(1500);
  const idleStart = await scrape(slowServer.port);
  const idleT = performance.now();
  await sleep(2000);
  const idleEnd = await scrape(slowServer.port);
  const meanDepth =
    ((idleEnd.get('request_queue_depth_seconds_total') ?? 0) -
      (idleStart.get('request_queue_depth_seconds_total') ?? 0)) /
    ((performance.now() - idleT) / 1000);
  console.log(
    `  with only the slow uploads: request_queue_depth ${idleEnd.get('request_queue_depth')}, mean over 2 s ${f(meanDepth, 2)}, requests_receiving ${idleEnd.get('requests_receiving')}`,
  );
  const during = await hey(['-z', `${SECONDS}s`, '-c', '12', ...post, slowUrl]);
  const afterLoad = await scrape(slowServer.port);
  console.log(
    `  normal requests meanwhile, 12 clients       ${f(ok(during)).padStart(6)} ok/s  = ${f((100 * ok(during)) / capacityOk)} % of the capacity above  [${statuses(during)}]; requests_receiving still ${afterLoad.get('requests_receiving')}`,
  );
  const answers = await Promise.race([
    Promise.all(uploads.map((u) => u.closed)),
    sleep(30_000).then(() => undefined),
  ]);
  const cut = answers?.filter((a) => a.startsWith('HTTP/1.1 408')).length ?? 0;
  console.log(
    `  slow uploads cut with 408 after BODY_TIMEOUT_MS=20000: ${cut} of 50 (at ${f((performance.now() - t0) / 1000, 1)} s)`,
  );
  for (const u of uploads) u.stop();
  await slowServer.stop();

  // The issue's case: no concurrency limit, where every slow upload used to count in the depth.
  const unlimited = await startServer({});
  const more = Array.from({ length: 50 }, () => slowUpload(unlimited.port, 100_000));
  await sleep(2000);
  const seen = await scrape(unlimited.port);
  console.log(
    `  the same 50 with the default limits (no MAX_CONCURRENCY): request_queue_depth ${seen.get('request_queue_depth')}, requests_receiving ${seen.get('requests_receiving')}`,
  );
  for (const u of more) u.stop();
  await unlimited.stop();
}

/** What one build showed under one hostile client. */
interface AbuseFigures {
  /** Legitimate clients' successful rate with the hostile client connected, % of without. */
  legitPct: number;
  livezWorstMs: number;
  livezUnanswered: number;
  peakRssMb: number;
  /** request_queue_depth while the hostile client was connected (and the legitimate load on). */
  depthDuring: number;
  /** Seconds until request_queue_depth read 0 after the client left, or what it was stuck at. */
  depthBack: string;
  note: string;
}

/** Watches `pid`'s RSS every 100 ms until stopped; returns the peak in MB. */
function rssWatch(pid: number) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memory(pid).rssMb);
    } catch {} // exited
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

async function depthOf(port: number): Promise<number> {
  return (
    (await scrape(port).catch(() => new Map<string, number>())).get('request_queue_depth') ??
    Number.NaN
  );
}

/** Seconds until the depth reads 0, polled every 250 ms for up to 15 s, or what it is stuck at. */
async function depthBack(server: Server): Promise<string> {
  const left = performance.now();
  let depth = Number.NaN;
  while (performance.now() - left < 15_000) {
    if (server.exited) return 'server exited';
    depth = await depthOf(server.port);
    if (depth === 0) return `0 after ${f((performance.now() - left) / 1000, 1)} s`;
    await sleep(250);
  }
  return `stuck at ${depth}`;
}

/**
 * One build under one hostile client: legitimate load alone, then with the client connected
 * (probing /livez, sampling RSS), then the client leaves and the depth is watched.
 */
async function abuseCase(
  main: string,
  env: Record<string, string>,
  legit: string[],
  start: (port: number) => Abuser,
): Promise<AbuseFigures> {
  const server = await startServer(env, main);
  const url = `http://127.0.0.1:${server.port}/predict`;
  const alone = await hey(['-z', `${SECONDS}s`, '-c', '12', ...legit, url]);
  const rss = rssWatch(server.pid);
  const abuser = start(server.port);
  await sleep(1000); // it takes hold
  const during = hey(['-z', `${SECONDS}s`, '-c', '12', ...legit, url]);
  const [withAbuser, livez] = await Promise.all([
    during,
    probeUntil(server.port, '/livez', 100, during),
  ]);
  const depthDuring = await depthOf(server.port);
  await abuser.stop();
  const back = await depthBack(server);
  const peakRssMb = rss.stop();
  const crashed = server.exited;
  await server.stop();
  return {
    legitPct: (100 * ok(withAbuser)) / ok(alone),
    livezWorstMs: max(livez),
    livezUnanswered: failures(livez),
    peakRssMb,
    depthDuring,
    depthBack: back,
    note: `${crashed ? 'CRASHED; ' : ''}with: ${statuses(withAbuser)}`,
  };
}

type Row = { finding: string; figures: Record<string, string> };

function printRows(title: string, rows: { build: string; row: Row }[]) {
  console.log(`  ${title}`);
  for (const { build, row } of rows) {
    const cells = Object.entries(row.figures)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ');
    console.log(`    ${build.padEnd(7)} ${cells}`);
  }
}

function abuseRow(finding: string, x: AbuseFigures): Row {
  return {
    finding,
    figures: {
      'legit ok': `${f(x.legitPct)} % of alone`,
      '/livez worst': `${f(x.livezWorstMs)} ms (${x.livezUnanswered} unanswered)`,
      'peak RSS': `${f(x.peakRssMb)} MB`,
      'depth connected': String(x.depthDuring),
      'after it left': x.depthBack,
      '': x.note,
    },
  };
}

/** Phase 4: a row per finding of the connection-abuse issue, this build and the one before. */
async function connectionAbuse(post: string[]) {
  const builds: [string, string][] = [['after', SERVER_MAIN]];
  if (BEFORE_MAIN) builds.push(['before', BEFORE_MAIN]);
  console.log(
    `\n4. connection-level abuse; legitimate load: hey -c 12 posting the 768-feature body for ${SECONDS} s, alone and then with the hostile client connected`,
  );
  if (!BEFORE_MAIN) {
    console.log(
      '   BENCH_BEFORE_MAIN is not set: only this build is measured (set it to another build\'s dist/main.js for the "before" column)',
    );
  }
  // infra/base's limits (WORKERS 2 there too).
  const base = { WORKERS: '2', MAX_CONCURRENCY: '64', MAX_QUEUE: '256', MAX_WAIT_MS: '5000' };
  const cases: [string, Record<string, string>, (port: number) => Abuser][] = [
    [
      '1. 150 connections x 2 pipelined POSTs, closed unread, in a loop (infra/base limits)',
      base,
      pipelineAndClose,
    ],
    [
      '2. one connection pipelining 1,000 scrapes then 4 POSTs (36 kB), never reading (MAX_CONCURRENCY=4 MAX_QUEUE=8)',
      { MAX_CONCURRENCY: '4', MAX_QUEUE: '8' },
      (port) => pipelineNeverRead(port),
    ],
    [
      '3. two connections pipelining 40,000 POSTs each (default settings)',
      {},
      (port) => pipelineFlood(port),
    ],
    [
      '3b. the same, each reopening as soon as the server closes it (a request flood)',
      {},
      (port) => pipelineFlood(port, { reconnect: true }),
    ],
    [
      '6. 256 stalled uploads (MAX_RECEIVING default) while legitimate bodies arrive',
      base,
      (port) => stalledUploads(port),
    ],
  ];
  for (const [title, env, start] of cases) {
    const rows: { build: string; row: Row }[] = [];
    for (const [build, main] of builds) {
      rows.push({ build, row: abuseRow(title, await abuseCase(main, env, post, start)) });
    }
    printRows(title, rows);
  }

  const methodRows: { build: string; row: Row }[] = [];
  for (const [build, main] of builds) {
    const server = await startServer({}, main);
    const before = (await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()).length;
    await everyMethod(server.port);
    const after = (await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()).length;
    const scrapes = hey([
      '-z',
      `${SECONDS}s`,
      '-c',
      '50',
      `http://127.0.0.1:${server.port}/metrics`,
    ]);
    const [, livez] = await Promise.all([scrapes, probeUntil(server.port, '/livez', 100, scrapes)]);
    await server.stop();
    methodRows.push({
      build,
      row: {
        finding: '4',
        figures: {
          scrape: `${f(before / 1024, 1)} kB -> ${f(after / 1024, 1)} kB after one request per method`,
          '/livez worst under 50 concurrent scrapes': `${f(max(livez))} ms (${failures(livez)} unanswered)`,
        },
      },
    });
  }
  printRows(
    '4. one request with each of the methods Node accepts, then 50 concurrent scrapes',
    methodRows,
  );

  const drainRows: { build: string; row: Row }[] = [];
  for (const [build, main] of builds) {
    const server = await startServer({ SHUTDOWN_DRAIN_SECONDS: '10' }, main);
    const child = server.pid;
    const result = await pipelineDuringDrain(server.port, () => process.kill(child, 'SIGTERM'));
    await server.stop();
    drainRows.push({
      build,
      row: {
        finding: '5',
        figures: { answered: `${result.answered} of ${result.sent} (${result.ok} ok)` },
      },
    });
  }
  printRows(
    '5. 5 keep-alive connections each pipelining 9 POSTs once the drain has begun',
    drainRows,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
