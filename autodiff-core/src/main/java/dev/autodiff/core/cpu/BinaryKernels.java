package dev.autodiff.core.cpu;

import dev.autodiff.core.BinaryOp;
import java.util.Locale;

/**
 * Elementwise kernels of two inputs. The switch on the op sits outside each loop, and the common
 * cases index every array with the same single index ({@code o[i] = a[i] + b[i]}, or a scalar
 * operand {@code o[i] = a[i] + s}): C2 vectorises those loops, but not loops whose arrays carry
 * different unknown offsets, which are left to the broadcast rows that need them.
 */
final class BinaryKernels {
  private BinaryKernels() {}

  /** {@code o[i] = a[i] op b[i]} for i in [from, to). */
  static void same(BinaryOp op, float[] a, float[] b, float[] o, int from, int to) {
    switch (op) {
      case ADD:
        for (int i = from; i < to; i++) o[i] = a[i] + b[i];
        break;
      case SUB:
        for (int i = from; i < to; i++) o[i] = a[i] - b[i];
        break;
      case MUL:
        for (int i = from; i < to; i++) o[i] = a[i] * b[i];
        break;
      case DIV:
        for (int i = from; i < to; i++) o[i] = a[i] / b[i];
        break;
      case POW:
        for (int i = from; i < to; i++) o[i] = (float) CMath.pow(a[i], b[i]);
        break;
      case GT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(a[i], b[i]);
        break;
      case LT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(b[i], a[i]);
        break;
      case GE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(a[i], b[i]);
        break;
      case LE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(b[i], a[i]);
        break;
      case EQ:
        for (int i = from; i < to; i++) o[i] = Compare.eq(a[i], b[i]);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  /** {@code o[i] = a[i] op s} for i in [from, to). */
  static void scalar(BinaryOp op, float[] a, float s, float[] o, int from, int to) {
    switch (op) {
      case ADD:
        for (int i = from; i < to; i++) o[i] = a[i] + s;
        break;
      case SUB:
        for (int i = from; i < to; i++) o[i] = a[i] - s;
        break;
      case MUL:
        for (int i = from; i < to; i++) o[i] = a[i] * s;
        break;
      case DIV:
        for (int i = from; i < to; i++) o[i] = a[i] / s;
        break;
      case POW:
        for (int i = from; i < to; i++) o[i] = (float) CMath.pow(a[i], s);
        break;
      case GT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(a[i], s);
        break;
      case LT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(s, a[i]);
        break;
      case GE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(a[i], s);
        break;
      case LE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(s, a[i]);
        break;
      case EQ:
        for (int i = from; i < to; i++) o[i] = Compare.eq(a[i], s);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  /** {@code o[i] = s op a[i]} for i in [from, to). */
  static void scalarLeft(BinaryOp op, float s, float[] a, float[] o, int from, int to) {
    switch (op) {
      case ADD:
        for (int i = from; i < to; i++) o[i] = s + a[i];
        break;
      case SUB:
        for (int i = from; i < to; i++) o[i] = s - a[i];
        break;
      case MUL:
        for (int i = from; i < to; i++) o[i] = s * a[i];
        break;
      case DIV:
        for (int i = from; i < to; i++) o[i] = s / a[i];
        break;
      case POW:
        for (int i = from; i < to; i++) o[i] = (float) CMath.pow(s, a[i]);
        break;
      case GT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(s, a[i]);
        break;
      case LT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(a[i], s);
        break;
      case GE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(s, a[i]);
        break;
      case LE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(a[i], s);
        break;
      case EQ:
        for (int i = from; i < to; i++) o[i] = Compare.eq(s, a[i]);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  /** {@code o[oo + i] = a[ao + i] op b[bo + i]} for i in [0, n): one broadcast row. */
  static void run(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
    switch (op) {
      case ADD:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i];
        break;
      case SUB:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i];
        break;
      case MUL:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i];
        break;
      case DIV:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / b[bo + i];
        break;
      case POW:
        for (int i = 0; i < n; i++) o[oo + i] = (float) CMath.pow(a[ao + i], b[bo + i]);
        break;
      case GT:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.gt(a[ao + i], b[bo + i]);
        break;
      case LT:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.gt(b[bo + i], a[ao + i]);
        break;
      case GE:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.ge(a[ao + i], b[bo + i]);
        break;
      case LE:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.ge(b[bo + i], a[ao + i]);
        break;
      case EQ:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.eq(a[ao + i], b[bo + i]);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  /** {@code o[i] = a[i] op b[i]} for i in [from, to). */
  static void same(BinaryOp op, double[] a, double[] b, double[] o, int from, int to) {
    switch (op) {
      case ADD:
        for (int i = from; i < to; i++) o[i] = a[i] + b[i];
        break;
      case SUB:
        for (int i = from; i < to; i++) o[i] = a[i] - b[i];
        break;
      case MUL:
        for (int i = from; i < to; i++) o[i] = a[i] * b[i];
        break;
      case DIV:
        for (int i = from; i < to; i++) o[i] = a[i] / b[i];
        break;
      case POW:
        for (int i = from; i < to; i++) o[i] = CMath.pow(a[i], b[i]);
        break;
      case GT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(a[i], b[i]);
        break;
      case LT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(b[i], a[i]);
        break;
      case GE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(a[i], b[i]);
        break;
      case LE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(b[i], a[i]);
        break;
      case EQ:
        for (int i = from; i < to; i++) o[i] = Compare.eq(a[i], b[i]);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  /** {@code o[i] = a[i] op s} for i in [from, to). */
  static void scalar(BinaryOp op, double[] a, double s, double[] o, int from, int to) {
    switch (op) {
      case ADD:
        for (int i = from; i < to; i++) o[i] = a[i] + s;
        break;
      case SUB:
        for (int i = from; i < to; i++) o[i] = a[i] - s;
        break;
      case MUL:
        for (int i = from; i < to; i++) o[i] = a[i] * s;
        break;
      case DIV:
        for (int i = from; i < to; i++) o[i] = a[i] / s;
        break;
      case POW:
        for (int i = from; i < to; i++) o[i] = CMath.pow(a[i], s);
        break;
      case GT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(a[i], s);
        break;
      case LT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(s, a[i]);
        break;
      case GE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(a[i], s);
        break;
      case LE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(s, a[i]);
        break;
      case EQ:
        for (int i = from; i < to; i++) o[i] = Compare.eq(a[i], s);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  /** {@code o[i] = s op a[i]} for i in [from, to). */
  static void scalarLeft(BinaryOp op, double s, double[] a, double[] o, int from, int to) {
    switch (op) {
      case ADD:
        for (int i = from; i < to; i++) o[i] = s + a[i];
        break;
      case SUB:
        for (int i = from; i < to; i++) o[i] = s - a[i];
        break;
      case MUL:
        for (int i = from; i < to; i++) o[i] = s * a[i];
        break;
      case DIV:
        for (int i = from; i < to; i++) o[i] = s / a[i];
        break;
      case POW:
        for (int i = from; i < to; i++) o[i] = CMath.pow(s, a[i]);
        break;
      case GT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(s, a[i]);
        break;
      case LT:
        for (int i = from; i < to; i++) o[i] = Compare.gt(a[i], s);
        break;
      case GE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(s, a[i]);
        break;
      case LE:
        for (int i = from; i < to; i++) o[i] = Compare.ge(a[i], s);
        break;
      case EQ:
        for (int i = from; i < to; i++) o[i] = Compare.eq(s, a[i]);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  /** {@code o[oo + i] = a[ao + i] op b[bo + i]} for i in [0, n): one broadcast row. */
  static void run(BinaryOp op, double[] a, int ao, double[] b, int bo, double[] o, int oo, int n) {
    switch (op) {
      case ADD:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i];
        break;
      case SUB:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i];
        break;
      case MUL:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i];
        break;
      case DIV:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / b[bo + i];
        break;
      case POW:
        for (int i = 0; i < n; i++) o[oo + i] = CMath.pow(a[ao + i], b[bo + i]);
        break;
      case GT:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.gt(a[ao + i], b[bo + i]);
        break;
      case LT:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.gt(b[bo + i], a[ao + i]);
        break;
      case GE:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.ge(a[ao + i], b[bo + i]);
        break;
      case LE:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.ge(b[bo + i], a[ao + i]);
        break;
      case EQ:
        for (int i = 0; i < n; i++) o[oo + i] = Compare.eq(a[ao + i], b[bo + i]);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  /** {@code o[i] = a[i] op b[i]} for i in [from, to). */
  static void same(BinaryOp op, long[] a, long[] b, long[] o, int from, int to) {
    switch (op) {
      case ADD:
        for (int i = from; i < to; i++) o[i] = a[i] + b[i];
        break;
      case SUB:
        for (int i = from; i < to; i++) o[i] = a[i] - b[i];
        break;
      case MUL:
        for (int i = from; i < to; i++) o[i] = a[i] * b[i];
        break;
      case POW:
        for (int i = from; i < to; i++) o[i] = powi(a[i], b[i]);
        break;
      case GT:
        for (int i = from; i < to; i++) o[i] = a[i] > b[i] ? 1 : 0;
        break;
      case LT:
        for (int i = from; i < to; i++) o[i] = a[i] < b[i] ? 1 : 0;
        break;
      case GE:
        for (int i = from; i < to; i++) o[i] = a[i] >= b[i] ? 1 : 0;
        break;
      case LE:
        for (int i = from; i < to; i++) o[i] = a[i] <= b[i] ? 1 : 0;
        break;
      case EQ:
        for (int i = from; i < to; i++) o[i] = a[i] == b[i] ? 1 : 0;
        break;
      default:
        throw unsupported(op);
    }
  }

  /** {@code o[i] = a[i] op s} for i in [from, to). */
  static void scalar(BinaryOp op, long[] a, long s, long[] o, int from, int to) {
    switch (op) {
      case ADD:
        for (int i = from; i < to; i++) o[i] = a[i] + s;
        break;
      case SUB:
        for (int i = from; i < to; i++) o[i] = a[i] - s;
        break;
      case MUL:
        for (int i = from; i < to; i++) o[i] = a[i] * s;
        break;
      case POW:
        for (int i = from; i < to; i++) o[i] = powi(a[i], s);
        break;
      case GT:
        for (int i = from; i < to; i++) o[i] = a[i] > s ? 1 : 0;
        break;
      case LT:
        for (int i = from; i < to; i++) o[i] = a[i] < s ? 1 : 0;
        break;
      case GE:
        for (int i = from; i < to; i++) o[i] = a[i] >= s ? 1 : 0;
        break;
      case LE:
        for (int i = from; i < to; i++) o[i] = a[i] <= s ? 1 : 0;
        break;
      case EQ:
        for (int i = from; i < to; i++) o[i] = a[i] == s ? 1 : 0;
        break;
      default:
        throw unsupported(op);
    }
  }

  /** {@code o[i] = s op a[i]} for i in [from, to). */
  static void scalarLeft(BinaryOp op, long s, long[] a, long[] o, int from, int to) {
    switch (op) {
      case ADD:
        for (int i = from; i < to; i++) o[i] = s + a[i];
        break;
      case SUB:
        for (int i = from; i < to; i++) o[i] = s - a[i];
        break;
      case MUL:
        for (int i = from; i < to; i++) o[i] = s * a[i];
        break;
      case POW:
        for (int i = from; i < to; i++) o[i] = powi(s, a[i]);
        break;
      case GT:
        for (int i = from; i < to; i++) o[i] = s > a[i] ? 1 : 0;
        break;
      case LT:
        for (int i = from; i < to; i++) o[i] = s < a[i] ? 1 : 0;
        break;
      case GE:
        for (int i = from; i < to; i++) o[i] = s >= a[i] ? 1 : 0;
        break;
      case LE:
        for (int i = from; i < to; i++) o[i] = s <= a[i] ? 1 : 0;
        break;
      case EQ:
        for (int i = from; i < to; i++) o[i] = s == a[i] ? 1 : 0;
        break;
      default:
        throw unsupported(op);
    }
  }

  /** {@code o[oo + i] = a[ao + i] op b[bo + i]} for i in [0, n): one broadcast row. */
  static void run(BinaryOp op, long[] a, int ao, long[] b, int bo, long[] o, int oo, int n) {
    switch (op) {
      case ADD:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i];
        break;
      case SUB:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i];
        break;
      case MUL:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i];
        break;
      case POW:
        for (int i = 0; i < n; i++) o[oo + i] = powi(a[ao + i], b[bo + i]);
        break;
      case GT:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] > b[bo + i] ? 1 : 0;
        break;
      case LT:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] < b[bo + i] ? 1 : 0;
        break;
      case GE:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] >= b[bo + i] ? 1 : 0;
        break;
      case LE:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] <= b[bo + i] ? 1 : 0;
        break;
      case EQ:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] == b[bo + i] ? 1 : 0;
        break;
      default:
        throw unsupported(op);
    }
  }

  /**
   * a to the integer power b, wrapping on overflow as C's integers (and PyTorch's int64 pow):
   * repeated squaring; a negative b gives 0, except for a base of 1 or -1.
   */
  static long powi(long a, long b) {
    if (b < 0) {
      return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
    }
    long result = 1;
    for (long base = a, e = b; e != 0; e >>= 1, base *= base) {
      if ((e & 1) != 0) {
        result *= base;
      }
    }
    return result;
  }

  private static UnsupportedOperationException unsupported(BinaryOp op) {
    return new UnsupportedOperationException(
        op.name().toLowerCase(Locale.ROOT) + " is not defined for int64 tensors");
  }
}
