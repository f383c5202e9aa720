// The CUDA backend's kernels. Every entry point is extern "C" (stable names for
// cuModuleGetFunction) and suffixed by its element type: f32, f64, i64, or b4/b8 where only the
// width matters.
// Shapes arrive as int (the backend keeps every tensor below 2^31 elements); the loops are
// grid-stride, so any grid size is correct and the launch geometry only tunes speed.
//
// Op codes mirror the Java enums UnaryOp, BinaryOp and ReduceOp by ordinal; KernelBinariesTest
// checks that the two stay in step. Results follow the CPU backend (Java's Math), special values
// included: NaN propagation, signed zeros, pow's NaN cases, saturating casts to int64.

#include <stdint.h>

#define MAX_RANK 25  // as PyTorch's offset calculator; the struct is 404 bytes of kernel parameters

typedef long long i64;  // one token, so macros can build T(0) from it

// A broadcast or strided layout: for each of up to three inputs, the stride (in elements) of every
// output axis, 0 where that input is broadcast. CudaLayout builds it on the Java side.
struct Layout {
  int rank;
  int dims[MAX_RANK];
  int stride[3][MAX_RANK];
};

#define GRID_STRIDE(i, n)                                                                      \
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                \
       i += (long long)blockDim.x * gridDim.x)

// The offset in input `which` of output element i.
__device__ __forceinline__ long long offsetOf(const Layout& l, int which, long long i) {
  long long off = 0;
  for (int d = l.rank - 1; d >= 0; d--) {
    int size = l.dims[d];
    off += (i % size) * l.stride[which][d];
    i /= size;
  }
  return off;
}

// Java's (long) conversion: NaN gives 0 and out-of-range values saturate (PTX cvt.rzi does too,
// but spell it out so the result never depends on the compiler's choice of instruction).
template <typename F>
__device__ __forceinline__ long long toLong(F v) {
  if (v != v) return 0;
  if (v >= (F)9.2233720368547758e18) return 0x7fffffffffffffffLL;
  if (v <= (F)-9.2233720368547758e18) return (long long)0x8000000000000000ULL;
  return (long long)v;
}
// ---- elementwise: unary ---------------------------------------------------------------------

enum UnaryOp { NEG, EXP, LOG, SQRT, ABS, SIGN, TANH, SIGMOID, RELU, LEAKY_RELU, ELU, SOFTPLUS,
               CLAMP, INSIDE, POW_SCALAR, ADD_SCALAR, MUL_SCALAR, DIV_SCALAR, SIN, COS };

__device__ __forceinline__ float sigmoidOf(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}
__device__ __forceinline__ double sigmoidOf(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

// Java's Math.max and Math.min: NaN wins (fmax/fmin would drop it) and +0 > -0.
template <typename T> __device__ __forceinline__ T maxKeepNan(T a, T b) {
  if (a != a) return a;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
template <typename T> __device__ __forceinline__ T minKeepNan(T a, T b) {
  if (a != a) return a;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}

// Rounded separately, never fused into an FMA (which nvcc would do to `a * b + c`): the CPU
// rounds each product and each sum, and so must these kernels to give its numbers.
__device__ __forceinline__ float mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float sub(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double sub(double a, double b) { return __dsub_rn(a, b); }

template <typename T>
__device__ __forceinline__ T unaryOf(int op, T x, T p, T q) {
  switch (op) {
    case NEG: return -x;
    case EXP: return exp(x);
    case LOG: return log(x);
    case SQRT: return sqrt(x);
    case ABS: return fabs(x);
    case SIGN: return x > 0 ? T(1) : x < 0 ? T(-1) : T(0);  // 0 for NaN and zeros, as PyTorch
    case TANH: return tanh(x);
    case SIGMOID: return sigmoidOf(x);
    case RELU: return maxKeepNan(x, T(0));
    case LEAKY_RELU: return x != x ? x : add(maxKeepNan(x, T(0)), mul(p, minKeepNan(x, T(0))));
    case ELU: return x > 0 ? x : p * expm1(x);
    case SOFTPLUS: return x > T(20) ? x : fmax(x, T(0)) + log1p(exp(-fabs(x)));  // as PyTorch
    case CLAMP: return minKeepNan(maxKeepNan(x, p), q);
    case INSIDE: return x >= p && x <= q ? T(1) : T(0);
    case POW_SCALAR: return p == T(2) ? x * x : pow(x, p);  // C's pow, as the CPU's CMath
    case ADD_SCALAR: return add(x, p);
    case MUL_SCALAR: return mul(x, p);
    case DIV_SCALAR: return x / p;
    case SIN: return sin(x);
    case COS: return cos(x);
  }
  return x;
}

__device__ __forceinline__ long long unaryOf(int op, long long x, double p, double q) {
  switch (op) {
    case NEG: return -x;
    case ABS: return x < 0 ? -x : x;
    case SIGN: return (x > 0) - (x < 0);
    case RELU: return x > 0 ? x : 0;
    // Whole-number settings (the Java side promotes the rest to float), applied in long
    // arithmetic: beyond 2^53 a double would round the elements.
    case CLAMP: {
      long long lo = toLong(p), hi = toLong(q);
      return x < lo ? (lo < hi ? lo : hi) : (x > hi ? hi : x);
    }
    case ADD_SCALAR: return x + toLong(p);
    case MUL_SCALAR: return x * toLong(p);
  }
  return x;
}

template <typename T>
__device__ void unaryKernel(int op, const T* x, T* y, long long n, double p, double q) {
  GRID_STRIDE(i, n) { y[i] = unaryOf(op, x[i], (T)p, (T)q); }
}

extern "C" __global__ void unary_f32(int op, const float* x, float* y, long long n, double p,
                                     double q) {
  unaryKernel<float>(op, x, y, n, p, q);
}
extern "C" __global__ void unary_f64(int op, const double* x, double* y, long long n, double p,
                                     double q) {
  unaryKernel<double>(op, x, y, n, p, q);
}
extern "C" __global__ void unary_i64(int op, const long long* x, long long* y, long long n,
                                     double p, double q) {
  GRID_STRIDE(i, n) { y[i] = unaryOf(op, x[i], p, q); }
}

// A layer's bias and activation in one pass: y = act(z + bias[column]), z of [rows, cols]; the
// same add and activation as binary_broadcast ADD followed by unary.
#define BIAS_ACTIVATION(suffix, T)                                                             \
  extern "C" __global__ void bias_activation_##suffix(int op, const T* z, const T* bias, T* y,  \
                                                      long long n, int cols, double p) {        \
    T tp = (T)p;                                                                               \
    GRID_STRIDE(i, n) { y[i] = unaryOf<T>(op, z[i] + bias[i % cols], tp, T(0)); }              \
  }
BIAS_ACTIVATION(f32, float)
BIAS_ACTIVATION(f64, double)

// The fused activation VJPs, o = g f'(x): the operations of the tensor-op VJPs in Ops, in order
// and without FMA (gt as 1 or 0, scalars rounded to T), so they equal the composed result.
template <typename T>
__device__ __forceinline__ T unaryBackwardOf(int op, T x, T y, T g, T p, T keep) {
  T positive = x > T(0) ? T(1) : T(0);  // NaN compares false, as the CPU's branch-free gt
  switch (op) {
    case RELU: return x <= T(0) ? T(0) : g;  // selected; NaN passes g, as PyTorch's
    case LEAKY_RELU: return mul(g, add(mul(positive, keep), p));
    case ELU: return mul(g, x <= T(0) ? add(y, p) : T(1));
    case SIGMOID: return mul(g, mul(y, add(-y, T(1))));
    case TANH: return mul(g, add(-mul(y, y), T(1)));
    case SOFTPLUS: return x > T(20) ? g : mul(g, sigmoidOf(x));
  }
  return g;
}

#define UNARY_BACKWARD(suffix, T)                                                              \
  extern "C" __global__ void unary_backward_##suffix(int op, const T* x, const T* y, const T* g, \
                                                     T* o, long long n, double p) {            \
    T tp = (T)p, keep = (T)(1 - p);                                                            \
    GRID_STRIDE(i, n) { o[i] = unaryBackwardOf<T>(op, x[i], y[i], g[i], tp, keep); }           \
  }
UNARY_BACKWARD(f32, float)
UNARY_BACKWARD(f64, double)

// ---- elementwise: binary --------------------------------------------------------------------

enum BinaryOp { ADD, SUB, MUL, DIV, POW, GT, LT, GE, LE, EQ };

template <typename T>
__device__ __forceinline__ T binaryOf(int op, T a, T b) {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case POW: return pow(a, b);
    case GT: return a > b ? T(1) : T(0);
    case LT: return a < b ? T(1) : T(0);
    case GE: return a >= b ? T(1) : T(0);
    case LE: return a <= b ? T(1) : T(0);
    case EQ: return a == b ? T(1) : T(0);
  }
  return a;
}

