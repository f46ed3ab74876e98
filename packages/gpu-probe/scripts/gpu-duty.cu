// gpu-duty: one process keeping a GPU busy for a share of every period, for scripts/gpu-share.sh.
//   gpu-duty <duty 0..1> [seconds=20] [period ms=100] [phase ms=0] [MiB to allocate=512] [device=0]
// Allocates (and touches) the memory, prints "ready pid=<pid>", then for `seconds`: at each
// period boundary of the wall clock (CLOCK_REALTIME, so that two processes share one timeline) plus
// `phase`, runs a spin kernel on every SM for duty x period, and sleeps until the next boundary.
// Two processes with phases that do not overlap (70 % at 0 ms, 20 % at 75 ms) time-slice the GPU
// without contending: each should read its own duty cycle per process and the GPU their sum.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cuda_runtime.h>
#include <unistd.h>

#define CHECK(call)                                                                \
  do {                                                                             \
    cudaError_t err_ = (call);                                                     \
    if (err_ != cudaSuccess) {                                                     \
      std::fprintf(stderr, "gpu-duty: %s: %s\n", #call, cudaGetErrorString(err_)); \
      return 1;                                                                    \
    }                                                                              \
  } while (0)

__device__ __forceinline__ unsigned long long globaltimer_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Spins for `ns` nanoseconds of wall time; the arithmetic keeps the SM issuing instructions.
__global__ void spin(unsigned long long ns, unsigned long long *sink) {
  const unsigned long long start = globaltimer_ns();
  unsigned long long acc = threadIdx.x + blockIdx.x;
  while (globaltimer_ns() - start < ns) {
    for (int i = 0; i < 64; i++) acc = acc * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  if (acc == 42ULL) *sink = acc;  // never true in practice; stops the loop being optimised out
}

static long long now_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until_ns(long long t) {
  timespec ts = {static_cast<time_t>(t / 1000000000LL), static_cast<long>(t % 1000000000LL)};
  while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gpu-duty <duty 0..1> [seconds] [period ms] [phase ms] [MiB] [device]\n");
    return 2;
  }
  const double duty = std::atof(argv[1]);
  const double seconds = argc > 2 ? std::atof(argv[2]) : 20.0;
  const long long period = static_cast<long long>((argc > 3 ? std::atof(argv[3]) : 100.0) * 1e6);
  const long long phase = static_cast<long long>((argc > 4 ? std::atof(argv[4]) : 0.0) * 1e6);
  const size_t mib = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 512;
  const int device = argc > 6 ? std::atoi(argv[6]) : 0;
  if (!(duty >= 0 && duty <= 1) || period <= 0) {
    std::fprintf(stderr, "gpu-duty: duty must be 0..1 and the period positive\n");
    return 2;
  }

  CHECK(cudaSetDevice(device));
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  void *block = nullptr;
  if (mib > 0) {
    CHECK(cudaMalloc(&block, mib << 20));
    CHECK(cudaMemset(block, 1, mib << 20));
  }
  unsigned long long *sink = nullptr;
  CHECK(cudaMalloc(&sink, sizeof(unsigned long long)));
  CHECK(cudaDeviceSynchronize());
  std::printf("ready pid=%d device=%d sms=%d duty=%.2f period_ms=%lld phase_ms=%lld allocated_mib=%zu\n",
              static_cast<int>(getpid()), device, sms, duty, period / 1000000, phase / 1000000, mib);
  std::fflush(stdout);

  const long long end = now_ns() + static_cast<long long>(seconds * 1e9);
  const unsigned long long busy = static_cast<unsigned long long>(duty * static_cast<double>(period));
  long periods = 0;
  long long late_ns = 0;
  for (long long next = (now_ns() / period + 1) * period + phase; next < end; next += period) {
    sleep_until_ns(next);
    if (busy > 0) {
      spin<<<sms * 4, 256>>>(busy, sink);
      CHECK(cudaGetLastError());
      CHECK(cudaDeviceSynchronize());
    }
    const long long over = now_ns() - (next + static_cast<long long>(busy));
    if (over > 0) late_ns += over;
    periods++;
  }
  std::printf("done periods=%ld mean_late_ms=%.2f\n", periods,
              periods ? static_cast<double>(late_ns) / periods / 1e6 : 0.0);
  std::fflush(stdout);
  CHECK(cudaFree(sink));
  if (block) CHECK(cudaFree(block));
  return 0;
}
