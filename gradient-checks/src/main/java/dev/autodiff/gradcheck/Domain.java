package dev.autodiff.gradcheck;

import java.util.Arrays;

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
    if (!(low < high)) {
      throw new IllegalArgumentException("domain: low " + low + " must be below high " + high);
    }
    this.low = low;
    this.high = high;
    this.avoid = avoid;
    this.distinct = distinct;
  }

  /** Values in [-2, 2]. */
  public static Domain any() {
    return range(-2, 2);
  }

  /** Values in [low, high]. */
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

  /** This domain, keeping at least {@link #MARGIN} away from each of {@code points}. */
  public Domain avoiding(double... points) {
    double[] all = Arrays.copyOf(avoid, avoid.length + points.length);
    System.arraycopy(points, 0, all, avoid.length, points.length);
    return new Domain(low, high, all, distinct);
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
