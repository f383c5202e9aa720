package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/** The activation tanh(x), elementwise. */
public final class Tanh extends Layer {
  @Override
  public Tensor forward(Tensor x) {
    return input(x).tanh();
  }
}
