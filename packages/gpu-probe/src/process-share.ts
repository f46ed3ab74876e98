import { NvmlError } from './errors.js';
import type { HostPid } from './host-pid.js';
import type { NvmlDeviceHandle } from './nvml.js';
import type { NvmlProcessBinding, NvmlProcessInfo, NvmlProcessSample } from './nvml-processes.js';
import type { GpuProcessReading, ProcessUnattributedReason } from './probe-types.js';

// NVML's sample period is 1/6 s to 1 s (nvml.h, nvmlUtilization_t): an empty answer within a
// second of the last sample means no period has ended yet, not that nothing ran.
const MAX_SAMPLE_PERIOD_MS = 1000;

type Utilization = NonNullable<GpuProcessReading['utilization']>;

function mean(samples: readonly NvmlProcessSample[]): Utilization {
  const sum = { sm: 0, memory: 0, encoder: 0, decoder: 0 };
  for (const s of samples) {
    sum.sm += s.sm;
    sum.memory += s.memory;
    sum.encoder += s.encoder;
    sum.decoder += s.decoder;
  }
  const n = samples.length;
  return {
    sm: sum.sm / n,
    memory: sum.memory / n,
    encoder: sum.encoder / n,
    decoder: sum.decoder / n,
  };
}

const IDLE: Utilization = { sm: 0, memory: 0, encoder: 0, decoder: 0 };

/**
 * This process's share of one GPU, read from NVML's per-process entry points on every read. NVML
 * returns a sample for each process that ran during a sample period, so a process whose PID is
 * known and has no sample in the window did not run: 0 %. Where the PID is unknown, on MIG, for an
 * MPS client without samples, or where the driver lacks the entry points, the utilization is
 * `null` with the reason, never 0.
 */
export class ProcessShareReader {
  readonly #self: HostPid;
  #lastSeenUs = 0;
  #lastAnswerMs: number | null = null;
  #last: Utilization | null = null;

  /** @param self this process's PID as NVML knows it (or why it is unknown) */
  constructor(self: HostPid) {
    this.#self = self;
  }

  /** Starts again from the driver's whole buffer (after a failed read or a re-initialisation). */
  interrupt(): void {
    this.#lastSeenUs = 0;
    this.#lastAnswerMs = null;
    this.#last = null;
  }

  /**
   * Reads this process's share. Throws only the {@link NvmlError}s after which NVML must be
   * initialised again (the GPU is lost, the driver went away); other failures come back as
   * `nvml-error`.
   */
  read(
    nvml: NvmlProcessBinding,
    device: NvmlDeviceHandle,
    mig: boolean,
    nowMs: number,
    context: string,
  ): GpuProcessReading {
    const self = this.#self;
    if (!self.ok) {
      return this.#unattributed(null, null, self.reason, self.detail);
    }
    try {
      return this.#read(nvml, device, mig, self, nowMs, context);
    } catch (error) {
      if (error instanceof NvmlError && error.needsReinit) throw error;
      this.interrupt();
      const message = error instanceof Error ? error.message : String(error);
      return this.#unattributed(self.pid, null, 'nvml-error', message);
    }
  }

  #read(
    nvml: NvmlProcessBinding,
    device: NvmlDeviceHandle,
    mig: boolean,
    self: Extract<HostPid, { ok: true }>,
    nowMs: number,
    context: string,
  ): GpuProcessReading {
    const pid = self.pid;
    const compute = nvml.computeProcesses(device, context);
    let entry: NvmlProcessInfo | undefined = compute?.find((p) => p.pid === pid);
    let mps = false;
    if (!entry) {
      entry = nvml.mpsProcesses(device, context)?.find((p) => p.pid === pid);
      mps = entry !== undefined;
    }
    // Listed: its memory (or unknown where NVML says N/A); not listed by a list that answered: no
    // context here, 0 bytes; no list: unknown.
    const memoryUsedBytes = entry ? entry.usedGpuMemoryBytes : compute ? 0 : null;
    if (mig) {
      return this.#unattributed(
        pid,
        memoryUsedBytes,
        'mig',
        'a MIG device: NVML reports no per-process utilization on MIG (nor device utilization)',
      );
    }
    const answer = nvml.utilizationSamples(device, this.#lastSeenUs, context);
    if (!answer) {
      return this.#unattributed(
        pid,
        memoryUsedBytes,
        'not-supported',
        nvml.utilizationMissing
          ? 'the driver exports neither nvmlDeviceGetProcessesUtilizationInfo nor nvmlDeviceGetProcessUtilization'
          : 'the GPU does not support per-process utilization (NVML_ERROR_NOT_SUPPORTED)',
      );
    }
    const { samples, source } = answer;
    for (const s of samples) if (s.timestampUs > this.#lastSeenUs) this.#lastSeenUs = s.timestampUs;
    const own = samples.filter((s) => s.pid === pid);
    let utilization: Utilization;
    if (own.length > 0) {
      utilization = mean(own);
    } else if (mps) {
      return this.#unattributed(
        pid,
        memoryUsedBytes,
        'mps',
        'an MPS client with no utilization sample of its own: its kernels run in the MPS server, whose samples NVML does not split by client',
      );
    } else if (
      samples.length === 0 &&
      this.#last &&
      this.#lastAnswerMs !== null &&
      nowMs - this.#lastAnswerMs < MAX_SAMPLE_PERIOD_MS
    ) {
      // No sample period has ended since the previous read: the previous figure still holds.
      utilization = this.#last;
    } else {
      utilization = IDLE; // the PID is known and NVML has no sample of it: it did not run
    }
    if (samples.length > 0 || this.#lastAnswerMs === null) this.#lastAnswerMs = nowMs;
    this.#last = utilization;
    return {
      pid,
      utilization,
      memoryUsedBytes,
      attribution: { ok: true, how: self.how },
      source,
      samples: own.length,
    };
  }

  #unattributed(
    pid: number | null,
    memoryUsedBytes: number | null,
    reason: ProcessUnattributedReason,
    detail: string,
  ): GpuProcessReading {
    return {
      pid,
      utilization: null,
      memoryUsedBytes,
      attribution: { ok: false, reason, detail },
      source: null,
      samples: 0,
    };
  }
}
