package dev.autodiff.nn;

import dev.autodiff.core.Tensor;
import java.util.Random;

/**
 * In training, zeroes each element with probability p and scales the rest by 1 / (1 - p) (p = 1
 * zeroes everything); in evaluation ({@link #eval()}), the identity. The mask comes from a seeded generator: it is drawn
 * on the CPU and moved to the input's device, so a seed gives the same masks on every device.
 */
public final class Dropout extends Layer {
  private final double p;
  private final Random rnd;

  /** Dropout with probability p, drawing from the default generator. */
  public Dropout(double p) {
    this(p, Init.defaultRandom());
  }

  /** Dropout with probability p, drawing masks from {@code rnd}. */
  public Dropout(double p, Random rnd) {
    if (rnd == null) {
      throw new IllegalArgumentException("Dropout: random must not be null");
    }
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("Dropout: p must be in [0, 1], got " + p);
    }
    this.p = p;
    this.rnd = rnd;
  }

  @Override
  public Tensor forward(Tensor x) {
    input(x);
    if (!x.dtype().isFloating()) { // PyTorch too: a scaled int64 result has no int64 value
      throw new IllegalArgumentException(
          "dropout: input must be floating, got " + x.dtype() + " of shape " + x.shape());
    }
    if (!isTraining() || p == 0) {
      return x;
    }
    if (p == 1) {
      return x.mul(0); // every element dropped (PyTorch's p = 1); gradients are zero
    }
    Tensor keep = Tensor.rand(rnd, x.shape().toArray()).ge(p).to(x.dtype()).to(x.device());
    return x.mul(keep).div(1 - p);
  }

  @Override
  protected String describe() {
    return "Dropout(" + p + ")";
  }
}
