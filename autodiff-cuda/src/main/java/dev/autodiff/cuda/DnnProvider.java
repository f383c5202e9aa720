package dev.autodiff.cuda;

/**
 * Softmax from a vendor library (cuDNN), on the context's stream. Each method returns false,
 * having done nothing, for a case it does not cover; the backend then runs its own kernel.
 * Storages are float32 or float64 and of one dtype per call.
 *
 * <p>Activations stay on our kernels: they are memory-bound, so cuDNN would not be faster, and
 * our kernels keep the fused bias + activation and the fused VJPs equal, bit for bit, to the
 * unfused ops.
 */
interface DnnProvider {
  /** A short name for logs, e.g. {@code cuDNN 9.1.0}. */
  String name();

  /** Softmax (or log-softmax) of each of {@code rows} contiguous rows of {@code n}. */
  boolean softmax(boolean log, CudaStorage x, CudaStorage y, int rows, int n);

  /** The softmax (or log-softmax) VJP per row, from output y and cotangent g. */
  boolean softmaxBackward(boolean log, CudaStorage y, CudaStorage g, CudaStorage out, int rows,
      int n);
}
