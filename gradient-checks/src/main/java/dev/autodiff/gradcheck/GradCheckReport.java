package dev.autodiff.gradcheck;

import java.util.List;
import java.util.Locale;

/**
 * The outcome of one gradient check: whether it passed, the worst disagreement seen, and the
 * entries that failed (the first few are kept).
 */
public final class GradCheckReport {
  /** At most this many mismatches are kept and printed. */
  static final int KEPT = 8;

  private final String name;
  private final String inputs;
  private final double worstError;
  private final long failures;
  private final List<Mismatch> mismatches;
  private final String settings;

  GradCheckReport(String name, String inputs, double worstError, long failures,
      List<Mismatch> mismatches, String settings) {
    this.name = name;
    this.inputs = inputs;
    this.worstError = worstError;
    this.failures = failures;
    this.mismatches = List.copyOf(mismatches);
    this.settings = settings;
  }

  /** True when every compared entry was within tolerance. */
  public boolean passed() {
    return failures == 0;
  }

  /** The largest |analytic - numeric| over all compared entries. */
  public double worstError() {
    return worstError;
  }

  /** The number of entries that failed. */
  public long failures() {
    return failures;
  }

  /** The first failing entries (at most eight). */
  public List<Mismatch> mismatches() {
    return mismatches;
  }

  /** Throws a {@link GradCheckFailure} with this report when the check failed. */
  public GradCheckReport assertPassed() {
    if (!passed()) {
      throw new GradCheckFailure(this);
    }
    return this;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append("gradient check of ").append(name).append(passed() ? " passed" : " FAILED")
        .append(String.format(Locale.ROOT, " (worst error %.3g; %s)", worstError, settings));
    sb.append("\n  inputs: ").append(inputs);
    if (!passed()) {
      sb.append("\n  ").append(failures).append(" entries out of tolerance");
      if (failures > mismatches.size()) {
        sb.append(", the first ").append(mismatches.size());
      }
      sb.append(':');
      for (Mismatch m : mismatches) {
        sb.append("\n    ").append(m);
      }
    }
    return sb.toString();
  }
}
