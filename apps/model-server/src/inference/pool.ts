// A pool of inference workers with dynamic batching: requests that arrive while every worker is busy
// wait in one queue and go out together, merged along the batch dimension, when a worker frees up.
import type { Worker } from 'node:worker_threads';
import type { EmulatedDevice } from './emulated-device.js';
import type { FromWorker, ModelSignature, TensorSpec, ToWorker, WorkerInit } from './protocol.js';
import { defaultWorkerEntry, type Spawned, spawn, type WorkerEntry } from './spawn.js';
import { allocate, elementCount, ownsBuffer, type TensorData } from './tensors.js';

/** What happened to one batched run, for metrics. */
export interface BatchEvent {
  /** Rows in the run (the sum of the merged requests' batch dimensions). */
  rows: number;
  /** Requests merged into the run. */
  requests: number;
  /** Seconds `session.run()` took. */
  seconds: number;
}

/** Options of {@link InferencePool.start}. */
export interface InferencePoolOptions {
  /** ONNX file to load in every worker. */
  modelPath: string;
  /** Worker threads, one session each. @default 1 */
  workers?: number;
  /** ORT intra-op threads per session. @default 1 */
  intraOpThreads?: number;
  /** Let ORT's idle threads spin (faster wake-up, burns CPU that autoscalers read as load). @default false */
  allowSpinning?: boolean;
  /**
   * Nice value of the worker threads (Linux), above the HTTP thread's so that under CPU contention
   * health checks, scrapes and request intake go first. 0 leaves the priority alone. @default 0
   */
  nice?: number;
  /** Most rows in one batched run; 1 turns batching off. @default 32 */
  batchMaxSize?: number;
  /**
   * When requests are already waiting and a worker frees up, how long (ms, from the oldest waiting
   * request's arrival) it may hold off to fill the batch. A request that finds an idle worker and no
   * queue goes at once. @default 0
   */
  batchMaxWaitMs?: number;
  /**
   * A test device: every run also holds its worker `batchMs + rowMs × rows` ms, without using
   * CPU, and the time counts as the run's. @default undefined (off)
   */
  emulatedDevice?: EmulatedDevice;
  /** Called after every run. */
  onBatch?: (event: BatchEvent) => void;
  /** Called when a worker dies; the pool starts a replacement. */
  onWorkerError?: (error: Error) => void;
  /** Where the worker module is. @default defaultWorkerEntry() */
  worker?: WorkerEntry;
}

/** Outputs of one request and the run that produced them. */
export interface InferenceResult {
  outputs: Record<string, TensorData>;
  /** Seconds the model took for the whole batch this request was part of. */
  seconds: number;
  /** Requests merged into that run. */
  batchRequests: number;
}

type ResolvedOptions = Required<
  Omit<InferencePoolOptions, 'onBatch' | 'onWorkerError' | 'emulatedDevice'>
> &
  Pick<InferencePoolOptions, 'onBatch' | 'onWorkerError' | 'emulatedDevice'>;

interface Job {
  feeds: Record<string, TensorData>;
  rows: number;
  key: string;
  arrived: number;
  /** Called when the batch holding this request goes to a worker. */
  onStart: (() => void) | undefined;
  resolve: (result: InferenceResult) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  running: Job[] | null;
  runId: number;
}

/** Why the pool could not run a request. */
export type InferenceErrorCode = 'closed' | 'run_failed' | 'worker_failed' | 'no_worker';

