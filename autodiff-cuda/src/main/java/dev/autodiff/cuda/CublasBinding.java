package dev.autodiff.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the two cuBLAS bindings do alike, whatever calls the library: one handle per stream, made
 * on first use (with that stream's context current) in the math mode chosen once; calls on one
 * handle serialised, since they share its host scalars; products of more batches than cuBLAS takes
 * split into several calls.
 *
 * @param <H> a binding's handle and its host scalars
 */
abstract class CublasBinding<H> implements BlasProvider {
  private final String name;
  private final int mathMode;
  private final Map<Long, H> handles = new ConcurrentHashMap<>();

  /**
   * @param library "cuBLAS 12.6.4 (where) through how", to which the precision is added
   * @param tf32 whether float32 products may use TF32 tensor cores
   */
  CublasBinding(String library, boolean tf32) {
    this.name = library + ", " + CublasLibrary.precision(tf32);
    this.mathMode = tf32 ? CublasLibrary.TF32_TENSOR_OP_MATH : CublasLibrary.DEFAULT_MATH;
  }

  /**
   * A new handle bound to {@code stream}, in {@link #mathMode()}.
   *
   * @throws IllegalStateException when cuBLAS refuses, naming the call and the status
   */
  abstract H createHandle(long stream);

  /** Queues one call of at most {@link CublasLibrary#MAX_BATCHES} batches; h's lock is held. */
  abstract void queue(H h, GemmCall g);

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String toString() {
    return name;
  }

  /** The math mode each handle gets: {@code CUBLAS_DEFAULT_MATH} or TF32 tensor ops. */
  final int mathMode() {
    return mathMode;
  }

  @Override
  public final void prepare(long stream) {
    handle(stream);
  }

  @Override
  public final void run(long stream, GemmCall call) {
    H h = handle(stream);
    synchronized (h) {
      call.inCallsOf(CublasLibrary.MAX_BATCHES, g -> queue(h, g));
    }
  }

  /** The handle of {@code stream}, made on first use. */
  final H handle(long stream) {
    H h = handles.get(stream);
    return h != null ? h : handles.computeIfAbsent(stream, this::createHandle);
  }
}
