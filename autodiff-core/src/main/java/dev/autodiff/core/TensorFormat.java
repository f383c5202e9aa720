package dev.autodiff.core;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * Prints tensors as NumPy prints arrays: one format for all elements (trailing zeros dropped,
 * columns aligned), scientific notation for very large or small magnitudes, and only the first and
 * last three entries of each axis once a tensor has more than 1000 elements.
 */
final class TensorFormat {
  static final int THRESHOLD = 1000;
  static final int EDGE = 3;
  static final int LINE_WIDTH = 75;
  static final int PRECISION = 8;
  private static final String PREFIX = "tensor(";

  private TensorFormat() {}

  static String format(Tensor t) {
    Shape shape = t.shape();
    boolean summarize = shape.numel() > THRESHOLD;
    // An empty tensor shows no cells, however long its other axes: no index list is built.
    String[] cells = shape.numel() == 0 ? new String[0] : cells(t, summarize);
    int width = 0;
    for (String c : cells) {
      width = Math.max(width, c.length());
    }
    StringBuilder sb = new StringBuilder(PREFIX);
    int[] dims = shape.toArray();
    if (shape.numel() == 0) {
      sb.append("[]");
    } else {
      int[] at = {0};
      block(sb, dims, 0, cells, at, width, summarize, PREFIX.length());
    }
    sb.append(", shape=").append(shape).append(", dtype=").append(t.dtype());
    if (t.isRequiresGrad()) {
      sb.append(", requiresGrad=true");
    }
    return sb.append(')').toString();
  }

  /** Appends the block for axes {@code axis..}, consuming cells in order. */
  private static void block(StringBuilder sb, int[] dims, int axis, String[] cells, int[] at,
      int width, boolean summarize, int indent) {
    if (axis == dims.length) {
      sb.append(pad(cells[at[0]++], width));
      return;
    }
    int n = dims[axis];
    boolean cut = summarize && n > 2 * EDGE;
    sb.append('[');
    for (int i = 0; i < n; i++) {
      if (cut && i == EDGE) {
        i = n - EDGE;
        separator(sb, dims, axis, indent);
        sb.append("...");
      }
      if (i > 0) {
        if (axis == dims.length - 1) {
          sb.append(',');
          if (sb.length() - lastNewline(sb) + 1 + width > LINE_WIDTH) {
            sb.append('\n').append(" ".repeat(indent + axis + 1));
          } else {
            sb.append(' ');
          }
        } else {
          separator(sb, dims, axis, indent);
        }
      }
      block(sb, dims, axis + 1, cells, at, width, summarize, indent);
      if (cut && i == EDGE - 1) {
        sb.append(',');
      }
    }
    sb.append(']');
  }

  private static void separator(StringBuilder sb, int[] dims, int axis, int indent) {
    if (axis == dims.length - 1) {
      sb.append(' ');
      return;
    }
    if (sb.charAt(sb.length() - 1) != ',') {
      sb.append(',');
    }
    sb.append("\n".repeat(dims.length - 1 - axis)).append(" ".repeat(indent + axis + 1));
  }

  private static int lastNewline(StringBuilder sb) {
    int i = sb.lastIndexOf("\n");
    return i < 0 ? 0 : i;
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
  }

  /** Formats the shown elements in row-major order. */
  private static String[] cells(Tensor t, boolean summarize) {
    int[] dims = t.shape().toArray();
    int[] index = shownIndices(dims, summarize);
    if (t.dtype() == DType.INT64) {
      long[] v = t.toLongArray();
      String[] out = new String[index.length];
      for (int i = 0; i < index.length; i++) {
        out[i] = Long.toString(v[index[i]]);
      }
      return out;
    }
    double[] v = t.toDoubleArray();
    double[] shown = new double[index.length];
    for (int i = 0; i < index.length; i++) {
      shown[i] = v[index[i]];
    }
    return floats(shown, t.dtype() == DType.FLOAT32);
  }

  /** Flat indices of the elements that are printed. */
  private static int[] shownIndices(int[] dims, boolean summarize) {
    int[] idx = {0};
    int count = 1;
    for (int d = 0; d < dims.length; d++) {
      int n = dims[d];
      int[] keep = axisKeep(n, summarize);
      int[] next = new int[count * keep.length];
      for (int i = 0; i < count; i++) {
        for (int k = 0; k < keep.length; k++) {
          next[i * keep.length + k] = idx[i] * n + keep[k];
        }
      }
      idx = next;
      count = next.length;
    }
    return idx;
  }

  private static int[] axisKeep(int n, boolean summarize) {
    if (!summarize || n <= 2 * EDGE) {
      int[] all = new int[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      return all;
    }
    return new int[] {0, 1, 2, n - 3, n - 2, n - 1};
  }

  /** NumPy's default: the shortest digits that identify each value, at most 8 after the point. */
  private static String[] floats(double[] v, boolean float32) {
    double maxAbs = 0;
    double minAbs = Double.POSITIVE_INFINITY;
    boolean integral = true;
    for (double x : v) {
      if (Double.isFinite(x)) {
        double a = Math.abs(x);
        maxAbs = Math.max(maxAbs, a);
        if (a > 0) {
          minAbs = Math.min(minAbs, a);
        }
        integral &= x == Math.rint(x);
      }
    }
    // NumPy switches to scientific notation for large values or a wide range with tiny ones.
    boolean scientific = maxAbs >= 1e8 || (!integral && minAbs < 1e-4)
        || (!integral && minAbs < Double.POSITIVE_INFINITY && maxAbs / minAbs > 1e3);
    String[] out = new String[v.length];
    if (scientific) {
      for (int i = 0; i < v.length; i++) {
        out[i] = special(v[i]) != null ? special(v[i])
            : String.format(Locale.ROOT, "%.4e", v[i]);
      }
      return out;
    }
    int frac = 0;
    String[] plain = new String[v.length];
    for (int i = 0; i < v.length; i++) {
      if (special(v[i]) != null) {
        continue;
      }
      BigDecimal d = new BigDecimal(float32 ? Float.toString((float) v[i]) : Double.toString(v[i]));
      if (d.scale() > PRECISION) {
        d = d.setScale(PRECISION, RoundingMode.HALF_EVEN);
      }
      String s = d.stripTrailingZeros().toPlainString();
      plain[i] = s;
      int dot = s.indexOf('.');
      frac = Math.max(frac, dot < 0 ? 0 : s.length() - dot - 1);
    }
    for (int i = 0; i < v.length; i++) {
      if (plain[i] == null) {
        out[i] = special(v[i]);
        continue;
      }
      String s = plain[i];
      int dot = s.indexOf('.');
      if (dot < 0) {
        s = s + ".";
        dot = s.length() - 1;
      }
      if (s.equals("-0.") || (v[i] == 0 && 1 / v[i] < 0)) {
        s = "-0.";
      }
      int have = s.length() - dot - 1;
      out[i] = s + " ".repeat(Math.max(0, frac - have));
    }
    return out;
  }

  private static String special(double x) {
    if (Double.isNaN(x)) {
      return "nan";
    }
    if (Double.isInfinite(x)) {
      return x > 0 ? "inf" : "-inf";
    }
    return null;
  }
}
