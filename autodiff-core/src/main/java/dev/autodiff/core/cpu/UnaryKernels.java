package dev.autodiff.core.cpu;

import dev.autodiff.core.UnaryOp;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Elementwise kernels of one input. The switch on the op sits outside each loop, so the loops are
 * free of calls and branches the JIT cannot hoist.
 */
final class UnaryKernels {
  private UnaryKernels() {}

  static void apply(UnaryOp op, float[] x, float[] y, int from, int to, double p, double q) {
    float fp = (float) p;
    float fq = (float) q;
    switch (op) {
      case NEG:
        for (int i = from; i < to; i++) y[i] = -x[i];
        break;
      case EXP:
        for (int i = from; i < to; i++) y[i] = (float) Math.exp(x[i]);
        break;
      case LOG:
        for (int i = from; i < to; i++) y[i] = (float) Math.log(x[i]);
        break;
      case SQRT:
        for (int i = from; i < to; i++) y[i] = (float) Math.sqrt(x[i]);
        break;
      case ABS:
        for (int i = from; i < to; i++) y[i] = Math.abs(x[i]);
        break;
      case SIGN: // 0 for NaN and for both zeros, as PyTorch's sign
        for (int i = from; i < to; i++) y[i] = x[i] > 0 ? 1f : x[i] < 0 ? -1f : 0f;
        break;
      case TANH:
        for (int i = from; i < to; i++) y[i] = (float) Math.tanh(x[i]);
        break;
      case SIGMOID:
        for (int i = from; i < to; i++) y[i] = (float) sigmoid(x[i]);
        break;
      case RELU:
        for (int i = from; i < to; i++) y[i] = Math.max(x[i], 0f); // NaN stays NaN
        break;
      case LEAKY_RELU:
        // max(x, 0) + p min(x, 0): the same values without a branch on the sign
        for (int i = from; i < to; i++) y[i] = Math.max(x[i], 0f) + fp * Math.min(x[i], 0f);
        break;
      case ELU:
        for (int i = from; i < to; i++) y[i] = x[i] > 0 ? x[i] : (float) (p * Math.expm1(x[i]));
        break;
      case SOFTPLUS:
        for (int i = from; i < to; i++) y[i] = (float) softplus(x[i]);
        break;
      case CLAMP:
        for (int i = from; i < to; i++) y[i] = Math.min(Math.max(x[i], fp), fq);
        break;
      case INSIDE:
        for (int i = from; i < to; i++) y[i] = x[i] >= fp && x[i] <= fq ? 1f : 0f;
        break;
      case POW:
        if (p == 2) {
          for (int i = from; i < to; i++) y[i] = x[i] * x[i];
        } else {
          for (int i = from; i < to; i++) y[i] = (float) CMath.pow(x[i], p);
        }
        break;
      case ADD_SCALAR:
        for (int i = from; i < to; i++) y[i] = x[i] + fp;
        break;
      case MUL_SCALAR:
        for (int i = from; i < to; i++) y[i] = x[i] * fp;
        break;
      case DIV_SCALAR:
        for (int i = from; i < to; i++) y[i] = x[i] / fp;
        break;
      case SIN:
        for (int i = from; i < to; i++) y[i] = (float) Math.sin(x[i]);
        break;
      case COS:
        for (int i = from; i < to; i++) y[i] = (float) Math.cos(x[i]);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  static void apply(UnaryOp op, double[] x, double[] y, int from, int to, double p, double q) {
    switch (op) {
      case NEG:
        for (int i = from; i < to; i++) y[i] = -x[i];
        break;
      case EXP:
        for (int i = from; i < to; i++) y[i] = Math.exp(x[i]);
        break;
      case LOG:
        for (int i = from; i < to; i++) y[i] = Math.log(x[i]);
        break;
      case SQRT:
        for (int i = from; i < to; i++) y[i] = Math.sqrt(x[i]);
        break;
      case ABS:
        for (int i = from; i < to; i++) y[i] = Math.abs(x[i]);
        break;
      case SIGN:
        for (int i = from; i < to; i++) y[i] = x[i] > 0 ? 1d : x[i] < 0 ? -1d : 0d;
        break;
      case TANH:
        for (int i = from; i < to; i++) y[i] = Math.tanh(x[i]);
        break;
      case SIGMOID:
        for (int i = from; i < to; i++) y[i] = sigmoid(x[i]);
        break;
      case RELU:
        for (int i = from; i < to; i++) y[i] = Math.max(x[i], 0d); // NaN stays NaN
        break;
      case LEAKY_RELU:
        for (int i = from; i < to; i++) y[i] = Math.max(x[i], 0d) + p * Math.min(x[i], 0d);
        break;
      case ELU:
        for (int i = from; i < to; i++) y[i] = x[i] > 0 ? x[i] : p * Math.expm1(x[i]);
        break;
      case SOFTPLUS:
        for (int i = from; i < to; i++) y[i] = softplus(x[i]);
        break;
      case CLAMP:
        for (int i = from; i < to; i++) y[i] = Math.min(Math.max(x[i], p), q);
        break;
      case INSIDE:
        for (int i = from; i < to; i++) y[i] = x[i] >= p && x[i] <= q ? 1d : 0d;
        break;
      case POW:
        if (p == 2) {
          for (int i = from; i < to; i++) y[i] = x[i] * x[i];
        } else {
          for (int i = from; i < to; i++) y[i] = CMath.pow(x[i], p);
        }
        break;
      case ADD_SCALAR:
        for (int i = from; i < to; i++) y[i] = x[i] + p;
        break;
      case MUL_SCALAR:
        for (int i = from; i < to; i++) y[i] = x[i] * p;
        break;
      case DIV_SCALAR:
        for (int i = from; i < to; i++) y[i] = x[i] / p;
        break;
      case SIN:
        for (int i = from; i < to; i++) y[i] = Math.sin(x[i]);
        break;
      case COS:
        for (int i = from; i < to; i++) y[i] = Math.cos(x[i]);
        break;
      default:
        throw new AssertionError(op);
    }
  }

  /**
   * The integer kernels; ops that leave the integers are promoted to float by the ops layer, so
   * p and q are whole numbers here (or infinite bounds of clamp, which saturate).
   */
  static void apply(UnaryOp op, long[] x, long[] y, int from, int to, double p, double q) {
    long lp = (long) p;
    long lq = (long) q;
    switch (op) {
      case NEG:
        for (int i = from; i < to; i++) y[i] = -x[i];
        break;
      case ABS:
        for (int i = from; i < to; i++) y[i] = Math.abs(x[i]);
        break;
      case SIGN:
        for (int i = from; i < to; i++) y[i] = Long.signum(x[i]);
        break;
      case RELU:
        for (int i = from; i < to; i++) y[i] = Math.max(x[i], 0L);
        break;
      case CLAMP:
        // in long arithmetic: beyond 2^53, a double would round the elements
        for (int i = from; i < to; i++) y[i] = Math.min(Math.max(x[i], lp), lq);
        break;
      case ADD_SCALAR:
        for (int i = from; i < to; i++) y[i] = x[i] + lp;
        break;
      case MUL_SCALAR:
        for (int i = from; i < to; i++) y[i] = x[i] * lp;
        break;
      default:
        throw new UnsupportedOperationException(
            op.name().toLowerCase(java.util.Locale.ROOT) + " is not defined for int64 tensors");
    }
  }

  /** The ops of about one instruction per element (the rest cost about eight, for threading). */
  static final Set<UnaryOp> CHEAP = Collections.unmodifiableSet(EnumSet.of(UnaryOp.NEG,
      UnaryOp.RELU, UnaryOp.ABS, UnaryOp.ADD_SCALAR, UnaryOp.MUL_SCALAR, UnaryOp.DIV_SCALAR));

  /** The activations whose VJP {@link #backward} computes in one pass. */
  static final Set<UnaryOp> FUSED_BACKWARD = Collections.unmodifiableSet(EnumSet.of(UnaryOp.RELU,
      UnaryOp.LEAKY_RELU, UnaryOp.ELU, UnaryOp.SIGMOID, UnaryOp.TANH, UnaryOp.SOFTPLUS));

  /**
   * The fused activation VJPs, {@code o = g f'(x)}: the very operations, in the same order, of
   * the tensor-op VJPs in Ops (gt as 1 or 0, scalars rounded to the dtype first), so that fusing
   * changes no bit of the result. Only for the ops in {@link #FUSED_BACKWARD}.
   */
  static void backward(UnaryOp op, float[] x, float[] y, float[] g, float[] o, int from,
      int to, double p) {
    float fp = (float) p;
    float keep = (float) (1 - p);
    switch (op) {
      case RELU:
        // selected (0 for an infinite g outside); NaN passes g, as PyTorch's x <= 0 test
        for (int i = from; i < to; i++) o[i] = x[i] <= 0 ? 0f : g[i];
        break;
      case LEAKY_RELU:
        for (int i = from; i < to; i++) o[i] = g[i] * (Compare.gt(x[i], 0f) * keep + fp);
        break;
      case ELU:
        for (int i = from; i < to; i++) o[i] = g[i] * (x[i] <= 0 ? y[i] + fp : 1f);
        break;
      case SIGMOID:
        for (int i = from; i < to; i++) o[i] = g[i] * (y[i] * (-y[i] + 1f));
        break;
      case TANH:
        for (int i = from; i < to; i++) o[i] = g[i] * (-(y[i] * y[i]) + 1f);
        break;
      case SOFTPLUS:
        for (int i = from; i < to; i++) {
          o[i] = x[i] > SOFTPLUS_THRESHOLD ? g[i] : g[i] * (float) sigmoid(x[i]);
        }
        break;
      default:
        throw new AssertionError(op);
    }
  }

  static void backward(UnaryOp op, double[] x, double[] y, double[] g, double[] o, int from,
      int to, double p) {
    double keep = 1 - p;
    switch (op) {
      case RELU:
        for (int i = from; i < to; i++) o[i] = x[i] <= 0 ? 0d : g[i];
        break;
      case LEAKY_RELU:
        for (int i = from; i < to; i++) o[i] = g[i] * (Compare.gt(x[i], 0d) * keep + p);
        break;
      case ELU:
        for (int i = from; i < to; i++) o[i] = g[i] * (x[i] <= 0 ? y[i] + p : 1d);
        break;
      case SIGMOID:
        for (int i = from; i < to; i++) o[i] = g[i] * (y[i] * (-y[i] + 1d));
        break;
      case TANH:
        for (int i = from; i < to; i++) o[i] = g[i] * (-(y[i] * y[i]) + 1d);
        break;
      case SOFTPLUS:
        for (int i = from; i < to; i++) {
          o[i] = x[i] > SOFTPLUS_THRESHOLD ? g[i] : g[i] * sigmoid(x[i]);
        }
        break;
      default:
        throw new AssertionError(op);
    }
  }

  static double sigmoid(double x) {
    if (x >= 0) {
      return 1 / (1 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1 + e);
  }

  /** log(1 + e^x), and x itself above {@link #SOFTPLUS_THRESHOLD} (PyTorch's threshold). */
  static double softplus(double x) {
    return x > SOFTPLUS_THRESHOLD ? x : Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  /** PyTorch's default softplus threshold (beta 1): above it, softplus is x and its slope 1. */
  static final double SOFTPLUS_THRESHOLD = 20;
}
