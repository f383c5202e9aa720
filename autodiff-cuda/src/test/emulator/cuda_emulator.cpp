// A CUDA driver for machines without a GPU, for tests: a libcuda.so.1 with the driver functions
// the backend calls through JCuda, which runs kernels.cu (compiled by g++ with cuda_emulator.h)
// on the CPU. With it on LD_LIBRARY_PATH, JCuda sees one device, "cuda:0", and the backend's GPU
// tests run end to end: the Java side's launches, arguments, layouts and memory management, and
// the kernels' own logic, barriers and warp shuffles included.
//
// What it is not: fast, or a model of the GPU's timing, memory model or floating point (the host's
// libm rounds differently from CUDA's, within the tests' float32 tolerance). Device memory is host
// memory, filled with 0xff bytes (NaN, -1) when allocated so that reading what was never written
// shows. Streams are synchronous: each call has finished when it returns.
//
// Each CUDA thread of a block is a fiber with a stack of its own, switched by emu_switch below
// (x86-64 only). Blocks run one after another; the threads of a block run until they finish or
// reach a barrier (__syncthreads, or a warp shuffle for the threads of one warp), and the barrier
// opens when every thread still running has reached it. A block whose threads can never all meet
// is a deadlock: the launch fails with CUDA_ERROR_LAUNCH_FAILED and a message on stderr.
#include "cuda_emulator.h"

#include "kernels.cu"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

uint3 threadIdx, blockIdx, blockDim, gridDim;

// Saves the callee-saved registers and the stack pointer to *save, then resumes the fiber whose
// stack pointer is next (System V x86-64).
extern "C" __attribute__((visibility("hidden"))) void emu_switch(void** save, void* next);
asm(R"(
  .text
  .p2align 4
  .type emu_switch, @function
emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size emu_switch, .-emu_switch
)");

