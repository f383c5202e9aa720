package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/** The activation max(x, 0), elementwise. */
public final class ReLU extends Layer {
  @Override
  public Tensor forward(Tensor x) {
    return input(x).relu();
  }
}
