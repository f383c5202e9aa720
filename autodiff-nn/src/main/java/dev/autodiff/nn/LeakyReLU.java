package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/** x for x &gt; 0, else slope x (PyTorch's default slope is 0.01). */
public final class LeakyReLU extends Layer {
  private final double slope;

  /** With slope 0.01. */
  public LeakyReLU() {
    this(0.01);
  }

  /** With the given negative slope. */
  public LeakyReLU(double slope) {
    this.slope = slope;
  }

  @Override
  public Tensor forward(Tensor x) {
    return input(x).leakyRelu(slope);
  }

  /** The negative slope. */
  double slope() {
    return slope;
  }

  @Override
  protected String describe() {
    return "LeakyReLU(" + slope + ")";
  }
}
