package dev.autodiff.nn;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.Random;

/**
 * Parameter initializers, each seeded and each writing into a tensor in place (returned for
 * chaining), with PyTorch's fan and gain conventions: for a weight of shape [out, in, k...],
 * fan_in = in * k..., fan_out = out * k....
 *
 * <p>The tensor may live on any device: samples are drawn on the CPU from the {@link Random} and
 * moved to the tensor's device, so a seed gives the same values everywhere.
 *
 * <p>Layers built without an explicit {@link Random} draw from a default generator, seeded with 0
 * (so runs are reproducible) and re-seeded with {@link #manualSeed(long)}.
 */
public final class Init {
  private static Random defaultRandom = new Random(0);

  private Init() {}

  /** Re-seeds the default generator that layers without an explicit {@link Random} use. */
  public static synchronized void manualSeed(long seed) {
    defaultRandom = new Random(seed);
  }

  /** The default generator. */
  public static synchronized Random defaultRandom() {
    return defaultRandom;
  }

  /** Fills with zeros. */
  public static Tensor zeros(Tensor t) {
    return constant(t, 0);
  }

  /** Fills with {@code value}. */
  public static Tensor constant(Tensor t, double value) {
    if (t == null) {
      throw new IllegalArgumentException("constant: tensor must not be null");
    }
    try (Tensor values = t.fullLike(value)) { // on t's device; freed at once, not by the GC
      return write(t, values);
    }
  }

  /** Fills with samples of U(low, high). */
  public static Tensor uniform(Tensor t, double low, double high, Random rnd) {
    checkArgs("uniform", t, rnd);
    if (!(low <= high)) {
      throw new IllegalArgumentException("uniform: low " + low + " is above high " + high);
    }
    if (!Double.isFinite(high - low)) {
      throw new IllegalArgumentException(
          "uniform: the range [" + low + ", " + high + "] must be finite");
    }
    double[] v = new double[(int) t.numel()];
    for (int i = 0; i < v.length; i++) {
      v[i] = low + (high - low) * rnd.nextDouble();
    }
    return write(t, v);
  }

  /** Fills with samples of N(mean, std^2). */
  public static Tensor normal(Tensor t, double mean, double std, Random rnd) {
    checkArgs("normal", t, rnd);
    if (!(std >= 0) || !Double.isFinite(std) || !Double.isFinite(mean)) {
      throw new IllegalArgumentException(
          "normal: mean and std must be finite and std >= 0, got mean " + mean + ", std " + std);
    }
    double[] v = new double[(int) t.numel()];
    for (int i = 0; i < v.length; i++) {
      v[i] = mean + std * rnd.nextGaussian();
    }
    return write(t, v);
  }

  /** Xavier/Glorot uniform: U(-b, b) with b = gain sqrt(6 / (fan_in + fan_out)). */
  public static Tensor xavierUniform(Tensor t, double gain, Random rnd) {
    checkArgs("xavierUniform", t, rnd);
    double b = gain * Math.sqrt(6.0 / (fanIn("xavierUniform", t) + fanOut(t)));
    return uniform(t, -b, b, rnd);
  }

  /** Xavier/Glorot normal: N(0, s^2) with s = gain sqrt(2 / (fan_in + fan_out)). */
  public static Tensor xavierNormal(Tensor t, double gain, Random rnd) {
    checkArgs("xavierNormal", t, rnd);
    double s = gain * Math.sqrt(2.0 / (fanIn("xavierNormal", t) + fanOut(t)));
    return normal(t, 0, s, rnd);
  }

  /**
   * He/Kaiming uniform for a leaky-ReLU slope {@code a} (0 for ReLU): U(-b, b) with b = gain
   * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)).
   */
  public static Tensor kaimingUniform(Tensor t, double a, Random rnd) {
    checkArgs("kaimingUniform", t, rnd);
    double b = leakyReluGain(a) * Math.sqrt(3.0 / fanIn("kaimingUniform", t));
    return uniform(t, -b, b, rnd);
  }

  /** He/Kaiming normal: N(0, s^2) with s = gain / sqrt(fan_in), gain = sqrt(2 / (1 + a^2)). */
  public static Tensor kaimingNormal(Tensor t, double a, Random rnd) {
    checkArgs("kaimingNormal", t, rnd);
    double s = leakyReluGain(a) / Math.sqrt(fanIn("kaimingNormal", t));
    return normal(t, 0, s, rnd);
  }

  private static void checkArgs(String init, Tensor t, Random rnd) {
    if (t == null || rnd == null) {
      throw new IllegalArgumentException(init + ": tensor and random must not be null");
    }
    if (!t.dtype().isFloating()) {
      throw new IllegalArgumentException(init + ": samples need a floating tensor, got "
          + t.dtype() + " of shape " + t.shape());
    }
  }

  private static double leakyReluGain(double a) {
    return Math.sqrt(2.0 / (1 + a * a));
  }

  /** fan_in of a weight of rank &gt;= 2: size(1) times the receptive field. */
  static int fanIn(String init, Tensor t) {
    if (t.rank() < 2) {
      throw new IllegalArgumentException(init + ": fan in and fan out need a tensor of rank >= 2, "
          + "got shape " + t.shape());
    }
    return t.size(1) * receptiveField(t);
  }

  private static int fanOut(Tensor t) {
    return t.size(0) * receptiveField(t);
  }

  private static int receptiveField(Tensor t) {
    int r = 1;
    for (int i = 2; i < t.rank(); i++) {
      r *= t.size(i);
    }
    return r;
  }

  /**
   * Writes values drawn on the CPU into {@code t} on any device: they are rounded to t's dtype on
   * the CPU and then moved, so a seed gives bit-identical parameters on every device.
   */
  private static Tensor write(Tensor t, double[] values) {
    try (var scope = Tensors.scope()) { // frees the CPU (and device) staging copies at once
      return write(t, Tensor.of(values).reshape(t.shape().toArray()).to(t.dtype())
          .to(t.device()));
    }
  }

  private static Tensor write(Tensor t, Tensor values) {
    try (var g = Autograd.noGrad()) {
      return t.copyFrom(values);
    }
  }
}
