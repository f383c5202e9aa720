/*
 * A stand-in for libcublas in GPU-free tests of the cuBLAS bindings (CublasFfm, JCublasBlas):
 * the functions they call, with cuBLAS's C signatures (cublas_api.h: enums are int,
 * cublasHandle_t and cudaStream_t are pointers, strides are long long), computing on host memory
 * with cuBLAS's column-major semantics and argument checks. "Device" addresses are host
 * addresses here.
 *
 * Build: gcc -shared -fPIC -o libcublas.so.13 stub_cublas.c
 * As libcublas.so.12 for JCublas2, whose native library wants the symbols versioned:
 *   gcc -shared -fPIC -DSTUB_MAJOR=12 -Wl,-soname,libcublas.so.12
 *       -Wl,--version-script=V -o libcublas.so.12 stub_cublas.c
 * with V holding "libcublas.so.12 { global: *; };".
 * -DSTUB_NO_BATCHED leaves out the strided-batched functions (a library too old to bind).
 * The stub_* functions let a test see what the binding did and inject a failing status.
 */
#include <stdlib.h>

#ifndef STUB_MAJOR
#define STUB_MAJOR 13
#endif

enum { SUCCESS = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7 };

typedef struct {
  void *stream;
  int math;
} stub_handle;

static void *last_stream;
static int last_math = -1;
static int fail_next;
static int handles;
static int batched_calls;
static int max_batch_count;

/* The status the next cuBLAS call returns instead of doing its work (0: none). */
int stub_fail_next(int status) {
  fail_next = status;
  return 0;
}
long long stub_last_stream(void) { return (long long) last_stream; }
int stub_last_math(void) { return last_math; }
int stub_handles(void) { return handles; }
int stub_batched_calls(void) { return batched_calls; }
int stub_max_batch_count(void) { return max_batch_count; }

static int injected(void) {
  int s = fail_next;
  fail_next = 0;
  return s;
}

int cublasCreate_v2(void **handle) {
  int s = injected();
  if (s) return s;
  if (!handle) return INVALID_VALUE;
  stub_handle *h = calloc(1, sizeof(stub_handle));
  h->math = 0;
  *handle = h;
  handles++;
  return SUCCESS;
}

int cublasDestroy_v2(void *handle) {
  if (!handle) return NOT_INITIALIZED;
  free(handle);
  handles--;
  return SUCCESS;
}

int cublasSetStream_v2(void *handle, void *stream) {
  int s = injected();
  if (s) return s;
  if (!handle) return NOT_INITIALIZED;
  ((stub_handle *) handle)->stream = stream;
  last_stream = stream;
  return SUCCESS;
}

int cublasSetMathMode(void *handle, int mode) {
  int s = injected();
  if (s) return s;
  if (!handle) return NOT_INITIALIZED;
  ((stub_handle *) handle)->math = mode;
  last_math = mode;
  return SUCCESS;
}

int cublasGetStream_v2(void *handle, void **stream) {
  if (!handle) return NOT_INITIALIZED;
  if (!stream) return INVALID_VALUE;
  *stream = ((stub_handle *) handle)->stream;
  return SUCCESS;
}

int cublasGetMathMode(void *handle, int *mode) {
  if (!handle) return NOT_INITIALIZED;
  if (!mode) return INVALID_VALUE;
  *mode = ((stub_handle *) handle)->math;
  return SUCCESS;
}

/* libraryPropertyType: MAJOR_VERSION 0, MINOR_VERSION 1, PATCH_LEVEL 2. */
int cublasGetProperty(int type, int *value) {
  static const int version[] = {STUB_MAJOR, 9, 7};
  if (type < 0 || type > 2 || !value) return INVALID_VALUE;
  *value = version[type];
  return SUCCESS;
}

static int max1(int x) { return x > 1 ? x : 1; }

/* cuBLAS's checks of a gemm's arguments (column-major). */
static int check(int ta, int tb, int m, int n, int k, int lda, int ldb, int ldc) {
  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1)) return INVALID_VALUE;
  if (m < 0 || n < 0 || k < 0) return INVALID_VALUE;
  if (lda < max1(ta == 0 ? m : k)) return INVALID_VALUE;
  if (ldb < max1(tb == 0 ? k : n)) return INVALID_VALUE;
  if (ldc < max1(m)) return INVALID_VALUE;
  return SUCCESS;
}

#define GEMM(T, NAME)                                                                      \
  static void NAME(int ta, int tb, int m, int n, int k, T alpha, const T *A, int lda,     \
      const T *B, int ldb, T beta, T *C, int ldc) {                                       \
    for (int j = 0; j < n; j++) {                                                          \
      for (int i = 0; i < m; i++) {                                                        \
        T s = 0;                                                                           \
        for (int p = 0; p < k; p++) {                                                      \
          T a = ta ? A[p + (long) i * lda] : A[i + (long) p * lda];                        \
          T b = tb ? B[j + (long) p * ldb] : B[p + (long) j * ldb];                        \
          s += a * b;                                                                      \
        }                                                                                  \
        T *c = &C[i + (long) j * ldc];                                                     \
        *c = beta == 0 ? alpha * s : alpha * s + beta * *c; /* beta 0: C may be garbage */ \
      }                                                                                    \
    }                                                                                      \
  }
GEMM(float, sgemm)
GEMM(double, dgemm)

int cublasSgemm_v2(void *handle, int ta, int tb, int m, int n, int k, const float *alpha,
    const float *A, int lda, const float *B, int ldb, const float *beta, float *C, int ldc) {
  int s = injected();
  if (s) return s;
  if (!handle) return NOT_INITIALIZED;
  if ((s = check(ta, tb, m, n, k, lda, ldb, ldc))) return s;
  sgemm(ta, tb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc);
  return SUCCESS;
}

int cublasDgemm_v2(void *handle, int ta, int tb, int m, int n, int k, const double *alpha,
    const double *A, int lda, const double *B, int ldb, const double *beta, double *C,
    int ldc) {
  int s = injected();
  if (s) return s;
  if (!handle) return NOT_INITIALIZED;
  if ((s = check(ta, tb, m, n, k, lda, ldb, ldc))) return s;
  dgemm(ta, tb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc);
  return SUCCESS;
}

#ifndef STUB_NO_BATCHED
#define BATCHED(T, NAME, GEMM_FN)                                                          \
  int NAME(void *handle, int ta, int tb, int m, int n, int k, const T *alpha, const T *A,  \
      int lda, long long strideA, const T *B, int ldb, long long strideB, const T *beta,   \
      T *C, int ldc, long long strideC, int batchCount) {                                  \
    int s = injected();                                                                    \
    if (s) return s;                                                                       \
    if (!handle) return NOT_INITIALIZED;                                                   \
    if ((s = check(ta, tb, m, n, k, lda, ldb, ldc))) return s;                             \
    if (batchCount < 0) return INVALID_VALUE;                                              \
    batched_calls++;                                                                       \
    if (batchCount > max_batch_count) max_batch_count = batchCount;                        \
    for (int z = 0; z < batchCount; z++) {                                                 \
      GEMM_FN(ta, tb, m, n, k, *alpha, A + z * strideA, lda, B + z * strideB, ldb, *beta,  \
          C + z * strideC, ldc);                                                           \
    }                                                                                      \
    return SUCCESS;                                                                        \
  }
BATCHED(float, cublasSgemmStridedBatched, sgemm)
BATCHED(double, cublasDgemmStridedBatched, dgemm)
#endif
