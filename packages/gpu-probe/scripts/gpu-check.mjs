// The GPU check's measuring half (run by gpu-check.sh, which builds gpu-busy first):
//   node scripts/gpu-check.mjs <path to gpu-busy> [device index=0]
// 1. idle: utilization should read near 0 (no other process on the GPU);
// 2. memory: total and used should match nvidia-smi;
// 3. load: with gpu-busy running, utilization should read high, the busy counter should grow at
//    nearly 1 s/s, and used memory should grow by what gpu-busy allocated.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERIES } from '@mlscale/metric-contract';
import { createGpuProbe } from '../dist/index.js';

const busyBinary = process.argv[2];
const index = Number(process.argv[3] ?? process.env.GPU_CHECK_INDEX ?? 0);
const ALLOC_MIB = 2048;
const IDLE_MAX = 10; // percent: an idle GPU reads 0, allow a little background activity
const LOAD_MIN = 80; // percent
const MiB = 1024 * 1024;

let failures = 0;
function check(ok, label, detail) {
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${label}: ${detail}`);
  if (!ok) failures++;
}

function smi() {
  const out = execFileSync(
    'nvidia-smi',
    [
      '-i',
      String(index),
      '--query-gpu=uuid,name,memory.used,memory.total,utilization.gpu',
      '--format=csv,noheader,nounits',
    ],
    { encoding: 'utf8' },
  );
  const [uuid, name, used, total, util] = out.trim().split(/,\s*/);
  return { uuid, name, usedMiB: Number(used), totalMiB: Number(total), util: Number(util) };
}

async function sampleUtilization(probe, ms) {
  const values = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = probe.read();
    if (!r.ok) throw r.error;
    const u = r.devices[0]?.utilization;
    if (!u) throw new Error('this GPU reports no utilization (MIG?): the check needs a full GPU');
    values.push(u.gpu);
    await sleep(200);
  }
  values.sort((a, b) => a - b);
  return {
    median: values[Math.floor(values.length / 2)],
    min: values[0],
    max: values.at(-1),
    n: values.length,
  };
}

function compareMemory(label, reading, s) {
  const totalMiB = reading.memory.total / MiB;
  const usedMiB = reading.memory.used / MiB;
  // nvidia-smi prints MiB, rounded; "used" moves a little between the two reads.
  check(
    Math.abs(totalMiB - s.totalMiB) <= 1,
    `${label} memory total vs nvidia-smi`,
    `probe ${totalMiB.toFixed(1)} MiB, nvidia-smi ${s.totalMiB} MiB`,
  );
  check(
    Math.abs(usedMiB - s.usedMiB) <= Math.max(64, s.usedMiB * 0.02),
    `${label} memory used vs nvidia-smi`,
    `probe ${usedMiB.toFixed(1)} MiB, nvidia-smi ${s.usedMiB} MiB`,
  );
}

const probe = createGpuProbe({ devices: [index] });
try {
  const first = probe.read();
  if (!first.ok) throw first.error;
  const device = first.devices[0];
  const s0 = smi();
  console.log(
    `GPU ${index}: ${device.name} ${device.uuid} via ${probe.libraryPath} (nvidia-smi: ${s0.name} ${s0.uuid})`,
  );
  check(device.uuid === s0.uuid, 'UUID matches nvidia-smi', device.uuid);

  const idle = await sampleUtilization(probe, 3000);
  check(
    idle.median <= IDLE_MAX,
    'idle utilization near 0',
    `median ${idle.median} % (min ${idle.min}, max ${idle.max}, ${idle.n} reads)`,
  );
  const idleReading = probe.read();
  compareMemory('idle', idleReading.devices[0], smi());

  const busy = spawn(busyBinary, ['8', String(ALLOC_MIB), String(index)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(busy, 'exit'); // listen now: it may exit while we measure
  let out = '';
  busy.stdout.setEncoding('utf8');
  busy.stdout.on('data', (chunk) => {
    out += chunk;
  });
  while (!out.includes('ready')) {
    if (busy.exitCode !== null) throw new Error(`gpu-busy exited early (${busy.exitCode}): ${out}`);
    await sleep(50);
  }
  console.log(`gpu-busy: ${out.trim()}`);
  await sleep(1500); // let the driver's utilization window fill with busy time
  const before = probe.read().devices[0];
  const t0 = performance.now();
  const load = await sampleUtilization(probe, 4000);
  const after = probe.read().devices[0];
  const seconds = (performance.now() - t0) / 1000;
  check(
    load.median >= LOAD_MIN,
    'utilization high under load',
    `median ${load.median} % (min ${load.min}, max ${load.max}, ${load.n} reads)`,
  );
  const busyRate = (after.busySecondsTotal - before.busySecondsTotal) / seconds;
  check(
    busyRate >= LOAD_MIN / 100,
    `${SERIES.gpuBusySeconds.name} rate under load (${after.busySource})`,
    `${busyRate.toFixed(3)} busy s per s over ${seconds.toFixed(1)} s`,
  );
  const grew = (after.memory.used - idleReading.devices[0].memory.used) / MiB;
  check(
    grew >= ALLOC_MIB * 0.95,
    'memory used grew by the allocation',
    `+${grew.toFixed(0)} MiB for ${ALLOC_MIB} MiB allocated`,
  );
  compareMemory('load', after, smi());
  const [code] = await exited;
  check(code === 0, 'gpu-busy ran to the end', `exit ${code}: ${out.trim().split('\n').at(-1)}`);
} finally {
  probe.close();
}
console.log(
  failures === 0 ? 'gpu-check: all checks passed' : `gpu-check: ${failures} check(s) failed`,
);
process.exitCode = failures === 0 ? 0 : 1;
