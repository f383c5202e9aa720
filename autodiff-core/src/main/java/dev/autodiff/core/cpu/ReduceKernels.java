package dev.autodiff.core.cpu;

import dev.autodiff.core.ReduceOp;

/**
 * Reductions and softmax along one axis of an array viewed as {@code [outer, n, inner]}. Float
 * inputs accumulate in double. Output position {@code p} stands for {@code (p / inner, p % inner)}.
 */
final class ReduceKernels {
  private ReduceKernels() {}

  // ---- sums over the axis, accumulated row by row so the inner loop is contiguous -------------

  /** The sum of {@code x[from, to)}, with four accumulators so the adds overlap. */
  static double sumRun(float[] x, int from, int to) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = from;
    for (; i + 3 < to; i += 4) {
      s0 += x[i];
      s1 += x[i + 1];
      s2 += x[i + 2];
      s3 += x[i + 3];
    }
    for (; i < to; i++) {
      s0 += x[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** The sum of {@code x[from, to)}, with four accumulators so the adds overlap. */
  static double sumRun(double[] x, int from, int to) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = from;
    for (; i + 3 < to; i += 4) {
      s0 += x[i];
      s1 += x[i + 1];
      s2 += x[i + 2];
      s3 += x[i + 3];
    }
    for (; i < to; i++) {
      s0 += x[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  static void sum(float[] x, float[] o, int n, int inner, int fromOuter, int toOuter) {
    if (inner == 1) {
      for (int i = fromOuter; i < toOuter; i++) o[i] = (float) sumRun(x, i * n, i * n + n);
      return;
    }
    double[] acc = new double[inner];
    for (int i = fromOuter; i < toOuter; i++) {
      java.util.Arrays.fill(acc, 0);
      int base = i * n * inner;
      for (int k = 0; k < n; k++) {
        int row = base + k * inner;
        for (int j = 0; j < inner; j++) acc[j] += x[row + j];
      }
      for (int j = 0; j < inner; j++) o[i * inner + j] = (float) acc[j];
    }
  }

  static void sum(double[] x, double[] o, int n, int inner, int fromOuter, int toOuter) {
    if (inner == 1) {
      for (int i = fromOuter; i < toOuter; i++) o[i] = sumRun(x, i * n, i * n + n);
      return;
    }
    double[] acc = new double[inner];
    for (int i = fromOuter; i < toOuter; i++) {
      java.util.Arrays.fill(acc, 0);
      int base = i * n * inner;
      for (int k = 0; k < n; k++) {
        int row = base + k * inner;
        for (int j = 0; j < inner; j++) acc[j] += x[row + j];
      }
      System.arraycopy(acc, 0, o, i * inner, inner);
    }
  }

  static void sum(long[] x, long[] o, int n, int inner, int fromOuter, int toOuter) {
    for (int i = fromOuter; i < toOuter; i++) {
      int base = i * n * inner;
      for (int k = 0; k < n; k++) {
        int row = base + k * inner;
        for (int j = 0; j < inner; j++) o[i * inner + j] += x[row + j];
      }
    }
  }

  // ---- max, min, their indices and logSumExp, per output position -----------------------------

  /** Writes values to {@code o} (or indices to {@code idx} for ARGMAX/ARGMIN). */
  static void extreme(ReduceOp op, double[] x, double[] o, long[] idx, int n, int inner, int from,
      int to) {
    boolean max = op == ReduceOp.MAX || op == ReduceOp.ARGMAX || op == ReduceOp.LOG_SUM_EXP;
    for (int p = from; p < to; p++) {
      int base = (p / inner) * n * inner + p % inner;
      int best = 0;
      double bv = x[base];
      for (int k = 1; k < n && bv == bv; k++) { // stop at the first NaN
        double v = x[base + k * inner];
        if (v != v || (max ? v > bv : v < bv)) {
          bv = v;
          best = k;
        }
      }
      if (op == ReduceOp.LOG_SUM_EXP) {
        o[p] = logSumExp(x, base, n, inner, bv);
      } else if (idx != null) {
        idx[p] = best;
      } else {
        o[p] = bv;
      }
    }
  }

  static void extreme(ReduceOp op, float[] x, float[] o, long[] idx, int n, int inner, int from,
      int to) {
    boolean max = op == ReduceOp.MAX || op == ReduceOp.ARGMAX || op == ReduceOp.LOG_SUM_EXP;
    for (int p = from; p < to; p++) {
      int base = (p / inner) * n * inner + p % inner;
      int best = 0;
      float bv = x[base];
      for (int k = 1; k < n && bv == bv; k++) { // stop at the first NaN
        float v = x[base + k * inner];
        if (v != v || (max ? v > bv : v < bv)) {
          bv = v;
          best = k;
        }
      }
      if (op == ReduceOp.LOG_SUM_EXP) {
        double s = 0;
        if (bv != Float.NEGATIVE_INFINITY && bv != Float.POSITIVE_INFINITY) {
          for (int k = 0; k < n; k++) s += Math.exp(x[base + k * inner] - (double) bv);
          o[p] = (float) (bv + Math.log(s));
        } else {
          o[p] = bv;
        }
      } else if (idx != null) {
        idx[p] = best;
      } else {
        o[p] = bv;
      }
    }
  }

  static void extreme(ReduceOp op, long[] x, long[] o, long[] idx, int n, int inner, int from,
      int to) {
    boolean max = op == ReduceOp.MAX || op == ReduceOp.ARGMAX;
    for (int p = from; p < to; p++) {
      int base = (p / inner) * n * inner + p % inner;
      int best = 0;
      long bv = x[base];
      for (int k = 1; k < n; k++) {
        long v = x[base + k * inner];
        if (max ? v > bv : v < bv) {
          bv = v;
          best = k;
        }
      }
      if (idx != null) {
        idx[p] = best;
      } else {
        o[p] = bv;
      }
    }
  }

  private static double logSumExp(double[] x, int base, int n, int inner, double max) {
    if (Double.isInfinite(max)) {
      return max; // all -inf gives -inf; any +inf gives +inf
    }
    double s = 0;
    for (int k = 0; k < n; k++) s += Math.exp(x[base + k * inner] - max);
    return max + Math.log(s);
  }

  // ---- softmax ---------------------------------------------------------------------------------

  static void softmax(double[] x, double[] y, int n, int inner, boolean log, int from, int to) {
    for (int p = from; p < to; p++) {
      int base = (p / inner) * n * inner + p % inner;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < n; k++) max = Math.max(max, x[base + k * inner]);
      double s = 0;
      for (int k = 0; k < n; k++) s += Math.exp(x[base + k * inner] - max);
      double logS = Math.log(s);
      for (int k = 0; k < n; k++) {
        int at = base + k * inner;
        double z = x[at] - max;
        y[at] = log ? z - logS : Math.exp(z) / s;
      }
    }
  }

  static void softmax(float[] x, float[] y, int n, int inner, boolean log, int from, int to) {
    for (int p = from; p < to; p++) {
      int base = (p / inner) * n * inner + p % inner;
      float max = Float.NEGATIVE_INFINITY;
      for (int k = 0; k < n; k++) max = Math.max(max, x[base + k * inner]);
      double s = 0;
      for (int k = 0; k < n; k++) s += Math.exp(x[base + k * inner] - (double) max);
      double logS = Math.log(s);
      for (int k = 0; k < n; k++) {
        int at = base + k * inner;
        double z = x[at] - (double) max;
        y[at] = (float) (log ? z - logS : Math.exp(z) / s);
      }
    }
  }

  // ---- the fused softmax VJPs ------------------------------------------------------------------

  /** y (g - sum(g y)), or with {@code log} g - exp(y) sum(g), per position of [outer, inner]. */
  static void softmaxBackward(double[] y, double[] g, double[] o, int n, int inner, boolean log,
      int from, int to) {
    for (int p = from; p < to; p++) {
      int base = (p / inner) * n * inner + p % inner;
      double s = 0;
      for (int k = 0; k < n; k++) {
        int at = base + k * inner;
        s += log ? g[at] : g[at] * y[at];
      }
      for (int k = 0; k < n; k++) {
        int at = base + k * inner;
        o[at] = log ? g[at] - Math.exp(y[at]) * s : y[at] * (g[at] - s);
      }
    }
  }

  static void softmaxBackward(float[] y, float[] g, float[] o, int n, int inner, boolean log,
      int from, int to) {
    for (int p = from; p < to; p++) {
      int base = (p / inner) * n * inner + p % inner;
      double s = 0;
      for (int k = 0; k < n; k++) {
        int at = base + k * inner;
        s += log ? g[at] : g[at] * (double) y[at];
      }
      for (int k = 0; k < n; k++) {
        int at = base + k * inner;
        o[at] = (float) (log ? g[at] - Math.exp(y[at]) * s : y[at] * (g[at] - s));
      }
    }
  }

  // ---- fused softmax cross-entropy, row by row; the same roundings as logSoftmax, gather, neg
  // (forward) and softmax, oneHot, sub, mul (backward), so the results equal the composed ops' ---

  static void crossEntropy(float[] x, long[] labels, float[] loss, int classes, int from,
      int to) {
    for (int r = from; r < to; r++) {
      int base = r * classes;
      float max = Float.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) max = Math.max(max, x[base + k]);
      double s = 0;
      for (int k = 0; k < classes; k++) s += Math.exp(x[base + k] - (double) max);
      loss[r] = -(float) ((x[base + (int) labels[r]] - (double) max) - Math.log(s));
    }
  }

  static void crossEntropy(double[] x, long[] labels, double[] loss, int classes, int from,
      int to) {
    for (int r = from; r < to; r++) {
      int base = r * classes;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) max = Math.max(max, x[base + k]);
      double s = 0;
      for (int k = 0; k < classes; k++) s += Math.exp(x[base + k] - max);
      loss[r] = -((x[base + (int) labels[r]] - max) - Math.log(s));
    }
  }

  static void crossEntropyBackward(float[] x, long[] labels, float[] scale, boolean perRow,
      float[] out, int classes, int from, int to) {
    for (int r = from; r < to; r++) {
      int base = r * classes;
      float max = Float.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) max = Math.max(max, x[base + k]);
      double s = 0;
      for (int k = 0; k < classes; k++) s += Math.exp(x[base + k] - (double) max);
      float c = scale[perRow ? r : 0];
      int label = (int) labels[r];
      for (int k = 0; k < classes; k++) {
        float p = (float) (Math.exp(x[base + k] - (double) max) / s);
        out[base + k] = (k == label ? p - 1f : p) * c;
      }
    }
  }

  static void crossEntropyBackward(double[] x, long[] labels, double[] scale, boolean perRow,
      double[] out, int classes, int from, int to) {
    for (int r = from; r < to; r++) {
      int base = r * classes;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) max = Math.max(max, x[base + k]);
      double s = 0;
      for (int k = 0; k < classes; k++) s += Math.exp(x[base + k] - max);
      double c = scale[perRow ? r : 0];
      int label = (int) labels[r];
      for (int k = 0; k < classes; k++) {
        double p = Math.exp(x[base + k] - max) / s;
        out[base + k] = (k == label ? p - 1 : p) * c;
      }
    }
  }
}