template <>
__device__ __forceinline__ long long binaryOf<long long>(int op, long long a, long long b) {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case POW: {  // wrapping, as C's integers and the CPU's BinaryKernels.powi
      if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
      long long result = 1;
      for (unsigned long long base = a, e = b; e != 0; e >>= 1, base *= base) {
        if (e & 1) result = (long long)((unsigned long long)result * base);
      }
      return result;
    }
    case GT: return a > b;
    case LT: return a < b;
    case GE: return a >= b;
    case LE: return a <= b;
    case EQ: return a == b;
  }
  return a;  // DIV on int64 is rejected on the Java side
}

// Same shape: the common case (activations, gradients), with no index arithmetic.
#define BINARY_SAME(suffix, T)                                                                 \
  extern "C" __global__ void binary_same_##suffix(int op, const T* a, const T* b, T* y,        \
                                                  long long n) {                               \
    GRID_STRIDE(i, n) { y[i] = binaryOf<T>(op, a[i], b[i]); }                                  \
  }
// One operand a single value (x * 2, x - max): it is read once per thread.
#define BINARY_SCALAR(suffix, T)                                                               \
  extern "C" __global__ void binary_scalar_##suffix(int op, const T* a, const T* s, T* y,      \
                                                    long long n, int scalarFirst) {            \
    T k = s[0];                                                                                \
    if (scalarFirst) {                                                                         \
      GRID_STRIDE(i, n) { y[i] = binaryOf<T>(op, k, a[i]); }                                   \
    } else {                                                                                   \
      GRID_STRIDE(i, n) { y[i] = binaryOf<T>(op, a[i], k); }                                   \
    }                                                                                          \
  }
// The general broadcast.
#define BINARY_BROADCAST(suffix, T)                                                            \
  extern "C" __global__ void binary_broadcast_##suffix(int op, const T* a, const T* b, T* y,   \
                                                       long long n, Layout l) {                \
    GRID_STRIDE(i, n) { y[i] = binaryOf<T>(op, a[offsetOf(l, 0, i)], b[offsetOf(l, 1, i)]); }  \
  }
// cond != 0 ? a : b, the condition already cast to double (exact for every dtype's nonzero).
#define WHERE(suffix, T)                                                                       \
  extern "C" __global__ void where_##suffix(const double* c, const T* a, const T* b, T* y,     \
                                            long long n, Layout l) {                           \
    GRID_STRIDE(i, n) {                                                                        \
      y[i] = c[offsetOf(l, 0, i)] != 0 ? a[offsetOf(l, 1, i)] : b[offsetOf(l, 2, i)];          \
    }                                                                                          \
  }

#define BINARY_ALL(suffix, T)                                                                  \
  BINARY_SAME(suffix, T) BINARY_SCALAR(suffix, T) BINARY_BROADCAST(suffix, T) WHERE(suffix, T)
BINARY_ALL(f32, float)
BINARY_ALL(f64, double)
BINARY_ALL(i64, i64)

// ---- copies, fills and casts ----------------------------------------------------------------

// y[i] = x[offset(i)]: expand (broadcast strides) and permute (permuted strides) in one kernel.
#define STRIDED_COPY(suffix, T)                                                                \
  extern "C" __global__ void strided_copy_##suffix(const T* x, T* y, long long n, Layout l) {  \
    GRID_STRIDE(i, n) { y[i] = x[offsetOf(l, 0, i)]; }                                         \
  }
STRIDED_COPY(b4, int)
STRIDED_COPY(b8, i64)

// Copies `rows` runs of `len` elements: slice, pad and concat along any axis.
#define COPY_ROWS(suffix, T)                                                                   \
  extern "C" __global__ void copy_rows_##suffix(const T* x, T* y, int rows, int len,           \
                                                int srcPitch, int dstPitch) {                  \
    long long n = (long long)rows * len;                                                       \
    GRID_STRIDE(i, n) {                                                                        \
      long long r = i / len, c = i % len;                                                      \
      y[r * dstPitch + c] = x[r * srcPitch + c];                                               \
    }                                                                                          \
  }
COPY_ROWS(b4, int)
COPY_ROWS(b8, i64)

// 32-bit transposes of the last two axes through shared memory, so both sides are coalesced.
#define TRANSPOSE(suffix, T)                                                                   \
  extern "C" __global__ void transpose_##suffix(const T* x, T* y, int rows, int cols) {        \
    __shared__ T tile[32][33];                                                                 \
    long long base = (long long)blockIdx.z * rows * cols;                                      \
    int c0 = blockIdx.x * 32, r0 = blockIdx.y * 32;                                            \
    for (int k = threadIdx.y; k < 32; k += blockDim.y) {                                       \
      int r = r0 + k, c = c0 + threadIdx.x;                                                    \
      if (r < rows && c < cols) tile[k][threadIdx.x] = x[base + (long long)r * cols + c];      \
    }                                                                                          \
    __syncthreads();                                                                           \
    for (int k = threadIdx.y; k < 32; k += blockDim.y) {                                       \
      int c = c0 + k, r = r0 + threadIdx.x;                                                    \
      if (r < rows && c < cols) y[base + (long long)c * rows + r] = tile[threadIdx.x][k];      \
    }                                                                                          \
  }
TRANSPOSE(b4, int)
TRANSPOSE(b8, i64)

#define FILL(suffix, T)                                                                        \
  extern "C" __global__ void fill_##suffix(T* y, long long n, T value) {                       \
    GRID_STRIDE(i, n) { y[i] = value; }                                                        \
  }
FILL(f32, float)
FILL(f64, double)
FILL(i64, i64)

#define CAST(name, From, To)                                                                   \
  extern "C" __global__ void cast_##name(const From* x, To* y, long long n) {                  \
    GRID_STRIDE(i, n) { y[i] = (To)x[i]; }                                                     \
  }
CAST(f32_f64, float, double)
CAST(f64_f32, double, float)
CAST(i64_f32, long long, float)
CAST(i64_f64, long long, double)

extern "C" __global__ void cast_f32_i64(const float* x, long long* y, long long n) {
  GRID_STRIDE(i, n) { y[i] = toLong(x[i]); }
}
extern "C" __global__ void cast_f64_i64(const double* x, long long* y, long long n) {
  GRID_STRIDE(i, n) { y[i] = toLong(x[i]); }
}

// ---- reductions along one axis of [outer, n, inner] -----------------------------------------

