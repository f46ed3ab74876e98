/*
 * fake-nvml.c: a stand-in for libnvidia-ml.so.1 for tests without a GPU.
 *
 * It exports the NVML entry points that @mlscale/gpu-probe calls, with the real
 * signatures and struct layouts of nvml.h, and answers from state that the test
 * controls through the extra `fake_nvml_*` functions below (the controller in
 * `@mlscale/gpu-probe/testing` calls them through koffi). Every copy of the file
 * compiled to its own path is its own instance: dlopen() shares state only
 * between loads of the same file.
 *
 * Per-process figures: each device has a process table (what the
 * nvmlDeviceGetComputeRunningProcesses family and the MPS variant list) and a
 * buffer of per-process utilization samples (what nvmlDeviceGetProcessUtilization
 * and nvmlDeviceGetProcessesUtilizationInfo return). Samples are either pushed by
 * the test as they are, or made from duty cycles on a virtual clock: a process
 * given a duty cycle runs kernels for duty x period of every period, and advancing
 * the clock writes, every sample period (1/6 s), each running process's share of
 * that period (only processes that ran, as NVML documents) and the device's busy
 * share (the union of the processes' busy time: time-slicing one GPU).
 *
 * Build: cc -shared -fPIC -O2 -o libnvidia-ml.so.1 fake-nvml.c
 * An entry point can be left out, as on an older driver, with -DFAKE_NVML_OMIT_<name>
 * (e.g. -DFAKE_NVML_OMIT_nvmlDeviceGetProcessesUtilizationInfo): the probe then
 * finds no symbol, as NVML_ERROR_FUNCTION_NOT_FOUND says in NVML's own wrappers.
 */
#include <stdio.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct fake_device *nvmlDevice_t;

typedef struct {
  unsigned int gpu;
  unsigned int memory;
} nvmlUtilization_t;

typedef struct {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
} nvmlMemory_t;

typedef union {
  double dVal;
  int siVal;
  unsigned int uiVal;
  unsigned long ulVal;
  unsigned long long ullVal;
  signed long long sllVal;
} nvmlValue_t;

typedef struct {
  unsigned long long timeStamp;
  nvmlValue_t sampleValue;
} nvmlSample_t;

/* nvml.h: nvmlProcessInfo_v1_t (nvmlDeviceGetComputeRunningProcesses) */
typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

/* nvml.h: nvmlProcessInfo_v2_t, also nvmlProcessInfo_t (the _v2 and _v3 entry points) */
typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
} nvmlProcessInfo_t;

/* nvml.h: nvmlProcessUtilizationSample_t (nvmlDeviceGetProcessUtilization) */
typedef struct {
  unsigned int pid;
  unsigned long long timeStamp;
  unsigned int smUtil;
  unsigned int memUtil;
  unsigned int encUtil;
  unsigned int decUtil;
} nvmlProcessUtilizationSample_t;

/* nvml.h: nvmlProcessUtilizationInfo_v1_t and nvmlProcessesUtilizationInfo_v1_t */
typedef struct {
  unsigned long long timeStamp;
  unsigned int pid;
  unsigned int smUtil;
  unsigned int memUtil;
  unsigned int encUtil;
  unsigned int decUtil;
  unsigned int jpgUtil;
  unsigned int ofaUtil;
} nvmlProcessUtilizationInfo_v1_t;

typedef struct {
  unsigned int version;
  unsigned int processSamplesCount;
  unsigned long long lastSeenTimeStamp;
  nvmlProcessUtilizationInfo_v1_t *procUtilArray;
} nvmlProcessesUtilizationInfo_t;

/* nvml.h: NVML_STRUCT_VERSION(ProcessesUtilizationInfo, 1) */
#define NVML_PROCESSES_UTILIZATION_INFO_V1 \
  ((unsigned int)(sizeof(nvmlProcessesUtilizationInfo_t) | (1U << 24U)))

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_GPU_IS_LOST 15
#define NVML_ERROR_ARGUMENT_VERSION_MISMATCH 25
#define NVML_ERROR_UNKNOWN 999

#define NVML_GPU_UTILIZATION_SAMPLES 1
#define NVML_VALUE_TYPE_UNSIGNED_INT 1

