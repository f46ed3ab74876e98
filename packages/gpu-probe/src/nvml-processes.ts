import { NvmlError, NvmlReturn } from './errors.js';
import type { LoadedNvml } from './library.js';
import type { NvmlDeviceHandle } from './nvml.js';

/**
 * One process's utilization sample: `nvmlProcessUtilizationSample_t`, or the first six fields of
 * `nvmlProcessUtilizationInfo_v1_t`. Percent of the sample period (1/6 s to 1 s) during which the
 * process's kernels ran (`sm`), its memory was read or written, its encoder and decoder worked.
 */
export interface NvmlProcessSample {
  /** The PID, in the host's PID namespace (the driver knows no other). */
  readonly pid: number;
  /** CPU timestamp of the sample, µs. */
  readonly timestampUs: number;
  readonly sm: number;
  readonly memory: number;
  readonly encoder: number;
  readonly decoder: number;
}

/** One entry of `nvmlDeviceGetComputeRunningProcesses*` (`nvmlProcessInfo_t` and `_v1_t`). */
export interface NvmlProcessInfo {
  /** The PID, in the host's PID namespace. */
  readonly pid: number;
  /** GPU memory the process uses, bytes; `null` where NVML says `NVML_VALUE_NOT_AVAILABLE`. */
  readonly usedGpuMemoryBytes: number | null;
}

/** Which entry point gave a process list or samples (for the probe's reading and the docs). */
export type ProcessUtilizationSource =
  | 'nvmlDeviceGetProcessesUtilizationInfo'
  | 'nvmlDeviceGetProcessUtilization';

// nvml.h layouts (x86-64 and aarch64: 8-byte alignment of unsigned long long).
// nvmlProcessUtilizationSample_t: pid@0, (pad), timeStamp@8, smUtil@16, memUtil@20, encUtil@24, decUtil@28.
const LEGACY_SAMPLE_SIZE = 32;
// nvmlProcessUtilizationInfo_v1_t: timeStamp@0, pid@8, smUtil@12, memUtil@16, encUtil@20,
// decUtil@24, jpgUtil@28, ofaUtil@32, (pad to 40).
const INFO_SAMPLE_SIZE = 40;
// nvmlProcessesUtilizationInfo_v1_t: version@0, processSamplesCount@4, lastSeenTimeStamp@8, procUtilArray@16.
const INFO_HEADER_SIZE = 24;
// NVML_STRUCT_VERSION(ProcessesUtilizationInfo, 1): sizeof(struct) | 1 << 24.
const INFO_VERSION_1 = (INFO_HEADER_SIZE | (1 << 24)) >>> 0;
// nvmlProcessInfo_t (= _v2_t, the _v2 and _v3 entry points): pid@0, usedGpuMemory@8,
// gpuInstanceId@16, computeInstanceId@20. nvmlProcessInfo_v1_t (the unversioned one): pid@0, usedGpuMemory@8.
const PROCESS_INFO_SIZE = 24;
const PROCESS_INFO_V1_SIZE = 16;
// NVML_VALUE_NOT_AVAILABLE is (-1): all ones in an unsigned long long.
const NOT_AVAILABLE_HIGH = 0xffff_ffff;
// A shared GPU holds a handful of processes; the buffers grow on NVML_ERROR_INSUFFICIENT_SIZE.
const INITIAL_ENTRIES = 32;

type Fn = (...args: unknown[]) => number;

function bind(nvml: LoadedNvml, name: string, args: string[]): Fn | undefined {
  try {
    return nvml.library.func(name, 'int', args) as Fn;
  } catch {
    return undefined; // a driver without this entry point (NVML_ERROR_FUNCTION_NOT_FOUND)
  }
}

function readUint64(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset + 4) * 0x1_0000_0000 + buffer.readUInt32LE(offset);
}

/** A process list entry point with its struct size. */
interface ListEntry {
  readonly name: string;
  readonly fn: Fn;
  readonly size: number;
}

/**
 * The per-process NVML entry points, bound once where the driver exports them: per-process
 * utilization samples (`nvmlDeviceGetProcessesUtilizationInfo`, else
 * `nvmlDeviceGetProcessUtilization`), the compute processes with their memory
 * (`nvmlDeviceGetComputeRunningProcesses_v3`, else `_v2`, else the unversioned v1) and the MPS
 * clients (`nvmlDeviceGetMPSComputeRunningProcesses_v3`). Buffers are kept between calls and grow
 * when NVML answers `NVML_ERROR_INSUFFICIENT_SIZE`.
 */
