package dev.autodiff.core;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every built-in op, each defined once: name, forward (a call into the {@link Backend}) and VJP
 * (ordinary tensor ops, so backward is itself differentiable). {@link #all()} enumerates them, which
 * is how the gradient checks prove that every differentiable op is covered.
 *
 * <p>Ops with settings (an axis, a slope) take them from the {@link OpContext} the matching {@link
 * Tensor} method fills in; call those methods rather than {@link Op#apply} on these.
 */
public final class Ops {
  private Ops() {}

  // ---- elementwise, one input ---------------------------------------------------------------

  public static final Op NEG = unary("neg", UnaryOp.NEG, (c, g) -> g.neg());
  public static final Op EXP = unary("exp", UnaryOp.EXP, (c, g) -> g.mul(c.output()));
  public static final Op LOG = unary("log", UnaryOp.LOG, (c, g) -> g.div(c.input(0)));
  public static final Op SQRT = unary("sqrt", UnaryOp.SQRT,
      (c, g) -> g.div(c.output().mul(2)));
  public static final Op SIN = unary("sin", UnaryOp.SIN, (c, g) -> g.mul(c.input(0).cos()));
  public static final Op COS = unary("cos", UnaryOp.COS, (c, g) -> g.mul(c.input(0).sin()).neg());
  public static final Op ABS = unary("abs", UnaryOp.ABS,
      (c, g) -> g.mul(maskOf(c.input(0).sign(), c.input(0))));
  /** d tanh = 1 - tanh^2, from the saved output. */
  public static final Op TANH = activation("tanh", UnaryOp.TANH,
      (c, g) -> g.mul(c.output().mul(c.output()).neg().add(1)));
  /** d sigmoid = y (1 - y), from the saved output. */
  public static final Op SIGMOID = activation("sigmoid", UnaryOp.SIGMOID,
      (c, g) -> g.mul(c.output().mul(c.output().neg().add(1))));
  /**
   * d relu = g where x &gt; 0, else 0: selected, not multiplied by a mask, so an infinite or NaN
   * g gives 0 where x &lt;= 0, as PyTorch's threshold_backward.
   */
  public static final Op RELU = activation("relu", UnaryOp.RELU,
      (c, g) -> reluGrad(c.input(0), g));
  public static final Op LEAKY_RELU = activation("leakyRelu", UnaryOp.LEAKY_RELU,
      (c, g) -> g.mul(maskOf(c.input(0).gt(0), c.input(0)).mul(1 - c.p).add(c.p)));
  /**
   * d elu = 1 for x &gt; 0, else y + alpha: written as the constant alpha at x = 0, so that its
   * own derivative there is 0, as PyTorch's double backward of elu has it.
   */
  public static final Op ELU = activation("elu", UnaryOp.ELU,
      (c, g) -> g.mul(eluSlope(c.input(0), c.output(), c.p)));
  /** d softplus = sigmoid(x), and 1 above the threshold of 20 where softplus is x (PyTorch's). */
  public static final Op SOFTPLUS = activation("softplus", UnaryOp.SOFTPLUS,
      (c, g) -> g.mul(softplusSlope(c.input(0))));
  public static final Op CLAMP = unary("clamp", UnaryOp.CLAMP,
      (c, g) -> Tensor.where(c.input(0).inside(c.p, c.q), g, g.zerosLike())); // PyTorch's
  /** x + c for a constant c (and x - c as x + (-c)): one pass, no operand tensor. */
  public static final Op ADD_SCALAR = unary("addScalar", UnaryOp.ADD_SCALAR, (c, g) -> g);
  /** x * c for a constant c. */
  public static final Op MUL_SCALAR = unary("mulScalar", UnaryOp.MUL_SCALAR,
      (c, g) -> g.mul(c.p));
  /** x / c for a constant c: the gradient is g / c (divided, as the forward, not times 1/c). */
  public static final Op DIV_SCALAR = unary("divScalar", UnaryOp.DIV_SCALAR,
      (c, g) -> g.div(c.p));
  /** x^p for a constant p: p x^(p-1), and 0 for p = 0 (not 0 * 0^-1, as PyTorch). */
  public static final Op POW_SCALAR = unary("powScalar", UnaryOp.POW,
      (c, g) -> c.p == 0 ? g.zerosLike() : g.mul(c.input(0).pow(c.p - 1).mul(c.p)));

  // ---- elementwise, two broadcast inputs ----------------------------------------------------

  public static final Op ADD = binary("add", BinaryOp.ADD,
      (c, g) -> grads(c, g, g));
  public static final Op SUB = binary("sub", BinaryOp.SUB,
      (c, g) -> grads(c, g, c.needsInputGrad(1) ? g.neg() : null));
  public static final Op MUL = binary("mul", BinaryOp.MUL,
      (c, g) -> grads(c, c.needsInputGrad(0) ? g.mul(c.input(1)) : null,
          c.needsInputGrad(1) ? g.mul(c.input(0)) : null));
  /** d(a/b) = g/b and -g a/b^2 = -g (a/b)/b. */
  public static final Op DIV = binary("div", BinaryOp.DIV,
      (c, g) -> grads(c, c.needsInputGrad(0) ? g.div(c.input(1)) : null,
          c.needsInputGrad(1) ? g.mul(c.output()).div(c.input(1)).neg() : null));
  /**
   * d(a^b) = g b a^(b-1), 0 where a = b = 0; and g a^b log a, 0 where a = 0 and b &gt;= 0 (the
   * limits PyTorch takes instead of 0 * inf).
   */
  public static final Op POW = binary("pow", BinaryOp.POW,
      (c, g) -> {
        Tensor a = c.input(0);
        Tensor b = c.input(1);
        Tensor ga = null;
        Tensor gb = null;
        if (c.needsInputGrad(0)) {
          Tensor d = b.mul(a.pow(b.sub(1)));
          Tensor limit = b.eq(0).mul(a.eq(0)); // 0 * 0^-1; elsewhere b = 0 already gives 0
          ga = g.mul(Tensor.where(limit, d.zerosLike(), d));
        }
        if (c.needsInputGrad(1)) {
          Tensor d = c.output().mul(a.log());
          Tensor limit = a.eq(0).mul(b.ge(0));
          gb = g.mul(Tensor.where(limit, d.zerosLike(), d));
        }
        return grads(c, ga, gb);
      });

  public static final Op GT = comparison("gt", BinaryOp.GT);
  public static final Op LT = comparison("lt", BinaryOp.LT);
  public static final Op GE = comparison("ge", BinaryOp.GE);
  public static final Op LE = comparison("le", BinaryOp.LE);
  public static final Op EQ = comparison("eq", BinaryOp.EQ);
  /** Piecewise constant, so its VJP is zeros; recorded (as PyTorch) so a backward through it works. */
  public static final Op SIGN = Op.builtin("sign",
      (c, x) -> make(x[0], x[0].backend().unary(UnaryOp.SIGN, x[0].storage(), 0, 0), x[0].shape()),
      (c, g) -> one(g.zerosLike()));
  public static final Op INSIDE = Op.nonDifferentiable("inside",
      (c, x) -> make(x[0], x[0].backend().unary(UnaryOp.INSIDE, x[0].storage(), c.p, c.q),
          x[0].shape()));

  /**
   * A mask computed from {@code source} by a comparison (not differentiated), tied to {@code
   * source} with derivative 0 while a backward is being recorded. A VJP that multiplies by such a
   * mask (relu's, leaky relu's, abs's) then stays connected to its input, as PyTorch's does: relu's
   * second derivative is a tensor of zeros that requires grad, so a backward through it gives
   * zeros instead of failing on a constant.
   */
  public static final Op MASK = Op.builtin("mask", (c, x) -> x[0].alias(),
      (c, g) -> new Tensor[] {null, g.zerosLike()});

  private static Tensor maskOf(Tensor mask, Tensor source) {
    return Autograd.isGradEnabled() && source.tracked() ? MASK.run(null, mask, source) : mask;
  }

  /**
   * g, but zeros tied to {@code sign} (derivative 0) where it is &lt;= 0: PyTorch's
   * threshold_backward, which passes g at NaN.
   */
  private static Tensor reluGrad(Tensor sign, Tensor g) {
    return Tensor.where(sign.le(0), maskOf(g.zerosLike(), sign), g);
  }

  /** where(cond, a, b): the gradient goes to a where cond holds and to b elsewhere. */
  public static final Op WHERE = Op.builtin("where",
      (c, x) -> {
        Shape out = Shape.broadcast("where",
            Shape.broadcast("where", x[0].shape(), x[1].shape()), x[2].shape());
        return make(x[1], x[1].backend().where(x[0].storage(), x[0].shape(), x[1].storage(),
            x[1].shape(), x[2].storage(), x[2].shape(), out), out);
      },
      (c, g) -> {
        Tensor zero = g.zerosLike();
        Tensor cond = c.input(0);
        return new Tensor[] {null,
            c.needsInputGrad(1) ? sumTo(Tensor.where(cond, g, zero), c.input(1).shape()) : null,
            c.needsInputGrad(2) ? sumTo(Tensor.where(cond, zero, g), c.input(2).shape()) : null};
      });

  public static final Op CAST = Op.builtin("cast",
      (c, x) -> make(x[0], x[0].backend().cast(x[0].storage(), c.dtype), x[0].shape(),
          c.dtype),
      (c, g) -> one(g.to(c.input(0).dtype())));

  /** A copy on another device; the gradient goes back to the source device. */
  public static final Op TO_DEVICE = Op.builtin("toDevice",
      (c, x) -> x[0].transferTo(c.device),
      (c, g) -> one(g.to(c.input(0).device())));

  // ---- broadcasting and its inverse ---------------------------------------------------------

  /** Copies x to a larger broadcast shape; the VJP sums back (the one unbroadcast helper). */
  public static final Op EXPAND = Op.builtin("expand",
      (c, x) -> make(x[0], x[0].backend().expand(x[0].storage(), x[0].shape(), c.shape), c.shape),
      (c, g) -> one(sumTo(g, c.input(0).shape())));

  /** Sums x down to a shape it was broadcast from; the VJP expands back. */
  public static final Op SUM_TO = Op.builtin("sumTo",
      (c, x) -> sumToForward(x[0], c.shape),
      (c, g) -> one(g.expand(c.input(0).shape().toArray())));

  // ---- reductions ---------------------------------------------------------------------------

  public static final Op SUM = Op.builtin("sum",
      (c, x) -> make(x[0], x[0].backend().reduce(ReduceOp.SUM, x[0].storage(), x[0].shape(),
          c.axis), x[0].shape().reduce(c.axis, c.keepDims)),
      (c, g) -> one(g.reshape(c.input(0).shape().reduce(c.axis, true).toArray())
          .expand(c.input(0).shape().toArray())));

  /** max along an axis; the gradient goes to the (first) maximal element, as PyTorch's max(dim). */
  public static final Op MAX = extreme("max", ReduceOp.MAX, ReduceOp.ARGMAX);

  public static final Op MIN = extreme("min", ReduceOp.MIN, ReduceOp.ARGMIN);

  /** The largest element; ties share the gradient evenly, as PyTorch's max() of a whole tensor. */
  public static final Op MAX_ALL = extremeAll("maxAll", ReduceOp.MAX);

  /** The smallest element; ties share the gradient evenly, as PyTorch's min() of a whole tensor. */
  public static final Op MIN_ALL = extremeAll("minAll", ReduceOp.MIN);

  public static final Op ARGMAX = Op.nonDifferentiable("argmax",
      (c, x) -> make(x[0], x[0].backend().reduce(ReduceOp.ARGMAX, x[0].storage(), x[0].shape(),
          c.axis), x[0].shape().reduce(c.axis, c.keepDims), DType.INT64));

  public static final Op ARGMIN = Op.nonDifferentiable("argmin",
      (c, x) -> make(x[0], x[0].backend().reduce(ReduceOp.ARGMIN, x[0].storage(), x[0].shape(),
          c.axis), x[0].shape().reduce(c.axis, c.keepDims), DType.INT64));

  /**
   * A fused, stable logSumExp. Its VJP is g times the softmax, taken from the fused softmax rather
   * than exp(x - lse): in float32 the rounded lse of large logits would skew it.
   */
  public static final Op LOG_SUM_EXP = Op.builtin("logSumExp",
      (c, x) -> make(x[0], x[0].backend().reduce(ReduceOp.LOG_SUM_EXP, x[0].storage(),
          x[0].shape(), c.axis), x[0].shape().reduce(c.axis, c.keepDims)),
      (c, g) -> {
        int[] kept = c.input(0).shape().reduce(c.axis, true).toArray();
        return one(g.reshape(kept).mul(c.input(0).softmax(c.axis)));
      });

  /**
   * softmax's VJP in one fused pass, from its output y (input 0) and the cotangent g (input 1):
   * {@code y (g - sum(g y))}, as PyTorch's _softmax_backward_data. Differentiable, for second
   * derivatives: the map is linear in g (so its VJP to g is itself) and its VJP to y is {@code u (g
   * - sum(g y)) - g sum(u y)}.
   */
  public static final Op SOFTMAX_BACKWARD = Op.builtin("softmaxBackward",
      (c, x) -> make(x[0], x[0].backend().softmaxBackward(x[0].storage(), x[1].storage(),
          x[0].shape(), c.axis, false), x[0].shape()),
      (c, u) -> {
        Tensor y = c.input(0);
        Tensor g = c.input(1);
        Tensor toY = u.mul(g.sub(g.mul(y).sum(c.axis, true)))
            .sub(g.mul(u.mul(y).sum(c.axis, true)));
        return new Tensor[] {toY, softmaxBackward(Ops.SOFTMAX_BACKWARD, y, u, c.axis)};
      });

  /**
   * logSoftmax's VJP in one fused pass, from its output y and the cotangent g: {@code g - exp(y)
   * sum(g)}. Its VJP to g is {@code u - sum(u exp(y))}, to y {@code -u exp(y) sum(g)}.
   */
  public static final Op LOG_SOFTMAX_BACKWARD = Op.builtin("logSoftmaxBackward",
      (c, x) -> make(x[0], x[0].backend().softmaxBackward(x[0].storage(), x[1].storage(),
          x[0].shape(), c.axis, true), x[0].shape()),
      (c, u) -> {
        Tensor e = c.input(0).exp();
        Tensor toY = u.mul(e).mul(c.input(1).sum(c.axis, true)).neg();
        Tensor toG = u.sub(u.mul(e).sum(c.axis, true));
        return new Tensor[] {toY, toG};
      });

  /** A fused, stable softmax; its VJP is the fused {@link #SOFTMAX_BACKWARD}. */
  public static final Op SOFTMAX = Op.builtin("softmax",
      (c, x) -> make(x[0], x[0].backend().softmax(x[0].storage(), x[0].shape(), c.axis, false),
          x[0].shape()),
      (c, g) -> one(softmaxBackward(SOFTMAX_BACKWARD, c.output(), g, c.axis)));

  /** A fused, stable logSoftmax; its VJP is the fused {@link #LOG_SOFTMAX_BACKWARD}. */
  public static final Op LOG_SOFTMAX = Op.builtin("logSoftmax",
      (c, x) -> make(x[0], x[0].backend().softmax(x[0].storage(), x[0].shape(), c.axis, true),
          x[0].shape()),
      (c, g) -> one(softmaxBackward(LOG_SOFTMAX_BACKWARD, c.output(), g, c.axis)));

  /** Applies one of the fused softmax VJPs to output y and cotangent g along a (normal) axis. */
  static Tensor softmaxBackward(Op op, Tensor y, Tensor g, int axis) {
    OpContext c = new OpContext();
    c.axis = axis;
    return op.run(c, y, g.dtype() == y.dtype() ? g : g.to(y.dtype()));
  }

  /**
   * A layer's bias and activation in one pass, {@code act(z + bias)} for z of [rows, cols]. The
   * activation's derivative is read from the output (y &gt; 0 is x &gt; 0 for relu, leaky relu and
   * elu with a non-negative constant), fused into one pass unless the backward is recorded; the
   * bias gets the column sums.
   */
  public static final Op BIAS_ACTIVATION = Op.builtin("biasActivation",
      (c, x) -> make(x[0], x[0].backend().biasActivation(c.activation, x[0].storage(),
          x[1].storage(), x[0].size(0), x[0].size(1), c.p), x[0].shape()),
      (c, g) -> {
        Tensor y = c.output();
        Tensor gz = null;
        if (!Autograd.isGradEnabled() && g.dtype() == y.dtype() && g.device().equals(y.device())) {
          Storage fused = y.backend().unaryBackward(c.activation, y.storage(), y.storage(),
              g.storage(), c.p, 0);
          gz = fused == null ? null : make(g, fused, g.shape());
        }
        if (gz == null) {
          gz = activationGradFromOutput(c.activation, y, g, c.p);
        }
        return new Tensor[] {gz, c.needsInputGrad(1) ? gz.sumTo(c.input(1).shape()) : null};
      });

  /** g f'(x) from y = f(x), for the activations {@link #BIAS_ACTIVATION} takes. */
  private static Tensor activationGradFromOutput(UnaryOp act, Tensor y, Tensor g, double p) {
    switch (act) {
      case RELU:
        return reluGrad(y, g); // y > 0 is x > 0
      case LEAKY_RELU:
        return g.mul(maskOf(y.gt(0), y).mul(1 - p).add(p));
      case ELU:
        return g.mul(eluSlope(y, y, p)); // with alpha &gt;= 0, y has x's sign
      case SIGMOID:
        return g.mul(y.mul(y.neg().add(1)));
      case TANH:
        return g.mul(y.mul(y).neg().add(1));
      default:
        throw new AssertionError(act);
    }
  }

  // ---- linear algebra -----------------------------------------------------------------------

  /**
   * Batched op(a) @ op(b) with transposes as flags. The VJPs use flags too, so backward copies no
   * transposed matrix: for C = A B, dA = G B^T and dB = A^T G.
   */
  public static final Op MATMUL = Op.builtin("matmul",
      (c, x) -> {
        Shape out = matmulShape(x[0].shape(), c.transA, x[1].shape(), c.transB);
        return make(x[0], x[0].backend().matmul(x[0].storage(), x[0].shape(), c.transA,
            x[1].storage(), x[1].shape(), c.transB, out), out);
      },
      (c, g) -> {
        Tensor a = c.input(0);
        Tensor b = c.input(1);
        Tensor ga = null;
        Tensor gb = null;
        if (c.needsInputGrad(0)) {
          ga = c.transA ? Tensor.matmul(b, c.transB, g, true) : Tensor.matmul(g, false, b, !c.transB);
          ga = sumTo(ga, a.shape());
        }
        if (c.needsInputGrad(1)) {
          gb = c.transB ? Tensor.matmul(g, true, a, c.transA) : Tensor.matmul(a, !c.transA, g, false);
          gb = sumTo(gb, b.shape());
        }
        return new Tensor[] {ga, gb};
      });

  // ---- layout -------------------------------------------------------------------------------

  /** A new shape over the same storage (no copy). */
  public static final Op RESHAPE = Op.builtin("reshape",
      (c, x) -> x[0].view(c.shape),
      (c, g) -> one(g.reshape(c.input(0).shape().toArray())));

  /** Axes reordered; the VJP applies the inverse permutation. */
  public static final Op PERMUTE = Op.builtin("permute",
      (c, x) -> {
        int[] p = c.ints;
        int[] dims = x[0].shape().toArray();
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) {
          out[i] = dims[p[i]];
        }
        return make(x[0], x[0].backend().permute(x[0].storage(), x[0].shape(), p), Shape.of(out));
      },
      (c, g) -> {
        int[] inverse = new int[c.ints.length];
        for (int i = 0; i < inverse.length; i++) {
          inverse[c.ints[i]] = i;
        }
        return one(g.permute(inverse));
      });

  public static final Op SLICE = Op.builtin("slice",
      (c, x) -> make(x[0], x[0].backend().slice(x[0].storage(), x[0].shape(), c.axis, c.ints[0],
          c.ints[1]), x[0].shape().with(c.axis, c.ints[1] - c.ints[0])),
      (c, g) -> one(g.pad(c.axis, c.ints[0], c.input(0).shape().size(c.axis))));

  /** Zeros around x along an axis: the VJP of slice, whose own VJP is a slice. */
  public static final Op PAD = Op.builtin("pad",
      (c, x) -> make(x[0], x[0].backend().pad(x[0].storage(), x[0].shape(), c.axis, c.ints[0],
          c.ints[1]), x[0].shape().with(c.axis, c.ints[1])),
      (c, g) -> one(g.slice(c.axis, c.ints[0], c.ints[0] + c.input(0).shape().size(c.axis))));

  public static final Op CONCAT = Op.builtin("concat",
      (c, x) -> {
        Storage[] s = new Storage[x.length];
        Shape[] shapes = new Shape[x.length];
        int total = 0;
        for (int i = 0; i < x.length; i++) {
          s[i] = x[i].storage();
          shapes[i] = x[i].shape();
          total += shapes[i].size(c.axis);
        }
        return make(x[0], x[0].backend().concat(s, shapes, c.axis), shapes[0].with(c.axis, total));
      },
      (c, g) -> {
        Tensor[] out = new Tensor[c.inputCount()];
        int at = 0;
        for (int i = 0; i < out.length; i++) {
          int m = c.input(i).shape().size(c.axis);
          out[i] = c.needsInputGrad(i) ? g.slice(c.axis, at, at + m) : null;
          at += m;
        }
        return out;
      });

  public static final Op INDEX_SELECT = Op.builtin("indexSelect",
      (c, x) -> {
        int n = (int) x[1].numel();
        return make(x[0], x[0].backend().indexSelect(x[0].storage(), x[0].shape(), c.axis,
            x[1].storage(), n), x[0].shape().with(c.axis, n));
      },
      (c, g) -> new Tensor[] {g.indexAdd(c.axis, c.input(1), c.input(0).shape()), null});

  /** Slices of src added into zeros at indexed positions: the VJP of indexSelect. */
  public static final Op INDEX_ADD = Op.builtin("indexAdd",
      (c, x) -> make(x[0], x[0].backend().indexAdd(x[0].storage(), x[0].shape(), c.axis,
          x[1].storage(), c.shape), c.shape),
      (c, g) -> new Tensor[] {g.indexSelect(c.axis, c.input(1)), null});

  public static final Op GATHER = Op.builtin("gather",
      (c, x) -> make(x[0], x[0].backend().gather(x[0].storage(), x[0].shape(), c.axis,
          x[1].storage(), x[1].shape()), x[1].shape()),
      (c, g) -> new Tensor[] {g.scatterAdd(c.axis, c.input(1), c.input(0).shape()), null});

  /** src added into zeros at the positions an index names: the VJP of gather. */
  public static final Op SCATTER_ADD = Op.builtin("scatterAdd",
      (c, x) -> make(x[0], x[0].backend().scatterAdd(x[0].storage(), x[1].shape(), c.axis,
          x[1].storage(), c.shape), c.shape),
      (c, g) -> new Tensor[] {g.gather(c.axis, c.input(1)), null});

  public static final Op ONE_HOT = Op.nonDifferentiable("oneHot",
      (c, x) -> make(x[0], x[0].backend().oneHot(x[0].storage(), c.axis, DType.INT64),
          x[0].shape().insert(x[0].shape().rank(), c.axis), DType.INT64));

  // ---- the registry -------------------------------------------------------------------------

  private static final class Registry {
    static final List<Op> ALL = collect();

    private static List<Op> collect() {
      List<Op> ops = new ArrayList<>();
      for (Field f : Ops.class.getDeclaredFields()) {
        int mod = f.getModifiers();
        if (Modifier.isStatic(mod) && Modifier.isPublic(mod) && f.getType() == Op.class) {
          try {
            ops.add((Op) f.get(null));
          } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
          }
        }
      }
      return Collections.unmodifiableList(ops);
    }
  }

  /** Every built-in op, differentiable or not. */
  public static List<Op> all() {
    return Registry.ALL;
  }

  /** The built-in differentiable ops: each must have a gradient-check property. */
  public static List<Op> differentiable() {
    List<Op> out = new ArrayList<>();
    for (Op op : all()) {
      if (op.isDifferentiable()) {
        out.add(op);
      }
    }
    return out;
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** The VJP of a one-input op, giving the input's gradient directly. */
  @FunctionalInterface
  private interface UnaryVjp {
    Tensor apply(OpContext c, Tensor g);
  }

  /**
   * softplus's slope: 1 above 20, else sigmoid(x), but taken as a constant at exactly 20, where
   * PyTorch's double backward (masked by x &lt; 20) gives 0.
   */
  private static Tensor softplusSlope(Tensor x) {
    Tensor below = Tensor.where(x.eq(20), x.detach().sigmoid(), x.sigmoid());
    return Tensor.where(x.gt(20), x.onesLike(), below);
  }

  /**
   * elu's slope from its input's sign and its output y: y + alpha at or below 0 (the constant
   * alpha at 0 itself), else 1, NaN included, as PyTorch's and the fused pass.
   */
  private static Tensor eluSlope(Tensor sign, Tensor y, double alpha) {
    Tensor slope = Tensor.where(sign.le(0), y.add(alpha), y.onesLike()); // NaN: 1, as PyTorch
    return Tensor.where(sign.eq(0), y.fullLike(alpha), slope);
  }

  private static Op unary(String name, UnaryOp kernel, UnaryVjp vjp1) {
    return Op.builtin(name,
        (c, x) -> make(x[0], x[0].backend().unary(kernel, x[0].storage(), c.p, c.q), x[0].shape()),
        (c, g) -> one(vjp1.apply(c, g)));
  }

  /**
   * An activation: its VJP {@code vjp} (tensor ops, so that it can be differentiated again) runs
   * as one fused backend pass when the backward is not itself recorded, as in ordinary training.
   * The fused pass computes the same operations in the same order, so the results are equal.
   */
  private static Op activation(String name, UnaryOp kernel, UnaryVjp vjp) {
    return Op.builtin(name,
        (c, x) -> make(x[0], x[0].backend().unary(kernel, x[0].storage(), c.p, c.q), x[0].shape()),
        (c, g) -> {
          Tensor x = c.input(0);
          Tensor y = c.output();
          // Each derivative reads the input, the output, or (elu) both; the fused pass gets the
          // one it reads twice, so that closing the other tensor does not break the backward.
          boolean readsX = kernel != UnaryOp.SIGMOID && kernel != UnaryOp.TANH;
          boolean readsY = !readsX || kernel == UnaryOp.ELU;
          if (!Autograd.isGradEnabled() && g.dtype() == x.dtype() && g.shape().equals(x.shape())
              && g.device().equals(x.device()) && !(readsX && x.isClosed())
              && !(readsY && y.isClosed())) {
            Storage in = readsX ? x.storage() : y.storage();
            Storage out = readsY ? y.storage() : in;
            Storage fused = x.backend().unaryBackward(kernel, in, out, g.storage(), c.p, c.q);
            if (fused != null) {
              return one(make(g, fused, g.shape()));
            }
          }
          return one(vjp.apply(c, g));
        });
  }

  private static Op binary(String name, BinaryOp kernel, Op.Backward vjp) {
    return Op.builtin(name, (c, x) -> binaryForward(name, kernel, x[0], x[1]), vjp);
  }

  private static Op comparison(String name, BinaryOp kernel) {
    return Op.nonDifferentiable(name, (c, x) -> binaryForward(name, kernel, x[0], x[1]));
  }

  private static Tensor binaryForward(String name, BinaryOp kernel, Tensor a, Tensor b) {
    Shape out = Shape.broadcast(name, a.shape(), b.shape());
    return make(a, a.backend().binary(kernel, a.storage(), a.shape(), b.storage(), b.shape(), out),
        out);
  }

  private static Op extreme(String name, ReduceOp values, ReduceOp indices) {
    return Op.builtin(name,
        (c, x) -> make(x[0], x[0].backend().reduce(values, x[0].storage(), x[0].shape(), c.axis),
            x[0].shape().reduce(c.axis, c.keepDims)),
        (c, g) -> {
          Tensor x = c.input(0);
          int[] kept = x.shape().reduce(c.axis, true).toArray();
          Tensor idx = Tensor.wrap(x, x.backend().reduce(indices, x.storage(), x.shape(), c.axis),
              Shape.of(kept), DType.INT64);
          return one(g.reshape(kept).scatterAdd(c.axis, idx, x.shape()));
        });
  }

  private static Op extremeAll(String name, ReduceOp values) {
    return Op.builtin(name,
        (c, x) -> make(x[0], x[0].backend().reduce(values, x[0].storage(),
            Shape.of((int) x[0].numel()), 0), Shape.SCALAR),
        (c, g) -> {
          // A NaN result came from the NaNs, which NaN != NaN would miss: they share g, as in
          // PyTorch. The two masks never overlap (a NaN result equals nothing).
          Tensor x = c.input(0);
          Tensor y = c.output();
          Tensor hits = x.eq(y).add(x.eq(x).neg().add(1).mul(y.eq(y).neg().add(1)));
          return one(hits.mul(g.div(hits.sum())));
        });
  }

  /** The one helper that undoes broadcasting: sums g down to {@code shape}. */
  static Tensor sumTo(Tensor g, Shape shape) {
    if (g == null || g.shape().equals(shape)) {
      return g;
    }
    return g.sumTo(shape);
  }

  private static Tensor sumToForward(Tensor x, Shape target) {
    Shape s = x.shape();
    Storage st = x.storage();
    int lead = s.rank() - target.rank();
    int[] keep = s.toArray();
    // Sum the size-1 target axes first (keeping them), then the leading axes (dropping them).
    for (int d = lead; d < s.rank(); d++) {
      if (target.size(d - lead) == 1 && keep[d] != 1) {
        Shape cur = Shape.of(keep);
        st = freeIntermediate(x, st, x.backend().reduce(ReduceOp.SUM, st, cur, d));
        keep[d] = 1;
      }
    }
    Shape cur = Shape.of(keep);
    for (int d = 0; d < lead; d++) {
      st = freeIntermediate(x, st, x.backend().reduce(ReduceOp.SUM, st, cur, 0));
      cur = cur.reduce(0, false);
    }
    return make(x, st, target);
  }

  /**
   * Frees {@code previous} when it is an intermediate no tensor owns (not x's own storage): device
   * memory is not left to the garbage collector. Returns {@code next}.
   */
  private static Storage freeIntermediate(Tensor x, Storage previous, Storage next) {
    if (previous != x.storage()) {
      previous.free();
    }
    return next;
  }

  static Shape matmulShape(Shape a, boolean ta, Shape b, boolean tb) {
    int m = ta ? a.size(-1) : a.size(-2);
    int ka = ta ? a.size(-2) : a.size(-1);
    int kb = tb ? b.size(-1) : b.size(-2);
    int n = tb ? b.size(-2) : b.size(-1);
    if (ka != kb) {
      throw new IllegalArgumentException("matmul: shapes " + a + (ta ? "^T" : "") + " and " + b
          + (tb ? "^T" : "") + " do not match: inner sizes " + ka + " and " + kb + " differ");
    }
    Shape batchA = Shape.of(java.util.Arrays.copyOf(a.toArray(), a.rank() - 2));
    Shape batchB = Shape.of(java.util.Arrays.copyOf(b.toArray(), b.rank() - 2));
    Shape batch;
    try {
      batch = Shape.broadcast("matmul", batchA, batchB);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "matmul: batch axes of shapes " + a + " and " + b + " cannot be broadcast together");
    }
    int[] out = java.util.Arrays.copyOf(batch.toArray(), batch.rank() + 2);
    out[batch.rank()] = m;
    out[batch.rank() + 1] = n;
    return Shape.of("matmul", out);
  }

  static Tensor make(Tensor like, Storage s, Shape shape) {
    return Tensor.wrap(like, s, shape, s.dtype());
  }

  static Tensor make(Tensor like, Storage s, Shape shape, DType dtype) {
    return Tensor.wrap(like, s, shape, dtype);
  }

  private static Tensor[] one(Tensor g) {
    return new Tensor[] {g};
  }

  private static Tensor[] grads(OpContext c, Tensor ga, Tensor gb) {
    return new Tensor[] {
        c.needsInputGrad(0) ? sumTo(ga, c.input(0).shape()) : null,
        c.needsInputGrad(1) ? sumTo(gb, c.input(1).shape()) : null};
  }
}
