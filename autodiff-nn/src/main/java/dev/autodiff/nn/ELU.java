package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/** x for x &gt; 0, else alpha (e^x - 1) (PyTorch's default alpha is 1). */
public final class ELU extends Layer {
  private final double alpha;

  /** With alpha 1. */
  public ELU() {
    this(1.0);
  }

  /** With the given alpha. */
  public ELU(double alpha) {
    this.alpha = alpha;
  }

  @Override
  public Tensor forward(Tensor x) {
    return input(x).elu(alpha);
  }

  /** The scale of the negative part. */
  double alpha() {
    return alpha;
  }

  @Override
  protected String describe() {
    return "ELU(" + alpha + ")";
  }
}