#define MAX_DEVICES 8
#define MAX_SAMPLES 200 /* drivers keep about 100 utilization samples; more here to test big buffers */
#define MAX_FAILURES 32
#define MAX_PROCESSES 16
#define MAX_PROCESS_SAMPLES 512
/* Per-process and device samples made from duty cycles come every 1/6 s, as on data-centre GPUs. */
#define SAMPLE_PERIOD_US 166667ULL
/* The virtual clock starts at a CPU timestamp in microseconds (2023-11-14), as NVML's are. */
#define CLOCK_START_US 1700000000000000ULL

struct fake_process {
  unsigned int pid;
  unsigned long long used_memory;
  int mps;          /* an MPS client: listed by the MPS call, not the plain compute one */
  double duty;      /* share of every period during which its kernels run, 0..1 */
  unsigned long long period_us;
  unsigned long long phase_us;
};

struct fake_device {
  char name[96];
  char uuid[96];
  unsigned int util_gpu;
  unsigned int util_memory;
  unsigned long long mem_total;
  unsigned long long mem_used;
  unsigned int power_mw;
  unsigned int temperature_c;
  int is_mig;
  int samples_supported;
  unsigned int sample_count;
  nvmlSample_t samples[MAX_SAMPLES];
  int process_utilization_supported;
  unsigned int process_count;
  struct fake_process processes[MAX_PROCESSES];
  unsigned int process_sample_count;
  nvmlProcessUtilizationSample_t process_samples[MAX_PROCESS_SAMPLES];
};

struct failure {
  char fn[64];
  int device; /* -1: every device (and calls that take none) */
  int rc;
};

static struct fake_device devices[MAX_DEVICES];
static unsigned int device_count = 1;
static int init_refs = 0;
static int init_calls = 0;
static int shutdown_calls = 0;
static struct failure failures[MAX_FAILURES];
static int failure_count = 0;
static unsigned long long clock_us = CLOCK_START_US;

static void reset_device(unsigned int i) {
  struct fake_device *d = &devices[i];
  memset(d, 0, sizeof(*d));
  snprintf(d->name, sizeof(d->name), "Fake NVIDIA GPU %u", i);
  snprintf(d->uuid, sizeof(d->uuid), "GPU-00000000-0000-0000-0000-00000000000%u", i);
  d->mem_total = 16ULL * 1024 * 1024 * 1024;
  d->power_mw = 50000;
  d->temperature_c = 40;
  d->process_utilization_supported = 1;
}

static int initialised_state = 0;
static void ensure_state(void) {
  if (initialised_state) return;
  for (unsigned int i = 0; i < MAX_DEVICES; i++) reset_device(i);
  initialised_state = 1;
}

static nvmlReturn_t failure_for(const char *fn, int device) {
  for (int i = 0; i < failure_count; i++) {
    if ((failures[i].device == -1 || failures[i].device == device) &&
        strcmp(failures[i].fn, fn) == 0) {
      return failures[i].rc;
    }
  }
  for (int i = 0; i < failure_count; i++) {
    if ((failures[i].device == -1 || failures[i].device == device) &&
        strcmp(failures[i].fn, "*") == 0) {
      return failures[i].rc;
    }
  }
  return NVML_SUCCESS;
}

static int index_of(nvmlDevice_t device) {
  if (device < devices || device >= devices + MAX_DEVICES) return -1;
  int i = (int)(device - devices);
  return (unsigned int)i < device_count ? i : -1;
}

/* Common prologue of every per-device call: initialised, valid handle, no injected failure. */
#define DEVICE_CALL(fn, device)                               \
  ensure_state();                                             \
  if (init_refs == 0) return NVML_ERROR_UNINITIALIZED;        \
  int idx = index_of(device);                                 \
  if (idx < 0) return NVML_ERROR_INVALID_ARGUMENT;            \
  {                                                           \
    nvmlReturn_t injected = failure_for(fn, idx);             \
    if (injected != NVML_SUCCESS) return injected;            \
  }                                                           \
  struct fake_device *d = &devices[idx];

/* ---------------------------------------------------------------- NVML API */

nvmlReturn_t nvmlInit_v2(void) {
  ensure_state();
  init_calls++;
  nvmlReturn_t injected = failure_for("nvmlInit_v2", -1);
  if (injected != NVML_SUCCESS) return injected;
  init_refs++;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void) {
  ensure_state();
  shutdown_calls++;
  if (init_refs == 0) return NVML_ERROR_UNINITIALIZED;
  init_refs--;
  return NVML_SUCCESS;
}

