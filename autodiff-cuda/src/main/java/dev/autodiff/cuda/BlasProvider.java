package dev.autodiff.cuda;

/**
 * A vendor BLAS for matrix products on device memory, queued on a CUDA stream. Operands are raw
 * device addresses in the context current on the calling thread (the device's primary context,
 * shared with the backend's kernels); nothing is copied or synchronised.
 *
 * <p>{@link BlasProviders} picks one per process, or none, meaning "use our own kernel".
 */
interface BlasProvider {
  /** What it is, for the log and {@link BlasProviders#description()}. */
  String name();

  /**
   * Readies the provider for {@code stream} (cuBLAS: creates a handle bound to that stream on the
   * current context). Called once per stream before its first product; {@link #run} also does it
   * when needed.
   *
   * @throws IllegalStateException when the library fails, naming the call and its status
   */
  void prepare(long stream);

  /**
   * Queues one column-major product on {@code stream}.
   *
   * @param stream the raw {@code CUstream} handle (0: the legacy default stream)
   * @throws IllegalStateException when the library rejects the call, naming it and the status
   */
  void run(long stream, GemmCall call);

  /**
   * Queues the row-major {@code C_z = op(A_z) op(B_z)} for each batch z (see {@link
   * GemmCall#rowMajor}), overwriting C (which may hold garbage, NaN included).
   *
   * @param a the device address of the first batch's A (elements count from here)
   * @throws IllegalArgumentException when the sizes or strides are inconsistent
   * @throws IllegalStateException when the library rejects the call
   */
  default void gemm(long stream, boolean single, boolean transA, boolean transB, int m, int n,
      int k, long a, int lda, long strideA, long b, int ldb, long strideB, long c, int ldc,
      long strideC, int batches) {
    run(stream, GemmCall.rowMajor(single, transA, transB, m, n, k, 1, a, lda, strideA, b, ldb,
        strideB, 0, c, ldc, strideC, batches));
  }
}
