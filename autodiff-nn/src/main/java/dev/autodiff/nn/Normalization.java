package dev.autodiff.nn;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.Tensor;

/**
 * Feature scaling for datasets: {@link #scale} maps raw values such as 0..255 pixels to [0, 1], and
 * a fitted {@code Normalization} standardizes to mean 0 and standard deviation 1 with statistics
 * taken from the training set only, then applied unchanged to the test set:
 *
 * <pre>{@code
 * Normalization n = Normalization.fit(train.x());
 * Tensor xTrain = n.apply(train.x()), xTest = n.apply(test.x());
 * }</pre>
 *
 * One scalar mean and standard deviation over all features (as for a one-channel image).
 */
public final class Normalization {
  private final double mean;
  private final double std;

  /** A standardization {@code (x - mean) / std}; {@code std} must be positive. */
  public Normalization(double mean, double std) {
    if (!Double.isFinite(mean)) {
      throw new IllegalArgumentException("normalization: mean must be finite, got " + mean);
    }
    if (!(std > 0) || !Double.isFinite(std)) {
      throw new IllegalArgumentException(
          "normalization: std must be positive and finite, got " + std);
    }
    this.mean = mean;
    this.std = std;
  }

  /**
   * The mean and standard deviation of every element of the floating tensor {@code x}; a constant
   * tensor gets std 1 so that applying it only centres.
   */
  public static Normalization fit(Tensor x) {
    checkFloating("fit", x);
    if (x.numel() == 0) {
      throw new IllegalArgumentException("normalization fit: tensor of shape " + x.shape()
          + " is empty");
    }
    // Two passes in double over the values as they are (float64 stays float64): the one-pass
    // E[x^2] - E[x]^2 loses everything when the mean is large against the spread.
    double[] v = x.toDoubleArray();
    double sum = 0;
    for (double d : v) {
      sum += d;
    }
    double mean = sum / v.length;
    double squares = 0;
    for (double d : v) {
      squares += (d - mean) * (d - mean);
    }
    double std = Math.sqrt(squares / v.length);
    return new Normalization(mean, std > 1e-12 ? std : 1.0);
  }

  /** {@code (x - mean) / std}, a new tensor with no gradient history. */
  public Tensor apply(Tensor x) {
    checkFloating("apply", x);
    try (var g = Autograd.noGrad()) {
      return x.sub(mean).div(std);
    }
  }

  /** {@code x / max}: {@code scale(pixels, 255)} maps 0..255 to [0, 1]. No gradient history. */
  public static Tensor scale(Tensor x, double max) {
    checkFloating("scale", x);
    if (!(max > 0) || !Double.isFinite(max)) {
      throw new IllegalArgumentException(
          "normalization scale: max must be positive and finite, got " + max);
    }
    try (var g = Autograd.noGrad()) {
      return x.div(max);
    }
  }

  /** The mean subtracted. */
  public double mean() {
    return mean;
  }

  /** The standard deviation divided by. */
  public double std() {
    return std;
  }

  private static void checkFloating(String op, Tensor x) {
    if (x == null) {
      throw new IllegalArgumentException("normalization " + op + ": tensor must not be null");
    }
    if (!x.dtype().isFloating()) {
      throw new IllegalArgumentException("normalization " + op
          + ": needs a float32 or float64 tensor, got " + x.dtype());
    }
  }

  /** E.g. {@code Normalization(mean=0.2860, std=0.3530)}. */
  @Override
  public String toString() {
    return String.format("Normalization(mean=%.4f, std=%.4f)", mean, std);
  }
}
