package dev.autodiff.core.cpu;

import java.util.Arrays;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The portable GEMM: plain Java, no native code and no Vector API, used when the native BLAS is
 * absent (see {@link Blas}). It reaches tens of GFLOP/s because its innermost loop is one that C2
 * auto-vectorises.
 *
 * <p>How: C2 does not vectorise {@code c[co + j] += a * b[bo + j]} (two unknown offsets), but it
 * does vectorise a loop whose arrays all share one index. So op(B) is packed into column panels
 * whose rows are separate {@code float[]}s starting at 0, each task accumulates its tile of C in
 * row arrays of the same width, and the kernel adds four rank-1 updates per sweep
 * ({@code acc[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]}), so each accumulator load and
 * store is shared by four multiply-adds. A {@code KC x NB} panel block (256 KiB) stays in L2 while
 * all rows of a tile sweep it. Alpha and beta are applied once, when the tile is written back.
 * Large problems are split into (row block, panel) tiles run on the common fork-join pool.
 */
final class JavaGemm implements Gemm {

  static final JavaGemm INSTANCE = new JavaGemm();

  /** Problems with {@code m * n * k} above this are split over the common fork-join pool. */
  static final long PARALLEL_MIN_WORK = 1L << 18;

  /** Depth of one pass over a panel (tuned on Zen 4: 128 x 512 beat 256 x 256 by about 15%). */
  private static final int KC = 128;
  /** Panel width in columns: a KC x NB block is 256 KiB either way. */
  private static final int NB_FLOAT = 512;
  private static final int NB_DOUBLE = 256;
  /** Most rows of C per task. */
  private static final int MB = 64;

  private JavaGemm() {}

  @Override
  public String name() {
    int threads = Runtime.getRuntime().availableProcessors();
    return "pure-Java blocked GEMM (" + threads + (threads == 1 ? " thread)" : " threads)");
  }

  @Override
  public String toString() {
    return name();
  }

