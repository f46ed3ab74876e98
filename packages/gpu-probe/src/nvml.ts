import { NvmlError, NvmlReturn } from './errors.js';
import type { LoadedNvml } from './library.js';
import { NvmlProcessBinding } from './nvml-processes.js';

/** An `nvmlDevice_t` (a pointer, as koffi 3 passes pointers: a bigint). */
export type NvmlDeviceHandle = bigint;

/** `nvmlUtilization_t`: percent of the last sample period (1/6 s to 1 s) that a kernel ran / memory was read or written. */
export interface NvmlUtilization {
  readonly gpu: number;
  readonly memory: number;
}

/** `nvmlMemory_t`, in bytes. */
export interface NvmlMemory {
  readonly total: number;
  readonly free: number;
  readonly used: number;
}

/** One `nvmlSample_t` of `NVML_GPU_UTILIZATION_SAMPLES`: CPU timestamp in µs and percent busy. */
export interface NvmlSample {
  readonly timestampUs: number;
  readonly value: number;
}

// nvml.h constants.
const NVML_GPU_UTILIZATION_SAMPLES = 1; // nvmlSamplingType_t
const NVML_TEMPERATURE_GPU = 0; // nvmlTemperatureSensors_t
// NVML_DEVICE_NAME_V2_BUFFER_SIZE and NVML_DEVICE_UUID_V2_BUFFER_SIZE are both 96.
const STRING_BUFFER_SIZE = 96;
// sizeof(nvmlSample_t): unsigned long long timeStamp + an 8-byte nvmlValue_t union.
const SAMPLE_SIZE = 16;
// The driver keeps about 100 utilization samples (more on some products: the buffer grows on demand).
const SAMPLE_CAPACITY = 128;
// nvmlValueType_t
const VALUE_TYPE = { DOUBLE: 0, UINT: 1, ULONG: 2, ULONGLONG: 3, SLONGLONG: 4, SINT: 5 } as const;

type Fn = (...args: unknown[]) => number;

function bindRequired(nvml: LoadedNvml, name: string, result: string, args: string[]): Fn {
  return nvml.library.func(name, result, args) as Fn;
}

function bindOptional(nvml: LoadedNvml, name: string, args: string[]): Fn | undefined {
  try {
    return nvml.library.func(name, 'int', args) as Fn;
  } catch {
    return undefined; // an older driver without this entry point
  }
}

function readUint64(buffer: Buffer, offset: number): number {
  // Two 32-bit halves: exact up to 2^53, and faster than BigInt.
  return buffer.readUInt32LE(offset + 4) * 0x1_0000_0000 + buffer.readUInt32LE(offset);
}

/**
 * A thin, allocation-free binding over the NVML entry points the probe uses. Each method returns
 * the value or throws {@link NvmlError} with the return code and `nvmlErrorString`. Out-parameters
 * are preallocated buffers, so one call costs well under a microsecond.
 */
export class NvmlBinding {
  /** The library path that loaded. */
  readonly path: string;
  /** The per-process entry points (utilization samples, compute processes, MPS clients). */
  readonly processes: NvmlProcessBinding;
  readonly #errorString: (code: number) => string;
  readonly #init: Fn;
  readonly #shutdown: Fn;
  readonly #getCount: Fn;
  readonly #byIndex: Fn;
  readonly #byUuid: Fn | undefined;
  readonly #getName: Fn;
  readonly #getUuid: Fn;
  readonly #getUtilization: Fn;
  readonly #getMemory: Fn;
  readonly #getPower: Fn | undefined;
  readonly #getTemperature: Fn | undefined;
  readonly #getSamples: Fn | undefined;
  readonly #isMig: Fn | undefined;
  readonly #u32 = Buffer.alloc(8);
  readonly #u32b = Buffer.alloc(8);
  readonly #handle = Buffer.alloc(8);
  readonly #string = Buffer.alloc(STRING_BUFFER_SIZE);
  readonly #utilization = Buffer.alloc(8);
  readonly #memory = Buffer.alloc(24);
  #samples = Buffer.alloc(SAMPLE_SIZE * SAMPLE_CAPACITY);