enum ReduceOp { R_SUM, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_LOG_SUM_EXP };

// A running extreme with its index. NaN wins (the first NaN, as the CPU backend stops at it);
// ties keep the smaller index, so the result does not depend on the order of combination.
template <typename T>
struct Best {
  T v;
  int k;
};

template <typename T>
__device__ __forceinline__ bool isNan(T v) {
  return v != v;
}
template <>
__device__ __forceinline__ bool isNan<long long>(long long) {
  return false;
}

template <typename T>
__device__ __forceinline__ Best<T> better(Best<T> a, Best<T> b, bool max) {
  if (b.k < 0) return a;
  if (a.k < 0) return b;
  bool an = isNan(a.v), bn = isNan(b.v);
  if (an || bn) {
    if (an && bn) return a.k <= b.k ? a : b;
    return an ? a : b;
  }
  if (a.v == b.v) return a.k <= b.k ? a : b;
  return (max ? a.v > b.v : a.v < b.v) ? a : b;
}

template <typename T>
__device__ __forceinline__ Best<T> shuffleBest(Best<T> b, int delta) {
  Best<T> o;
  o.v = __shfl_down_sync(0xffffffffu, b.v, delta);
  o.k = __shfl_down_sync(0xffffffffu, b.k, delta);
  return o;
}

__device__ __forceinline__ double warpSum(double s) {
  for (int d = 16; d > 0; d >>= 1) s += __shfl_down_sync(0xffffffffu, s, d);
  return s;
}

// A block-wide sum; every thread gets the total. `scratch` holds 32 doubles.
__device__ double blockSum(double s, double* scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  s = warpSum(s);
  __syncthreads();  // scratch may still be read from a previous call
  if (lane == 0) scratch[warp] = s;
  __syncthreads();
  if (warp == 0) {
    s = lane < warps ? scratch[lane] : 0;
    s = warpSum(s);
  }
  if (threadIdx.x == 0) scratch[0] = s;
  __syncthreads();
  return scratch[0];
}

template <typename T>
__device__ Best<T> blockBest(Best<T> b, bool max, Best<T>* scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  for (int d = 16; d > 0; d >>= 1) b = better(b, shuffleBest(b, d), max);
  __syncthreads();
  if (lane == 0) scratch[warp] = b;
  __syncthreads();
  if (warp == 0) {
    if (lane < warps) {
      b = scratch[lane];
    } else {
      b.k = -1;
      b.v = T(0);
    }
    for (int d = 16; d > 0; d >>= 1) b = better(b, shuffleBest(b, d), max);
  }
  if (threadIdx.x == 0) scratch[0] = b;
  __syncthreads();
  return scratch[0];
}

// Accumulator of sums: double for floats (as the CPU backend), exact integers for int64.
template <typename T> struct Acc { typedef double type; };
template <> struct Acc<long long> { typedef long long type; };

__device__ __forceinline__ long long warpSum(long long s) {
  for (int d = 16; d > 0; d >>= 1) s += __shfl_down_sync(0xffffffffu, s, d);
  return s;
}
__device__ long long blockSum(long long s, long long* scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  s = warpSum(s);
  __syncthreads();
  if (lane == 0) scratch[warp] = s;
  __syncthreads();
  if (warp == 0) {
    s = lane < warps ? scratch[lane] : 0;
    s = warpSum(s);
  }
  if (threadIdx.x == 0) scratch[0] = s;
  __syncthreads();
  return scratch[0];
}

// This thread's best of r[from + threadIdx.x], r[from + threadIdx.x + blockDim.x], ... below
// `to`, with its index (k < 0: none).
template <typename T>
__device__ Best<T> threadBest(const T* r, int from, int to, bool max) {
  Best<T> b;
  b.k = -1;
  b.v = T(0);
  for (long long k = from + threadIdx.x; k < to; k += blockDim.x) {  // long: to may be 2^31-1
    Best<T> c;
    c.v = r[k];
    c.k = (int)k;
    b = better(b, c, max);
  }
  return b;
}

// The block's reduction of r[from, to), which every thread gets: for SUM the sum; else the best
// element and, for LOG_SUM_EXP, the sum of exp(r[k] - best) (0 where the best is not finite).
template <typename T>
struct Slice {
  typename Acc<T>::type sum;
  Best<T> best;
  double expSum;
};

template <typename T>
__device__ Slice<T> reduceSlice(int op, const T* r, int from, int to,
                                typename Acc<T>::type* sums, Best<T>* bests) {
  typedef typename Acc<T>::type A;
  Slice<T> out;
  out.sum = 0;
  out.best.k = -1;
  out.best.v = T(0);
  out.expSum = 0;
  if (op == R_SUM) {
    A s = 0;
    for (long long k = from + threadIdx.x; k < to; k += blockDim.x) s += (A)r[k];
    out.sum = blockSum(s, sums);
    return out;
  }
  bool max = op == R_MAX || op == R_ARGMAX || op == R_LOG_SUM_EXP;
  out.best = blockBest(threadBest(r, from, to, max), max, bests);
  if (op == R_LOG_SUM_EXP) {
    double m = (double)out.best.v, s = 0;
    if (!isinf(m) && !isnan(m))
      for (long long k = from + threadIdx.x; k < to; k += blockDim.x) s += exp((double)r[k] - m);
    out.expSum = blockSum(s, (double*)sums);
  }
  return out;
}

// inner == 1: one block per row (grid-stride over rows), threads stride over the row.
template <typename T, typename R>
__device__ void reduceRows(int op, const T* x, R* y, int outer, int n) {
  __shared__ typename Acc<T>::type sums[32];
  __shared__ Best<T> bests[32];
  for (int row = blockIdx.x; row < outer; row += gridDim.x) {
    Slice<T> s = reduceSlice(op, x + (long long)row * n, 0, n, sums, bests);
    if (threadIdx.x != 0) continue;
    if (op == R_SUM) {
      y[row] = (R)s.sum;
    } else if (op == R_LOG_SUM_EXP) {
      double m = (double)s.best.v;
      y[row] = (R)(isinf(m) || isnan(m) ? m : m + log(s.expSum));
    } else {
      y[row] = op == R_ARGMAX || op == R_ARGMIN ? (R)s.best.k : (R)s.best.v;
    }
  }
}

// inner > 1: a block of 32 x 8 threads covers 32 adjacent columns (coalesced); the 8 rows of
// threads split the reduced axis and combine through shared memory.
template <typename T, typename R>
__device__ void reduceColumns(int op, const T* x, R* y, int outer, int n, int inner) {
  typedef typename Acc<T>::type A;
  __shared__ A sums[8][32];
  __shared__ Best<T> bests[8][32];
  bool max = op == R_MAX || op == R_ARGMAX || op == R_LOG_SUM_EXP;
  int tx = threadIdx.x, ty = threadIdx.y;
  int col = blockIdx.x * 32 + tx;
  for (int o = blockIdx.y; o < outer; o += gridDim.y) {
    const T* base = x + (long long)o * n * inner + col;
    bool live = col < inner;
    if (op == R_SUM) {
      A s = 0;
      if (live)
        for (int k = ty; k < n; k += 8) s += (A)base[(long long)k * inner];
      sums[ty][tx] = s;
      __syncthreads();
      if (ty == 0 && live) {
        A t = 0;
        for (int j = 0; j < 8; j++) t += sums[j][tx];
        y[(long long)o * inner + col] = (R)t;
      }
      __syncthreads();
      continue;
    }
    Best<T> b;
    b.k = -1;
    b.v = T(0);
    if (live)
      for (int k = ty; k < n; k += 8) {
        Best<T> c;
        c.v = base[(long long)k * inner];
        c.k = k;
        b = better(b, c, max);
      }
    bests[ty][tx] = b;
    __syncthreads();
    for (int j = 0; j < 8; j++) b = better(b, bests[j][tx], max);  // every ty sees the result
    __syncthreads();
    if (op == R_LOG_SUM_EXP) {
      double m = (double)b.v;
      bool finite = !isinf(m) && !isnan(m);
      double s = 0;
      if (live && finite)
        for (int k = ty; k < n; k += 8) s += exp((double)base[(long long)k * inner] - m);
      ((double*)sums)[ty * 32 + tx] = s;
      __syncthreads();
      if (ty == 0 && live) {
        double t = 0;
        for (int j = 0; j < 8; j++) t += ((double*)sums)[j * 32 + tx];
        y[(long long)o * inner + col] = (R)(finite ? m + log(t) : m);
      }
      __syncthreads();
    } else if (ty == 0 && live) {
      y[(long long)o * inner + col] = op == R_ARGMAX || op == R_ARGMIN ? (R)b.k : (R)b.v;
    }
  }
}

