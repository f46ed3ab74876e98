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
 * Build: cc -shared -fPIC -O2 -o libnvidia-ml.so.1 fake-nvml.c
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

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_GPU_IS_LOST 15
#define NVML_ERROR_UNKNOWN 999

#define NVML_GPU_UTILIZATION_SAMPLES 1
#define NVML_VALUE_TYPE_UNSIGNED_INT 1

#define MAX_DEVICES 8
#define MAX_SAMPLES 200 /* drivers keep about 100 utilization samples; more here to test big buffers */
#define MAX_FAILURES 32

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

static void reset_device(unsigned int i) {
  struct fake_device *d = &devices[i];
  memset(d, 0, sizeof(*d));
  snprintf(d->name, sizeof(d->name), "Fake NVIDIA GPU %u", i);
  snprintf(d->uuid, sizeof(d->uuid), "GPU-00000000-0000-0000-0000-00000000000%u", i);
  d->mem_total = 16ULL * 1024 * 1024 * 1024;
  d->power_mw = 50000;
  d->temperature_c = 40;
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

/* ------------------------------------------------------------- test control */

/** Back to one healthy idle device, no injected failures, counters at 0 (init state kept). */
void fake_nvml_reset(void) {
  for (unsigned int i = 0; i < MAX_DEVICES; i++) reset_device(i);
  initialised_state = 1;
  device_count = 1;
  failure_count = 0;
  init_calls = 0;
  shutdown_calls = 0;
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
