package dev.autodiff.gradcheck;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where generated values lie: a range, points to keep away from (the kinks of relu and abs, the
 * bounds of clamp), and whether values must be pairwise apart (no ties for max and min). Finite
 * differences across a kink or a tie measure nothing useful, so a property picks the domain its op
 * is smooth on.
 */
public final class Domain {
  /** How far generated values stay from avoided points. */
  public static final double MARGIN = 0.05;

  final double low;
  final double high;
  final double[] avoid;
  final boolean distinct;

  private Domain(double low, double high, double[] avoid, boolean distinct) {
    if (!Double.isFinite(low) || !Double.isFinite(high) || !(low < high)) {
      throw new IllegalArgumentException(
          "domain: low " + low + " must be below high " + high + ", both finite");
    }
    // Values are generated with six decimals (TensorArbitraries): at least one must fit.
    if (Math.ceil(low * 1e6) > Math.floor(high * 1e6)) {
      throw new IllegalArgumentException("domain: [" + low + ", " + high + "] holds no value"
          + " with six decimals, the precision values are generated at");
    }
    this.low = low;
    this.high = high;
    this.avoid = avoid;
    this.distinct = distinct;
    if (admitted() < (high - low) / 100) {
      throw new IllegalArgumentException("domain: " + this + " leaves "
          + (admitted() == 0 ? "nothing" : "under 1% of the range") + " at least " + MARGIN
          + " from the avoided points");
    }
  }

  /** Values in [-2, 2]. */
  public static Domain any() {
    return range(-2, 2);
  }

  /**
   * Values in [low, high].
   *
   * @throws IllegalArgumentException unless both are finite, low is below high, and a value with
   *     six decimals lies between them
   */
  public static Domain range(double low, double high) {
    return new Domain(low, high, new double[0], false);
  }

  /** Values in [0.2, 3]: inside the domains of log, sqrt and a divisor. */
  public static Domain positive() {
    return range(0.2, 3);
  }

  /** Values in [-2, 2] at least {@link #MARGIN} from 0: away from the kinks of relu and abs. */
  public static Domain awayFromZero() {
    return any().avoiding(0);
  }

  /** Values in [-2, 2], pairwise apart, so a max or min has no ties. */
  public static Domain distinct() {
    return new Domain(-2, 2, new double[0], true);
  }

  /**
   * This domain, keeping at least {@link #MARGIN} away from each of {@code points}.
   *
   * @throws IllegalArgumentException when that leaves under 1% of the range
   */
  public Domain avoiding(double... points) {
    if (points == null) {
      throw new IllegalArgumentException("domain: points to avoid must not be null");
    }
    for (double p : points) {
      if (!Double.isFinite(p)) {
        throw new IllegalArgumentException("domain: cannot avoid " + p + "; points must be finite");
      }
    }
    double[] all = Arrays.copyOf(avoid, avoid.length + points.length);
    System.arraycopy(points, 0, all, avoid.length, points.length);
    return new Domain(low, high, all, distinct);
  }

  /**
   * The admitted parts of [low, high] (at least {@link #MARGIN} from every avoided point), as
   * sorted, disjoint [from, to] pairs.
   */
  double[][] intervals() {
    double[][] holes = new double[avoid.length][];
    for (int i = 0; i < avoid.length; i++) {
      holes[i] = new double[] {avoid[i] - MARGIN, avoid[i] + MARGIN};
    }
    Arrays.sort(holes, (a, b) -> Double.compare(a[0], b[0]));
    List<double[]> parts = new ArrayList<>();
    double at = low;
    for (double[] h : holes) {
      if (h[0] > at) {
        parts.add(new double[] {at, Math.min(h[0], high)});
      }
      at = Math.max(at, h[1]);
      if (at >= high) {
        break;
      }
    }
    if (at < high) {
      parts.add(new double[] {at, high});
    }
    return parts.toArray(new double[0][]);
  }

  /** The total length of the admitted parts. */
  double admitted() {
    double sum = 0;
    for (double[] part : intervals()) {
      sum += part[1] - part[0];
    }
    return sum;
  }

  /** The point {@code t} (0 to {@link #admitted()}) along the admitted parts, holes skipped. */
  double along(double t) {
    double[][] parts = intervals();
    for (double[] part : parts) {
      double len = part[1] - part[0];
      if (t <= len) {
        return part[0] + t;
      }
      t -= len;
    }
    return parts[parts.length - 1][1];
  }

  boolean admits(double v) {
    for (double p : avoid) {
      if (Math.abs(v - p) < MARGIN) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "[" + low + ", " + high + "]" + (avoid.length > 0 ? " avoiding "
        + Arrays.toString(avoid) : "") + (distinct ? ", distinct" : "");
  }
}
