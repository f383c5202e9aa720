package dev.autodiff.cuda;

import java.util.function.Consumer;

/**
 * One column-major BLAS product, fields in cuBLAS's argument order: for each of {@code batches}
 * batches z, {@code C_z = alpha op(A_z) op(B_z) + beta C_z} where {@code op(A_z)} is m x k,
 * {@code op(B_z)} is k x n and {@code C_z} is m x n, all column-major, with {@code A_z} at byte
 * address {@code a + z * strideA * elementBytes} (likewise B and C). Addresses are raw device
 * addresses; strides and leading dimensions count elements.
 *
 * <p>Our tensors are row-major. A row-major matrix read as column-major is its transpose, so the
 * row-major product {@code C = op(A) op(B)} is the column-major product {@code C^T = op(B)^T
 * op(A)^T}: {@link #rowMajor} swaps the operands and m with n, and keeps each operand's transpose
 * flag and leading dimension. No data moves.
 *
 * <pre>{@code
 * jshell> GemmCall.rowMajor(true, false, true, 2, 3, 4, 1, 0x100, 4, 0, 0x200, 4, 0, 0, 0x300, 3,
 *    ...>     0, 1)
 * $1 ==> GemmCall[single=true, transA=true, transB=false, m=3, n=2, k=4, alpha=1.0, a=512, lda=4,
 *   strideA=0, b=256, ldb=4, strideB=0, beta=0.0, c=768, ldc=3, strideC=0, batches=1]
 * }</pre>
 *
 * @param single float32 (cublasSgemm) when true, float64 (cublasDgemm) when false
 * @param transA whether cuBLAS's first operand is transposed ({@code CUBLAS_OP_T})
 * @param transB whether cuBLAS's second operand is transposed
 */
record GemmCall(boolean single, boolean transA, boolean transB, int m, int n, int k,
    double alpha, long a, int lda, long strideA, long b, int ldb, long strideB,
    double beta, long c, int ldc, long strideC, int batches) {

  GemmCall {
    if (m < 0 || n < 0 || k < 0 || batches < 1) {
      throw new IllegalArgumentException("gemm: negative size or no batch in " + sizes(m, n, k,
          batches));
    }
  }

  /**
   * The column-major call computing, for each batch z, the row-major {@code C_z = alpha op(A_z)
   * op(B_z) + beta C_z}, where op(A_z) is m x k, op(B_z) is k x n and C_z is m x n.
   *
   * @param transA whether the row-major A is stored k x m and used transposed
   * @param lda the row stride of A as stored: at least k, or m when transposed
   * @param ldb the row stride of B as stored: at least n, or k when transposed
   * @param ldc the row stride of C: at least n
   * @param strideA elements between consecutive batches' A (0: every batch uses the same A)
   * @param strideC elements between consecutive batches' C; batches must not overlap
   * @throws IllegalArgumentException when a size is not positive or a stride too small, naming
   *     which
   */
  static GemmCall rowMajor(boolean single, boolean transA, boolean transB, int m, int n, int k,
      double alpha, long a, int lda, long strideA, long b, int ldb, long strideB,
      double beta, long c, int ldc, long strideC, int batches) {
    if (m < 1 || n < 1 || k < 1 || batches < 1) {
      throw new IllegalArgumentException("gemm: sizes must be positive (the caller handles"
          + " empty products and k = 0 itself): " + sizes(m, n, k, batches));
    }
    checkLd("lda", lda, transA ? m : k, transA ? "A is stored k x m" : "A is stored m x k");
    checkLd("ldb", ldb, transB ? k : n, transB ? "B is stored n x k" : "B is stored k x n");
    checkLd("ldc", ldc, n, "C is m x n");
    if (strideA < 0 || strideB < 0) {
      throw new IllegalArgumentException("gemm: negative batch stride (strideA " + strideA
          + ", strideB " + strideB + ")");
    }
    long cSpan = (long) (m - 1) * ldc + n;
    if (batches > 1 && strideC < cSpan) {
      throw new IllegalArgumentException("gemm: strideC " + strideC + " makes the " + batches
          + " outputs overlap; each spans " + cSpan + " elements");
    }
    // Row-major C (m x n, row stride ldc) is column-major C^T (n x m, leading dimension ldc),
    // and likewise for A and B, so C^T = op(B)^T op(A)^T is cuBLAS's (n x k) (k x m) product
    // with B first. Each operand keeps its flag: row-major B untransposed is column-major B^T,
    // which is exactly op(B)^T, so cuBLAS reads it with CUBLAS_OP_N.
    return new GemmCall(single, transB, transA, n, m, k, alpha, b, ldb, strideB, a, lda, strideA,
        beta, c, ldc, strideC, batches);
  }

  /** Bytes per element: 4 for float32, 8 for float64. */
  int elementBytes() {
    return single ? 4 : 8;
  }

  /** The same product over batches [from, from + count) alone: addresses move, strides stay. */
  GemmCall batches(int from, int count) {
    if (from < 0 || count < 1 || from + (long) count > batches) {
      throw new IllegalArgumentException("gemm: batches [" + from + ", " + (from + count)
          + ") are not within [0, " + batches + ")");
    }
    long w = elementBytes();
    return new GemmCall(single, transA, transB, m, n, k, alpha, a + from * strideA * w, lda,
        strideA, b + from * strideB * w, ldb, strideB, beta, c + from * strideC * w, ldc, strideC,
        count);
  }

  /**
   * Hands {@code queue} this product in calls of at most {@code maxBatches} batches each, in
   * order: itself when it is small enough.
   */
  void inCallsOf(int maxBatches, Consumer<GemmCall> queue) {
    if (batches <= maxBatches) {
      queue.accept(this);
      return;
    }
    for (int from = 0; from < batches; from += maxBatches) {
      queue.accept(batches(from, Math.min(maxBatches, batches - from)));
    }
  }

  private static void checkLd(String name, int ld, int min, String why) {
    if (ld < min) {
      throw new IllegalArgumentException("gemm: " + name + " = " + ld + " is less than " + min
          + " (" + why + ", row-major)");
    }
  }

  private static String sizes(int m, int n, int k, int batches) {
    return "m " + m + ", n " + n + ", k " + k + ", batches " + batches;
  }
}
