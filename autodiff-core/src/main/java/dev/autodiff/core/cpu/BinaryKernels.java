package dev.autodiff.core.cpu;

import dev.autodiff.core.BinaryOp;

/**
 * Elementwise kernels of two inputs over contiguous runs. Broadcasting is resolved by the caller,
 * which hands each run over with a single shared length, so the loops index like {@code o[i] = a[i]
 * op b[i]} and the JIT can vectorise them.
 */
final class BinaryKernels {
  private BinaryKernels() {}

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
        for (int i = 0; i < n; i++) o[oo + i] = (float) Math.pow(a[ao + i], b[bo + i]);
        break;
      case GT:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] > b[bo + i] ? 1f : 0f;
        break;
      case LT:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] < b[bo + i] ? 1f : 0f;
        break;
      case GE:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] >= b[bo + i] ? 1f : 0f;
        break;
      case LE:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] <= b[bo + i] ? 1f : 0f;
        break;
      case EQ:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] == b[bo + i] ? 1f : 0f;
        break;
      default:
        throw new AssertionError(op);
    }
  }

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
        for (int i = 0; i < n; i++) o[oo + i] = Math.pow(a[ao + i], b[bo + i]);
        break;
      case GT:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] > b[bo + i] ? 1d : 0d;
        break;
      case LT:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] < b[bo + i] ? 1d : 0d;
        break;
      case GE:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] >= b[bo + i] ? 1d : 0d;
        break;
      case LE:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] <= b[bo + i] ? 1d : 0d;
        break;
      case EQ:
        for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] == b[bo + i] ? 1d : 0d;
        break;
      default:
        throw new AssertionError(op);
    }
  }

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
        throw new UnsupportedOperationException(
            op.name().toLowerCase(java.util.Locale.ROOT) + " is not defined for int64 tensors");
    }
  }
}