const char *nvmlErrorString(nvmlReturn_t result) {
  switch (result) {
    case 0: return "Success";
    case 1: return "Uninitialized";
    case 2: return "Invalid Argument";
    case 3: return "Not Supported";
    case 4: return "Insufficient Permissions";
    case 5: return "Already Initialized";
    case 6: return "Not Found";
    case 7: return "Insufficient Size";
    case 8: return "Insufficient External Power";
    case 9: return "Driver Not Loaded";
    case 10: return "Timeout";
    case 12: return "NVML Shared Library Not Found";
    case 13: return "Function Not Found";
    case 15: return "GPU is lost";
    case 999: return "Unknown Error";
    default: return "Unknown Error";
  }
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
  ensure_state();
  if (init_refs == 0) return NVML_ERROR_UNINITIALIZED;
  nvmlReturn_t injected = failure_for("nvmlDeviceGetCount_v2", -1);
  if (injected != NVML_SUCCESS) return injected;
  if (count == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *count = device_count;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
  ensure_state();
  if (init_refs == 0) return NVML_ERROR_UNINITIALIZED;
  if (device == NULL || index >= device_count) return NVML_ERROR_INVALID_ARGUMENT;
  nvmlReturn_t injected = failure_for("nvmlDeviceGetHandleByIndex_v2", (int)index);
  if (injected != NVML_SUCCESS) return injected;
  *device = &devices[index];
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device) {
  ensure_state();
  if (init_refs == 0) return NVML_ERROR_UNINITIALIZED;
  if (uuid == NULL || device == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  for (unsigned int i = 0; i < device_count; i++) {
    if (strcmp(devices[i].uuid, uuid) == 0) {
      nvmlReturn_t injected = failure_for("nvmlDeviceGetHandleByUUID", (int)i);
      if (injected != NVML_SUCCESS) return injected;
      *device = &devices[i];
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_NOT_FOUND;
}

static nvmlReturn_t copy_string(const char *src, char *dst, unsigned int length) {
  if (dst == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  size_t n = strlen(src);
  if (length < n + 1) return NVML_ERROR_INSUFFICIENT_SIZE;
  memcpy(dst, src, n + 1);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
  DEVICE_CALL("nvmlDeviceGetName", device)
  return copy_string(d->name, name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
  DEVICE_CALL("nvmlDeviceGetUUID", device)
  return copy_string(d->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
  DEVICE_CALL("nvmlDeviceGetUtilizationRates", device)
  if (utilization == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  /* MIG: utilization is not reported for MIG devices or GPUs in MIG mode. */
  if (d->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  utilization->gpu = d->util_gpu;
  utilization->memory = d->util_memory;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
  DEVICE_CALL("nvmlDeviceGetMemoryInfo", device)
  if (memory == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  memory->total = d->mem_total;
  memory->used = d->mem_used;
  memory->free = d->mem_total - d->mem_used;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
  DEVICE_CALL("nvmlDeviceGetPowerUsage", device)
  if (power == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *power = d->power_mw;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int *temp) {
  DEVICE_CALL("nvmlDeviceGetTemperature", device)
  if (temp == NULL || sensor != 0) return NVML_ERROR_INVALID_ARGUMENT;
  *temp = d->temperature_c;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t device, unsigned int *isMigDevice) {
  DEVICE_CALL("nvmlDeviceIsMigDeviceHandle", device)
  if (isMigDevice == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *isMigDevice = d->is_mig ? 1 : 0;
  return NVML_SUCCESS;
}

/* As NVML documents it: samples newer than lastSeenTimeStamp, oldest first; with samples == NULL
 * the count the buffer needs; NVML_ERROR_INSUFFICIENT_SIZE when the caller's buffer is too small;
 * NVML_ERROR_NOT_FOUND when there is no newer sample. */
nvmlReturn_t nvmlDeviceGetSamples(nvmlDevice_t device, int type, unsigned long long lastSeenTimeStamp,
                                  int *sampleValType, unsigned int *sampleCount,
                                  nvmlSample_t *samples) {
  DEVICE_CALL("nvmlDeviceGetSamples", device)
  if (sampleValType == NULL || sampleCount == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (type != NVML_GPU_UTILIZATION_SAMPLES || !d->samples_supported) return NVML_ERROR_NOT_SUPPORTED;
  *sampleValType = NVML_VALUE_TYPE_UNSIGNED_INT;
  if (samples == NULL) {
    *sampleCount = MAX_SAMPLES;
    return NVML_SUCCESS;
  }
  unsigned int needed = 0;
  for (unsigned int i = 0; i < d->sample_count; i++) {
    if (d->samples[i].timeStamp > lastSeenTimeStamp) needed++;
  }
  if (*sampleCount < needed) {
    *sampleCount = MAX_SAMPLES;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  unsigned int n = 0;
  for (unsigned int i = 0; i < d->sample_count; i++) {
    if (d->samples[i].timeStamp > lastSeenTimeStamp) samples[n++] = d->samples[i];
  }
  *sampleCount = n;
  return n == 0 ? NVML_ERROR_NOT_FOUND : NVML_SUCCESS;
}

/* ------------------------------------------------------- per-process figures */

/* The compute processes (mps == 0) or MPS clients (mps == 1) of a device, in the layout of one
 * entry point: `size` bytes per entry, the v1 layout when `size` is that of nvmlProcessInfo_v1_t.
 * As nvml.h documents the family: *infoCount 0 (or too small) answers NVML_ERROR_INSUFFICIENT_SIZE
 * with the count needed, or NVML_SUCCESS when there is nothing to list. */
static nvmlReturn_t list_processes(struct fake_device *d, int mps, unsigned int *infoCount,
                                   void *infos, size_t size) {
  if (infoCount == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned int n = 0;
  for (unsigned int i = 0; i < d->process_count; i++) n += d->processes[i].mps == mps;
  if (*infoCount < n) {
    *infoCount = n;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  if (n > 0 && infos == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned int k = 0;
  for (unsigned int i = 0; i < d->process_count; i++) {
    struct fake_process *p = &d->processes[i];
    if (p->mps != mps) continue;
    if (size == sizeof(nvmlProcessInfo_v1_t)) {
      nvmlProcessInfo_v1_t *out = (nvmlProcessInfo_v1_t *)infos + k;
      out->pid = p->pid;
      out->usedGpuMemory = p->used_memory;
    } else {
      nvmlProcessInfo_t *out = (nvmlProcessInfo_t *)infos + k;
      out->pid = p->pid;
      out->usedGpuMemory = p->used_memory;
      /* 0xFFFFFFFF outside MIG, as nvml.h says */
      out->gpuInstanceId = d->is_mig ? 1 : 0xFFFFFFFFU;
      out->computeInstanceId = d->is_mig ? 0 : 0xFFFFFFFFU;
    }
    k++;
  }
  *infoCount = n;
  return NVML_SUCCESS;
}

#ifndef FAKE_NVML_OMIT_nvmlDeviceGetComputeRunningProcesses_v3
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount,
                                                     nvmlProcessInfo_t *infos) {
  DEVICE_CALL("nvmlDeviceGetComputeRunningProcesses_v3", device)
  return list_processes(d, 0, infoCount, infos, sizeof(nvmlProcessInfo_t));
}
#endif

#ifndef FAKE_NVML_OMIT_nvmlDeviceGetComputeRunningProcesses_v2
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device, unsigned int *infoCount,
                                                     nvmlProcessInfo_t *infos) {
  DEVICE_CALL("nvmlDeviceGetComputeRunningProcesses_v2", device)
  return list_processes(d, 0, infoCount, infos, sizeof(nvmlProcessInfo_t));
}
#endif

#ifndef FAKE_NVML_OMIT_nvmlDeviceGetComputeRunningProcesses
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned int *infoCount,
                                                  nvmlProcessInfo_v1_t *infos) {
  DEVICE_CALL("nvmlDeviceGetComputeRunningProcesses", device)
  return list_processes(d, 0, infoCount, infos, sizeof(nvmlProcessInfo_v1_t));
}
#endif

#ifndef FAKE_NVML_OMIT_nvmlDeviceGetMPSComputeRunningProcesses_v3
nvmlReturn_t nvmlDeviceGetMPSComputeRunningProcesses_v3(nvmlDevice_t device,
                                                        unsigned int *infoCount,
                                                        nvmlProcessInfo_t *infos) {
  DEVICE_CALL("nvmlDeviceGetMPSComputeRunningProcesses_v3", device)
  return list_processes(d, 1, infoCount, infos, sizeof(nvmlProcessInfo_t));
}
#endif

static unsigned int process_samples_after(struct fake_device *d, unsigned long long lastSeen) {
  unsigned int n = 0;
  for (unsigned int i = 0; i < d->process_sample_count; i++) {
    n += d->process_samples[i].timeStamp > lastSeen;
  }
  return n;
}

/* As nvml.h documents it: one sample per process that ran in a sample period newer than
 * lastSeenTimeStamp; NVML_ERROR_NOT_FOUND when there is none; NOT_SUPPORTED on MIG. With
 * utilization NULL or *processSamplesCount too small: NVML_ERROR_INSUFFICIENT_SIZE and the count
 * needed (pynvml sizes its buffer this way). */
#ifndef FAKE_NVML_OMIT_nvmlDeviceGetProcessUtilization
nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t device,
                                             nvmlProcessUtilizationSample_t *utilization,
                                             unsigned int *processSamplesCount,
                                             unsigned long long lastSeenTimeStamp) {
  DEVICE_CALL("nvmlDeviceGetProcessUtilization", device)
  if (processSamplesCount == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (d->is_mig || !d->process_utilization_supported) return NVML_ERROR_NOT_SUPPORTED;
  unsigned int needed = process_samples_after(d, lastSeenTimeStamp);
  if (needed == 0) return NVML_ERROR_NOT_FOUND;
  if (utilization == NULL || *processSamplesCount < needed) {
    *processSamplesCount = needed;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  unsigned int n = 0;
  for (unsigned int i = 0; i < d->process_sample_count; i++) {
    if (d->process_samples[i].timeStamp > lastSeenTimeStamp) utilization[n++] = d->process_samples[i];
  }
  *processSamplesCount = n;
  return NVML_SUCCESS;
}
#endif

/* The same samples through the versioned entry point (jpgUtil and ofaUtil 0). */
#ifndef FAKE_NVML_OMIT_nvmlDeviceGetProcessesUtilizationInfo
nvmlReturn_t nvmlDeviceGetProcessesUtilizationInfo(nvmlDevice_t device,
                                                   nvmlProcessesUtilizationInfo_t *info) {
  DEVICE_CALL("nvmlDeviceGetProcessesUtilizationInfo", device)
  if (info == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (info->version != NVML_PROCESSES_UTILIZATION_INFO_V1) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  if (d->is_mig || !d->process_utilization_supported) return NVML_ERROR_NOT_SUPPORTED;
  unsigned int needed = process_samples_after(d, info->lastSeenTimeStamp);
  if (needed == 0) return NVML_ERROR_NOT_FOUND;
  if (info->procUtilArray == NULL || info->processSamplesCount < needed) {
    info->processSamplesCount = needed;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  unsigned int n = 0;
  for (unsigned int i = 0; i < d->process_sample_count; i++) {
    nvmlProcessUtilizationSample_t *s = &d->process_samples[i];
    if (s->timeStamp <= info->lastSeenTimeStamp) continue;
    nvmlProcessUtilizationInfo_v1_t *out = &info->procUtilArray[n++];
    out->timeStamp = s->timeStamp;
    out->pid = s->pid;
    out->smUtil = s->smUtil;
    out->memUtil = s->memUtil;
    out->encUtil = s->encUtil;
    out->decUtil = s->decUtil;
    out->jpgUtil = 0;
    out->ofaUtil = 0;
  }
  info->processSamplesCount = n;
  return NVML_SUCCESS;
}
#endif

/* ------------------------------------------------------------- test control */

/** Back to one healthy idle device, no injected failures, counters at 0 (init state kept). */
void fake_nvml_reset(void) {
  for (unsigned int i = 0; i < MAX_DEVICES; i++) reset_device(i);
  initialised_state = 1;
  device_count = 1;
  failure_count = 0;
  init_calls = 0;
  shutdown_calls = 0;
  clock_us = CLOCK_START_US;
}

int fake_nvml_set_device_count(unsigned int count) {
  ensure_state();
  if (count > MAX_DEVICES) return -1;
  device_count = count;
  return 0;
}

int fake_nvml_set_identity(unsigned int i, const char *name, const char *uuid) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  if (name != NULL) snprintf(devices[i].name, sizeof(devices[i].name), "%s", name);
  if (uuid != NULL) snprintf(devices[i].uuid, sizeof(devices[i].uuid), "%s", uuid);
  return 0;
}

int fake_nvml_set_utilization(unsigned int i, unsigned int gpu, unsigned int memory) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  devices[i].util_gpu = gpu;
  devices[i].util_memory = memory;
  return 0;
}

int fake_nvml_set_memory(unsigned int i, unsigned long long total, unsigned long long used) {
  ensure_state();
  if (i >= MAX_DEVICES || used > total) return -1;
  devices[i].mem_total = total;
  devices[i].mem_used = used;
  return 0;
}

int fake_nvml_set_power(unsigned int i, unsigned int milliwatts) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  devices[i].power_mw = milliwatts;
  return 0;
}

int fake_nvml_set_temperature(unsigned int i, unsigned int celsius) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  devices[i].temperature_c = celsius;
  return 0;
}

int fake_nvml_set_mig(unsigned int i, int is_mig) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  devices[i].is_mig = is_mig;
  return 0;
}

int fake_nvml_set_samples_supported(unsigned int i, int supported) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  devices[i].samples_supported = supported;
  return 0;
}

/** Appends a utilization sample (oldest dropped when full), as the driver does every 1/6 s to 1 s. */
int fake_nvml_push_sample(unsigned int i, unsigned long long timestamp_us, unsigned int value) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  struct fake_device *d = &devices[i];
  if (d->sample_count == MAX_SAMPLES) {
    memmove(d->samples, d->samples + 1, sizeof(nvmlSample_t) * (MAX_SAMPLES - 1));
    d->sample_count--;
  }
  d->samples[d->sample_count].timeStamp = timestamp_us;
  d->samples[d->sample_count].sampleValue.ullVal = 0;
  d->samples[d->sample_count].sampleValue.uiVal = value;
  d->sample_count++;
  return 0;
}

static struct fake_process *find_process(struct fake_device *d, unsigned int pid) {
  for (unsigned int i = 0; i < d->process_count; i++) {
    if (d->processes[i].pid == pid) return &d->processes[i];
  }
  return NULL;
}

/** Adds or updates a process on GPU `i` (an MPS client when `mps`); -1 when the table is full. */
int fake_nvml_set_process(unsigned int i, unsigned int pid, unsigned long long used_memory, int mps) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  struct fake_device *d = &devices[i];
  struct fake_process *p = find_process(d, pid);
  if (p == NULL) {
    if (d->process_count == MAX_PROCESSES) return -1;
    p = &d->processes[d->process_count++];
    memset(p, 0, sizeof(*p));
    p->pid = pid;
  }
  p->used_memory = used_memory;
  p->mps = mps;
  return 0;
}

/** The process leaves GPU `i` (its samples stay in the buffer, as the driver's do). */
int fake_nvml_remove_process(unsigned int i, unsigned int pid) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  struct fake_device *d = &devices[i];
  struct fake_process *p = find_process(d, pid);
  if (p == NULL) return -1;
  *p = d->processes[--d->process_count];
  return 0;
}

static void append_process_sample(struct fake_device *d, nvmlProcessUtilizationSample_t sample) {
  if (d->process_sample_count == MAX_PROCESS_SAMPLES) {
    memmove(d->process_samples, d->process_samples + 1,
            sizeof(nvmlProcessUtilizationSample_t) * (MAX_PROCESS_SAMPLES - 1));
    d->process_sample_count--;
  }
  d->process_samples[d->process_sample_count++] = sample;
}

/** Appends a per-process utilization sample to GPU `i`'s buffer (oldest dropped when full). */
int fake_nvml_push_process_sample(unsigned int i, unsigned int pid, unsigned long long timestamp_us,
                                  unsigned int sm, unsigned int mem, unsigned int enc,
                                  unsigned int dec) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  nvmlProcessUtilizationSample_t sample = {pid, timestamp_us, sm, mem, enc, dec};
  append_process_sample(&devices[i], sample);
  return 0;
}

/** 0: the per-process utilization calls answer NVML_ERROR_NOT_SUPPORTED (as before Maxwell). */
int fake_nvml_set_process_utilization_supported(unsigned int i, int supported) {
  ensure_state();
  if (i >= MAX_DEVICES) return -1;
  devices[i].process_utilization_supported = supported;
  return 0;
}

/** Process `pid` on GPU `i` runs kernels for duty_permille/1000 of every period_us, starting
 * phase_us into each period. It must have been added with fake_nvml_set_process. */
int fake_nvml_set_duty(unsigned int i, unsigned int pid, unsigned int duty_permille,
                       unsigned long long period_us, unsigned long long phase_us) {
  ensure_state();
  if (i >= MAX_DEVICES || duty_permille > 1000 || period_us == 0) return -1;
  struct fake_process *p = find_process(&devices[i], pid);
  if (p == NULL) return -1;
  p->duty = duty_permille / 1000.0;
  p->period_us = period_us;
  p->phase_us = phase_us % period_us;
  return 0;
}

static int busy_at(const struct fake_process *p, unsigned long long t) {
  if (p->duty <= 0) return 0;
  unsigned long long into = (t + p->period_us - p->phase_us) % p->period_us;
  return (double)into < p->duty * (double)p->period_us;
}

/* The sample period ending at `end`: each process's busy share, and the union for the device,
 * in 100 µs steps. */
static void write_period(struct fake_device *d, unsigned long long end) {
  const unsigned long long step = 100;
  const unsigned long long steps = SAMPLE_PERIOD_US / step;
  unsigned long long busy[MAX_PROCESSES] = {0};
  unsigned long long any = 0;
  int running = 0;
  for (unsigned int k = 0; k < d->process_count; k++) running |= d->processes[k].duty > 0;
  if (!running) return;
  for (unsigned long long s = 0; s < steps; s++) {
    unsigned long long t = end - SAMPLE_PERIOD_US + s * step;
    int one = 0;
    for (unsigned int k = 0; k < d->process_count; k++) {
      if (busy_at(&d->processes[k], t)) {
        busy[k]++;
        one = 1;
      }
    }
    any += one;
  }
  for (unsigned int k = 0; k < d->process_count; k++) {
    if (busy[k] == 0) continue; /* NVML returns samples only for processes that ran */
    unsigned int sm = (unsigned int)((busy[k] * 100 + steps / 2) / steps);
    nvmlProcessUtilizationSample_t sample = {d->processes[k].pid, end, sm, 0, 0, 0};
    append_process_sample(d, sample);
  }
  unsigned int util = (unsigned int)((any * 100 + steps / 2) / steps);
  d->util_gpu = util;
  d->samples_supported = 1;
  if (d->sample_count == MAX_SAMPLES) {
    memmove(d->samples, d->samples + 1, sizeof(nvmlSample_t) * (MAX_SAMPLES - 1));
    d->sample_count--;
  }
  d->samples[d->sample_count].timeStamp = end;
  d->samples[d->sample_count].sampleValue.ullVal = 0;
  d->samples[d->sample_count].sampleValue.uiVal = util;
  d->sample_count++;
}

/** Moves the virtual clock on by `us`, writing the samples of every sample period that ends on
 * the way (on the devices with a process that has a duty cycle). Returns the new time in µs. */
unsigned long long fake_nvml_advance_clock(unsigned long long us) {
  ensure_state();
  unsigned long long target = clock_us + us;
  unsigned long long next = (clock_us / SAMPLE_PERIOD_US + 1) * SAMPLE_PERIOD_US;
  for (; next <= target; next += SAMPLE_PERIOD_US) {
    for (unsigned int i = 0; i < device_count; i++) write_period(&devices[i], next);
  }
  clock_us = target;
  return clock_us;
}

unsigned long long fake_nvml_clock_us(void) { return clock_us; }

/** Makes `fn` ("*" for every function) return `rc` for device `device` (-1: all); rc 0 clears it. */
int fake_nvml_fail(const char *fn, int device, int rc) {
  ensure_state();
  for (int i = 0; i < failure_count; i++) {
    if (failures[i].device == device && strcmp(failures[i].fn, fn) == 0) {
      if (rc == NVML_SUCCESS) {
        failures[i] = failures[--failure_count];
      } else {
        failures[i].rc = rc;
      }
      return 0;
    }
  }
  if (rc == NVML_SUCCESS) return 0;
  if (failure_count == MAX_FAILURES) return -1;
  snprintf(failures[failure_count].fn, sizeof(failures[failure_count].fn), "%s", fn);
  failures[failure_count].device = device;
  failures[failure_count].rc = rc;
  failure_count++;
  return 0;
}

int fake_nvml_init_calls(void) { return init_calls; }
int fake_nvml_shutdown_calls(void) { return shutdown_calls; }
int fake_nvml_init_refs(void) { return init_refs; }
