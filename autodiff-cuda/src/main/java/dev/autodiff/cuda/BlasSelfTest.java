package dev.autodiff.cuda;

/**
 * A few small products checked exactly before a vendor BLAS is used on a device, as {@code
 * dev.autodiff.core.cpu.Blas} does for the CPU: a library that loads but is bound wrongly (an
 * argument in the wrong place, the operands not swapped) must not be chosen. The cases cover both
 * transposes, padded leading dimensions, an offset start, a broadcast operand and gaps between
 * batches (which must stay untouched), in float32 and float64; the values are small integers, so
 * every result is exact, TF32 included.
 */
final class BlasSelfTest {
  private BlasSelfTest() {}

  /** Memory the products run on: device memory for real, host memory in tests. */
  interface Scratch extends AutoCloseable {
    /** A new buffer holding {@code values} (as floats when {@code single}); its address. */
    long upload(boolean single, double[] values);

    /** The {@code n} elements at {@code address}, once the work queued before has finished. */
    double[] download(boolean single, long address, int n);

    /** Frees every buffer. */
    @Override
    void close();
  }

  /** One row-major case: sizes, layouts and batch strides, in elements. */
  private record Case(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb,
      int ldc, int aOffset, long strideA, long strideB, long strideC, int batches) {
    int aLength() {
      return aOffset + (int) strideA * (batches - 1) + (transA ? k * lda : m * lda);
    }

    int bLength() {
      return (int) strideB * (batches - 1) + (transB ? n * ldb : k * ldb);
    }

    int cLength() {
      return (int) strideC * (batches - 1) + m * ldc;
    }
  }

  private static final Case[] CASES = {
    // A^T B over 2 batches: A padded (lda 3 > m 2), offset by one element and one apart between
    // batches; B shared by both batches; C padded (ldc 4 > n 3) with 2 elements between batches.
    new Case(true, false, 2, 3, 4, 3, 5, 4, 1, 13, 0, 10, 2),
    // A B^T, one batch, every matrix padded.
    new Case(false, true, 3, 2, 5, 6, 7, 3, 0, 0, 0, 0, 1),
  };

  /** Null when every case gave the exact result, else what went wrong. */
  static String run(BlasProvider p, long stream, Scratch scratch) {
    try {
      for (boolean single : new boolean[] {true, false}) {
        for (Case t : CASES) {
          String wrong = check(p, stream, scratch, single, t);
          if (wrong != null) {
            return p.name() + " failed its self-test: " + wrong;
          }
        }
      }
      return null;
    } catch (RuntimeException e) {
      return p.name() + " failed its self-test: " + e;
    } finally {
      scratch.close();
    }
  }

  private static String check(BlasProvider p, long stream, Scratch s, boolean single, Case t) {
    double[] a = values(t.aLength(), 1);
    double[] b = values(t.bLength(), 2);
    double[] c = new double[t.cLength()];
    java.util.Arrays.fill(c, 7);
    double[] want = c.clone();
    for (int z = 0; z < t.batches(); z++) {
      for (int i = 0; i < t.m(); i++) {
        for (int j = 0; j < t.n(); j++) {
          double sum = 0;
          for (int q = 0; q < t.k(); q++) {
            double x = a[(int) (t.aOffset() + z * t.strideA()
                + (t.transA() ? (long) q * t.lda() + i : (long) i * t.lda() + q))];
            double y = b[(int) (z * t.strideB()
                + (t.transB() ? (long) j * t.ldb() + q : (long) q * t.ldb() + j))];
            sum += x * y;
          }
          want[(int) (z * t.strideC() + (long) i * t.ldc() + j)] = sum;
        }
      }
    }
    int w = single ? 4 : 8;
    long da = s.upload(single, a);
    long db = s.upload(single, b);
    long dc = s.upload(single, c);
    p.gemm(stream, single, t.transA(), t.transB(), t.m(), t.n(), t.k(),
        da + (long) t.aOffset() * w, t.lda(), t.strideA(), db, t.ldb(), t.strideB(), dc, t.ldc(),
        t.strideC(), t.batches());
    double[] got = s.download(single, dc, c.length);
    for (int i = 0; i < want.length; i++) {
      if (got[i] != want[i]) {
        return (single ? "float32 " : "float64 ") + t + ": element " + i + " of C is " + got[i]
            + ", expected " + want[i];
      }
    }
    return null;
  }

  /** Small integers in [-3, 3], a different sequence for each seed. */
  private static double[] values(int n, int seed) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = (i * (1 + 2 * seed) + seed) % 7 - 3; // steps 3 and 5: all of [-3, 3]
    }
    return v;
  }
}
