/** The fake NVML every probe test runs against, and a probe on it with a clock the test moves. */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { createGpuProbe, type GpuProbe, type GpuProbeOptions } from './index.js';
import { compileFakeNvml, createFakeProcRoot } from './testing.js';

/** The fake NVML of this test file (compiled once per file). */
export const nvml = compileFakeNvml();
// This process as a pod with hostPID sees itself, whatever namespace the test runs in.
export const procRoot = createFakeProcRoot({ pid: 4242, namespace: 'host' });
const open: GpuProbe[] = [];
let clock = 0;

/** The probes' clock (milliseconds), which only {@link advance} moves. */
export const now = (): number => clock;

/** Moves the probes' clock on. */
export function advance(ms: number): void {
  clock += ms;
}

/** Closes a probe the test opened itself after the test. */
export function closeAfterTest(p: GpuProbe): void {
  open.push(p);
}

/** A probe on the fake NVML and the fake /proc, closed after the test. */
export function probe(options: Omit<GpuProbeOptions, 'libraryPath'> = {}): GpuProbe {
  const p = createGpuProbe({
    libraryPath: nvml.libraryPath,
    now,
    procRoot,
    ...options,
  });
  open.push(p);
  return p;
}

/**
 * Resets the fake NVML and the clock before each test, closes the test's probes after it (and
 * checks that every probe shut NVML down), and removes the fake library and /proc after the file.
 */
export function useFakeNvml(): void {
  beforeEach(() => {
    nvml.reset();
    clock = 0;
  });
  afterEach(() => {
    for (const p of open.splice(0)) p.close();
    expect(nvml.initRefs).toBe(0); // every probe shut NVML down
  });
  afterAll(() => {
    nvml.dispose();
    rmSync(procRoot, { recursive: true, force: true });
  });
}

export const UUID0 = 'GPU-00000000-0000-0000-0000-000000000000';
export const GiB = 1024 ** 3;
