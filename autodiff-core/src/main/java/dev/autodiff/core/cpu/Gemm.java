package dev.autodiff.core.cpu;

/**
 * General matrix multiply on heap arrays in <b>row-major</b> order:
 * {@code C[m x n] = alpha * op(A) * op(B) + beta * C}, where {@code op(X)} is {@code X} or its
 * transpose as the flag says. Transposes are flags, never copies, so {@code A^T B} costs the same
 * as {@code A B}.
 *
 * <p>{@code lda}, {@code ldb} and {@code ldc} are the row strides of the arrays as stored: A is
 * stored {@code m x k} ({@code k x m} when {@code transA}), B is stored {@code k x n}
 * ({@code n x k} when {@code transB}), C is {@code m x n}; the offsets say where each matrix
 * starts. As in BLAS, {@code k == 0} or {@code alpha == 0} gives {@code C = beta * C} without
 * reading A or B, and {@code beta == 0} overwrites C without reading it (NaNs in C do not leak).
 * Elements of C outside the {@code m x n} block are never written.
 *
 * <p>Get one from {@link Blas#gemm()}. Implementations are thread-safe.
 *
 * <pre>{@code
 * jshell> float[] c = new float[4];
 * jshell> Blas.gemm().sgemm(false, false, 2, 2, 2, 1f, new float[]{1, 2, 3, 4}, 0, 2,
 *    ...>     new float[]{5, 6, 7, 8}, 0, 2, 0f, c, 0, 2);
 * jshell> c
 * c ==> float[4] { 19.0, 22.0, 43.0, 50.0 }
 * }</pre>
 */
public interface Gemm {

  /** A short human-readable name of the implementation, e.g. for logs and benchmarks. */
  String name();

  /**
   * Single precision: {@code C = alpha * op(A) * op(B) + beta * C}, all row-major.
   *
   * @throws IllegalArgumentException if a size is negative, a stride is shorter than a row, or a
   *     matrix does not fit in its array from its offset
   */
  void sgemm(boolean transA, boolean transB, int m, int n, int k,
      float alpha, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc);

  /**
   * Double precision: {@code C = alpha * op(A) * op(B) + beta * C}, all row-major.
   *
   * @throws IllegalArgumentException if a size is negative, a stride is shorter than a row, or a
   *     matrix does not fit in its array from its offset
   */
  void dgemm(boolean transA, boolean transB, int m, int n, int k,
      double alpha, double[] a, int aOff, int lda,
      double[] b, int bOff, int ldb,
      double beta, double[] c, int cOff, int ldc);
}