namespace {

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

enum : CUresult {
  SUCCESS = 0,
  INVALID_VALUE = 1,
  OUT_OF_MEMORY = 2,
  INVALID_DEVICE = 101,
  NOT_FOUND = 500,
  LAUNCH_FAILED = 719,
};

// ---- kernels by name ---------------------------------------------------------------------------

// Calls a kernel with the arguments cuLaunchKernel's kernelParams point to, typed by the kernel's
// own signature (as the GPU reads them: sizes must match what the caller packed).
template <typename... A, size_t... I>
void callWith(void (*kernel)(A...), void** params, std::index_sequence<I...>) {
  kernel(*static_cast<std::decay_t<A>*>(params[I])...);
}

template <typename... A>
std::function<void(void**)> entry(void (*kernel)(A...)) {
  return [kernel](void** params) { callWith(kernel, params, std::index_sequence_for<A...>{}); };
}

struct Kernel {
  std::string name;
  std::function<void(void**)> run;
  mutable long launches;
};

// Every .entry of kernels.ptx (kernels.inc is generated from it by build-emulator.sh).
const std::vector<Kernel>& kernels() {
#define K(name) Kernel{#name, entry(&name), 0},
  // Never destroyed: the statistics read it at exit.
  static const std::vector<Kernel>* all = new std::vector<Kernel>{
#include "kernels.inc"
  };
#undef K
  return *all;
}

// ---- fibers ------------------------------------------------------------------------------------

enum class State { RUNNABLE, AT_BARRIER, AT_WARP, DONE };

struct Fiber {
  void* sp;
  State state;
  uint3 tid;
};

constexpr size_t PAGE = 4096;
constexpr size_t STACK = 128 * 1024;  // per thread, its lowest page a guard
constexpr int MAX_THREADS = 1024;

char* stacks;  // MAX_THREADS stacks, mapped once
Fiber fibers[MAX_THREADS];
int threads;   // of the block that runs
int current;   // the fiber that runs
void* schedulerSp;
const std::function<void(void**)>* body;
void** bodyParams;
unsigned long long warpSlots[MAX_THREADS / 32][32];
std::string fault;

void fiberMain() {
  (*body)(bodyParams);
  fibers[current].state = State::DONE;
  emu_switch(&fibers[current].sp, schedulerSp);
  __builtin_unreachable();
}

void* freshStack(int t) {
  void** sp = reinterpret_cast<void**>(stacks + (t + 1) * STACK);  // 16-byte aligned
  *--sp = nullptr;                                // fiberMain's return address: never used
  *--sp = reinterpret_cast<void*>(&fiberMain);    // where emu_switch's ret goes
  for (int i = 0; i < 6; i++) *--sp = nullptr;    // rbp, rbx, r12 to r15
  return sp;
}

void suspend(State s) {
  fibers[current].state = s;
  emu_switch(&fibers[current].sp, schedulerSp);
}

// Opens the barriers that every live thread of their group has reached; false when none can open.
bool release() {
  bool opened = false;
  for (int w = 0; w * 32 < threads; w++) {
    int live = 0, waiting = 0;
    for (int t = w * 32; t < threads && t < w * 32 + 32; t++) {
      if (fibers[t].state != State::DONE) live++;
      if (fibers[t].state == State::AT_WARP) waiting++;
    }
    if (live > 0 && waiting == live) {
      for (int t = w * 32; t < threads && t < w * 32 + 32; t++) {
        if (fibers[t].state == State::AT_WARP) fibers[t].state = State::RUNNABLE;
      }
      opened = true;
    }
  }
  if (opened) return true;
  int live = 0, waiting = 0;
  for (int t = 0; t < threads; t++) {
    if (fibers[t].state != State::DONE) live++;
    if (fibers[t].state == State::AT_BARRIER) waiting++;
  }
  if (live == 0 || waiting != live) return false;
  for (int t = 0; t < threads; t++) {
    if (fibers[t].state == State::AT_BARRIER) fibers[t].state = State::RUNNABLE;
  }
  return true;
}

// Runs one block to the end; false (with `fault` set) on a deadlock.
bool runBlock() {
  for (int t = 0; t < threads; t++) {
    fibers[t].sp = freshStack(t);
    fibers[t].state = State::RUNNABLE;
    fibers[t].tid = uint3{t % blockDim.x, t / blockDim.x % blockDim.y,
                          t / (blockDim.x * blockDim.y)};
  }
  for (;;) {
    for (int t = 0; t < threads; t++) {
      if (fibers[t].state == State::RUNNABLE) {
        current = t;
        threadIdx = fibers[t].tid;
        emu_switch(&schedulerSp, fibers[t].sp);
      }
    }
    bool all = true;
    for (int t = 0; t < threads && all; t++) all = fibers[t].state == State::DONE;
    if (all) return true;
    if (!release()) {
      char where[160];
      snprintf(where, sizeof where, "deadlock in block (%u, %u, %u): its threads wait at"
               " different barriers", blockIdx.x, blockIdx.y, blockIdx.z);
      fault = where;
      return false;
    }
  }
}

std::mutex lock;  // one call at a time: the fibers share the globals above

// With AUTODIFF_CUDA_EMULATOR_STATS=FILE, how often each kernel ran and each driver function was
// called is appended to FILE at exit: which kernels a test run reached, and how many launches,
// copies and synchronisations a workload makes (what costs time on a real GPU).
// (A global defined before `stats`, so that it is destroyed after it.)
std::map<std::string, long> calls;
std::mutex callsLock;  // copies and synchronisations run outside `lock`
#define COUNT_CALL()                                 \
  do {                                               \
    std::lock_guard<std::mutex> counting(callsLock); \
    calls[__func__]++;                               \
  } while (0)

struct Stats {
  ~Stats() {
    const char* path = getenv("AUTODIFF_CUDA_EMULATOR_STATS");
    FILE* f = path ? fopen(path, "a") : nullptr;
    if (!f) return;
    int reached = 0;
    for (const Kernel& k : kernels()) {
      if (k.launches > 0) reached++;
      fprintf(f, "%ld %s\n", k.launches, k.name.c_str());
    }
    fprintf(f, "# %d of %zu kernels launched\n", reached, kernels().size());
    for (const auto& [name, count] : calls) fprintf(f, "%ld call %s\n", count, name.c_str());
    fclose(f);
  }
} stats;
std::map<CUdeviceptr, size_t> allocations;
size_t used;
constexpr size_t TOTAL = size_t(4) << 30;  // what the emulated device reports and allows

}  // namespace

