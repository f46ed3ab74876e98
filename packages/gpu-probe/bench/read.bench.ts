// One full read of every gauge for one GPU (utilization, memory, power, temperature, the sample
// buffer for busy time, and publishing the metrics), through koffi against the fake NVML library.
// Prints µs per read, the median of several rounds. Goal: under 50 µs.
//   pnpm --filter @mlscale/gpu-probe bench
import { Registry } from 'prom-client';
import { createGpuProbe } from '../src/index.js';
import { compileFakeNvml } from '../src/testing.js';

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
const probe = createGpuProbe({ registry, libraryPath: nvml.libraryPath, now: () => clock });

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

const result = probe.read();
probe.close();
nvml.dispose();
if (!result.ok) throw result.error;

console.log(`gpu-probe read, 1 GPU, fake NVML through koffi (median of ${ROUNDS} rounds):`);
console.log(`  probe.read(), no new sample:         ${median(readOnly).toFixed(2)} µs per read`);
console.log(
  `  probe.read(), one new sample (incl. the fake's push call): ${median(withSample).toFixed(2)} µs per read`,
);
console.log(
  `  registry.metrics() (read + render 6 metrics): ${median(scrape).toFixed(2)} µs per scrape`,
);
console.log(`  goal: < 50 µs per read: ${median(readOnly) < 50 ? 'met' : 'NOT met'}`);
