// One full read of every gauge for one GPU (utilization, memory, power, temperature, the sample
// buffer for busy time, and publishing the metrics), through koffi against the fake NVML library.
// Prints µs per read, the median of several rounds. Goal: under 50 µs.
// Then this process's own share (gpu_process_*): the device read with and without the per-process
// poll, side by side in the same run, on a GPU shared by two processes. Goal: the per-process poll
// under 200 µs. Figures are printed, never asserted.
//   pnpm --filter @mlscale/gpu-probe bench
import { rmSync } from 'node:fs';
import { Registry } from 'prom-client';
import { createGpuProbe } from '../src/index.js';
import { compileFakeNvml, createFakeProcRoot } from '../src/testing.js';

const ROUNDS = 7;
const READS_PER_ROUND = 20_000;

const nvml = compileFakeNvml();
nvml.setUtilization(0, 63, 20);
nvml.setMemory(0, { total: 80 * 1024 ** 3, used: 21 * 1024 ** 3 });
// A sample buffer with a new sample on every read, as on a busy GPU scraped every 1/6 s or slower.
let ts = 1_700_000_000_000_000;
nvml.pushSample(0, ts, 50);

const registry = new Registry();
let clock = 0;
// Today's device read, without the per-process poll.
const probe = createGpuProbe({
  registry,
  libraryPath: nvml.libraryPath,
  now: () => clock,
  processes: false,
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function round(body: () => void, n: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) body();
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}

const readOnly: number[] = [];
const withSample: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  readOnly.push(round(() => probe.read(), READS_PER_ROUND));
  withSample.push(
    round(() => {
      ts += 166_667;
      nvml.pushSample(0, ts, 70);
      probe.read();
    }, READS_PER_ROUND / 4),
  );
}

// A scrape: the six gpu_* metrics rendered from one read.
const scrape: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < 500; i++) {
    clock += 2000; // every scrape reads NVML again
    await registry.metrics();
  }
  scrape.push(Number(process.hrtime.bigint() - start) / 1000 / 500);
}

// This process's share: two processes on the GPU (this one and another pod's), a pod with hostPID.
const procRoot = createFakeProcRoot({ pid: 4242, namespace: 'host' });
nvml.setProcess(0, 4242, { usedBytes: 3 * 1024 ** 3 });
nvml.setProcess(0, 5151, { usedBytes: 1 * 1024 ** 3 });
const shared = createGpuProbe({ libraryPath: nvml.libraryPath, now: () => clock, procRoot });
let pts = 1_800_000_000_000_000;
const pushBoth = (): void => {
  pts += 166_667;
  nvml.pushProcessSample(0, 4242, pts, { sm: 70 });
  nvml.pushProcessSample(0, 5151, pts, { sm: 20 });
};
const deviceOnly: number[] = [];
const withProcesses: number[] = [];
const deviceOnlyNewSamples: number[] = [];
const withProcessesNewSamples: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  deviceOnly.push(round(() => probe.read(), READS_PER_ROUND / 4));
  withProcesses.push(round(() => shared.read(), READS_PER_ROUND / 4));
  // New samples of both processes before every read (two extra koffi calls into the fake in both rows).
  deviceOnlyNewSamples.push(
    round(() => {
      pushBoth();
      probe.read();
    }, READS_PER_ROUND / 4),
  );
  withProcessesNewSamples.push(
    round(() => {
      pushBoth();
      shared.read();
    }, READS_PER_ROUND / 4),
  );
}
const check = shared.read().devices[0]?.process;

const result = probe.read();
probe.close();
shared.close();
nvml.dispose();
rmSync(procRoot, { recursive: true, force: true });
if (!result.ok) throw result.error;
if (!check?.attribution.ok)
  throw new Error(`bench: the process was not attributed: ${JSON.stringify(check)}`);

console.log(`gpu-probe read, 1 GPU, fake NVML through koffi (median of ${ROUNDS} rounds):`);
console.log(`  probe.read(), no new sample:         ${median(readOnly).toFixed(2)} µs per read`);
console.log(
  `  probe.read(), one new sample (incl. the fake's push call): ${median(withSample).toFixed(2)} µs per read`,
);
console.log(
  `  registry.metrics() (read + render 6 metrics): ${median(scrape).toFixed(2)} µs per scrape`,
);
console.log(`  goal: < 50 µs per read: ${median(readOnly) < 50 ? 'met' : 'NOT met'}`);

const m = {
  deviceOnly: median(deviceOnly),
  withProcesses: median(withProcesses),
  deviceOnlyNew: median(deviceOnlyNewSamples),
  withProcessesNew: median(withProcessesNewSamples),
};
const poll = m.withProcesses - m.deviceOnly;
const pollNew = m.withProcessesNew - m.deviceOnlyNew;
console.log('');
console.log(`this process's share of a GPU shared by 2 processes (median of ${ROUNDS} rounds):`);
console.log(
  `  device read only (processes: false):          ${m.deviceOnly.toFixed(2)} µs per read`,
);
console.log(
  `  device read + per-process poll:               ${m.withProcesses.toFixed(2)} µs per read`,
);
console.log(
  `  the per-process poll alone (difference):      ${poll.toFixed(2)} µs (${(m.withProcesses / m.deviceOnly).toFixed(2)}x the device read)`,
);
console.log(
  `  with 2 new process samples per read: ${m.deviceOnlyNew.toFixed(2)} → ${m.withProcessesNew.toFixed(2)} µs, the poll ${pollNew.toFixed(2)} µs`,
);
console.log(
  `  goal: per-process poll < 200 µs: ${Math.max(poll, pollNew) < 200 ? 'met' : 'NOT met'}`,
);
