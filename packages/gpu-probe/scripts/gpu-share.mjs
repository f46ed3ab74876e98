// The shared-GPU check's measuring half (run by gpu-share.sh, which builds gpu-duty first):
//   node scripts/gpu-share.mjs <path to gpu-duty> [device index=0]
// Two processes share one GPU at duty cycles of 70 % and 20 % (phases that do not overlap, so the
// GPU time-slices them without contention). For each, the probe reads as if it ran inside that
// process (its procRoot points at /proc/<pid>, so it finds the PID NVML reports the way it does in
// a pod with hostPID), every second for 10 s. Prints the device-wide and the per-process figures
// against each process's duty cycle, the memory against nvidia-smi, and what one poll costs on
// this driver. Goal: each per-process median within ±10 points of its duty cycle, the device-wide
// median within ±10 of their sum.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGpuProbe } from '../dist/index.js';

const dutyBinary = process.argv[2];
const index = Number(process.argv[3] ?? process.env.GPU_CHECK_INDEX ?? 0);
const RUN_SECONDS = Number(process.env.GPU_SHARE_SECONDS ?? 18);
const WARMUP_MS = 3000;
const READS = 10;
const TOLERANCE = 10; // percentage points
const loads = [
  { name: 'A', duty: 0.7, phaseMs: 0, mib: 1024 },
  { name: 'B', duty: 0.2, phaseMs: 75, mib: 512 },
];

let failures = 0;
function check(ok, label, detail) {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${label}: ${detail}`);
  if (!ok) failures++;
}

const median = (values) => {
  const sorted = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
};

function start(load) {
  const child = spawn(
    dutyBinary,
    [
      String(load.duty),
      String(RUN_SECONDS),
      '100',
      String(load.phaseMs),
      String(load.mib),
      String(index),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  return { ...load, child, output: () => out };
}

/** A folder that is /proc as the process `pid` sees it: what the probe reads inside that process. */
function procRootOf(pid) {
  const root = mkdtempSync(join(tmpdir(), `gpu-share-proc-${pid}-`));
  symlinkSync(`/proc/${pid}`, join(root, 'self'));
  symlinkSync('/proc/1', join(root, '1'));
  return root;
}

function pollCost(withProcesses) {
  const probe = createGpuProbe({ devices: [index], processes: withProcesses });
  try {
    for (let i = 0; i < 500; i++) probe.read(); // warm-up: the JIT, the driver's caches
    const rounds = [];
    for (let r = 0; r < 5; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 200; i++) probe.read();
      rounds.push(Number(process.hrtime.bigint() - t0) / 1000 / 200);
    }
    return median(rounds);
  } finally {
    probe.close();
  }
}

const running = loads.map(start);
const folders = [];
const probes = [];
try {
  for (const r of running) {
    while (!/ready pid=(\d+)/.test(r.output())) {
      if (r.child.exitCode !== null)
        throw new Error(`gpu-duty ${r.name} exited early: ${r.output()}`);
      await sleep(50);
    }
    r.pid = Number(/ready pid=(\d+)/.exec(r.output())[1]);
    console.log(`gpu-duty ${r.name}: ${r.output().trim()}`);
    const procRoot = procRootOf(r.pid);
    folders.push(procRoot);
    r.probe = createGpuProbe({ devices: [index], procRoot });
    probes.push(r.probe);
    console.log(`  probe as ${r.name}: ${JSON.stringify(r.probe.hostPid)}`);
  }
  await sleep(WARMUP_MS);
  for (const r of running) r.probe.read(); // the window starts here
  const rows = running.map(() => ({ own: [], device: [], memory: [], reasons: new Set() }));
  for (let i = 0; i < READS; i++) {
    await sleep(1000);
    running.forEach((r, k) => {
      const result = r.probe.read();
      if (!result.ok) throw result.error;
      const d = result.devices[0];
      rows[k].own.push(d.process?.utilization?.sm ?? null);
      rows[k].device.push(d.utilization?.gpu ?? null);
      rows[k].memory.push(d.process?.memoryUsedBytes ?? null);
      const a = d.process?.attribution;
      rows[k].reasons.add(a ? (a.ok ? a.how : `${a.reason}: ${a.detail}`) : 'none');
    });
  }
  let apps = '';
  try {
    apps = execFileSync(
      'nvidia-smi',
      [
        '-i',
        String(index),
        '--query-compute-apps=pid,used_memory',
        '--format=csv,noheader,nounits',
      ],
      { encoding: 'utf8' },
    );
  } catch (error) {
    apps = `(nvidia-smi --query-compute-apps failed: ${error.message})`;
  }
  const smiMiB = new Map(
    apps
      .trim()
      .split('\n')
      .map((line) => line.split(/,\s*/).map(Number))
      .filter(([pid]) => Number.isInteger(pid)),
  );

  console.log('');
  console.log(
    `GPU ${index}, ${READS} reads 1 s apart after ${WARMUP_MS / 1000} s of warm-up (medians; min..max):`,
  );
  console.log(
    'process  host PID  duty   per-process %          device-wide %          memory MiB (nvidia-smi)  attribution',
  );
  const sum = loads.reduce((s, l) => s + l.duty * 100, 0);
  running.forEach((r, k) => {
    const row = rows[k];
    const range = (v) => {
      const n = v.filter((x) => typeof x === 'number');
      return n.length ? `${Math.min(...n)}..${Math.max(...n)}` : 'none';
    };
    const own = median(row.own);
    const device = median(row.device);
    const mem = median(row.memory) / 2 ** 20;
    console.log(
      `${r.name.padEnd(8)} ${String(r.pid).padEnd(9)} ${String(r.duty * 100).padEnd(6)} ${`${own.toFixed(1)} (${range(row.own)})`.padEnd(22)} ${`${device.toFixed(1)} (${range(row.device)})`.padEnd(22)} ${`${mem.toFixed(0)} (${smiMiB.get(r.pid) ?? '?'})`.padEnd(24)} ${[...row.reasons].join('; ')}`,
    );
    check(
      Math.abs(own - r.duty * 100) <= TOLERANCE,
      `${r.name}: per-process within ±${TOLERANCE} of its duty cycle`,
      `${own.toFixed(1)} % for ${r.duty * 100} %`,
    );
    check(
      Math.abs(device - sum) <= TOLERANCE,
      `${r.name}: device-wide within ±${TOLERANCE} of the sum`,
      `${device.toFixed(1)} % for ${sum} %`,
    );
  });
  const [withP, without] = [pollCost(true), pollCost(false)];
  console.log('');
  console.log(
    `one read of the GPU on this driver (median of 5 x 200): ${without.toFixed(1)} µs device only, ${withP.toFixed(1)} µs with the per-process poll (+${(withP - without).toFixed(1)} µs)`,
  );
  for (const r of running) {
    await new Promise((resolve) => {
      if (r.child.exitCode !== null) resolve();
      else r.child.once('exit', resolve);
    });
    console.log(`gpu-duty ${r.name}: ${r.output().trim().split('\n').at(-1)}`);
  }
} finally {
  for (const p of probes) p.close();
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGTERM');
  for (const f of folders) rmSync(f, { recursive: true, force: true });
}
console.log(
  failures === 0 ? 'gpu-share: all checks passed' : `gpu-share: ${failures} check(s) failed`,
);
process.exitCode = failures === 0 ? 0 : 1;