// inner == 1 with few long rows (a full sum, say): one block per row would leave most of the
// GPU idle, so the row is cut into `splits` chunks of `len`, a block each (grid splits x rows).
// Each chunk leaves a partial in `part`, which holds 2 * outer * splits 8-byte words: SUM its
// sum (Acc<T>); MAX/MIN/ARG* its best value (T) and, in the second half, that value's index;
// LOG_SUM_EXP its max m and, in the second half, its sum of exp(x - m). reduceRowsCombine then
// folds each row's partials in chunk order, so ties and NaNs resolve as in reduceRows.
template <typename T>
__device__ void reduceRowsSplit(int op, const T* x, void* part, int outer, int n, int splits,
                                int len) {
  typedef typename Acc<T>::type A;
  __shared__ A sums[32];
  __shared__ Best<T> bests[32];
  long long parts = (long long)outer * splits;
  int from = blockIdx.x * len, to = len < n - from ? from + len : n;  // no int overflow
  for (int row = blockIdx.y; row < outer; row += gridDim.y) {
    Slice<T> s = reduceSlice(op, x + (long long)row * n, from, to, sums, bests);
    if (threadIdx.x != 0) continue;
    long long p = (long long)row * splits + blockIdx.x;
    if (op == R_SUM) {
      ((A*)part)[p] = s.sum;
    } else if (op == R_LOG_SUM_EXP) {
      ((double*)part)[p] = (double)s.best.v;
      ((double*)part)[parts + p] = s.expSum;
    } else {
      ((T*)part)[p] = s.best.v;
      ((long long*)part)[parts + p] = s.best.k;
    }
  }
}

template <typename T, typename R>
__device__ void reduceRowsCombine(int op, const void* part, R* y, int outer, int splits) {
  typedef typename Acc<T>::type A;
  __shared__ A sums[32];
  __shared__ Best<T> bests[32];
  __shared__ Best<double> maxima[32];
  bool max = op == R_MAX || op == R_ARGMAX;
  long long parts = (long long)outer * splits;
  for (int row = blockIdx.x; row < outer; row += gridDim.x) {
    long long p0 = (long long)row * splits;
    if (op == R_SUM) {
      A s = 0;
      for (int i = threadIdx.x; i < splits; i += blockDim.x) s += ((const A*)part)[p0 + i];
      s = blockSum(s, sums);
      if (threadIdx.x == 0) y[row] = (R)s;
    } else if (op == R_LOG_SUM_EXP) {
      const double* m = (const double*)part + p0;
      const double* e = (const double*)part + parts + p0;
      double mx = blockBest(threadBest(m, 0, splits, true), true, maxima).v;
      bool finite = !isinf(mx) && !isnan(mx);
      double s = 0;
      if (finite)
        for (int i = threadIdx.x; i < splits; i += blockDim.x) s += e[i] * exp(m[i] - mx);
      s = blockSum(s, (double*)sums);
      if (threadIdx.x == 0) y[row] = (R)(finite ? mx + log(s) : mx);
    } else {
      Best<T> b = blockBest(threadBest((const T*)part + p0, 0, splits, max), max, bests);
      if (threadIdx.x == 0)
        y[row] = op == R_ARGMAX || op == R_ARGMIN ? (R)((const long long*)part)[parts + p0 + b.k]
                                                  : (R)b.v;
    }
  }
}

#define REDUCE(suffix, T)                                                                      \
  extern "C" __global__ void __launch_bounds__(1024)                                           \
      reduce_rows_##suffix(int op, const T* x, T* y, int outer, int n) {                       \
    reduceRows<T, T>(op, x, y, outer, n);                                                      \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(1024)                                           \
      argreduce_rows_##suffix(int op, const T* x, long long* y,                                \
                                                     int outer, int n) {                       \
    reduceRows<T, long long>(op, x, y, outer, n);                                              \
  }                                                                                            \
  extern "C" __global__ void reduce_columns_##suffix(int op, const T* x, T* y, int outer,      \
                                                     int n, int inner) {                       \
    reduceColumns<T, T>(op, x, y, outer, n, inner);                                            \
  }                                                                                            \
  extern "C" __global__ void argreduce_columns_##suffix(int op, const T* x, long long* y,      \
                                                        int outer, int n, int inner) {         \
    reduceColumns<T, long long>(op, x, y, outer, n, inner);                                    \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(1024)                                           \
      reduce_split_##suffix(int op, const T* x, void* part, int outer, int n, int splits,      \
                            int len) {                                                         \
    reduceRowsSplit<T>(op, x, part, outer, n, splits, len);                                    \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(1024)                                           \
      reduce_combine_##suffix(int op, const void* part, T* y, int outer, int splits) {         \
    reduceRowsCombine<T, T>(op, part, y, outer, splits);                                       \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(1024)                                           \
      argreduce_combine_##suffix(int op, const void* part, long long* y, int outer,            \
                                 int splits) {                                                 \
    reduceRowsCombine<T, long long>(op, part, y, outer, splits);                               \
  }
REDUCE(f32, float)
REDUCE(f64, double)
REDUCE(i64, i64)

// ---- softmax and log-softmax ----------------------------------------------------------------

// inner == 1: one block per row: max, then the sum of exp(x - max) in double, then the outputs.
template <typename T>
__device__ void softmaxRows(const T* x, T* y, int outer, int n, int log) {
  __shared__ double sums[32];
  __shared__ Best<T> bests[32];
  for (int row = blockIdx.x; row < outer; row += gridDim.x) {
    const T* r = x + (long long)row * n;
    T* o = y + (long long)row * n;
    double m = (double)blockBest(threadBest(r, 0, n, true), true, bests).v;
    double s = 0;
    for (int k = threadIdx.x; k < n; k += blockDim.x) s += exp((double)r[k] - m);
    s = blockSum(s, sums);
    double logS = ::log(s);
    for (int k = threadIdx.x; k < n; k += blockDim.x) {
      double z = (double)r[k] - m;
      o[k] = (T)(log ? z - logS : exp(z) / s);
    }
  }
}

// inner > 1: one thread per column, three passes down the axis (coalesced across columns).
template <typename T>
__device__ void softmaxColumns(const T* x, T* y, int outer, int n, int inner, int log) {
  long long count = (long long)outer * inner;
  GRID_STRIDE(p, count) {
    long long base = (p / inner) * n * inner + p % inner;
    double m = -INFINITY;
    for (int k = 0; k < n; k++) {
      double v = (double)x[base + (long long)k * inner];
      m = (v != v || v > m) ? v : m;
      if (v != v) break;
    }
    double s = 0;
    for (int k = 0; k < n; k++) s += exp((double)x[base + (long long)k * inner] - m);
    double logS = ::log(s);
    for (int k = 0; k < n; k++) {
      long long at = base + (long long)k * inner;
      double z = (double)x[at] - m;
      y[at] = (T)(log ? z - logS : exp(z) / s);
    }
  }
}

