package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/** The activation 1 / (1 + e^-x), elementwise. */
public final class Sigmoid extends Layer {
  @Override
  public Tensor forward(Tensor x) {
    return input(x).sigmoid();
  }
}
