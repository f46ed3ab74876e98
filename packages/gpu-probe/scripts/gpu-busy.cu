// gpu-busy: keeps one GPU busy for a while, for scripts/gpu-check.sh.
//   gpu-busy [seconds=6] [MiB to allocate=1024] [device=0]
// Allocates (and touches) the memory, prints "ready", runs back-to-back spin kernels on every SM
// for `seconds`, prints "done" and exits. Utilization should read near 100 % meanwhile.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>

#define CHECK(call)                                                             \
  do {                                                                          \
    cudaError_t err_ = (call);                                                  \
    if (err_ != cudaSuccess) {                                                  \
      std::fprintf(stderr, "gpu-busy: %s: %s\n", #call, cudaGetErrorString(err_)); \
      return 1;                                                                 \
    }                                                                           \
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

int main(int argc, char **argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 6.0;
  const size_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
  const int device = argc > 3 ? std::atoi(argv[3]) : 0;

  CHECK(cudaSetDevice(device));
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));

  void *block = nullptr;
  if (mib > 0) {
    CHECK(cudaMalloc(&block, mib << 20));
    CHECK(cudaMemset(block, 1, mib << 20));  // touch it, so it is resident
  }
  unsigned long long *sink = nullptr;
  CHECK(cudaMalloc(&sink, sizeof(unsigned long long)));
  CHECK(cudaDeviceSynchronize());
  std::printf("ready device=%d sms=%d allocated_mib=%zu\n", device, sms, mib);
  std::fflush(stdout);

  const auto start = std::chrono::steady_clock::now();
  long launches = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    spin<<<sms * 4, 256>>>(50ULL * 1000 * 1000, sink);  // 50 ms per launch
    CHECK(cudaGetLastError());
    CHECK(cudaDeviceSynchronize());
    launches++;
  }
  std::printf("done launches=%ld\n", launches);
  std::fflush(stdout);
  CHECK(cudaFree(sink));
  if (block) CHECK(cudaFree(block));
  return 0;
}