  /**
   * Binds the entry points of a loaded library. Throws (a plain `Error` naming the symbol) when a
   * required entry point is missing, i.e. the library is not NVML.
   *
   * @param nvml the loaded library from `loadNvml()`
   */
  constructor(nvml: LoadedNvml) {
    this.path = nvml.path;
    const errorString = nvml.library.func('nvmlErrorString', 'const char *', ['int']) as (
      code: number,
    ) => string | null;
    this.#errorString = (code) => errorString(code) ?? 'Unknown Error';
    const p = 'void *';
    this.#init = bindRequired(nvml, 'nvmlInit_v2', 'int', []);
    this.#shutdown = bindRequired(nvml, 'nvmlShutdown', 'int', []);
    this.#getCount = bindRequired(nvml, 'nvmlDeviceGetCount_v2', 'int', [p]);
    this.#byIndex = bindRequired(nvml, 'nvmlDeviceGetHandleByIndex_v2', 'int', ['uint', p]);
    this.#byUuid = bindOptional(nvml, 'nvmlDeviceGetHandleByUUID', ['const char *', p]);
    this.#getName = bindRequired(nvml, 'nvmlDeviceGetName', 'int', [p, p, 'uint']);
    this.#getUuid = bindRequired(nvml, 'nvmlDeviceGetUUID', 'int', [p, p, 'uint']);
    this.#getUtilization = bindRequired(nvml, 'nvmlDeviceGetUtilizationRates', 'int', [p, p]);
    this.#getMemory = bindRequired(nvml, 'nvmlDeviceGetMemoryInfo', 'int', [p, p]);
    this.#getPower = bindOptional(nvml, 'nvmlDeviceGetPowerUsage', [p, p]);
    this.#getTemperature = bindOptional(nvml, 'nvmlDeviceGetTemperature', [p, 'int', p]);
    // (device, nvmlSamplingType_t, unsigned long long lastSeenTimeStamp, nvmlValueType_t *, unsigned int *, nvmlSample_t *)
    this.#getSamples = bindOptional(nvml, 'nvmlDeviceGetSamples', [p, 'int', 'uint64', p, p, p]);
    this.#isMig = bindOptional(nvml, 'nvmlDeviceIsMigDeviceHandle', [p, p]);
    this.processes = new NvmlProcessBinding(nvml, this.#errorString);
  }

  #check(functionName: string, code: number, context?: string): void {
    if (code !== NvmlReturn.SUCCESS) {
      throw new NvmlError(functionName, code, this.#errorString(code), context);
    }
  }

  /** `nvmlErrorString(code)`. */
  errorString(code: number): string {
    return this.#errorString(code);
  }

  /** `nvmlInit_v2()`. */
  init(): void {
    this.#check('nvmlInit_v2', this.#init());
  }

  /** `nvmlShutdown()`. */
  shutdown(): void {
    this.#check('nvmlShutdown', this.#shutdown());
  }

  /** `nvmlDeviceGetCount_v2()`: the GPUs NVML sees (it ignores `CUDA_VISIBLE_DEVICES`). */
  deviceCount(): number {
    this.#check('nvmlDeviceGetCount_v2', this.#getCount(this.#u32));
    return this.#u32.readUInt32LE(0);
  }

  /** `nvmlDeviceGetHandleByIndex_v2(index)`. */
  handleByIndex(index: number): NvmlDeviceHandle {
    this.#check(
      'nvmlDeviceGetHandleByIndex_v2',
      this.#byIndex(index, this.#handle),
      `GPU ${index}`,
    );
    return this.#handle.readBigUInt64LE(0);
  }

  /** `nvmlDeviceGetHandleByUUID(uuid)`, for `GPU-…` and `MIG-…` UUIDs. */
  handleByUuid(uuid: string): NvmlDeviceHandle {
    if (!this.#byUuid) {
      throw new NvmlError(
        'nvmlDeviceGetHandleByUUID',
        NvmlReturn.ERROR_FUNCTION_NOT_FOUND,
        this.#errorString(NvmlReturn.ERROR_FUNCTION_NOT_FOUND),
        uuid,
      );
    }
    this.#check('nvmlDeviceGetHandleByUUID', this.#byUuid(uuid, this.#handle), uuid);
    return this.#handle.readBigUInt64LE(0);
  }

