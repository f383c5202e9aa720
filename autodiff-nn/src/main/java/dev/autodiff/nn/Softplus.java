package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/** The activation log(1 + e^x), elementwise. */
public final class Softplus extends Layer {
  @Override
  public Tensor forward(Tensor x) {
    return input(x).softplus();
  }
}
