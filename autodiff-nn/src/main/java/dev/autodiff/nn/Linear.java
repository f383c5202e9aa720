package dev.autodiff.nn;

import dev.autodiff.core.Tensor;
import java.util.Random;

/**
 * y = x W^T + b, with W of shape [out, in] and b of shape [out], initialized as PyTorch's {@code
 * nn.Linear}: W and b from U(-1/sqrt(in), 1/sqrt(in)). The transpose is a BLAS flag, not a copy.
 */
public final class Linear extends Layer {
  private final int in;
  private final int out;
  private final boolean hasBias;

  /** A layer from {@code in} to {@code out} features, with bias, from the default generator. */
  public Linear(int in, int out) {
    this(in, out, true, Init.defaultRandom());
  }

  /** A layer from {@code in} to {@code out} features, with bias, initialized from {@code rnd}. */
  public Linear(int in, int out, Random rnd) {
    this(in, out, true, rnd);
  }

  /** A layer from {@code in} to {@code out} features, with or without bias. */
  public Linear(int in, int out, boolean bias, Random rnd) {
    if (rnd == null) {
      throw new IllegalArgumentException("Linear: random must not be null");
    }
    if (in <= 0 || out <= 0) {
      throw new IllegalArgumentException(
          "Linear: sizes must be positive, got in=" + in + ", out=" + out);
    }
    this.in = in;
    this.out = out;
    double bound = 1 / Math.sqrt(in);
    // kaiming_uniform with a = sqrt(5), as PyTorch: the bound is 1 / sqrt(in) too.
    parameter("weight", Init.uniform(Tensor.zeros(out, in), -bound, bound, rnd));
    if (bias) {
      parameter("bias", Init.uniform(Tensor.zeros(out), -bound, bound, rnd));
    }
    this.hasBias = bias;
  }

  /** The weight, [out, in] (on the layer's current device: see {@link Layer#to}). */
  public Tensor weight() {
    return parameter("weight");
  }

  /** The bias, [out], or null when built without one. */
  public Tensor bias() {
    return hasBias ? parameter("bias") : null;
  }

  @Override
  public Tensor forward(Tensor x) {
    if (x == null) {
      throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input is null");
    }
    if (x.rank() == 0 || x.size(-1) != in) {
      throw new IllegalArgumentException("Linear(" + in + " -> " + out + "): input of shape "
          + x.shape() + " must have " + in + " features in its last axis");
    }
    Tensor weight = weight();
    Tensor bias = bias();
    Tensor y = x.rank() == 1
        ? Tensor.matmul(x.unsqueeze(0), false, weight, true).squeeze(0)
        : Tensor.matmul(x, false, weight, true);
    return bias == null ? y : y.add(bias);
  }

  @Override
  protected String describe() {
    return "Linear(" + in + " -> " + out + (hasBias ? "" : ", no bias") + ")";
  }
}
