// The device side of the CUDA emulator (see cuda_emulator.cpp): what kernels.cu uses of CUDA C++,
// defined for the host so that g++ compiles kernels.cu unchanged. Every CUDA thread of a block
// runs as a fiber on one OS thread; blocks run one after another. Hence:
// - __shared__ variables become function statics: one block at a time uses them.
// - threadIdx and friends are globals that the scheduler sets before it resumes a fiber.
// - __syncthreads() and the warp shuffles suspend the fiber until its block (or warp) is there.
// - atomics are plain reads and writes: nothing else runs meanwhile.
#ifndef AUTODIFF_CUDA_EMULATOR_H
#define AUTODIFF_CUDA_EMULATOR_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static

struct uint3 {
  unsigned x, y, z;
};
typedef uint3 dim3;

extern uint3 threadIdx, blockIdx, blockDim, gridDim;

struct alignas(16) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

// Rounded operations: the host rounds each one anyway (no FMA contraction on x86-64 by default).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }

void emu_syncthreads();
void emu_warp_exchange(const void* mine, int delta, void* out, int bytes);

inline void __syncthreads() { emu_syncthreads(); }

template <typename T>
T __shfl_down_sync(unsigned mask, T v, int delta) {
  static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
  (void)mask;  // kernels.cu shuffles with the full mask only
  T out;
  emu_warp_exchange(&v, delta, &out, (int)sizeof(T));
  return out;
}

template <typename T>
T atomicAdd(T* p, T v) {
  T old = *p;
  *p = old + v;
  return old;
}

template <typename T>
T atomicMin(T* p, T v) {
  T old = *p;
  if (v < old) *p = v;
  return old;
}

#endif
