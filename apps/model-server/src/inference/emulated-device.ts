// The emulated device: a test device for capacity tests and demos. Each batch holds its worker for
// a fixed time per batch plus a time per row, on top of the real model run, without using CPU, so
// a pod's capacity is known and does not depend on how many CPUs the host has.

/** Settings of the emulated device (`EMULATED_DEVICE_MS`, `EMULATED_DEVICE_ROW_MS`). */
export interface EmulatedDevice {
  /** Milliseconds every batch holds its worker, whatever its size. */
  batchMs: number;
  /** Milliseconds added per row of the batch. */
  rowMs: number;
}

/** Milliseconds the emulated device holds a worker for a batch of `rows` rows. */
export function emulatedBatchMs(device: EmulatedDevice, rows: number): number {
  return device.batchMs + device.rowMs * rows;
}

/**
 * Blocks the calling worker thread for `ms` milliseconds without spinning: `Atomics.wait` on a
 * private word nobody notifies sleeps in the kernel until the time-out, like a thread waiting for
 * a GPU kernel to finish. Only for worker threads (the main thread must never block).
 */
export function holdWorker(ms: number): void {
  if (!(ms > 0)) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