  #string_(fn: Fn, name: string, device: NvmlDeviceHandle): string {
    this.#check(name, fn(device, this.#string, STRING_BUFFER_SIZE));
    const end = this.#string.indexOf(0);
    return this.#string.toString('utf8', 0, end < 0 ? STRING_BUFFER_SIZE : end);
  }

  /** `nvmlDeviceGetName()`, e.g. `'NVIDIA H100 80GB HBM3'`. */
  name(device: NvmlDeviceHandle): string {
    return this.#string_(this.#getName, 'nvmlDeviceGetName', device);
  }

  /** `nvmlDeviceGetUUID()`, e.g. `'GPU-5b8c…'` or `'MIG-…'`. */
  uuid(device: NvmlDeviceHandle): string {
    return this.#string_(this.#getUuid, 'nvmlDeviceGetUUID', device);
  }

  /**
   * `nvmlDeviceGetUtilizationRates()`. Returns `null` when the device does not report it
   * (`NVML_ERROR_NOT_SUPPORTED`: MIG devices and GPUs in MIG mode), never a made-up 0.
   */
  utilization(device: NvmlDeviceHandle, context?: string): NvmlUtilization | null {
    const code = this.#getUtilization(device, this.#utilization);
    if (code === NvmlReturn.ERROR_NOT_SUPPORTED) return null;
    this.#check('nvmlDeviceGetUtilizationRates', code, context);
    return { gpu: this.#utilization.readUInt32LE(0), memory: this.#utilization.readUInt32LE(4) };
  }

  /** `nvmlDeviceGetMemoryInfo()`, bytes. */
  memory(device: NvmlDeviceHandle, context?: string): NvmlMemory {
    this.#check('nvmlDeviceGetMemoryInfo', this.#getMemory(device, this.#memory), context);
    const m = this.#memory;
    return { total: readUint64(m, 0), free: readUint64(m, 8), used: readUint64(m, 16) };
  }

  /** `nvmlDeviceGetPowerUsage()` in watts, or `null` where not supported or not exported. */
  powerWatts(device: NvmlDeviceHandle, context?: string): number | null {
    if (!this.#getPower) return null;
    const code = this.#getPower(device, this.#u32);
    if (code === NvmlReturn.ERROR_NOT_SUPPORTED) return null;
    this.#check('nvmlDeviceGetPowerUsage', code, context);
    return this.#u32.readUInt32LE(0) / 1000; // NVML reports milliwatts
  }

  /** `nvmlDeviceGetTemperature(NVML_TEMPERATURE_GPU)` in °C, or `null` where not supported. */
  temperatureCelsius(device: NvmlDeviceHandle, context?: string): number | null {
    if (!this.#getTemperature) return null;
    const code = this.#getTemperature(device, NVML_TEMPERATURE_GPU, this.#u32);
    if (code === NvmlReturn.ERROR_NOT_SUPPORTED) return null;
    this.#check('nvmlDeviceGetTemperature', code, context);
    return this.#u32.readUInt32LE(0);
  }

  /** `nvmlDeviceIsMigDeviceHandle()`; `false` on drivers without MIG support. */
  isMigDevice(device: NvmlDeviceHandle, context?: string): boolean {
    if (!this.#isMig) return false;
    const code = this.#isMig(device, this.#u32);
    if (code === NvmlReturn.ERROR_NOT_SUPPORTED || code === NvmlReturn.ERROR_FUNCTION_NOT_FOUND) {
      return false;
    }
    this.#check('nvmlDeviceIsMigDeviceHandle', code, context);
    return this.#u32.readUInt32LE(0) !== 0;
  }

  /**
   * `nvmlDeviceGetSamples(NVML_GPU_UTILIZATION_SAMPLES, lastSeenTimeStampUs)`: the driver's
   * utilization samples newer than `lastSeenUs`, oldest first. Returns `[]` when there is no newer
   * sample (`NVML_ERROR_NOT_FOUND`) and `null` when the device keeps no sample buffer.
   */
  utilizationSamples(
    device: NvmlDeviceHandle,
    lastSeenUs: number,
    context?: string,
  ): NvmlSample[] | null {
    const getSamples = this.#getSamples;
    if (!getSamples) return null;
    const lastSeen = Math.max(0, Math.floor(lastSeenUs));
    const call = (buffer: Buffer | null): number => {
      this.#u32b.writeUInt32LE(buffer ? buffer.length / SAMPLE_SIZE : 0, 0);
      return getSamples(
        device,
        NVML_GPU_UTILIZATION_SAMPLES,
        lastSeen,
        this.#u32,
        this.#u32b,
        buffer,
      );
    };
    let code = call(this.#samples);
    if (code === NvmlReturn.ERROR_INSUFFICIENT_SIZE) {
      // The driver keeps more samples than the buffer holds: ask how many (samples = NULL), grow, retry.
      this.#check('nvmlDeviceGetSamples', call(null), context);
      const needed = this.#u32b.readUInt32LE(0);
      this.#samples = Buffer.alloc(
        SAMPLE_SIZE * Math.max(needed, (this.#samples.length / SAMPLE_SIZE) * 2),
      );
      code = call(this.#samples);
    }
    if (code === NvmlReturn.ERROR_NOT_FOUND) return [];
    if (code === NvmlReturn.ERROR_NOT_SUPPORTED) return null;
    this.#check('nvmlDeviceGetSamples', code, context);
    const type = this.#u32.readUInt32LE(0);
    const count = Math.min(this.#u32b.readUInt32LE(0), this.#samples.length / SAMPLE_SIZE);
    const out: NvmlSample[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const offset = i * SAMPLE_SIZE;
      out[i] = {
        timestampUs: readUint64(this.#samples, offset),
        value: sampleValue(this.#samples, offset + 8, type),
      };
    }
    return out;
  }
}

function sampleValue(buffer: Buffer, offset: number, type: number): number {
  switch (type) {
    case VALUE_TYPE.DOUBLE:
      return buffer.readDoubleLE(offset);
    case VALUE_TYPE.SINT:
      return buffer.readInt32LE(offset);
    case VALUE_TYPE.ULONG:
    case VALUE_TYPE.ULONGLONG:
      return readUint64(buffer, offset);
    case VALUE_TYPE.SLONGLONG:
      return Number(buffer.readBigInt64LE(offset));
    default:
      return buffer.readUInt32LE(offset);
  }
}
