// Times autodiff's matmul kernels (kernels.cu, included whole) against cuBLAS's SGEMM on the
// shapes that matter: square products and the MLP benchmark's forward and backward products.
// Built here with nvcc, run on a GPU machine (cuBLAS is opened at run time, so only a driver and
// libcublas.so.12/13 on LD_LIBRARY_PATH are needed). Used to tune MatmulPlan.tile; not part of
// the build.
//   nvcc -O3 -std=c++17 -arch=sm_90 -o matmul_sweep matmul_sweep.cu -ldl
#include "../../autodiff-cuda/src/main/cuda/kernels.cu"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CK(x)                                                                  \
  do {                                                                         \
    cudaError_t e = (x);                                                       \
    if (e != cudaSuccess) {                                                    \
      fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e)); \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

typedef int (*CreateFn)(void**);
typedef int (*SgemmFn)(void*, int, int, int, int, int, const float*, const float*, int,
                       const float*, int, const float*, float*, int);
static CreateFn cublasCreate;
static SgemmFn cublasSgemm;
static void* handle;

typedef void (*Kernel)(const float*, const float*, float*, int, int, int, int, int, int, int,
                       int, long long, long long, long long);

// The warp-tiled kernel as it would be at one block a multiprocessor (151 registers on sm_90),
// beside matmul_f32_128w's two blocks of 128 registers.
extern "C" __global__ void __launch_bounds__(256, 1)
    matmul_f32_128w_one_block(const float* A, const float* B, float* C, int M, int N, int K,
                              int lda, int ldb, int ldc, int transA, int transB,
                              long long strideA, long long strideB, long long strideC) {
  matmulWarpTiled(A, B, C, M, N, K, lda, ldb, ldc, transA, transB, strideA, strideB, strideC);
}

struct Shape {
  const char* what;
  int m, n, k, transA, transB;
};

