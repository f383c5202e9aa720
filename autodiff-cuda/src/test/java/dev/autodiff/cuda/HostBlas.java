package dev.autodiff.cuda;

import java.util.function.UnaryOperator;

/**
 * cuBLAS on the host, for GPU-free tests: column-major {@code C = alpha op(A) op(B) + beta C} with
 * cuBLAS's argument checks ({@code lda >= max(1, transa ? k : m)}, {@code ldb >= max(1, transb ?
 * n : k)}, {@code ldc >= max(1, m)}), over a heap array standing for device memory. Addresses are
 * byte addresses into one of two memories, float32 (values kept rounded to float) or float64;
 * element {@code i} of a precision is at byte address {@code i * elementBytes}.
 */
class HostBlas implements BlasProvider {
  final double[] f32;
  final double[] f64;
  private long next = 64; // address 0 stays unused, like nullptr
  /** Rewrites each call before it runs (the identity for a faithful cuBLAS). */
  private final UnaryOperator<GemmCall> distortion;
  int calls;

  HostBlas(int elements) {
    this(elements, UnaryOperator.identity());
  }

  HostBlas(int elements, UnaryOperator<GemmCall> distortion) {
    this.f32 = new double[elements];
    this.f64 = new double[elements];
    this.distortion = distortion;
  }

  @Override
  public String name() {
    return "host cuBLAS";
  }

  @Override
  public void prepare(long stream) {}

  @Override
  public void run(long stream, GemmCall call) {
    GemmCall g = distortion.apply(call);
    calls++;
    check(g.lda() >= Math.max(1, g.transA() ? g.k() : g.m()), "lda", g);
    check(g.ldb() >= Math.max(1, g.transB() ? g.n() : g.k()), "ldb", g);
    check(g.ldc() >= Math.max(1, g.m()), "ldc", g);
    double[] mem = memory(g.single());
    int w = g.elementBytes();
    for (int z = 0; z < g.batches(); z++) {
      long a = index(g.a(), w) + z * g.strideA();
      long b = index(g.b(), w) + z * g.strideB();
      long c = index(g.c(), w) + z * g.strideC();
      for (int j = 0; j < g.n(); j++) {
        for (int i = 0; i < g.m(); i++) {
          double s = 0;
          for (int p = 0; p < g.k(); p++) {
            double x = mem[(int) (a + (g.transA() ? p + (long) i * g.lda()
                : i + (long) p * g.lda()))];
            double y = mem[(int) (b + (g.transB() ? j + (long) p * g.ldb()
                : p + (long) j * g.ldb()))];
            s += x * y;
          }
          int at = (int) (c + i + (long) j * g.ldc());
          double v = g.beta() == 0 ? g.alpha() * s : g.alpha() * s + g.beta() * mem[at];
          mem[at] = g.single() ? (float) v : v;
        }
      }
    }
  }

  double[] memory(boolean single) {
    return single ? f32 : f64;
  }

  /** A fresh range of {@code elements} elements of either precision; its byte address. */
  long allocate(int elements) {
    long at = next;
    next += (long) elements * 8 + 64;
    if (next / 4 >= f32.length) {
      throw new IllegalStateException("host memory exhausted");
    }
    return at;
  }

  /** The element index of a byte address. */
  static int index(long address, int w) {
    if (address % w != 0) {
      throw new IllegalStateException("misaligned address " + address);
    }
    return (int) (address / w);
  }

  /** Memory for {@link BlasSelfTest} in this host memory. */
  BlasSelfTest.Scratch scratch() {
    return new BlasSelfTest.Scratch() {
      @Override
      public long upload(boolean single, double[] values) {
        long at = allocate(values.length);
        int w = single ? 4 : 8;
        for (int i = 0; i < values.length; i++) {
          memory(single)[index(at, w) + i] = single ? (float) values[i] : values[i];
        }
        return at;
      }

      @Override
      public double[] download(boolean single, long address, int n) {
        int from = index(address, single ? 4 : 8);
        return java.util.Arrays.copyOfRange(memory(single), from, from + n);
      }

      @Override
      public void close() {}
    };
  }

  private static void check(boolean ok, String what, GemmCall g) {
    if (!ok) {
      throw new IllegalStateException("cuBLAS would return CUBLAS_STATUS_INVALID_VALUE: " + what
          + " too small in " + g);
    }
  }
}
