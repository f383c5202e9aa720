package dev.autodiff.core;

import java.lang.ref.Reference;

/**
 * Fused computations that layers and losses build on: each is one pass (one kernel on a GPU) where
 * the same result from tensor ops would take several. {@link #biasActivation} is a recorded,
 * differentiable op; the cross-entropy pair runs outside the tape, so it belongs in the forward
 * or backward of an {@link Op#define user op}, whose backward must stay differentiable where
 * second derivatives are wanted.
 */
public final class Fused {
  private Fused() {}

  /**
   * {@code act(z + bias)} in one pass, recorded and differentiable (to second order): a layer's
   * bias add and activation for z of {@code [rows, cols]} and a bias of {@code [cols]}. The
   * activation is RELU, SIGMOID, TANH, or LEAKY_RELU or ELU with constant {@code p >= 0}; it gives
   * the same numbers as {@code z.add(bias)} followed by the activation's Tensor method.
   *
   * @throws IllegalArgumentException for another activation, a negative constant, or shapes,
   *     dtypes or devices that do not fit
   */
  public static Tensor biasActivation(Tensor z, Tensor bias, UnaryOp act, double p) {
    Tensor.required("biasActivation", "input", z);
    Tensor.required("biasActivation", "bias", bias);
    Tensor.required("biasActivation", "activation", act);
    z.checkOpen("biasActivation");
    bias.checkOpen("biasActivation");
    boolean fromOutput = act == UnaryOp.RELU || act == UnaryOp.SIGMOID || act == UnaryOp.TANH
        || (act == UnaryOp.LEAKY_RELU || act == UnaryOp.ELU) && p >= 0;
    if (!fromOutput) {
      throw new IllegalArgumentException("biasActivation: " + act + " with constant " + p
          + " is not fused; use relu, sigmoid, tanh, or leakyRelu or elu with a constant >= 0");
    }
    if (z.rank() != 2 || !z.dtype().isFloating() || bias.dtype() != z.dtype()
        || !bias.shape().equals(Shape.of(z.size(1)))) {
      throw new IllegalArgumentException("biasActivation: input " + z.dtype() + " " + z.shape()
          + " must be floating [rows, cols] with a bias of [cols] and its dtype, got "
          + bias.dtype() + " " + bias.shape());
    }
    if (!bias.device().equals(z.device())) {
      throw new IllegalArgumentException("biasActivation: tensors are on different devices, "
          + z.device() + " and " + bias.device() + "; move one with to(Device)");
    }
    OpContext c = new OpContext();
    c.activation = act;
    c.p = p;
    return Ops.BIAS_ACTIVATION.run(c, z, bias);
  }

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
   * onehot(labels)) scale}, with {@code scale} a scalar or one value per row; not recorded. The
   * labels are checked again (on a GPU for free when they are those {@link #crossEntropy}
   * accepted, unchanged since).
   *
   * @throws IllegalArgumentException on shapes, dtypes or devices that do not fit
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