static float median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median milliseconds of f() over reps, after warm-up.
template <typename F>
static float timeMs(F f, int reps) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  for (int i = 0; i < 3; i++) f();
  std::vector<float> ms;
  for (int r = 0; r < reps; r++) {
    CK(cudaEventRecord(a));
    f();
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float t;
    CK(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  CK(cudaGetLastError());
  return median(ms);
}

int main() {
  void* lib = dlopen("libcublas.so.13", RTLD_NOW);
  if (!lib) lib = dlopen("libcublas.so.12", RTLD_NOW);
  if (lib) {
    cublasCreate = (CreateFn)dlsym(lib, "cublasCreate_v2");
    cublasSgemm = (SgemmFn)dlsym(lib, "cublasSgemm_v2");
    if (cublasCreate(&handle) != 0) cublasSgemm = nullptr;
  } else {
    fprintf(stderr, "no cuBLAS: %s\n", dlerror());
  }
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  printf("device: %s, %d SMs\n", prop.name, prop.multiProcessorCount);
  Shape shapes[] = {
      {"square 1024", 1024, 1024, 1024, 0, 0},
      {"square 2048", 2048, 2048, 2048, 0, 0},
      {"square 4096", 4096, 4096, 4096, 0, 0},
      {"wide fwd x W1", 1024, 2048, 784, 0, 1},
      {"wide fwd h W2", 1024, 2048, 2048, 0, 1},
      {"wide fwd h W3", 1024, 10, 2048, 0, 1},
      {"wide dW2 = g^T h", 2048, 2048, 1024, 1, 0},
      {"wide dh = g W2", 1024, 2048, 2048, 0, 0},
      {"wide dW1 = g^T x", 2048, 784, 1024, 1, 0},
      {"mnist fwd x W1", 128, 256, 784, 0, 1},
      {"mnist fwd h W2", 128, 256, 256, 0, 1},
      {"mnist dW1 = g^T x", 256, 784, 128, 1, 0},
      {"mnist dh = g W2", 128, 256, 256, 0, 0},
      {"tiny fwd", 32, 16, 16, 0, 1},
  };
  struct {
    const char* name;
    Kernel k;
    int tile;
    bool vec;
  } kernels[] = {{"k64", matmul_f32_64, 64, false},
                 {"k128", matmul_f32_128, 128, false},
                 {"k128v", matmul_f32_128v, 128, true},
                 {"k128w", matmul_f32_128w, 128, true},
                 {"k128w1", matmul_f32_128w_one_block, 128, true}};
  size_t maxElems = 4096ull * 4096;
  float *A, *B, *C, *R;
  CK(cudaMalloc(&A, maxElems * 4));
  CK(cudaMalloc(&B, maxElems * 4));
  CK(cudaMalloc(&C, maxElems * 4));
  CK(cudaMalloc(&R, maxElems * 4));
  std::vector<float> h(maxElems);
  srand(1);
  for (auto& x : h) x = (rand() / (float)RAND_MAX) * 2 - 1;
  CK(cudaMemcpy(A, h.data(), maxElems * 4, cudaMemcpyHostToDevice));
  CK(cudaMemcpy(B, h.data(), maxElems * 4, cudaMemcpyHostToDevice));
  std::vector<float> hc(maxElems), hr(maxElems);
  printf("%-20s %5s %5s %5s |", "shape", "m", "n", "k");
  for (auto& kk : kernels) printf(" %15s", kk.name);
  printf(" %15s\n", "cublas");
  for (const Shape& s : shapes) {
    int lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n;
    double flop = 2.0 * s.m * s.n * s.k;
    int reps = flop > 1e10 ? 20 : 100;
    printf("%-20s %5d %5d %5d |", s.what, s.m, s.n, s.k);
    float cublasMs = 0;
    if (cublasSgemm) {
      // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
      float one = 1, zero = 0;
      auto run = [&] {
        cublasSgemm(handle, s.transB, s.transA, s.n, s.m, s.k, &one, B, ldb, A, lda, &zero, R,
                    s.n);
      };
      cublasMs = timeMs(run, reps);
      CK(cudaMemcpy(hr.data(), R, (size_t)s.m * s.n * 4, cudaMemcpyDeviceToHost));
    }
    for (auto& kk : kernels) {
      bool vecOk = lda % 4 == 0 && ldb % 4 == 0 && s.n % 4 == 0 &&
                   (s.transA ? s.m % 4 == 0 : s.k % 4 == 0) && (!s.transB || s.k % 4 == 0);
      if (kk.vec && !vecOk) {
        printf(" %15s", "-");
        continue;
      }
      dim3 grid((s.m + kk.tile - 1) / kk.tile, (s.n + kk.tile - 1) / kk.tile, 1);
      auto run = [&] {
        kk.k<<<grid, 256>>>(A, B, C, s.m, s.n, s.k, lda, ldb, s.n, s.transA, s.transB, 0, 0, 0);
      };
      float ms = timeMs(run, reps);
      CK(cudaMemcpy(hc.data(), C, (size_t)s.m * s.n * 4, cudaMemcpyDeviceToHost));
      double err = 0;
      if (cublasSgemm)
        for (size_t i = 0; i < (size_t)s.m * s.n; i++)
          err = std::max(err, (double)fabsf(hc[i] - hr[i]) / (1 + fabsf(hr[i])));
      printf(" %7.1fG %5.0fus%s", flop / ms / 1e6, ms * 1e3, err > 1e-3 ? "!" : "");
    }
    if (cublasSgemm) printf(" %7.1fG %5.0fus", flop / cublasMs / 1e6, cublasMs * 1e3);
    // k split into S slices (CudaBackend.Gemm.runSliced): the slices as one batch of a float4
    // kernel (else the 64-wide one) into a workspace, then reduce_columns sums them; the best S
    // of those MatmulPlan.kSlices could choose (k / S a multiple of four and at least 64 deep),
    // with the float4 kernel and with the warp-tiled one.
    for (Kernel vecKernel : {(Kernel)matmul_f32_128v, (Kernel)matmul_f32_128w}) {
      float bestMs = 0;
      int bestS = 1;
      for (int S = 2; S <= 32; S++) {
        int depth = s.k / S;
        if (s.k % S != 0 || depth % 4 != 0 || depth < 64) continue;
        long long mn = (long long)s.m * s.n;
        if (mn * S > (long long)maxElems) continue;
        bool vec = lda % 4 == 0 && ldb % 4 == 0 && s.n % 4 == 0 && depth % 4 == 0;
        int tile = vec ? 128 : 64;
        Kernel kern = vec ? vecKernel : matmul_f32_64;
        long long strideA = s.transA ? (long long)depth * lda : depth;
        long long strideB = s.transB ? depth : (long long)depth * ldb;
        dim3 grid((s.m + tile - 1) / tile, (s.n + tile - 1) / tile, S);
        auto run = [&] {
          kern<<<grid, 256>>>(A, B, R, s.m, s.n, depth, lda, ldb, s.n, s.transA, s.transB,
                              strideA, strideB, mn);
          reduce_columns_f32<<<dim3((unsigned)((mn + 31) / 32), 1, 1), dim3(32, 8)>>>(
              0, R, C, 1, S, (int)mn);
        };
        float ms = timeMs(run, reps);
        if (bestS == 1 || ms < bestMs) {
          bestMs = ms;
          bestS = S;
        }
      }
      if (bestS > 1) {
        CK(cudaMemcpy(hc.data(), C, (size_t)s.m * s.n * 4, cudaMemcpyDeviceToHost));
        double err = 0;  // of the last S tried, against cuBLAS
        if (cublasSgemm)
          for (size_t i = 0; i < (size_t)s.m * s.n; i++)
            err = std::max(err, (double)fabsf(hc[i] - hr[i]) / (1 + fabsf(hr[i])));
        printf(" | split k%s by %2d: %7.1fG %5.0fus%s",
               vecKernel == (Kernel)matmul_f32_128w ? " (w)" : "", bestS, flop / bestMs / 1e6,
               bestMs * 1e3, err > 1e-3 ? "!" : "");
      }
    }
    printf("\n");
  }
  return 0;
}