/** Raised for requests the pool cannot run (closed, worker died, model error). */
export class InferenceError extends Error {
  override name = 'InferenceError';
  constructor(
    /** Why: the pool is closed, the model refused the run, or a worker died or is missing. */
    readonly code: InferenceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function batchable(signature: ModelSignature): boolean {
  const dynamicFirst = (spec: TensorSpec) =>
    spec.shape.length > 0 && typeof spec.shape[0] === 'string';
  return signature.inputs.every(dynamicFirst) && signature.outputs.every(dynamicFirst);
}

/**
 * Runs an ONNX model on worker threads with dynamic batching.
 *
 * @example
 * const pool = await InferencePool.start({ modelPath: 'models/linear-768x2.onnx', batchMaxSize: 32 });
 * const { outputs } = await pool.infer({ input: { type: 'float32', dims: [1, 768], data } });
 * await pool.close();
 */
export class InferencePool {
  /** Inputs and outputs as the model's metadata declares them. */
  readonly signature: ModelSignature;
  /** True when every input and output has a symbolic first dimension, so requests can be merged. */
  readonly batchable: boolean;
  /** Seconds the first worker took to load and warm the model. */
  readonly warmupSeconds: number;
  /** Why the workers' priority could not be lowered, when it could not. */
  readonly niceProblem: string | undefined;

  readonly #options: ResolvedOptions;
  readonly #init: WorkerInit;
  readonly #slots = new Set<Slot>();
  readonly #idle: Slot[] = [];
  readonly #pending: Job[] = [];
  #timer: NodeJS.Timeout | undefined;
  #nextRunId = 1;
  #closing = false;
  #drained: (() => void) | undefined;

  private constructor(options: ResolvedOptions, init: WorkerInit, first: Spawned) {
    this.#options = options;
    this.#init = init;
    this.signature = first.signature;
    this.batchable = batchable(first.signature);
    this.warmupSeconds = first.warmupSeconds;
    this.niceProblem = first.niceProblem;
  }

  /** Starts the workers, loads and warms the model in each; rejects with the load error. */
  static async start(options: InferencePoolOptions): Promise<InferencePool> {
    const resolved = {
      workers: 1,
      intraOpThreads: 1,
      allowSpinning: false,
      nice: 0,
      batchMaxSize: 32,
      batchMaxWaitMs: 0,
      worker: defaultWorkerEntry(),
      ...options,
    };
    for (const key of ['workers', 'intraOpThreads', 'batchMaxSize'] as const) {
      if (!Number.isInteger(resolved[key]) || resolved[key] < 1) {
        throw new RangeError(`${key} must be a positive integer, got ${resolved[key]}`);
      }
    }
    if (!(resolved.batchMaxWaitMs >= 0)) {
      throw new RangeError(`batchMaxWaitMs must be ≥ 0, got ${resolved.batchMaxWaitMs}`);
    }
    const device = resolved.emulatedDevice;
    if (device && !(device.batchMs >= 0 && device.rowMs >= 0)) {
      throw new RangeError(
        `emulatedDevice times must be ≥ 0 ms, got batchMs ${device.batchMs}, rowMs ${device.rowMs}`,
      );
    }
    const init: WorkerInit = {
      modelPath: resolved.modelPath,
      intraOpThreads: resolved.intraOpThreads,
      allowSpinning: resolved.allowSpinning,
      nice: resolved.nice,
      // One small and one full batch, so the first real requests of either size find warm kernels.
      warmupBatchSizes: [...new Set([1, resolved.batchMaxSize])],
      ...(device ? { emulatedDevice: { batchMs: device.batchMs, rowMs: device.rowMs } } : {}),
    };
    const started = await Promise.allSettled(
      Array.from({ length: resolved.workers }, () => spawn(resolved.worker, init)),
    );
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(
        started.map((s) => (s.status === 'fulfilled' ? s.value.worker.terminate() : undefined)),
      );
      throw (failed as PromiseRejectedResult).reason;
    }
    const workers = started.map((s) => (s as PromiseFulfilledResult<Spawned>).value);
    const first = workers[0] as Spawned;
    const pool = new InferencePool(resolved, init, first);
    for (const w of workers) pool.#adopt(w.worker);
    return pool;
  }

  /** Requests waiting for a worker. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Workers running a batch now. */
  get busy(): number {
    return this.#slots.size - this.#idle.length;
  }

  /**
   * Runs the model on `feeds` (input name → tensor; the first dimension is the batch). The pool
   * takes ownership of the feeds' buffers (they may be transferred to a worker).
   */
  infer(
    feeds: Record<string, TensorData>,
    { onStart }: { onStart?: () => void } = {},
  ): Promise<InferenceResult> {
    if (this.#closing)
      return Promise.reject(new InferenceError('closed', 'the model server is shutting down'));
    const first = this.signature.inputs[0];
    const rows = first ? (feeds[first.name]?.dims[0] ?? 1) : 1;
    let key = '';
    for (const spec of this.signature.inputs) {
      const t = feeds[spec.name];
      if (t) key += `${spec.name}:${t.type}:${t.dims.slice(1).join('x')};`;
    }
    return new Promise<InferenceResult>((resolve, reject) => {
      const job: Job = { feeds, rows, key, arrived: performance.now(), onStart, resolve, reject };
      const slot = this.#pending.length === 0 ? this.#idle.pop() : undefined;
      if (slot) this.#run(slot, [job]);
      else {
        this.#pending.push(job);
        this.#schedule();
      }
    });
  }

  /**
   * Stops taking requests, finishes those already taken (queued and running), then stops the workers.
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#schedule(); // a batch held back for more requests leaves now
    if (this.#pending.length > 0 || this.busy > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    clearTimeout(this.#timer);
    const slots = [...this.#slots];
    this.#slots.clear();
    this.#idle.length = 0;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #adopt(worker: Worker): void {
    const slot: Slot = { worker, running: null, runId: 0 };
    this.#slots.add(slot);
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, message));
    worker.on('error', (error) => this.#onDeath(slot, error));
    worker.on('exit', (code) => this.#onDeath(slot, new Error(`worker exited with code ${code}`)));
    this.#idle.push(slot);
    this.#schedule();
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message.kind !== 'result' && message.kind !== 'error') return;
    const jobs = slot.running;
    if (!jobs || message.id !== slot.runId) return;
    slot.running = null;
    this.#idle.push(slot);
    if (message.kind === 'error') {
      const error = new InferenceError('run_failed', `model run failed: ${message.error}`);
      for (const job of jobs) job.reject(error);
    } else {
      this.#options.onBatch?.({
        rows: jobs.reduce((n, j) => n + j.rows, 0),
        requests: jobs.length,
        seconds: message.seconds,
      });
      this.#deliver(jobs, message.outputs, message.seconds);
    }
    this.#schedule();
  }

  #onDeath(slot: Slot, error: Error): void {
    if (!this.#slots.delete(slot)) return;
    const at = this.#idle.indexOf(slot);
    if (at >= 0) this.#idle.splice(at, 1);
    const failure = new InferenceError(
      'worker_failed',
      `inference worker failed: ${error.message}`,
    );
    for (const job of slot.running ?? []) job.reject(failure);
    slot.running = null;
    void slot.worker.terminate();
    if (this.#closing) {
      this.#checkDrained();
      return;
    }
    this.#options.onWorkerError?.(error);
    spawn(this.#options.worker, this.#init).then(
      (w) => {
        if (this.#closing) void w.worker.terminate();
        else this.#adopt(w.worker);
      },
      (spawnError: Error) => {
        this.#options.onWorkerError?.(spawnError);
        if (this.#slots.size === 0) {
          const gone = new InferenceError('no_worker', 'no inference worker is running');
          for (const job of this.#pending.splice(0)) job.reject(gone);
        }
      },
    );
  }

  #deliver(jobs: Job[], outputs: Record<string, TensorData>, seconds: number): void {
    if (jobs.length === 1) {
      (jobs[0] as Job).resolve({ outputs, seconds, batchRequests: 1 });
      return;
    }
    const total = jobs.reduce((n, j) => n + j.rows, 0);
    for (const [name, t] of Object.entries(outputs)) {
      if (t.dims[0] !== total) {
        const error = new InferenceError(
          'run_failed',
          `output '${name}' has ${t.dims[0]} rows for a batch of ${total}; set BATCH_MAX_SIZE=1 for this model`,
        );
        for (const job of jobs) job.reject(error);
        return;
      }
    }
    let offset = 0;
    for (const job of jobs) {
      const mine: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(outputs)) {
        const rowSize = elementCount(t.dims.slice(1));
        mine[name] = {
          type: t.type,
          dims: [job.rows, ...t.dims.slice(1)],
          data: t.data.subarray(offset * rowSize, (offset + job.rows) * rowSize),
        };
      }
      offset += job.rows;
      const result = { outputs: mine, seconds, batchRequests: jobs.length };
      // One request per macrotask: each caller's continuation (answering, writing the response)
      // runs to the end before the next starts, instead of every answer waiting for the whole
      // batch to be serialised first.
      if (offset === job.rows) job.resolve(result);
      else setImmediate(job.resolve, result);
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#idle.length > 0 && this.#pending.length > 0) {
      const jobs = this.#takeBatch();
      if (!jobs) return;
      this.#run(this.#idle.pop() as Slot, jobs);
    }
    this.#checkDrained();
  }

  /** Picks the next batch from the queue, or arms the wait timer and returns null to hold off. */
  #takeBatch(): Job[] | null {
    const head = this.#pending[0] as Job;
    const max = this.batchable ? this.#options.batchMaxSize : 1;
    const picked: number[] = [0];
    let rows = head.rows;
    for (let i = 1; i < this.#pending.length && rows < max; i++) {
      const job = this.#pending[i] as Job;
      if (job.key === head.key && rows + job.rows <= max) {
        picked.push(i);
        rows += job.rows;
      }
    }
    const wait = head.arrived + this.#options.batchMaxWaitMs - performance.now();
    if (rows < max && wait > 0 && !this.#closing) {
      this.#timer = setTimeout(() => this.#schedule(), wait);
      return null;
    }
    const jobs = picked.map((i) => this.#pending[i] as Job);
    for (let k = picked.length - 1; k >= 0; k--) this.#pending.splice(picked[k] as number, 1);
    return jobs;
  }

  #run(slot: Slot, jobs: Job[]): void {
    const feeds = jobs.length === 1 ? (jobs[0] as Job).feeds : merge(jobs);
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(feeds)) {
      if (!ownsBuffer(t.data)) feeds[name] = { ...t, data: t.data.slice() };
      transfer.push((feeds[name] as TensorData).data.buffer as ArrayBuffer);
    }
    slot.running = jobs;
    slot.runId = this.#nextRunId++;
    for (const job of jobs) job.onStart?.();
    const message: ToWorker = { kind: 'run', id: slot.runId, feeds };
    slot.worker.postMessage(message, transfer);
  }

  #checkDrained(): void {
    if (this.#drained && this.#pending.length === 0 && this.busy === 0) {
      const done = this.#drained;
      this.#drained = undefined;
      done();
    }
  }
}

function merge(jobs: Job[]): Record<string, TensorData> {
  const head = jobs[0] as Job;
  const rows = jobs.reduce((n, j) => n + j.rows, 0);
  const merged: Record<string, TensorData> = {};
  for (const [name, t] of Object.entries(head.feeds)) {
    const rowSize = elementCount(t.dims.slice(1));
    const data = allocate(t.type, rows * rowSize);
    let offset = 0;
    for (const job of jobs) {
      const part = job.feeds[name] as TensorData;
      // Same key ⇒ same element type, so the typed arrays match.
      (data as Float32Array).set(part.data as Float32Array, offset);
      offset += part.data.length;
    }
    merged[name] = { type: t.type, dims: [rows, ...t.dims.slice(1)], data };
  }
  return merged;
}

export { defaultWorkerEntry, type WorkerEntry } from './spawn.js';