export class NvmlProcessBinding {
  readonly #koffi: LoadedNvml['koffi'];
  readonly #errorString: (code: number) => string;
  readonly #info: Fn | undefined;
  readonly #legacy: Fn | undefined;
  readonly #compute: ListEntry | undefined;
  readonly #mps: ListEntry | undefined;
  readonly #count = Buffer.alloc(8);
  readonly #header = Buffer.alloc(INFO_HEADER_SIZE);
  #infoSamples = Buffer.alloc(INFO_SAMPLE_SIZE * INITIAL_ENTRIES);
  #legacySamples = Buffer.alloc(LEGACY_SAMPLE_SIZE * INITIAL_ENTRIES);
  #processes = Buffer.alloc(PROCESS_INFO_SIZE * INITIAL_ENTRIES);

  /**
   * @param nvml the loaded library
   * @param errorString `nvmlErrorString`, for the errors' messages
   */
  constructor(nvml: LoadedNvml, errorString: (code: number) => string) {
    this.#koffi = nvml.koffi;
    this.#errorString = errorString;
    const p = 'void *';
    this.#info = bind(nvml, 'nvmlDeviceGetProcessesUtilizationInfo', [p, p]);
    // (device, nvmlProcessUtilizationSample_t *, unsigned int *count, unsigned long long lastSeenTimeStamp)
    this.#legacy = bind(nvml, 'nvmlDeviceGetProcessUtilization', [p, p, p, 'uint64']);
    const list = (name: string, size: number): ListEntry | undefined => {
      const fn = bind(nvml, name, [p, p, p]);
      return fn ? { name, fn, size } : undefined;
    };
    this.#compute =
      list('nvmlDeviceGetComputeRunningProcesses_v3', PROCESS_INFO_SIZE) ??
      list('nvmlDeviceGetComputeRunningProcesses_v2', PROCESS_INFO_SIZE) ??
      list('nvmlDeviceGetComputeRunningProcesses', PROCESS_INFO_V1_SIZE);
    this.#mps = list('nvmlDeviceGetMPSComputeRunningProcesses_v3', PROCESS_INFO_SIZE);
  }

  /** True when the driver exports neither per-process utilization entry point. */
  get utilizationMissing(): boolean {
    return !this.#info && !this.#legacy;
  }

  /** The compute process list entry point bound, or `null` when the driver exports none. */
  get computeSource(): string | null {
    return this.#compute?.name ?? null;
  }

  #fail(functionName: string, code: number, context?: string): never {
    throw new NvmlError(functionName, code, this.#errorString(code), context);
  }