#define SOFTMAX(suffix, T)                                                                     \
  extern "C" __global__ void __launch_bounds__(1024)                                           \
      softmax_rows_##suffix(const T* x, T* y, int outer, int n,                                \
                                                   int log) {                                  \
    softmaxRows<T>(x, y, outer, n, log);                                                       \
  }                                                                                            \
  extern "C" __global__ void softmax_columns_##suffix(const T* x, T* y, int outer, int n,      \
                                                      int inner, int log) {                    \
    softmaxColumns<T>(x, y, outer, n, inner, log);                                             \
  }
SOFTMAX(f32, float)
SOFTMAX(f64, double)

// ---- the fused softmax VJPs -----------------------------------------------------------------
// softmax: y (g - sum(g y)); log-softmax: g - exp(y) sum(g); the sum in double, as the CPU's.

template <typename T>
__device__ __forceinline__ double backwardTerm(T y, T g, int log) {
  return log ? (double)g : mul((double)g, (double)y);
}
template <typename T>
__device__ __forceinline__ T backwardOf(T y, T g, double s, int log) {
  return (T)(log ? sub((double)g, mul(exp((double)y), s)) : mul((double)y, sub((double)g, s)));
}

template <typename T>
__device__ void softmaxBackwardRows(const T* y, const T* g, T* o, int outer, int n, int log) {
  __shared__ double sums[32];
  for (int row = blockIdx.x; row < outer; row += gridDim.x) {
    long long base = (long long)row * n;
    double s = 0;
    for (int k = threadIdx.x; k < n; k += blockDim.x)
      s = add(s, backwardTerm(y[base + k], g[base + k], log));
    s = blockSum(s, sums);
    for (int k = threadIdx.x; k < n; k += blockDim.x)
      o[base + k] = backwardOf(y[base + k], g[base + k], s, log);
  }
}

template <typename T>
__device__ void softmaxBackwardColumns(const T* y, const T* g, T* o, int outer, int n, int inner,
                                       int log) {
  long long count = (long long)outer * inner;
  GRID_STRIDE(p, count) {
    long long base = (p / inner) * n * inner + p % inner;
    double s = 0;
    for (int k = 0; k < n; k++) {
      long long at = base + (long long)k * inner;
      s = add(s, backwardTerm(y[at], g[at], log));
    }
    for (int k = 0; k < n; k++) {
      long long at = base + (long long)k * inner;
      o[at] = backwardOf(y[at], g[at], s, log);
    }
  }
}

#define SOFTMAX_BACKWARD(suffix, T)                                                            \
  extern "C" __global__ void __launch_bounds__(1024)                                           \
      softmax_backward_rows_##suffix(const T* y, const T* g, T* o, int outer, int n, int log) { \
    softmaxBackwardRows<T>(y, g, o, outer, n, log);                                             \
  }                                                                                            \
  extern "C" __global__ void softmax_backward_columns_##suffix(                                \
      const T* y, const T* g, T* o, int outer, int n, int inner, int log) {                    \
    softmaxBackwardColumns<T>(y, g, o, outer, n, inner, log);                                   \
  }
SOFTMAX_BACKWARD(f32, float)
SOFTMAX_BACKWARD(f64, double)

// ---- fused softmax cross-entropy, one block per row of [rows, classes] -----------------------
// crossEntropy's labels were checked first (check_index); the roundings are the CPU backend's.

template <typename T>
__device__ double rowLogSumExpShift(const T* r, int classes, T* maxOut, Best<T>* bests,
                                    double* sums) {
  T m = blockBest(threadBest(r, 0, classes, true), true, bests).v;
  double s = 0;
  for (int k = threadIdx.x; k < classes; k += blockDim.x) s += exp((double)r[k] - (double)m);
  *maxOut = m;
  return blockSum(s, sums);
}

template <typename T>
__device__ void crossEntropy(const T* x, const long long* labels, T* loss, int rows,
                             int classes) {
  __shared__ double sums[32];
  __shared__ Best<T> bests[32];
  for (int row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* r = x + (long long)row * classes;
    T m;
    double s = rowLogSumExpShift(r, classes, &m, bests, sums);
    if (threadIdx.x == 0) {
      long long label = labels[row];
      T picked = label >= 0 && label < classes ? r[label] : T(NAN);
      loss[row] = -(T)(((double)picked - (double)m) - log(s));
    }
  }
}

template <typename T>
__device__ void crossEntropyBackward(const T* x, const long long* labels, const T* scale, T* out,
                                     int rows, int classes, int perRow) {
  __shared__ double sums[32];
  __shared__ Best<T> bests[32];
  for (int row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* r = x + (long long)row * classes;
    T* o = out + (long long)row * classes;
    T m;
    double s = rowLogSumExpShift(r, classes, &m, bests, sums);
    T c = scale[perRow ? row : 0];
    long long label = labels[row];
    for (int k = threadIdx.x; k < classes; k += blockDim.x) {
      T p = (T)(exp((double)r[k] - (double)m) / s);
      o[k] = mul(k == label ? sub(p, T(1)) : p, c);
    }
  }
}

#define CROSS_ENTROPY(suffix, T)                                                               \
  extern "C" __global__ void __launch_bounds__(1024) cross_entropy_##suffix(                   \
      const T* x, const long long* labels, T* loss, int rows, int classes) {                   \
    crossEntropy<T>(x, labels, loss, rows, classes);                                            \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(1024) cross_entropy_backward_##suffix(          \
      const T* x, const long long* labels, const T* scale, T* out, int rows, int classes,      \
      int perRow) {                                                                            \
    crossEntropyBackward<T>(x, labels, scale, out, rows, classes, perRow);                      \
  }
CROSS_ENTROPY(f32, float)
CROSS_ENTROPY(f64, double)

// ---- matmul ---------------------------------------------------------------------------------

// C[b] = op(A[b]) op(B[b]) for row-major matrices, op transposing when its flag is set. A block
// computes a BM x BN tile of C, stepping through K in slabs of BK held in shared memory (A's slab
// stored k-major so both slabs are read along the tile's rows and columns); each of its 256
// threads accumulates TM x TN outputs in registers, spaced 16 apart so that a warp reads
// consecutive shared-memory words and writes coalesced rows of C. Batch b starts at b * stride.
template <typename T, int BM, int BN, int BK>
__device__ void matmulTile(const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C,
                           int M, int N, int K, int lda, int ldb, int ldc, int transA, int transB,
                           long long strideA, long long strideB, long long strideC) {
  constexpr int THREADS = 256, TM = BM / 16, TN = BN / 16;
  __shared__ T As[BK][BM];
  __shared__ T Bs[BK][BN];
  A += blockIdx.z * strideA;
  B += blockIdx.z * strideB;
  C += blockIdx.z * strideC;
  int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  int row0 = blockIdx.x * BM, col0 = blockIdx.y * BN;
  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; i++)