  // ---------------------------------------------------------------------------------------------
  // float

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k,
      float alpha, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    checkArgs("sgemm", transA, transB, m, n, k,
        a == null ? -1 : a.length, aOff, lda,
        b == null ? -1 : b.length, bOff, ldb,
        c == null ? -1 : c.length, cOff, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0 || alpha == 0f) {
      scale(m, n, beta, c, cOff, ldc);
      return;
    }
    final int nb = NB_FLOAT;
    final int colBlocks = ceilDiv(n, nb);
    final boolean parallel = isParallel(m, n, k);
    final float[][][] panels = new float[colBlocks][][];
    run(colBlocks, parallel, jb -> panels[jb] = packB(transB, jb * nb, Math.min(nb, n - jb * nb),
        k, b, bOff, ldb));
    final int mb = rowsPerTask(m, colBlocks, parallel);
    run(ceilDiv(m, mb) * colBlocks, parallel, t -> {
      int i0 = t / colBlocks * mb;
      int jb = t % colBlocks;
      int j0 = jb * nb;
      sTile(transA, i0, Math.min(mb, m - i0), j0, Math.min(nb, n - j0), k,
          alpha, a, aOff, lda, panels[jb], beta, c, cOff, ldc);
    });
  }

  /** Rows {@code 0..k} of op(B), columns {@code j0..j0+w}, as {@code k} arrays of length w. */
  private static float[][] packB(boolean transB, int j0, int w, int k,
      float[] b, int bOff, int ldb) {
    float[][] panel = new float[k][w];
    if (!transB) {
      for (int p = 0; p < k; p++) {
        System.arraycopy(b, bOff + p * ldb + j0, panel[p], 0, w);
      }
    } else {
      for (int j = 0; j < w; j++) {
        int bo = bOff + (j0 + j) * ldb;
        for (int p = 0; p < k; p++) {
          panel[p][j] = b[bo + p];
        }
      }
    }
    return panel;
  }

  /** Rows {@code i0..i0+rows} of op(A), depth {@code p0..p0+kc}, into {@code ap[r][0..kc]}. */
  private static void packA(boolean transA, float[] a, int aOff, int lda,
      int i0, int rows, int p0, int kc, float[][] ap) {
    if (!transA) {
      for (int r = 0; r < rows; r++) {
        System.arraycopy(a, aOff + (i0 + r) * lda + p0, ap[r], 0, kc);
      }
    } else {
      for (int p = 0; p < kc; p++) {
        int ao = aOff + (p0 + p) * lda + i0;
        for (int r = 0; r < rows; r++) {
          ap[r][p] = a[ao + r];
        }
      }
    }
  }

  private static void sTile(boolean transA, int i0, int rows, int j0, int w, int k,
      float alpha, float[] a, int aOff, int lda, float[][] panel,
      float beta, float[] c, int cOff, int ldc) {
    float[][] acc = new float[rows][w];
    float[][] ap = new float[rows][Math.min(KC, k)];
    for (int p0 = 0; p0 < k; p0 += KC) {
      int kc = Math.min(KC, k - p0);
      packA(transA, a, aOff, lda, i0, rows, p0, kc, ap);
      for (int r = 0; r < rows; r++) {
        sKernel(acc[r], ap[r], panel, p0, kc, w);
      }
    }
    for (int r = 0; r < rows; r++) {
      float[] acc1 = acc[r];
      int co = cOff + (i0 + r) * ldc + j0;
      if (beta == 0f) {
        for (int j = 0; j < w; j++) {
          c[co + j] = alpha * acc1[j];
        }
      } else {
        for (int j = 0; j < w; j++) {
          c[co + j] = alpha * acc1[j] + beta * c[co + j];
        }
      }
    }
  }

  /**
   * {@code acc[0..w] += sum over p of a[p] * b[p0 + p][0..w]}. Every array in the inner loop is
   * indexed by the same {@code j}, which is what lets C2 vectorise it.
   */
  private static void sKernel(float[] acc, float[] a, float[][] b, int p0, int kc, int w) {
    int p = 0;
    for (; p + 3 < kc; p += 4) {
      float a0 = a[p];
      float a1 = a[p + 1];
      float a2 = a[p + 2];
      float a3 = a[p + 3];
      float[] b0 = b[p0 + p];
      float[] b1 = b[p0 + p + 1];
      float[] b2 = b[p0 + p + 2];
      float[] b3 = b[p0 + p + 3];
      for (int j = 0; j < w; j++) {
        acc[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
      }
    }
    for (; p < kc; p++) {
      float a0 = a[p];
      float[] b0 = b[p0 + p];
      for (int j = 0; j < w; j++) {
        acc[j] += a0 * b0[j];
      }
    }
  }

  private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
    if (beta == 1f) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int co = cOff + i * ldc;
      if (beta == 0f) {
        Arrays.fill(c, co, co + n, 0f);
      } else {
        for (int j = 0; j < n; j++) {
          c[co + j] *= beta;
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // double: the same algorithm, with panels half as wide

  @Override
  public void dgemm(boolean transA, boolean transB, int m, int n, int k,
      double alpha, double[] a, int aOff, int lda,
      double[] b, int bOff, int ldb,
      double beta, double[] c, int cOff, int ldc) {
    checkArgs("dgemm", transA, transB, m, n, k,
        a == null ? -1 : a.length, aOff, lda,
        b == null ? -1 : b.length, bOff, ldb,
        c == null ? -1 : c.length, cOff, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0 || alpha == 0d) {
      scale(m, n, beta, c, cOff, ldc);
      return;
    }
    final int nb = NB_DOUBLE;
    final int colBlocks = ceilDiv(n, nb);
    final boolean parallel = isParallel(m, n, k);
    final double[][][] panels = new double[colBlocks][][];
    run(colBlocks, parallel, jb -> panels[jb] = packB(transB, jb * nb, Math.min(nb, n - jb * nb),
        k, b, bOff, ldb));
    final int mb = rowsPerTask(m, colBlocks, parallel);
    run(ceilDiv(m, mb) * colBlocks, parallel, t -> {
      int i0 = t / colBlocks * mb;
      int jb = t % colBlocks;
      int j0 = jb * nb;
      dTile(transA, i0, Math.min(mb, m - i0), j0, Math.min(nb, n - j0), k,
          alpha, a, aOff, lda, panels[jb], beta, c, cOff, ldc);
    });
  }

  private static double[][] packB(boolean transB, int j0, int w, int k,
      double[] b, int bOff, int ldb) {
    double[][] panel = new double[k][w];
    if (!transB) {
      for (int p = 0; p < k; p++) {
        System.arraycopy(b, bOff + p * ldb + j0, panel[p], 0, w);
      }
    } else {
      for (int j = 0; j < w; j++) {
        int bo = bOff + (j0 + j) * ldb;
        for (int p = 0; p < k; p++) {
          panel[p][j] = b[bo + p];
        }
      }
    }
    return panel;
  }

  private static void packA(boolean transA, double[] a, int aOff, int lda,
      int i0, int rows, int p0, int kc, double[][] ap) {
    if (!transA) {
      for (int r = 0; r < rows; r++) {
        System.arraycopy(a, aOff + (i0 + r) * lda + p0, ap[r], 0, kc);
      }
    } else {
      for (int p = 0; p < kc; p++) {
        int ao = aOff + (p0 + p) * lda + i0;
        for (int r = 0; r < rows; r++) {
          ap[r][p] = a[ao + r];
        }
      }
    }
  }

  private static void dTile(boolean transA, int i0, int rows, int j0, int w, int k,
      double alpha, double[] a, int aOff, int lda, double[][] panel,
      double beta, double[] c, int cOff, int ldc) {
    double[][] acc = new double[rows][w];
    double[][] ap = new double[rows][Math.min(KC, k)];
    for (int p0 = 0; p0 < k; p0 += KC) {
      int kc = Math.min(KC, k - p0);
      packA(transA, a, aOff, lda, i0, rows, p0, kc, ap);
      for (int r = 0; r < rows; r++) {
        dKernel(acc[r], ap[r], panel, p0, kc, w);
      }
    }
    for (int r = 0; r < rows; r++) {
      double[] acc1 = acc[r];
      int co = cOff + (i0 + r) * ldc + j0;
      if (beta == 0d) {
        for (int j = 0; j < w; j++) {
          c[co + j] = alpha * acc1[j];
        }
      } else {
        for (int j = 0; j < w; j++) {
          c[co + j] = alpha * acc1[j] + beta * c[co + j];
        }
      }
    }
  }

  private static void dKernel(double[] acc, double[] a, double[][] b, int p0, int kc, int w) {
    int p = 0;
    for (; p + 3 < kc; p += 4) {
      double a0 = a[p];
      double a1 = a[p + 1];
      double a2 = a[p + 2];
      double a3 = a[p + 3];
      double[] b0 = b[p0 + p];
      double[] b1 = b[p0 + p + 1];
      double[] b2 = b[p0 + p + 2];
      double[] b3 = b[p0 + p + 3];
      for (int j = 0; j < w; j++) {
        acc[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
      }
    }
    for (; p < kc; p++) {
      double a0 = a[p];
      double[] b0 = b[p0 + p];
      for (int j = 0; j < w; j++) {
        acc[j] += a0 * b0[j];
      }
    }
  }

  private static void scale(int m, int n, double beta, double[] c, int cOff, int ldc) {
    if (beta == 1d) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int co = cOff + i * ldc;
      if (beta == 0d) {
        Arrays.fill(c, co, co + n, 0d);
      } else {
        for (int j = 0; j < n; j++) {
          c[co + j] *= beta;
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // shared by every provider

  /** Scales C by beta (zeroing it when beta is 0); what GEMM does when k or alpha is 0. */
  static void scaleC(int m, int n, float beta, float[] c, int cOff, int ldc) {
    scale(m, n, beta, c, cOff, ldc);
  }

  static void scaleC(int m, int n, double beta, double[] c, int cOff, int ldc) {
    scale(m, n, beta, c, cOff, ldc);
  }

  /**
   * Validates a GEMM call; array lengths are -1 for a null array. A and B are only checked when
   * they will be read ({@code m, n, k > 0}), so callers may pass null for them when k is 0.
   */
  static void checkArgs(String op, boolean transA, boolean transB, int m, int n, int k,
      int aLen, int aOff, int lda, int bLen, int bOff, int ldb, int cLen, int cOff, int ldc) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException(
          op + ": sizes must be non-negative, got m=" + m + ", n=" + n + ", k=" + k);
    }
    if (m == 0 || n == 0) {
      return;
    }
    checkMatrix(op, "C", cLen, cOff, ldc, m, n);
    if (k == 0) {
      return;
    }
    checkMatrix(op, transA ? "A (transposed)" : "A", aLen, aOff, lda,
        transA ? k : m, transA ? m : k);
    checkMatrix(op, transB ? "B (transposed)" : "B", bLen, bOff, ldb,
        transB ? n : k, transB ? k : n);
  }

  private static void checkMatrix(String op, String name, int len, int off, int ld,
      int rows, int cols) {
    long end = off + (long) (rows - 1) * ld + cols;
    if (len >= 0 && ld >= cols && off >= 0 && end <= len) {
      return; // the hot path builds no message
    }
    String what = name + " (stored " + rows + " x " + cols + ", offset " + off + ", row stride "
        + ld + ")";
    if (len < 0) {
      throw new IllegalArgumentException(op + ": the array of " + what + " is null");
    }
    if (ld < cols) {
      throw new IllegalArgumentException(
          op + ": " + what + ": the row stride is shorter than a row of " + cols);
    }
    if (off < 0) {
      throw new IllegalArgumentException(op + ": " + what + ": negative offset");
    }
    throw new IllegalArgumentException(
        op + ": " + what + " needs " + end + " array elements but the array has " + len);
  }

  // ---------------------------------------------------------------------------------------------
  // scheduling

  private static boolean isParallel(int m, int n, int k) {
    return (long) m * n * k > PARALLEL_MIN_WORK && Runtime.getRuntime().availableProcessors() > 1;
  }

  /** Rows per task: enough tasks (about four per core) to balance the load, at most {@link #MB}. */
  private static int rowsPerTask(int m, int colBlocks, boolean parallel) {
    if (!parallel) {
      return Math.min(m, MB);
    }
    int wanted = 4 * Runtime.getRuntime().availableProcessors();
    int rowBlocks = Math.max(1, ceilDiv(wanted, colBlocks));
    return Math.max(4, Math.min(MB, ceilDiv(m, rowBlocks)));
  }

  private static void run(int tasks, boolean parallel, IntConsumer task) {
    if (parallel && tasks > 1) {
      IntStream.range(0, tasks).parallel().forEach(task);
    } else {
      for (int t = 0; t < tasks; t++) {
        task.accept(t);
      }
    }
  }

  private static int ceilDiv(int x, int y) {
    return (x + y - 1) / y;
  }
}
