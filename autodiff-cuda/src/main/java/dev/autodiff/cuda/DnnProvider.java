package dev.autodiff.cuda;

import dev.autodiff.core.UnaryOp;

/**
 * Activations and softmax from a vendor library (cuDNN), on the context's stream. Each method
 * returns false, having done nothing, for a case it does not cover; the backend then runs its own
 * kernel. Storages are float32 or float64 and of one dtype per call.
 */
interface DnnProvider {
  /** A short name for logs, e.g. {@code cuDNN 9.1.0}. */
  String name();

  /** {@code y = act(x)} elementwise, with the activation's constant p. */
  boolean activation(UnaryOp act, double p, CudaStorage x, CudaStorage y);

  /** {@code out = g act'(x)} from input x, output y and cotangent g. */
  boolean activationBackward(UnaryOp act, double p, CudaStorage x, CudaStorage y, CudaStorage g,
      CudaStorage out);

  /** Softmax (or log-softmax) of each of {@code rows} contiguous rows of {@code n}. */
  boolean softmax(boolean log, CudaStorage x, CudaStorage y, int rows, int n);

  /** The softmax (or log-softmax) VJP per row, from output y and cotangent g. */
  boolean softmaxBackward(boolean log, CudaStorage y, CudaStorage g, CudaStorage out, int rows,
      int n);
}