#pragma unroll
    for (int j = 0; j < TN; j++) acc[i][j] = 0;

  for (int k0 = 0; k0 < K; k0 += BK) {
    // Each thread loads BM*BK/256 elements of A's slab and BN*BK/256 of B's, walking memory
    // along its contiguous axis so that neighbouring threads read neighbouring addresses.
#pragma unroll
    for (int e = tid; e < BM * BK; e += THREADS) {
      int i, k;
      if (transA) { k = e / BM; i = e % BM; } else { i = e / BK; k = e % BK; }
      int gi = row0 + i, gk = k0 + k;
      As[k][i] = gi < M && gk < K
          ? A[transA ? (long long)gk * lda + gi : (long long)gi * lda + gk] : T(0);
    }
#pragma unroll
    for (int e = tid; e < BN * BK; e += THREADS) {
      int j, k;
      if (transB) { j = e / BK; k = e % BK; } else { k = e / BN; j = e % BN; }
      int gj = col0 + j, gk = k0 + k;
      Bs[k][j] = gj < N && gk < K
          ? B[transB ? (long long)gj * ldb + gk : (long long)gk * ldb + gj] : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < BK; k++) {
      T a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; i++) a[i] = As[k][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < TN; j++) b[j] = Bs[k][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; i++) {
    int r = row0 + ty + 16 * i;
    if (r >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; j++) {
      int c = col0 + tx + 16 * j;
      if (c < N) C[(long long)r * ldc + c] = acc[i][j];
    }
  }
}

#define MATMUL(suffix, T, BM, BN, BK)                                                          \
  extern "C" __global__ void __launch_bounds__(256)                                            \
      matmul_##suffix(const T* A, const T* B, T* C, int M, int N, int K, int lda, int ldb,     \
                      int ldc, int transA, int transB, long long strideA, long long strideB,   \
                      long long strideC) {                                                     \
    matmulTile<T, BM, BN, BK>(A, B, C, M, N, K, lda, ldb, ldc, transA, transB, strideA,        \
                              strideB, strideC);                                               \
  }
MATMUL(f32_128, float, 128, 128, 8)
MATMUL(f32_64, float, 64, 64, 16)
MATMUL(f64_128, double, 128, 128, 8)
MATMUL(f64_64, double, 64, 64, 16)

// The float32 128 x 128 tile again, for operands that allow 16-byte accesses (row strides, sizes
// along the loaded axes and base addresses in multiples of four floats; CudaBackend checks):
// float4 loads from global memory, the next K-slab prefetched into registers while this one is
// computed, two shared-memory buffers so that one barrier per slab suffices, and float4 reads of
// shared memory. Each output sums its products in the same order as matmul_f32_128.
struct VectorTile {
  int aI, aK, bJ, bK;  // this thread's slot in the A and B slabs
};

__device__ __forceinline__ float4 loadA4(const float* A, int M, int K, int lda, int transA,
                                         int row0, int k0, const VectorTile& t) {
  int gi = row0 + t.aI, gk = k0 + t.aK;
  if (gi >= M || gk >= K) return make_float4(0, 0, 0, 0);
  return *reinterpret_cast<const float4*>(
      A + (transA ? (long long)gk * lda + gi : (long long)gi * lda + gk));
}

__device__ __forceinline__ float4 loadB4(const float* B, int N, int K, int ldb, int transB,
                                         int col0, int k0, const VectorTile& t) {
  int gj = col0 + t.bJ, gk = k0 + t.bK;
  if (gj >= N || gk >= K) return make_float4(0, 0, 0, 0);
  return *reinterpret_cast<const float4*>(
      B + (transB ? (long long)gj * ldb + gk : (long long)gk * ldb + gj));
}

// A's slab is stored k-major (As[k][i]) and B's as Bs[k][j]; a vector along k is spread over
// four rows, a vector along i or j stored whole.
__device__ __forceinline__ void storeSlab(float (*S)[128], float4 v, int alongK, int k, int i) {
  if (alongK) {
    S[k][i] = v.x;
    S[k + 1][i] = v.y;
    S[k + 2][i] = v.z;
    S[k + 3][i] = v.w;
  } else {
    *reinterpret_cast<float4*>(&S[k][i]) = v;
  }
}

// acc[i][j] += a[i] * b[j] for a = (a0, a1) and b = (b0, b1): one step of k of a thread's 8 x 8.
__device__ __forceinline__ void outerProduct8(float (&acc)[8][8], float4 a0, float4 a1, float4 b0,
                                              float4 b1) {
  float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
  float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
  for (int i = 0; i < 8; i++)
#pragma unroll
    for (int j = 0; j < 8; j++) acc[i][j] += a[i] * b[j];
}

extern "C" __global__ void __launch_bounds__(256)
    matmul_f32_128v(const float* __restrict__ A, const float* __restrict__ B,
                    float* __restrict__ C, int M, int N, int K, int lda, int ldb, int ldc,
                    int transA, int transB, long long strideA, long long strideB,
                    long long strideC) {
  __shared__ __align__(16) float As[2][8][128];
  __shared__ __align__(16) float Bs[2][8][128];
  A += blockIdx.z * strideA;
  B += blockIdx.z * strideB;
  C += blockIdx.z * strideC;
  int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  int row0 = blockIdx.x * 128, col0 = blockIdx.y * 128;
  VectorTile t;
  if (transA) {
    t.aK = tid / 32;
    t.aI = (tid % 32) * 4;
  } else {
    t.aI = tid / 2;
    t.aK = (tid % 2) * 4;
  }
  if (transB) {
    t.bJ = tid / 2;
    t.bK = (tid % 2) * 4;
  } else {
    t.bK = tid / 32;
    t.bJ = (tid % 32) * 4;
  }
  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; i++)
#pragma unroll
    for (int j = 0; j < 8; j++) acc[i][j] = 0;

  float4 ra = loadA4(A, M, K, lda, transA, row0, 0, t);
  float4 rb = loadB4(B, N, K, ldb, transB, col0, 0, t);
  storeSlab(As[0], ra, !transA, t.aK, t.aI);
  storeSlab(Bs[0], rb, transB, t.bK, t.bJ);
  __syncthreads();
  int buf = 0;
  for (int k0 = 0; k0 < K; k0 += 8) {
    bool more = k0 + 8 < K;
    if (more) {
      ra = loadA4(A, M, K, lda, transA, row0, k0 + 8, t);
      rb = loadB4(B, N, K, ldb, transB, col0, k0 + 8, t);
    }
#pragma unroll
    for (int k = 0; k < 8; k++) {
      // Rows ty*4.. and 64+ty*4.., columns tx*4.. and 64+tx*4..: a warp's float4 reads of one
      // slab row then cover 16 consecutive vectors, free of bank conflicts.
      float4 a0 = *reinterpret_cast<const float4*>(&As[buf][k][ty * 4]);
      float4 a1 = *reinterpret_cast<const float4*>(&As[buf][k][64 + ty * 4]);
      float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][k][tx * 4]);
      float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][k][64 + tx * 4]);
      outerProduct8(acc, a0, a1, b0, b1);
    }
    if (more) {
      storeSlab(As[buf ^ 1], ra, !transA, t.aK, t.aI);
      storeSlab(Bs[buf ^ 1], rb, transB, t.bK, t.bJ);
    }
    __syncthreads();
    buf ^= 1;
  }
#pragma unroll
  for (int i = 0; i < 8; i++) {
    int r = row0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
    if (r >= M) continue;
#pragma unroll
    for (int h = 0; h < 2; h++) {
      int c = col0 + 64 * h + tx * 4;
      if (c < N) {  // N is a multiple of four, so the whole vector is inside
        *reinterpret_cast<float4*>(&C[(long long)r * ldc + c]) =
            make_float4(acc[i][4 * h], acc[i][4 * h + 1], acc[i][4 * h + 2], acc[i][4 * h + 3]);
      }
    }
  }
}