void emu_syncthreads() { suspend(State::AT_BARRIER); }

void emu_warp_exchange(const void* mine, int delta, void* out, int bytes) {
  int lane = current & 31, warp = current >> 5;
  memcpy(&warpSlots[warp][lane], mine, bytes);
  suspend(State::AT_WARP);
  int from = lane + delta;
  bool inside = from >= 0 && from < 32 && warp * 32 + from < threads;
  memcpy(out, inside ? static_cast<const void*>(&warpSlots[warp][from]) : mine, bytes);
  suspend(State::AT_WARP);  // every lane has read before any writes its slot again
}

// ---- the driver API --------------------------------------------------------------------------

extern "C" {

CUresult cuInit(unsigned) { return SUCCESS; }

CUresult cuDriverGetVersion(int* v) {
  if (!v) return INVALID_VALUE;
  *v = 13000;
  return SUCCESS;
}

CUresult cuDeviceGetCount(int* n) {
  if (!n) return INVALID_VALUE;
  *n = 1;
  return SUCCESS;
}

CUresult cuDeviceGet(int* device, int ordinal) {
  if (!device) return INVALID_VALUE;
  if (ordinal != 0) return INVALID_DEVICE;
  *device = 0;
  return SUCCESS;
}

CUresult cuDeviceGetName(char* name, int len, int device) {
  if (!name || len <= 0) return INVALID_VALUE;
  if (device != 0) return INVALID_DEVICE;
  snprintf(name, len, "autodiff CUDA emulator (CPU)");
  return SUCCESS;
}

CUresult cuDeviceGetAttribute(int* value, int attribute, int device) {
  if (!value) return INVALID_VALUE;
  if (device != 0) return INVALID_DEVICE;
  switch (attribute) {
    case 1: *value = 1024; break;     // max threads per block
    case 2: case 3: *value = 1024; break;  // max block x, y
    case 4: *value = 64; break;       // max block z
    case 5: *value = 2147483647; break;  // max grid x
    case 6: case 7: *value = 65535; break;  // max grid y, z
    case 10: *value = 32; break;      // warp size
    case 16: *value = 4; break;       // multiprocessors: few, so that grids stay small
    case 75: *value = 9; break;       // compute capability 9.0
    case 76: *value = 0; break;
    default: *value = 0;
  }
  return SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(void** context, int device) {
  if (!context) return INVALID_VALUE;
  if (device != 0) return INVALID_DEVICE;
  static int primary;
  *context = &primary;
  return SUCCESS;
}

CUresult cuCtxSetCurrent(void*) { return SUCCESS; }

CUresult cuStreamCreate(void** stream, unsigned) {
  if (!stream) return INVALID_VALUE;
  *stream = malloc(1);  // a distinct handle; streams are synchronous here
  return SUCCESS;
}

CUresult cuStreamSynchronize(void*) {
  COUNT_CALL();
  return SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
  COUNT_CALL();
  if (!p || bytes == 0) return INVALID_VALUE;
  std::lock_guard<std::mutex> guard(lock);
  if (bytes > TOTAL - used) return OUT_OF_MEMORY;
  size_t rounded = (bytes + 255) / 256 * 256;
  void* m = aligned_alloc(256, rounded);
  if (!m) return OUT_OF_MEMORY;
  memset(m, 0xff, rounded);  // never-written memory reads as NaN, or -1
  *p = reinterpret_cast<CUdeviceptr>(m);
  allocations[*p] = bytes;
  used += bytes;
  return SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr p) {
  COUNT_CALL();
  std::lock_guard<std::mutex> guard(lock);
  auto at = allocations.find(p);
  if (at == allocations.end()) return INVALID_VALUE;
  used -= at->second;
  allocations.erase(at);
  free(reinterpret_cast<void*>(p));
  return SUCCESS;
}

CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
  if (!free || !total) return INVALID_VALUE;
  std::lock_guard<std::mutex> guard(lock);
  *free = TOTAL - used;
  *total = TOTAL;
  return SUCCESS;
}

CUresult cuMemAllocHost_v2(void** p, size_t bytes) {
  if (!p || bytes == 0) return INVALID_VALUE;
  *p = aligned_alloc(PAGE, (bytes + PAGE - 1) / PAGE * PAGE);
  return *p ? SUCCESS : OUT_OF_MEMORY;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void*) {
  COUNT_CALL();
  memcpy(reinterpret_cast<void*>(dst), src, bytes);
  return SUCCESS;
}

CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void*) {
  COUNT_CALL();
  memcpy(dst, reinterpret_cast<const void*>(src), bytes);
  return SUCCESS;
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void*) {
  COUNT_CALL();
  memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
  return SUCCESS;
}

CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t n, void*) {
  COUNT_CALL();
  memset(reinterpret_cast<void*>(dst), value, n);
  return SUCCESS;
}

CUresult cuModuleLoadData(void** module, const void* image) {
  if (!module || !image) return INVALID_VALUE;
  static int theModule;  // kernels.cu, whatever the image
  *module = &theModule;
  return SUCCESS;
}

CUresult cuModuleGetFunction(void** function, void*, const char* name) {
  if (!function || !name) return INVALID_VALUE;
  for (const Kernel& k : kernels()) {
    if (k.name == name) {
      *function = const_cast<Kernel*>(&k);
      return SUCCESS;
    }
  }
  return NOT_FOUND;
}

CUresult cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned sharedBytes, void*, void** params,
                        void** extra) {
  COUNT_CALL();
  if (!function || !params || extra) return INVALID_VALUE;
  if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return INVALID_VALUE;
  if (gx > 2147483647u || gy > 65535 || gz > 65535 || bx > 1024 || by > 1024 || bz > 64 ||
      bx * by * bz > MAX_THREADS || sharedBytes > 48 * 1024) {
    return INVALID_VALUE;
  }
  std::lock_guard<std::mutex> guard(lock);
  if (!stacks) {
    void* m = mmap(nullptr, MAX_THREADS * STACK, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return OUT_OF_MEMORY;
    stacks = static_cast<char*>(m);
    for (int t = 0; t < MAX_THREADS; t++) mprotect(stacks + t * STACK, PAGE, PROT_NONE);
  }
  const Kernel& k = *static_cast<const Kernel*>(function);
  k.launches++;
  body = &k.run;
  bodyParams = params;
  threads = static_cast<int>(bx * by * bz);
  gridDim = uint3{gx, gy, gz};
  blockDim = uint3{bx, by, bz};
  for (unsigned z = 0; z < gz; z++) {
    for (unsigned y = 0; y < gy; y++) {
      for (unsigned x = 0; x < gx; x++) {
        blockIdx = uint3{x, y, z};
        if (!runBlock()) {
          fprintf(stderr, "CUDA emulator: %s: %s\n", k.name.c_str(), fault.c_str());
          return LAUNCH_FAILED;
        }
      }
    }
  }
  return SUCCESS;
}

CUresult cuGetErrorName(CUresult error, const char** name) {
  if (!name) return INVALID_VALUE;
  switch (error) {
    case SUCCESS: *name = "CUDA_SUCCESS"; break;
    case INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; break;
    case OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case INVALID_DEVICE: *name = "CUDA_ERROR_INVALID_DEVICE"; break;
    case NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; break;
    case LAUNCH_FAILED: *name = "CUDA_ERROR_LAUNCH_FAILED"; break;
    default: *name = "CUDA_ERROR_UNKNOWN";
  }
  return SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char** text) { return cuGetErrorName(error, text); }

}  // extern "C"