  /**
   * Per-process utilization samples newer than `lastSeenUs` (every process that ran; NVML leaves
   * out the processes that did not). `[]` when there is none (`NVML_ERROR_NOT_FOUND`); `null` when
   * neither entry point is exported or the device does not support them (`NOT_SUPPORTED`: MIG,
   * GPUs before Maxwell). Other failures throw {@link NvmlError}.
   */
  utilizationSamples(
    device: NvmlDeviceHandle,
    lastSeenUs: number,
    context?: string,
  ): { samples: NvmlProcessSample[]; source: ProcessUtilizationSource } | null {
    const lastSeen = Math.max(0, Math.floor(lastSeenUs));
    if (this.#info) {
      const code = this.#callInfo(this.#info, device, lastSeen);
      if (code === NvmlReturn.SUCCESS || code === NvmlReturn.ERROR_NOT_FOUND) {
        const samples = code === NvmlReturn.SUCCESS ? this.#readInfo() : [];
        return { samples, source: 'nvmlDeviceGetProcessesUtilizationInfo' };
      }
      // A driver that exports the entry point but not this struct version, or not for this
      // device: the older entry point may still answer.
      const fallBack =
        code === NvmlReturn.ERROR_NOT_SUPPORTED ||
        code === NvmlReturn.ERROR_ARGUMENT_VERSION_MISMATCH ||
        code === NvmlReturn.ERROR_FUNCTION_NOT_FOUND;
      if (!fallBack || !this.#legacy) {
        if (fallBack) return null;
        this.#fail('nvmlDeviceGetProcessesUtilizationInfo', code, context);
      }
    }
    if (!this.#legacy) return null;
    const code = this.#callLegacy(this.#legacy, device, lastSeen);
    if (code === NvmlReturn.ERROR_NOT_FOUND)
      return { samples: [], source: 'nvmlDeviceGetProcessUtilization' };
    if (code === NvmlReturn.ERROR_NOT_SUPPORTED || code === NvmlReturn.ERROR_FUNCTION_NOT_FOUND)
      return null;
    if (code !== NvmlReturn.SUCCESS) this.#fail('nvmlDeviceGetProcessUtilization', code, context);
    return { samples: this.#readLegacy(), source: 'nvmlDeviceGetProcessUtilization' };
  }

  #callInfo(fn: Fn, device: NvmlDeviceHandle, lastSeen: number): number {
    const call = (): number => {
      const h = this.#header;
      h.writeUInt32LE(INFO_VERSION_1, 0);
      h.writeUInt32LE(this.#infoSamples.length / INFO_SAMPLE_SIZE, 4);
      h.writeBigUInt64LE(BigInt(lastSeen), 8);
      h.writeBigUInt64LE(this.#koffi.address(this.#infoSamples), 16);
      return fn(device, h);
    };
    const code = call();
    if (code !== NvmlReturn.ERROR_INSUFFICIENT_SIZE) return code;
    // processSamplesCount now holds the count needed: grow (twice, to leave room for processes
    // that start meanwhile) and call again.
    const needed = this.#header.readUInt32LE(4);
    this.#infoSamples = Buffer.alloc(
      INFO_SAMPLE_SIZE * Math.max(needed * 2, this.#infoSamples.length / INFO_SAMPLE_SIZE),
    );
    return call();
  }

  #readInfo(): NvmlProcessSample[] {
    const b = this.#infoSamples;
    const count = Math.min(this.#header.readUInt32LE(4), b.length / INFO_SAMPLE_SIZE);
    const out: NvmlProcessSample[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const o = i * INFO_SAMPLE_SIZE;
      out[i] = {
        timestampUs: readUint64(b, o),
        pid: b.readUInt32LE(o + 8),
        sm: b.readUInt32LE(o + 12),
        memory: b.readUInt32LE(o + 16),
        encoder: b.readUInt32LE(o + 20),
        decoder: b.readUInt32LE(o + 24),
      };
    }
    return out;
  }

  #callLegacy(fn: Fn, device: NvmlDeviceHandle, lastSeen: number): number {
    const call = (): number => {
      this.#count.writeUInt32LE(this.#legacySamples.length / LEGACY_SAMPLE_SIZE, 0);
      return fn(device, this.#legacySamples, this.#count, lastSeen);
    };
    const code = call();
    if (code !== NvmlReturn.ERROR_INSUFFICIENT_SIZE) return code;
    const needed = this.#count.readUInt32LE(0);
    this.#legacySamples = Buffer.alloc(
      LEGACY_SAMPLE_SIZE * Math.max(needed * 2, this.#legacySamples.length / LEGACY_SAMPLE_SIZE),
    );
    return call();
  }

  #readLegacy(): NvmlProcessSample[] {
    const b = this.#legacySamples;
    const count = Math.min(this.#count.readUInt32LE(0), b.length / LEGACY_SAMPLE_SIZE);
    const out: NvmlProcessSample[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const o = i * LEGACY_SAMPLE_SIZE;
      out[i] = {
        pid: b.readUInt32LE(o),
        timestampUs: readUint64(b, o + 8),
        sm: b.readUInt32LE(o + 16),
        memory: b.readUInt32LE(o + 20),
        encoder: b.readUInt32LE(o + 24),
        decoder: b.readUInt32LE(o + 28),
      };
    }
    return out;
  }

  /**
   * The processes with a compute context on the device and their GPU memory
   * (`nvmlDeviceGetComputeRunningProcesses_v3`, `_v2` or v1, whichever the driver exports).
   * `null` when none is exported or the device answers `NOT_SUPPORTED`.
   */
  computeProcesses(device: NvmlDeviceHandle, context?: string): NvmlProcessInfo[] | null {
    return this.#compute ? this.#list(this.#compute, device, context) : null;
  }

  /**
   * The MPS clients on the device (`nvmlDeviceGetMPSComputeRunningProcesses_v3`). `null` when the
   * driver does not export it or the device answers `NOT_SUPPORTED`.
   */
  mpsProcesses(device: NvmlDeviceHandle, context?: string): NvmlProcessInfo[] | null {
    return this.#mps ? this.#list(this.#mps, device, context) : null;
  }

  #list(entry: ListEntry, device: NvmlDeviceHandle, context?: string): NvmlProcessInfo[] | null {
    const call = (): number => {
      this.#count.writeUInt32LE(this.#processes.length / entry.size, 0);
      return entry.fn(device, this.#count, this.#processes);
    };
    let code = call();
    if (code === NvmlReturn.ERROR_INSUFFICIENT_SIZE) {
      // infoCount holds the count needed; the list may grow before the next call: leave room.
      const needed = this.#count.readUInt32LE(0);
      this.#processes = Buffer.alloc(
        PROCESS_INFO_SIZE * Math.max(needed * 2, this.#processes.length / PROCESS_INFO_SIZE),
      );
      code = call();
    }
    if (code === NvmlReturn.ERROR_NOT_SUPPORTED) return null;
    if (code !== NvmlReturn.SUCCESS) this.#fail(entry.name, code, context);
    const b = this.#processes;
    const count = Math.min(this.#count.readUInt32LE(0), Math.floor(b.length / entry.size));
    const out: NvmlProcessInfo[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const o = i * entry.size;
      const notAvailable =
        b.readUInt32LE(o + 8) === NOT_AVAILABLE_HIGH &&
        b.readUInt32LE(o + 12) === NOT_AVAILABLE_HIGH;
      out[i] = {
        pid: b.readUInt32LE(o),
        usedGpuMemoryBytes: notAvailable ? null : readUint64(b, o + 8),
      };
    }
    return out;
  }
}