// The float4 kernel's loads, with warp tiling and deeper slabs: slabs of 16 along K (half as many
// barriers), and each warp owning a 64 x 32 tile of C (the block's 8 warps as 2 x 4), each lane
// 8 x 8 outputs as 2 x 2 fragments of 4 x 4. The lanes are interleaved (CUTLASS's
// RowMajorInterleaved<2>) so that lanes n and n^2 read the same A vector and n and n^1 the same B
// vector: a 16-byte shared-memory read then takes 2 wavefronts rather than 4, 8 per step of k
// where matmul_f32_128v takes 12. Slab rows are padded to 132 floats, which makes the transposing
// stores of vectors along k free of bank conflicts. Each output sums its products in the same
// order as matmul_f32_128 (zeros beyond K add nothing).
constexpr int WT_BK = 16, WT_ROW = 132;

// One thread's two float4 loads of an operand's 128 x 16 slabs, as pointers stepped from slab to
// slab so that the loop computes no addresses. Vectors along k: a warp covers 16 rows, lanes 0-15
// at k = 0 and lanes 16-31 at k = 4 (so its transposing stores hit 32 distinct banks), a thread's
// second vector 8 further along k in the same row. Vectors along the 128-wide axis: a warp covers
// one k-row, a thread's second vector 8 k-rows further on. Either way a warp reads 16 whole
// 32-byte sectors.
struct SlabLoader {
  const float* at;   // the first vector at the current slab
  long long second;  // the second vector's offset from the first
  long long step;    // from one slab to the next
  int wide, k;       // the first vector's slot in the slab; the second's is at k + 8
  bool inside;       // the vectors' row (or columns) inside the matrix along the wide axis

  __device__ __forceinline__ SlabLoader(const float* x, int ld, bool alongK, int wide0,
                                        int limit) {
    int tid = threadIdx.x, lane = tid % 32;
    if (alongK) {
      wide = (tid / 32) * 16 + lane % 16, k = (lane / 16) * 4;
      at = x + (long long)(wide0 + wide) * ld + k;
      second = 8, step = WT_BK;
    } else {
      k = tid / 32, wide = lane * 4;
      at = x + (long long)k * ld + wide0 + wide;
      second = 8LL * ld, step = (long long)WT_BK * ld;
    }
    inside = wide0 + wide < limit;
  }

  // The two vectors of the slab at k0 (zeros outside the matrix), then on to the next slab.
  __device__ __forceinline__ void load(int k0, int K, float4* v) {
    v[0] = inside && k0 + k < K ? *reinterpret_cast<const float4*>(at) : make_float4(0, 0, 0, 0);
    v[1] = inside && k0 + k + 8 < K ? *reinterpret_cast<const float4*>(at + second)
                                    : make_float4(0, 0, 0, 0);
    at += step;
  }

  // Slab rows are k: a vector along k is spread over four rows, one along the wide axis whole.
  __device__ __forceinline__ void store(float (*S)[WT_ROW], const float4* v, bool alongK) {
#pragma unroll
    for (int p = 0; p < 2; p++) {
      int kk = k + 8 * p;
      if (alongK) {
        S[kk][wide] = v[p].x;
        S[kk + 1][wide] = v[p].y;
        S[kk + 2][wide] = v[p].z;
        S[kk + 3][wide] = v[p].w;
      } else {
        *reinterpret_cast<float4*>(&S[kk][wide]) = v[p];
      }
    }
  }
};

__device__ __forceinline__ void matmulWarpTiled(const float* __restrict__ A,
                                                const float* __restrict__ B,
                                                float* __restrict__ C, int M, int N, int K,
                                                int lda, int ldb, int ldc, int transA,
                                                int transB, long long strideA,
                                                long long strideB, long long strideC) {
  __shared__ __align__(16) float As[2][WT_BK][WT_ROW];
  __shared__ __align__(16) float Bs[2][WT_BK][WT_ROW];
  int row0 = blockIdx.x * 128, col0 = blockIdx.y * 128;
  SlabLoader la(A + blockIdx.z * strideA, lda, !transA, row0, M);
  SlabLoader lb(B + blockIdx.z * strideB, ldb, transB, col0, N);
  C += blockIdx.z * strideC;
  // This lane's first row and column within the block tile (interleaved: row group from lane
  // bits 0, 3 and 4, column group from bits 1 and 2); its fragments sit 32 rows and 16 columns on.
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  int ar = (warp / 4) * 64 + ((lane & 1) | ((lane >> 2) & 6)) * 4;
  int bc = (warp % 4) * 32 + ((lane >> 1) & 3) * 4;
  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; i++)
#pragma unroll
    for (int j = 0; j < 8; j++) acc[i][j] = 0;

  float4 ra[2], rb[2];
  la.load(0, K, ra);
  lb.load(0, K, rb);
  la.store(As[0], ra, !transA);
  lb.store(Bs[0], rb, transB);
  __syncthreads();
  int buf = 0;
  for (int k0 = 0; k0 < K; k0 += WT_BK) {
    bool more = k0 + WT_BK < K;
    if (more) {
      la.load(k0 + WT_BK, K, ra);
      lb.load(k0 + WT_BK, K, rb);
    }
#pragma unroll
    for (int k = 0; k < WT_BK; k++) {
      float4 a0 = *reinterpret_cast<const float4*>(&As[buf][k][ar]);
      float4 a1 = *reinterpret_cast<const float4*>(&As[buf][k][ar + 32]);
      float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][k][bc]);
      float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][k][bc + 16]);
      outerProduct8(acc, a0, a1, b0, b1);
    }
    if (more) {
      la.store(As[buf ^ 1], ra, !transA);
      lb.store(Bs[buf ^ 1], rb, transB);
    }
    __syncthreads();
    buf ^= 1;
  }
#pragma unroll
  for (int i = 0; i < 8; i++) {
    int r = row0 + ar + (i / 4) * 32 + i % 4;
    if (r >= M) continue;
#pragma unroll
    for (int h = 0; h < 2; h++) {
      int c = col0 + bc + 16 * h;
      if (c < N) {  // N is a multiple of four, so the whole vector is inside
        *reinterpret_cast<float4*>(&C[(long long)r * ldc + c]) =
            make_float4(acc[i][4 * h], acc[i][4 * h + 1], acc[i][4 * h + 2], acc[i][4 * h + 3]);
      }
    }
  }
}

// Two blocks a multiprocessor: ptxas fits the kernel in 128 registers a thread without spilling
// on sm_80 and sm_90 (unbounded it takes more, which leaves one block; matmul_sweep.cu times that
// variant too).
extern "C" __global__ void __launch_bounds__(256, 2)
    matmul_f32_128w(const float* A, const float* B, float* C, int M, int N, int K, int lda,
                    int ldb, int ldc, int transA, int transB, long long strideA,
                    long long strideB, long long strideC) {
  matmulWarpTiled(A, B, C, M, N, K, lda, ldb, ldc, transA, transB, strideA, strideB, strideC);
}

// ---- indexing -------------------------------------------------------------------------------

// Finds the first index outside [0, n): its position goes to *firstBad (which starts as all
// ones) so that the backend can name it as the CPU backend would. The kernels below run after this
// check and skip an index out of range rather than read or write outside their buffers.
extern "C" __global__ void check_index(const long long* index, long long count, int n,
                                       unsigned long long* firstBad) {
  GRID_STRIDE(i, count) {
    long long v = index[i];
    if (v < 0 || v >= n) atomicMin(firstBad, (unsigned long long)i);
  }
}

__device__ __forceinline__ bool inRange(long long v, int n) { return v >= 0 && v < n; }

