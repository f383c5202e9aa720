package dev.autodiff.nn;

import dev.autodiff.core.Fused;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.UnaryOp;
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

  /**
   * This layer followed by {@code next}, with the bias add and {@code next}'s activation fused
   * when {@code next} is ReLU, Sigmoid, Tanh, or LeakyReLU or ELU with a non-negative constant,
   * and the input is a batch of rows; else null, and the caller runs the two layers one by one.
   */
  Tensor forwardWith(Tensor x, Layer next) {
    UnaryOp act;
    double p = 0;
    if (next instanceof ReLU) {
      act = UnaryOp.RELU;
    } else if (next instanceof Sigmoid) {
      act = UnaryOp.SIGMOID;
    } else if (next instanceof Tanh) {
      act = UnaryOp.TANH;
    } else if (next instanceof LeakyReLU && ((LeakyReLU) next).slope() >= 0) {
      act = UnaryOp.LEAKY_RELU;
      p = ((LeakyReLU) next).slope();
    } else if (next instanceof ELU && ((ELU) next).alpha() >= 0) {
      act = UnaryOp.ELU;
      p = ((ELU) next).alpha();
    } else {
      return null;
    }
    Tensor bias = bias();
    if (bias == null || x == null || x.rank() != 2 || x.size(-1) != in) {
      return null; // forward() handles these, and reports bad input
    }
    Tensor y = Tensor.matmul(x, false, weight(), true);
    if (y.dtype() != bias.dtype() || !y.device().equals(bias.device())) {
      return next.forward(y.add(bias)); // add's promotion rules and messages
    }
    return Fused.biasActivation(y, bias, act, p);
  }

  @Override
  public Tensor forward(Tensor x) {
    if (input(x).rank() == 0 || x.size(-1) != in) {
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
