package dev.autodiff.core;

import java.lang.ref.Reference;

/**
 * Fused computations that layers and losses build their own ops from: each is one pass (one kernel
 * on a GPU) where the same result from tensor ops would take several. They run outside the tape,
 * so they belong in the forward or backward of an {@link Op#define user op}, whose backward must
 * stay differentiable where second derivatives are wanted.
 */
public final class Fused {
  private Fused() {}

  /**
   * Per-row softmax cross-entropy {@code -log softmax(logits)[label]} of {@code [rows, classes]}
   * logits at INT64 labels {@code [rows]} in [0, classes), stable for large logits; not recorded.
   *
   * @throws IllegalArgumentException on shapes, dtypes or devices that do not fit, or a label
   *     out of range
   */
  public static Tensor crossEntropy(Tensor logits, Tensor labels) {
    check("crossEntropy", logits, labels);
    try {
      return Tensor.wrap(logits, logits.backend().crossEntropy(logits.storage(),
          labels.storage(), logits.size(0), logits.size(1)), Shape.of(logits.size(0)),
          logits.dtype());
    } finally {
      Reference.reachabilityFence(labels);
      Reference.reachabilityFence(logits);
    }
  }

  /**
   * The gradient of {@link #crossEntropy} for the logits, {@code (softmax(logits) -
   * onehot(labels)) scale}, with {@code scale} a scalar or one value per row; not recorded.
   *
   * @throws IllegalArgumentException on shapes, dtypes or devices that do not fit, or a label
   *     out of range
   */
  public static Tensor crossEntropyBackward(Tensor logits, Tensor labels, Tensor scale) {
    check("crossEntropyBackward", logits, labels);
    Tensor.required("crossEntropyBackward", "scale", scale);
    scale.checkOpen("crossEntropyBackward");
    if (scale.numel() != 1 && !scale.shape().equals(Shape.of(logits.size(0)))) {
      throw new IllegalArgumentException("crossEntropyBackward: scale of shape " + scale.shape()
          + " must be a single value or one per row of logits " + logits.shape());
    }
    if (!scale.device().equals(logits.device())) {
      throw new IllegalArgumentException("crossEntropyBackward: scale is on " + scale.device()
          + ", logits on " + logits.device());
    }
    Tensor s = scale.dtype() == logits.dtype() ? scale : scale.to(logits.dtype());
    try {
      return Tensor.wrap(logits, logits.backend().crossEntropyBackward(logits.storage(),
          labels.storage(), s.storage(), logits.size(0), logits.size(1)), logits.shape(),
          logits.dtype());
    } finally {
      if (s != scale) {
        s.close(); // the dtype-converted copy
      }
      Reference.reachabilityFence(scale);
      Reference.reachabilityFence(labels);
      Reference.reachabilityFence(logits);
    }
  }

  private static void check(String op, Tensor logits, Tensor labels) {
    Tensor.required(op, "logits", logits);
    Tensor.required(op, "labels", labels);
    logits.checkOpen(op);
    labels.checkOpen(op);
    if (logits.rank() != 2 || !logits.dtype().isFloating()) {
      throw new IllegalArgumentException(op + ": logits must be floating [rows, classes], got "
          + logits.dtype() + " of shape " + logits.shape());
    }
    if (labels.dtype() != DType.INT64 || !labels.shape().equals(Shape.of(logits.size(0)))) {
      throw new IllegalArgumentException(op + ": labels must be int64 of shape ["
          + logits.size(0) + "], got " + labels.dtype() + " of shape " + labels.shape());
    }
    if (!labels.device().equals(logits.device())) {
      throw new IllegalArgumentException(op + ": labels are on " + labels.device()
          + ", logits on " + logits.device());
    }
    if (logits.size(1) == 0 && logits.size(0) > 0) {
      throw new IllegalArgumentException(op + ": logits " + logits.shape() + " have no classes");
    }
  }
}