// y[i, j, t] = x[i, index[j], t] for x of [outer, n, inner] and y of [outer, count, inner].
#define INDEX_SELECT(suffix, T)                                                                \
  extern "C" __global__ void index_select_##suffix(const T* x, const long long* index, T* y,   \
                                                   int outer, int n, int count, int inner) {   \
    long long total = (long long)outer * count * inner;                                        \
    GRID_STRIDE(p, total) {                                                                    \
      long long t = p % inner, j = (p / inner) % count, i = p / ((long long)inner * count);    \
      long long v = index[j];                                                                  \
      y[p] = inRange(v, n) ? x[(i * n + v) * inner + t] : T(0);                                \
    }                                                                                          \
  }
INDEX_SELECT(b4, int)
INDEX_SELECT(b8, i64)

// out[i, index[j], t] += src[i, j, t]; out starts as zeros.
#define INDEX_ADD(suffix, T, U)                                                                \
  extern "C" __global__ void index_add_##suffix(const T* src, const long long* index, T* out,  \
                                                int outer, int count, int inner, int n) {      \
    long long total = (long long)outer * count * inner;                                        \
    GRID_STRIDE(p, total) {                                                                    \
      long long t = p % inner, j = (p / inner) % count, i = p / ((long long)inner * count);    \
      long long v = index[j];                                                                  \
      if (inRange(v, n)) atomicAdd((U*)&out[(i * n + v) * inner + t], (U)src[p]);              \
    }                                                                                          \
  }
INDEX_ADD(f32, float, float)
INDEX_ADD(f64, double, double)
INDEX_ADD(i64, i64, unsigned long long)

// gather: y[p] = x[i, index[p], t] where p = (i, j, t) in the index's [outer, m, inner] and x
// has n along the axis.
#define GATHER(suffix, T)                                                                      \
  extern "C" __global__ void gather_##suffix(const T* x, const long long* index, T* y,         \
                                             long long total, int m, int inner, int n) {       \
    GRID_STRIDE(p, total) {                                                                    \
      long long t = p % inner, i = p / ((long long)m * inner);                                 \
      long long v = index[p];                                                                  \
      y[p] = inRange(v, n) ? x[(i * n + v) * inner + t] : T(0);                                \
    }                                                                                          \
  }
GATHER(b4, int)
GATHER(b8, i64)

#define SCATTER_ADD(suffix, T, U)                                                              \
  extern "C" __global__ void scatter_add_##suffix(const T* src, const long long* index,        \
                                                  T* out, long long total, int m, int inner,   \
                                                  int n) {                                     \
    GRID_STRIDE(p, total) {                                                                    \
      long long t = p % inner, i = p / ((long long)m * inner);                                 \
      long long v = index[p];                                                                  \
      if (inRange(v, n)) atomicAdd((U*)&out[(i * n + v) * inner + t], (U)src[p]);              \
    }                                                                                          \
  }
SCATTER_ADD(f32, float, float)
SCATTER_ADD(f64, double, double)
SCATTER_ADD(i64, i64, unsigned long long)

// Rows of `classes` zeros (already cleared) with a one at each label.
#define ONE_HOT(suffix, T)                                                                     \
  extern "C" __global__ void one_hot_##suffix(const long long* labels, T* y, long long count,  \
                                              int classes) {                                   \
    GRID_STRIDE(i, count) {                                                                    \
      long long v = labels[i];                                                                 \
      if (inRange(v, classes)) y[i * classes + v] = T(1);                                      \
    }                                                                                          \
  }
ONE_HOT(f32, float)
ONE_HOT(f64, double)
ONE_HOT(i64, i64)

// ---- fused optimizer steps ------------------------------------------------------------------
// The same operations, in the same order and precision, as the CPU backend's OptimizerKernels,
// with the constants folded on the Java side.

template <typename T>
__device__ void adam(T* p, const T* g, T* m, T* v, T* vMax, long long n, T b1, T b2, T c1, T c2,
                     T wd, T decay, T sqrtBc2, T eps, T negStep, int decoupled, int l2) {
  GRID_STRIDE(i, n) {
    T pi = decoupled ? mul(p[i], decay) : p[i];
    T gi = l2 ? add(g[i], mul(pi, wd)) : g[i];
    T mi = add(mul(m[i], b1), mul(gi, c1));
    T vi = add(mul(v[i], b2), mul(mul(c2, gi), gi));  // torch's addcmul order: no early overflow
    m[i] = mi;
    v[i] = vi;
    if (vMax != nullptr) {  // AMSGrad: the largest v so far divides the step
      vi = maxKeepNan(vMax[i], vi);
      vMax[i] = vi;
    }
    T denom = add(sqrt(vi) / sqrtBc2, eps);
    p[i] = add(pi, mul(mi / denom, negStep));
  }
}

template <typename T>
__device__ void sgd(T* p, const T* g, T* b, long long n, T wd, T mu, T keep, T negLr, int decay,
                    int nesterov, int first) {
  GRID_STRIDE(i, n) {
    T gi = decay ? add(g[i], mul(p[i], wd)) : g[i];
    if (b != nullptr) {
      T bi = first ? gi : add(mul(b[i], mu), mul(gi, keep));
      b[i] = bi;
      gi = nesterov ? add(gi, mul(bi, mu)) : bi;
    }
    p[i] = add(p[i], mul(gi, negLr));
  }
}

template <typename T>
__device__ void rmsprop(T* p, const T* g, T* v, T* a, T* b, long long n, T wd, T alpha, T keep,
                        T eps, T mu, T negLr, int decay, int accumulate) {
  GRID_STRIDE(i, n) {
    T gi = decay ? add(g[i], mul(p[i], wd)) : g[i];
    T vi = accumulate ? add(v[i], mul(gi, gi)) : add(mul(v[i], alpha), mul(mul(keep, gi), gi));
    v[i] = vi;
    T d;
    if (a != nullptr) {
      T ai = add(mul(a[i], alpha), mul(gi, keep));
      a[i] = ai;
      d = add(sqrt(sub(vi, mul(ai, ai))), eps);
    } else {
      d = add(sqrt(vi), eps);
    }
    if (b != nullptr) {
      T bi = add(mul(b[i], mu), gi / d);
      b[i] = bi;
      p[i] = add(p[i], mul(bi, negLr));
    } else {
      p[i] = add(p[i], mul(gi / d, negLr));
    }
  }
}

#define OPTIMIZERS(suffix, T)                                                                  \
  extern "C" __global__ void adam_##suffix(T* p, const T* g, T* m, T* v, T* vMax, long long n, \
                                           T b1, T b2, T c1, T c2, T wd, T decay, T sqrtBc2,   \
                                           T eps, T negStep, int decoupled, int l2) {          \
    adam<T>(p, g, m, v, vMax, n, b1, b2, c1, c2, wd, decay, sqrtBc2, eps, negStep, decoupled,  \
            l2);                                                                               \
  }                                                                                            \
  extern "C" __global__ void sgd_##suffix(T* p, const T* g, T* b, long long n, T wd, T mu,     \
                                          T keep, T negLr, int decay, int nesterov,            \
                                          int first) {                                         \
    sgd<T>(p, g, b, n, wd, mu, keep, negLr, decay, nesterov, first);                           \
  }                                                                                            \
  extern "C" __global__ void rmsprop_##suffix(T* p, const T* g, T* v, T* a, T* b,              \
                                              long long n, T wd, T alpha, T keep, T eps,       \
                                              T mu, T negLr, int decay, int accumulate) {      \
    rmsprop<T>(p, g, v, a, b, n, wd, alpha, keep, eps, mu, negLr, decay, accumulate);          \
  }
OPTIMIZERS(f32, float)
OPTIMIZERS(f64, double)
