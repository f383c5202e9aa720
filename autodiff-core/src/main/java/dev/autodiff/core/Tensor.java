package dev.autodiff.core;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * An n-dimensional array of float32, float64 or int64 elements that records the differentiable
 * ops applied to it, so that {@link #backward()} can compute gradients.
 *
 * <pre>
 * jshell&gt; Tensor a = Tensor.scalar(3.0).requiresGrad();
 * jshell&gt; Tensor j = a.mul(2).add(1);
 * jshell&gt; j.backward(); a.grad()
 * $3 ==&gt; tensor(2., shape=[], dtype=float32)
 * </pre>
 *
 * <p>Tensors are immutable values: every op returns a new tensor. Binary ops broadcast as NumPy
 * does and promote dtypes as PyTorch does (float32 with float64 gives float64, but a rank-0
 * operand only decides the dtype when it is floating and the other is int64; a {@code double}
 * operand keeps the tensor's dtype). Tensors are {@link AutoCloseable}: close them, or make them
 * inside {@link Tensors#scope()}, to free memory deterministically (it matters on a GPU).
 */
public final class Tensor implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  private Storage storage;
  /**
   * Set on the stand-in a tape entry hands its VJP for a tensor modified in place since it was
   * recorded: the message of the error that any read of its values then raises.
   */
  private String staleBecause;
  private final Shape shape;
  private final DType dtype;
  private final Backend backend;
  private final Device device;
  private Cleaner.Cleanable cleanable;

  /** True for a leaf that accumulates gradients into {@link #grad()}. */
  boolean requiresGrad;
  /** The tape entry that produced this tensor, or null for a leaf. */
  OpContext node;
  /** True when a closing scope ended this tensor's history (it was kept past its scope). */
  boolean historyReleased;
  /**
   * True when made while recording was off from tensors that require gradients (or from tensors
   * so made): its value depends on them, but no history says how.
   */
  boolean unrecorded;
  private Tensor grad;
  /** The scope that will close this tensor, or null. */
  Tensors.Scope scope;
  /**
   * True after zeroGrad: {@link #grad} is logically zero. Its storage is zeroed only if someone
   * reads it; the next backward overwrites it instead, so a training step never pays for zeros.
   */
  private boolean gradZeroed;
  /** True when a backward has added to {@link #grad} since the last zeroGrad: {@link #hasGrad}. */
  private boolean gradSinceZeroGrad;

  private Tensor(Storage storage, Shape shape, DType dtype, Backend backend, Device device) {
    this.storage = storage;
    this.shape = shape;
    this.dtype = dtype;
    this.backend = backend;
    this.device = device;
    if (storage.isNative()) {
      if (!storage.tryRetain()) { // a view made while another thread closed its tensor
        throw new IllegalStateException("tensor of shape " + shape + ": its storage was freed "
            + "(the tensor it shares was closed meanwhile) and cannot be used");
      }
      cleanable = CLEANER.register(this, new Release(storage));
    }
    ThreadState state = ThreadState.get();
    if (state.scope != null) {
      state.scope.adopt(this);
    }
  }

  /** Releases a native storage once, from close() or from the Cleaner. */
  private static final class Release implements Runnable {
    private final Storage storage;

    Release(Storage storage) {
      this.storage = storage;
    }

    @Override
    public void run() {
      storage.release();
    }
  }

  /** A new tensor over {@code storage}, on the backend and device of {@code like}. */
  static Tensor wrap(Tensor like, Storage storage, Shape shape, DType dtype) {
    return new Tensor(storage, shape, dtype, like.backend, like.device);
  }

  private static Tensor create(Storage storage, Shape shape) {
    return new Tensor(storage, shape, storage.dtype(), Backends.cpu(), Device.cpu());
  }

  // ---- creation -----------------------------------------------------------------------------

  /** A float32 tensor holding a copy of {@code data}; with no shape it is 1-D. */
  public static Tensor of(float[] data, int... shape) {
    Shape s = dataShape("of", data == null ? -1 : data.length, shape);
    return create(Backends.cpu().fromFloats(Device.cpu(), data.clone()), s);
  }

  /** A float64 tensor holding a copy of {@code data}; with no shape it is 1-D. */
  public static Tensor of(double[] data, int... shape) {
    Shape s = dataShape("of", data == null ? -1 : data.length, shape);
    return create(Backends.cpu().fromDoubles(Device.cpu(), data.clone()), s);
  }

  /** An int64 tensor (labels, indices) holding a copy of {@code data}; with no shape it is 1-D. */
  public static Tensor of(long[] data, int... shape) {
    Shape s = dataShape("of", data == null ? -1 : data.length, shape);
    return create(Backends.cpu().fromLongs(Device.cpu(), data.clone()), s);
  }

  private static Shape dataShape(String op, int length, int[] shape) {
    if (length < 0) {
      throw new IllegalArgumentException(op + ": data must not be null");
    }
    if (shape == null || shape.length == 0) {
      return Shape.of(op, length);
    }
    Shape s = Shape.of(op, shape);
    if (s.numel() != length) {
      throw new IllegalArgumentException(op + ": data has " + length
          + " elements but shape " + s + " needs " + s.numel());
    }
    return s;
  }

  /** A rank-0 float32 tensor. */
  public static Tensor scalar(double value) {
    return scalar(value, DType.FLOAT32);
  }

  /** A rank-0 tensor of the given dtype. */
  public static Tensor scalar(double value, DType dtype) {
    return full(value, dtype, Shape.SCALAR);
  }

  /** A float32 tensor of zeros. */
  public static Tensor zeros(int... shape) {
    return full(0, DType.FLOAT32, Shape.of("zeros", shape));
  }

  /** A tensor of zeros of the given dtype. */
  public static Tensor zeros(DType dtype, int... shape) {
    return full(0, dtype, Shape.of("zeros", shape));
  }

  /** A float32 tensor of ones. */
  public static Tensor ones(int... shape) {
    return full(1, DType.FLOAT32, Shape.of("ones", shape));
  }

  /** A tensor of ones of the given dtype. */
  public static Tensor ones(DType dtype, int... shape) {
    return full(1, dtype, Shape.of("ones", shape));
  }

  /** A float32 tensor with every element {@code value}. */
  public static Tensor full(double value, int... shape) {
    return full(value, DType.FLOAT32, Shape.of("full", shape));
  }

  /** A tensor of the given dtype with every element {@code value}. */
  public static Tensor full(double value, DType dtype, int... shape) {
    return full(value, dtype, Shape.of("full", shape));
  }

  private static Tensor full(double value, DType dtype, Shape shape) {
    if (dtype == null) {
      throw new IllegalArgumentException("full: dtype must not be null");
    }
    // -2^63 <= value < 2^63; NaN fails both. Outside, PyTorch reports an overflow; Java's cast
    // would saturate silently.
    if (dtype == DType.INT64 && !(value >= -0x1p63 && value < 0x1p63)) {
      throw new IllegalArgumentException("full: " + value + " has no int64 value");
    }
    return create(Backends.cpu().full(Device.cpu(), dtype, shape.numel(), value), shape);
  }

  /** The float32 identity matrix of size n. */
  public static Tensor eye(int n) {
    return eye(n, DType.FLOAT32);
  }

  /** The identity matrix of size n and the given dtype. */
  public static Tensor eye(int n, DType dtype) {
    required("eye", "dtype", dtype);
    if (n < 0) {
      throw new IllegalArgumentException("eye: size must be >= 0, got " + n);
    }
    Shape.of("eye", n, n); // rejects a size whose square overflows an array
    double[] d = new double[n * n];
    for (int i = 0; i < n; i++) {
      d[i * n + i] = 1;
    }
    return of(d, n, n).to(dtype);
  }

  /** The int64 values 0, 1, ..., end - 1. */
  public static Tensor arange(int end) {
    return arange(0, end);
  }

  /** The int64 values start, start + 1, ..., end - 1. */
  public static Tensor arange(int start, int end) {
    if (end < start) {
      throw new IllegalArgumentException("arange: end " + end + " is before start " + start);
    }
    if ((long) end - start > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("arange: [" + start + ", " + end
          + ") has more elements than a Java array can hold");
    }
    long[] d = new long[end - start];
    for (int i = 0; i < d.length; i++) {
      d[i] = start + i;
    }
    return of(d);
  }

  /** The float32 values 0, 1, ... below end, as PyTorch's {@code arange(4.0)}. */
  public static Tensor arange(double end) {
    return arange(0, end, 1);
  }

  /** The float32 values start, start + 1, ... below end. */
  public static Tensor arange(double start, double end) {
    return arange(start, end, 1);
  }

  /**
   * {@code steps} float32 values evenly spaced from start to end, both included, as PyTorch's
   * {@code linspace}.
   */
  public static Tensor linspace(double start, double end, int steps) {
    if (steps < 0 || !Double.isFinite(start) || !Double.isFinite(end)) {
      throw new IllegalArgumentException("linspace: needs finite bounds and steps >= 0, got "
          + start + ", " + end + " and " + steps);
    }
    Shape.of("linspace", steps); // a count no Java array can hold is an error here, not an OOM
    float[] d = new float[steps];
    float from = (float) start;
    float to = (float) end;
    float step = steps > 1 ? (to - from) / (steps - 1) : 0;
    for (int i = 0; i < steps; i++) {
      // in float32 from both ends, as PyTorch does: its values, and end exactly
      d[i] = i < steps / 2 ? from + step * i : to - step * (steps - 1 - i);
    }
    if (steps == 1) {
      d[0] = from;
    }
    return of(d);
  }

  /** The float32 values start, start + step, ... below end (above it for a negative step). */
  public static Tensor arange(double start, double end, double step) {
    double count = Math.ceil((end - start) / step);
    if (step == 0 || !(count >= 0)) {
      throw new IllegalArgumentException(
          "arange: step " + step + " does not lead from " + start + " to " + end);
    }
    if (count > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("arange: from " + start + " to " + end + " by " + step
          + " gives more elements than a Java array can hold");
    }
    int n = (int) count;
    float[] d = new float[n];
    for (int i = 0; i < n; i++) {
      d[i] = (float) (start + i * step);
    }
    return of(d);
  }

  /** Float32 samples uniform in [0, 1) from {@code random}. */
  public static Tensor rand(Random random, int... shape) {
    required("rand", "random", random);
    Shape s = Shape.of("rand", shape);
    float[] d = new float[(int) s.numel()];
    for (int i = 0; i < d.length; i++) {
      d[i] = random.nextFloat();
    }
    return create(Backends.cpu().fromFloats(Device.cpu(), d), s);
  }

  /** Float32 samples uniform in [0, 1) from a generator seeded with {@code seed}. */
  public static Tensor rand(long seed, int... shape) {
    return rand(new Random(seed), shape);
  }

  /** Float32 samples of the standard normal distribution from {@code random}. */
  public static Tensor randn(Random random, int... shape) {
    required("randn", "random", random);
    Shape s = Shape.of("randn", shape);
    float[] d = new float[(int) s.numel()];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) random.nextGaussian();
    }
    return create(Backends.cpu().fromFloats(Device.cpu(), d), s);
  }

  /** Float32 standard normal samples from a generator seeded with {@code seed}. */
  public static Tensor randn(long seed, int... shape) {
    return randn(new Random(seed), shape);
  }

  /** Zeros of this tensor's shape, dtype and device. */
  public Tensor zerosLike() {
    checkOpen("zerosLike");
    return fullLike(0);
  }

  /** Ones of this tensor's shape, dtype and device. */
  public Tensor onesLike() {
    checkOpen("onesLike");
    return fullLike(1);
  }

  /** {@code value} everywhere, with this tensor's shape, dtype and device. */
  public Tensor fullLike(double value) {
    checkOpen("fullLike");
    return wrap(this, backend.full(device, dtype, shape.numel(), value), shape, dtype);
  }

  /** Zeros shaped, typed and placed like {@code t}. */
  public static Tensor zerosLike(Tensor t) {
    return required("zerosLike", "tensor", t).zerosLike();
  }

  /** Ones shaped, typed and placed like {@code t}. */
  public static Tensor onesLike(Tensor t) {
    return required("onesLike", "tensor", t).onesLike();
  }

  // ---- reading ------------------------------------------------------------------------------

  /** The shape. */
  public Shape shape() {
    return shape;
  }

  /** The element type. */
  public DType dtype() {
    return dtype;
  }

  /** Where the storage lives. */
  public Device device() {
    return device;
  }

  /** Number of axes. */
  public int rank() {
    return shape.rank();
  }

  /** Number of elements. */
  public long numel() {
    return shape.numel();
  }

  /** Size along an axis (negative counts from the end). */
  public int size(int axis) {
    return shape.size(axis);
  }

  /** The value of a one-element tensor. */
  public double item() {
    checkOpen("item");
    if (shape.numel() != 1) {
      throw new IllegalArgumentException("item: tensor of shape " + shape + " has "
          + shape.numel() + " elements; item() needs exactly one");
    }
    return withStorage("item", s -> dtype == DType.INT64 ? (double) backend.toLongArray(s)[0]
        : backend.toDoubleArray(s)[0]);
  }

  /** The elements in row-major order, converted to float. */
  public float[] toFloatArray() {
    return withStorage("toFloatArray", backend::toFloatArray);
  }

  /** The elements in row-major order, converted to double. */
  public double[] toDoubleArray() {
    return withStorage("toDoubleArray", backend::toDoubleArray);
  }

  /** The elements in row-major order, converted to long (truncating floats). */
  public long[] toLongArray() {
    return withStorage("toLongArray", backend::toLongArray);
  }

  /** {@code read} of this tensor's storage, held so that a close() meanwhile cannot free it. */
  private <T> T withStorage(String op, java.util.function.Function<Storage, T> read) {
    Storage s = pin(op);
    try {
      return read.apply(s);
    } finally {
      unpin(s);
    }
  }

  /** Printed like NumPy, truncated when large, with shape and dtype. */
  @Override
  public String toString() {
    if (storage == null) {
      return "tensor(<closed>, shape=" + shape + ", dtype=" + dtype + ")";
    }
    return TensorFormat.format(this);
  }

  // ---- conversion ---------------------------------------------------------------------------

  /** This tensor in another dtype (the same tensor when it already is). Differentiable. */
  public Tensor to(DType target) {
    required("to", "dtype", target);
    checkOpen("to");
    if (target == dtype) {
      return this;
    }
    OpContext c = new OpContext();
    c.dtype = target;
    if (!target.isFloating()) {
      return Ops.CAST.run(c, detach()); // integers carry no gradient
    }
    return Ops.CAST.run(c, this);
  }

  /** This tensor on another device (the same tensor when it already is). Differentiable. */
  public Tensor to(Device target) {
    required("to", "device", target);
    checkOpen("to");
    if (target.equals(device)) {
      return this;
    }
    OpContext c = new OpContext();
    c.device = target;
    return Ops.TO_DEVICE.run(c, this);
  }

  Tensor transferTo(Device target) {
    Backend b = Backends.forDevice(target);
    Storage s;
    switch (dtype) {
      case FLOAT32:
        s = b.fromFloats(target, backend.toFloatArray(storage()));
        break;
      case FLOAT64:
        s = b.fromDoubles(target, backend.toDoubleArray(storage()));
        break;
      default:
        s = b.fromLongs(target, backend.toLongArray(storage()));
    }
    return new Tensor(s, shape, dtype, b, target);
  }

  // ---- elementwise --------------------------------------------------------------------------

  /** this + other, broadcast. */
  public Tensor add(Tensor other) {
    return binary(Ops.ADD, other);
  }

  /** this + value. */
  public Tensor add(double value) {
    return scalarArithmetic("add", Ops.ADD_SCALAR, value);
  }

  /** this - other, broadcast. */
  public Tensor sub(Tensor other) {
    return binary(Ops.SUB, other);
  }

  /** this - value. */
  public Tensor sub(double value) {
    return scalarArithmetic("sub", Ops.ADD_SCALAR, -value); // x - c is x + (-c) in IEEE
  }

  /** this * other, broadcast. */
  public Tensor mul(Tensor other) {
    return binary(Ops.MUL, other);
  }

  /** this * value. */
  public Tensor mul(double value) {
    return scalarArithmetic("mul", Ops.MUL_SCALAR, value);
  }

  /** this / other, broadcast (integers divide to float32, as PyTorch's true division). */
  public Tensor div(Tensor other) {
    required("div", "other tensor", other);
    return floatingBinary(Ops.DIV, other);
  }

  /** this / value. */
  public Tensor div(double value) {
    checkOpen("div");
    return floating().scalarArithmetic("div", Ops.DIV_SCALAR, value);
  }

  /**
   * this to the power other, broadcast. int64 to an int64 power stays int64, as in PyTorch:
   * wrapping on overflow, and a negative exponent gives 0 (1 or -1 for a base of 1 or -1).
   */
  public Tensor pow(Tensor exponent) {
    required("pow", "exponent", exponent);
    if (resultType(this, exponent) == DType.INT64) {
      checkSameDevice("pow", exponent);
      return binaryAs(Ops.POW, DType.INT64, exponent); // stays int64 (wrapping), as PyTorch's
    }
    return floatingBinary(Ops.POW, exponent);
  }

  /** this to a constant power. */
  public Tensor pow(double exponent) {
    if (dtype == DType.INT64 && scalarDType(exponent) == DType.INT64) {
      return integerPower(exponent);
    }
    return floating().unary(Ops.POW_SCALAR, exponent, 0);
  }

  /**
   * An int64 tensor to a whole power stays int64, as in PyTorch, through the int64 pow kernel
   * (wrapping on overflow, as C's integers do). A negative exponent is refused, as PyTorch
   * refuses a negative scalar power of integers.
   */
  private Tensor integerPower(double exponent) {
    checkOpen("pow");
    if (exponent < 0) {
      throw new IllegalArgumentException("pow: int64 tensors to negative integer powers are "
          + "not allowed (exponent " + (long) exponent + "); convert to a floating dtype first");
    }
    return binary(Ops.POW, scalarOperand(exponent));
  }

  /** -this. */
  public Tensor neg() {
    return unary(Ops.NEG, 0, 0);
  }

  /** e to the this. */
  public Tensor exp() {
    return floating().unary(Ops.EXP, 0, 0);
  }

  /** Natural logarithm. */
  public Tensor log() {
    return floating().unary(Ops.LOG, 0, 0);
  }

  /** The sine (radians). */
  public Tensor sin() {
    return floating().unary(Ops.SIN, 0, 0);
  }

  /** The cosine (radians). */
  public Tensor cos() {
    return floating().unary(Ops.COS, 0, 0);
  }

  /** Square root. */
  public Tensor sqrt() {
    return floating().unary(Ops.SQRT, 0, 0);
  }

  /** Absolute value (gradient 0 at 0, as PyTorch). */
  public Tensor abs() {
    return unary(Ops.ABS, 0, 0);
  }

  /** -1, 0 or 1 by sign; its gradient is 0 (the backward passes through it, as in PyTorch). */
  public Tensor sign() {
    return unary(Ops.SIGN, 0, 0);
  }

  /** Hyperbolic tangent. */
  public Tensor tanh() {
    return floating().unary(Ops.TANH, 0, 0);
  }

  /** The logistic function 1 / (1 + e^-x). */
  public Tensor sigmoid() {
    return floating().unary(Ops.SIGMOID, 0, 0);
  }

  /** max(x, 0) (gradient 0 at 0, as PyTorch). */
  public Tensor relu() {
    return unary(Ops.RELU, 0, 0);
  }

  /** x for x &gt; 0, else alpha x. */
  public Tensor leakyRelu(double alpha) {
    return floating().unary(Ops.LEAKY_RELU, alpha, 0);
  }

  /** x for x &gt; 0, else alpha (e^x - 1). */
  public Tensor elu(double alpha) {
    return floating().unary(Ops.ELU, alpha, 0);
  }

  /**
   * log(1 + e^x), computed without overflow; x itself where x &gt; 20, as PyTorch's softplus with
   * its default threshold (the two differ there by less than 2e-9).
   */
  public Tensor softplus() {
    return floating().unary(Ops.SOFTPLUS, 0, 0);
  }

  /**
   * Each element limited to [min, max]; the gradient is 1 inside and 0 outside. As in PyTorch, a
   * min above max makes every element max (with gradient 0), and NaN elements stay NaN.
   */
  public Tensor clamp(double min, double max) {
    if (scalarDType(min) != dtype || scalarDType(max) != dtype) {
      return to(DType.FLOAT32).clamp(min, max); // a bound int64 cannot hold, as add(0.5) promotes
    }
    return unary(Ops.CLAMP, min, max);
  }

  Tensor inside(double min, double max) {
    return unary(Ops.INSIDE, min, max);
  }

  /** 1 where this &gt; other, else 0 (a mask in this dtype); not differentiated. */
  public Tensor gt(Tensor other) {
    return binary(Ops.GT, other);
  }

  /** 1 where this &gt; value, else 0. */
  public Tensor gt(double value) {
    return binary(Ops.GT, scalarOperand(value));
  }

  /** 1 where this &lt; other, else 0. */
  public Tensor lt(Tensor other) {
    return binary(Ops.LT, other);
  }

  /** 1 where this &lt; value, else 0. */
  public Tensor lt(double value) {
    return binary(Ops.LT, scalarOperand(value));
  }

  /** 1 where this &gt;= other, else 0. */
  public Tensor ge(Tensor other) {
    return binary(Ops.GE, other);
  }

  /** 1 where this &gt;= value, else 0. */
  public Tensor ge(double value) {
    return binary(Ops.GE, scalarOperand(value));
  }

  /** 1 where this &lt;= other, else 0. */
  public Tensor le(Tensor other) {
    return binary(Ops.LE, other);
  }

  /** 1 where this &lt;= value, else 0. */
  public Tensor le(double value) {
    return binary(Ops.LE, scalarOperand(value));
  }

  /** 1 where this == other, else 0. */
  public Tensor eq(Tensor other) {
    return binary(Ops.EQ, other);
  }

  /** 1 where this == value, else 0. */
  public Tensor eq(double value) {
    return binary(Ops.EQ, scalarOperand(value));
  }

  /**
   * Elements of {@code a} where {@code condition} is non-zero, else of {@code b}, all broadcast.
   * Gradients flow to a and b (as PyTorch's where); the condition is not differentiated.
   */
  public static Tensor where(Tensor condition, Tensor a, Tensor b) {
    required("where", "condition", condition).checkOpen("where");
    required("where", "first tensor", a).checkOpen("where");
    required("where", "second tensor", b).checkOpen("where");
    a.checkSameDevice("where", condition);
    DType t = resultType(a, b);
    Tensor x = a.to(t);
    Tensor y = b.to(t);
    x.checkSameDevice("where", y);
    return Ops.WHERE.run(null, condition, x, y);
  }

  /** This where {@code condition} is non-zero, else {@code other} (PyTorch's x.where(c, y)). */
  public Tensor where(Tensor condition, Tensor other) {
    return where(condition, this, other);
  }

  private Tensor unary(Op op, double p, double q) {
    if (Double.doubleToRawLongBits(p) == 0 && Double.doubleToRawLongBits(q) == 0) {
      return op.run(null, this); // +0 settings are the defaults of a fresh context (not -0)
    }
    OpContext c = new OpContext();
    c.p = p;
    c.q = q;
    return op.run(c, this);
  }

  private Tensor binary(Op op, Tensor other) {
    if (other == null) {
      throw new IllegalArgumentException(op.name() + ": other tensor is null");
    }
    checkSameDevice(op.name(), other);
    return binaryAs(op, resultType(this, other), other);
  }

  /** A binary op whose integer result type becomes float32 (true division, pow). */
  private Tensor floatingBinary(Op op, Tensor other) {
    checkSameDevice(op.name(), other);
    DType t = resultType(this, other);
    return binaryAs(op, t.isFloating() ? t : DType.FLOAT32, other);
  }

  private Tensor binaryAs(Op op, DType t, Tensor other) {
    Tensor a = dtype == t ? this : to(t);
    Tensor b = other.dtype == t ? other : other.to(t);
    return op.run(null, a, b);
  }

  private static DType resultType(Tensor a, Tensor b) {
    return DType.resultType(a.dtype, a.rank() == 0, b.dtype, b.rank() == 0);
  }

  /**
   * {@code op} with a constant operand, in one kernel that takes it as a parameter (no operand
   * tensor to fill): in this tensor's dtype, as PyTorch's Python scalars. {@code name} is the
   * method's, for errors.
   */
  private Tensor scalarArithmetic(String name, Op op, double value) {
    checkOpen(name);
    return (scalarDType(value) == dtype ? this : to(DType.FLOAT32)).unary(op, value, 0);
  }

  /** A rank-0 operand for a {@code double}: it keeps this tensor's dtype. */
  private Tensor scalarOperand(double value) {
    DType t = scalarDType(value);
    return wrap(this, backend.full(device, t, 1, value), Shape.SCALAR, t);
  }

  /** This dtype, or float32 for int64 with a fraction or beyond what a double holds exactly. */
  private DType scalarDType(double value) {
    boolean whole = value == Math.rint(value) && Math.abs(value) <= 0x1p53;
    return dtype == DType.INT64 && !whole ? DType.FLOAT32 : dtype;
  }

  private Tensor floating() {
    return dtype.isFloating() ? this : to(DType.FLOAT32);
  }

  // ---- linear algebra -----------------------------------------------------------------------

  /**
   * Matrix product with NumPy's rules: 1-D operands act as a row (left) or column (right) vector
   * and that axis is dropped from the result; leading axes are batch axes and broadcast.
   */
  public Tensor matmul(Tensor other) {
    required("matmul", "other tensor", other);
    checkOpen("matmul");
    other.checkOpen("matmul");
    if (rank() == 0 || other.rank() == 0) {
      throw new IllegalArgumentException("matmul: shapes " + shape + " and " + other.shape
          + ": both operands need at least one axis");
    }
    int k = shape.size(-1);
    int kOther = other.rank() == 1 ? other.size(0) : other.size(-2);
    if (k != kOther) {
      throw new IllegalArgumentException("matmul: shapes " + shape + " and " + other.shape
          + " do not match: inner sizes " + k + " and " + kOther + " differ");
    }
    Tensor a = rank() == 1 ? unsqueeze(0) : this;
    Tensor b = other.rank() == 1 ? other.unsqueeze(1) : other;
    Tensor y = matmul(a, false, b, false);
    if (rank() == 1) {
      y = y.squeeze(-2); // the row axis the vector was given
    }
    if (other.rank() == 1) {
      y = y.squeeze(-1); // the column axis the vector was given
    }
    return y;
  }

  /**
   * {@code op(a) @ op(b)}, where op transposes the last two axes when its flag is set. The
   * transpose is passed to BLAS as a flag, so no transposed copy is made: {@code
   * Tensor.matmul(x, false, w, true)} is {@code x @ w^T} (a linear layer with weights [out, in]).
   * Both operands need rank &gt;= 2; batch axes broadcast.
   */
  public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
    required("matmul", "first tensor", a);
    required("matmul", "second tensor", b);
    if (a.rank() < 2 || b.rank() < 2) {
      throw new IllegalArgumentException("matmul: shapes " + a.shape + " and " + b.shape
          + ": transposed operands need at least 2 axes");
    }
    a.checkSameDevice("matmul", b);
    if (!a.dtype.isFloating() || !b.dtype.isFloating()) {
      throw new UnsupportedOperationException(
          "matmul: int64 operands are not supported (got " + a.dtype + " and " + b.dtype + ")");
    }
    DType t = DType.promote(a.dtype, b.dtype);
    OpContext c = new OpContext();
    c.transA = transA;
    c.transB = transB;
    return Ops.MATMUL.run(c, a.to(t), b.to(t));
  }

  /** The last two axes swapped. */
  public Tensor transpose() {
    if (rank() < 2) {
      throw new IllegalArgumentException(
          "transpose: needs at least 2 axes, shape is " + shape);
    }
    return transpose(-2, -1);
  }

  /** Axes {@code i} and {@code j} swapped. */
  public Tensor transpose(int i, int j) {
    checkOpen("transpose");
    if (isScalarAxis(i) && isScalarAxis(j)) {
      return sameShapeView();
    }
    int a = shape.axis(i, "transpose");
    int b = shape.axis(j, "transpose");
    int[] perm = new int[rank()];
    for (int k = 0; k < perm.length; k++) {
      perm[k] = k;
    }
    perm[a] = b;
    perm[b] = a;
    return a == b ? sameShapeView() : permute(perm);
  }

  /** Axes reordered: axis i of the result is axis {@code order[i]} of this tensor. */
  public Tensor permute(int... order) {
    required("permute", "order", order);
    checkOpen("permute");
    if (order.length != rank()) {
      throw new IllegalArgumentException("permute: order " + Arrays.toString(order)
          + " does not list the " + rank() + " axes of shape " + shape);
    }
    int[] p = new int[order.length];
    boolean[] seen = new boolean[order.length];
    boolean identity = true;
    for (int i = 0; i < order.length; i++) {
      p[i] = shape.axis(order[i], "permute");
      if (seen[p[i]]) {
        throw new IllegalArgumentException(
            "permute: axis " + order[i] + " appears twice in " + Arrays.toString(order));
      }
      seen[p[i]] = true;
      identity &= p[i] == i;
    }
    if (identity) {
      return sameShapeView();
    }
    OpContext c = new OpContext();
    c.ints = p;
    return Ops.PERMUTE.run(c, this);
  }

  /** The same elements in a new shape; one size may be -1 and is then inferred. */
  public Tensor reshape(int... newShape) {
    required("reshape", "shape", newShape);
    checkOpen("reshape");
    OpContext c = new OpContext();
    c.shape = resolveShape(newShape);
    return Ops.RESHAPE.run(c, this); // a new view even for the same shape, as PyTorch's
  }

  /**
   * A recorded view of this tensor with its own shape: what a shape op that changes nothing
   * returns, so that closing its result never closes this tensor.
   */
  private Tensor sameShapeView() {
    OpContext c = new OpContext();
    c.shape = shape;
    return Ops.RESHAPE.run(c, this);
  }

  private Shape resolveShape(int[] dims) {
    int infer = -1;
    long known = 1;
    int[] d = dims.clone();
    for (int i = 0; i < d.length; i++) {
      if (d[i] == -1) {
        if (infer >= 0) {
          throw new IllegalArgumentException(
              "reshape: only one size may be -1, got " + Arrays.toString(dims));
        }
        infer = i;
      } else if (d[i] < 0) {
        throw new IllegalArgumentException(
            "reshape: invalid size " + d[i] + " in " + Arrays.toString(dims));
      } else {
        known *= d[i];
      }
    }
    if (infer >= 0) {
      if (known == 0 || shape.numel() % known != 0) {
        throw new IllegalArgumentException("reshape: cannot reshape shape " + shape + " ("
            + shape.numel() + " elements) into " + Arrays.toString(dims));
      }
      d[infer] = (int) (shape.numel() / known);
      known *= d[infer];
    }
    if (known != shape.numel()) {
      throw new IllegalArgumentException("reshape: cannot reshape shape " + shape + " ("
          + shape.numel() + " elements) into " + Arrays.toString(dims) + " (" + known
          + " elements)");
    }
    return Shape.of(d);
  }

  Tensor view(Shape newShape) {
    return new Tensor(storage(), newShape, dtype, backend, device);
  }

  /** A new tensor sharing this one's storage, with no history. */
  Tensor alias() {
    return view(shape);
  }

  /** The in-place writes to this tensor's storage so far; -1 once it is closed. */
  int version() {
    Storage s = storage;
    return s == null ? -1 : s.version();
  }

  /**
   * A stand-in for this tensor whose shape, dtype and device can be read but whose values cannot:
   * reading them throws an {@link IllegalStateException} with {@code why}.
   */
  Tensor staleView(String why) {
    Tensor v = alias();
    v.staleBecause = why;
    return v;
  }

  /** All elements in one axis. */
  public Tensor flatten() {
    checkOpen("flatten");
    return reshape(-1);
  }

  /** Axes {@code from} to {@code to} (inclusive) merged into one. */
  public Tensor flatten(int from, int to) {
    checkOpen("flatten");
    if (rank() == 0) {
      return reshape(1);
    }
    int a = shape.axis(from, "flatten");
    int b = shape.axis(to, "flatten");
    if (a > b) {
      throw new IllegalArgumentException("flatten: start axis " + from + " is after end axis " + to);
    }
    int[] d = shape.toArray();
    int[] out = new int[d.length - (b - a)];
    int k = 0;
    for (int i = 0; i < a; i++) out[k++] = d[i];
    long merged = 1;
    for (int i = a; i <= b; i++) merged = Math.min(merged * d[i], Integer.MAX_VALUE + 1L);
    if (merged > Integer.MAX_VALUE) { // possible only beside an empty axis
      throw new IllegalArgumentException("flatten: merging axes " + from + " to " + to + " of "
          + shape + " gives a size past the largest int");
    }
    out[k++] = (int) merged;
    for (int i = b + 1; i < d.length; i++) out[k++] = d[i];
    return reshape(out);
  }

  /** A size-1 axis inserted at {@code axis} (in -(rank+1)..rank). */
  public Tensor unsqueeze(int axis) {
    checkOpen("unsqueeze");
    int r = rank();
    if (axis < -(r + 1) || axis > r) {
      throw new IllegalArgumentException(
          "unsqueeze: axis " + axis + " is out of range for shape " + shape);
    }
    int a = axis < 0 ? axis + r + 1 : axis;
    return reshape(shape.insert(a, 1).toArray());
  }

  /** Every size-1 axis removed. */
  public Tensor squeeze() {
    checkOpen("squeeze");
    int[] d = Arrays.stream(shape.toArray()).filter(x -> x != 1).toArray();
    return reshape(d);
  }

  /** Axis {@code axis} removed when its size is 1 (else an unchanged view, as PyTorch). */
  public Tensor squeeze(int axis) {
    checkOpen("squeeze");
    if (isScalarAxis(axis)) {
      return sameShapeView();
    }
    int a = shape.axis(axis, "squeeze");
    return shape.size(a) == 1 ? reshape(shape.reduce(a, false).toArray()) : sameShapeView();
  }

  /** Broadcast (copied) to a larger shape; -1 keeps a size. */
  public Tensor expand(int... newShape) {
    required("expand", "shape", newShape);
    checkOpen("expand");
    int[] d = newShape.clone();
    int off = d.length - rank();
    if (off < 0) {
      throw new IllegalArgumentException(
          "expand: cannot expand shape " + shape + " to fewer axes " + Arrays.toString(newShape));
    }
    for (int i = 0; i < d.length; i++) {
      if (d[i] == -1 && i >= off) {
        d[i] = shape.size(i - off);
      } else if (d[i] < 0) {
        throw new IllegalArgumentException("expand: size " + d[i] + " at position " + i + " of "
            + Arrays.toString(newShape) + " is negative (-1 keeps an existing axis's size)");
      }
    }
    Shape target = Shape.of("expand", d);
    if (!shape.broadcastsTo(target)) {
      throw new IllegalArgumentException(
          "expand: shape " + shape + " cannot be broadcast to " + target);
    }
    if (target.equals(shape)) {
      return sameShapeView();
    }
    OpContext c = new OpContext();
    c.shape = target;
    return Ops.EXPAND.run(c, this);
  }

  /** Summed down to {@code target}, a shape this tensor's was broadcast from. */
  public Tensor sumTo(Shape target) {
    required("sumTo", "target shape", target);
    checkOpen("sumTo");
    if (target.equals(shape)) {
      return this;
    }
    if (!target.broadcastsTo(shape)) {
      throw new IllegalArgumentException(
          "sumTo: shape " + shape + " cannot be summed down to " + target);
    }
    OpContext c = new OpContext();
    c.shape = target;
    return Ops.SUM_TO.run(c, this);
  }

  /**
   * Elements {@code from} (inclusive) to {@code to} (exclusive) along {@code axis}, as PyTorch's
   * {@code x[from:to]}: negative indices count from the end, indices past either end are clamped
   * to it, and a range that ends before it starts is empty.
   *
   * <pre>{@code
   * jshell> Tensor.arange(5).slice(0, -2, 100);
   * tensor([3, 4], shape=[2], dtype=int64)
   * }</pre>
   */
  public Tensor slice(int axis, int from, int to) {
    checkOpen("slice");
    int a = shape.axis(axis, "slice");
    int n = shape.size(a);
    int f = clampIndex(from, n);
    int t = Math.max(f, clampIndex(to, n));
    if (f == 0 && t == n) {
      return sameShapeView();
    }
    OpContext c = new OpContext();
    c.axis = a;
    c.ints = new int[] {f, t};
    return Ops.SLICE.run(c, this);
  }

  /** A Python slice bound in {@code [0, n]}: negative counts from the end, then clamped. */
  private static int clampIndex(int index, int n) {
    long i = index < 0 ? (long) index + n : index;
    return (int) Math.max(0, Math.min(n, i));
  }

  /** Zeros of size {@code total} along {@code axis}, with this tensor placed at {@code from}. */
  public Tensor pad(int axis, int from, int total) {
    checkOpen("pad");
    int a = shape.axis(axis, "pad");
    if (from < 0 || (long) from + shape.size(a) > total) {
      throw new IllegalArgumentException("pad: cannot place axis " + axis + " of size "
          + shape.size(a) + " at " + from + " in a size of " + total);
    }
    checkFits("pad", shape, a, total);
    OpContext c = new OpContext();
    c.axis = a;
    c.ints = new int[] {from, total};
    return Ops.PAD.run(c, this);
  }

  /** The tensors joined along an existing axis. */
  public static Tensor concat(List<Tensor> tensors, int axis) {
    if (tensors == null || tensors.isEmpty()) {
      throw new IllegalArgumentException("concat: needs at least one tensor");
    }
    for (Tensor x : tensors) {
      required("concat", "every tensor", x);
    }
    Tensor first = tensors.get(0);
    first.checkOpen("concat");
    int a = first.shape.axis(axis, "concat");
    DType t = first.dtype;
    for (Tensor x : tensors) {
      x.checkOpen("concat");
      first.checkSameDevice("concat", x);
      t = DType.promote(t, x.dtype);
      if (x.rank() != first.rank()) {
        throw new IllegalArgumentException("concat: shapes " + first.shape + " and " + x.shape
            + " have different ranks");
      }
      for (int d = 0; d < x.rank(); d++) {
        if (d != a && x.shape.size(d) != first.shape.size(d)) {
          throw new IllegalArgumentException("concat: shapes " + first.shape + " and " + x.shape
              + " differ on axis " + d + " (joining along axis " + axis + ")");
        }
      }
    }
    long joined = 0;
    for (Tensor x : tensors) {
      joined += x.shape.size(a);
    }
    checkFits("concat", first.shape, a, joined);
    Tensor[] in = new Tensor[tensors.size()];
    for (int i = 0; i < in.length; i++) {
      in[i] = tensors.get(i).to(t);
    }
    if (in.length == 1) {
      return in[0] == first ? first.sameShapeView() : in[0];
    }
    OpContext c = new OpContext();
    c.axis = a;
    return Ops.CONCAT.run(c, in);
  }

  /**
   * Fails, naming {@code op}, unless {@code shape} with {@code axis} resized to {@code size} fits
   * in a Java array.
   */
  private static void checkFits(String op, Shape shape, int axis, long size) {
    int[] dims = shape.toArray();
    dims[axis] = (int) Math.min(size, Integer.MAX_VALUE);
    if (size > Integer.MAX_VALUE || !Shape.fitsAnArray(dims)) {
      throw new IllegalArgumentException(op + ": the result, size " + size + " along axis "
          + axis + " of " + shape + ", has more elements than a Java array can hold");
    }
  }

  /** The tensors joined along an existing axis. */
  public static Tensor concat(int axis, Tensor... tensors) {
    return concat(Arrays.asList(required("concat", "tensors", tensors)), axis);
  }

  /** The tensors, all of one shape, stacked along a new axis. */
  public static Tensor stack(List<Tensor> tensors, int axis) {
    if (tensors == null || tensors.isEmpty()) {
      throw new IllegalArgumentException("stack: needs at least one tensor");
    }
    for (Tensor x : tensors) {
      required("stack", "every tensor", x);
    }
    Shape s = tensors.get(0).shape;
    int r = s.rank();
    if (axis < -(r + 1) || axis > r) {
      throw new IllegalArgumentException("stack: axis " + axis
          + " is out of range for stacking tensors of shape " + s);
    }
    Tensor[] parts = new Tensor[tensors.size()];
    for (int i = 0; i < parts.length; i++) {
      Tensor t = tensors.get(i);
      t.checkOpen("stack");
      if (!t.shape.equals(s)) {
        throw new IllegalArgumentException(
            "stack: shapes " + s + " and " + t.shape + " differ; stack needs equal shapes");
      }
      parts[i] = t.unsqueeze(axis);
    }
    checkFits("stack", parts[0].shape, axis < 0 ? axis + r + 1 : axis, parts.length);
    return concat(Arrays.asList(parts), axis);
  }

  /** The tensors, all of one shape, stacked along a new axis. */
  public static Tensor stack(int axis, Tensor... tensors) {
    return stack(Arrays.asList(required("stack", "tensors", tensors)), axis);
  }

  /**
   * Elements picked along {@code axis} by an int64 index of this tensor's rank: {@code out[i][j] =
   * this[i][index[i][j]]} for axis 1. The result has the index's shape, which may be smaller than
   * this tensor's on the other axes too (those elements are not read), as in PyTorch.
   */
  public Tensor gather(int axis, Tensor index) {
    checkOpen("gather");
    checkIndexTensor("gather", index);
    if (isScalarAxis(axis) && index.rank() <= 1) { // a rank-0 tensor as one axis, as PyTorch
      Tensor picked = reshape(1).gather(0, index.reshape(-1));
      return index.rank() == 0 ? picked.reshape() : picked;
    }
    if (index.rank() != rank()) {
      throw new IllegalArgumentException("gather: index shape " + index.shape
          + " must have the rank of shape " + shape);
    }
    int a = shape.axis(axis, "gather");
    Tensor source = this;
    for (int d = 0; d < rank(); d++) {
      if (d != a && index.shape.size(d) > shape.size(d) && index.numel() == 0) {
        return wrap(this, backend.full(device, dtype, 0, 0), index.shape, dtype); // picks none
      }
      if (d != a && index.shape.size(d) > shape.size(d)) {
        throw new IllegalArgumentException("gather: index shape " + index.shape
            + " is larger than shape " + shape + " on axis " + d);
      }
      if (d != a && index.shape.size(d) < shape.size(d)) {
        source = source.slice(d, 0, index.shape.size(d)); // the part the index can reach
      }
    }
    OpContext c = new OpContext();
    c.axis = a;
    return Ops.GATHER.run(c, source, index);
  }

  /** The inverse of gather: zeros of {@code target} with this added at the indexed places. */
  public Tensor scatterAdd(int axis, Tensor index, Shape target) {
    checkOpen("scatterAdd");
    checkIndexTensor("scatterAdd", index);
    required("scatterAdd", "target shape", target);
    if (!index.shape.equals(shape)) {
      throw new IllegalArgumentException(
          "scatterAdd: index shape " + index.shape + " must equal source shape " + shape);
    }
    int a = target.axis(axis, "scatterAdd");
    if (target.rank() != rank()) {
      throw new IllegalArgumentException("scatterAdd: target shape " + target
          + " must have the rank of index shape " + index.shape);
    }
    for (int d = 0; d < rank(); d++) {
      if (d != a && target.size(d) != shape.size(d)) {
        throw new IllegalArgumentException("scatterAdd: target shape " + target
            + " must match index shape " + index.shape + " on every axis but " + axis);
      }
    }
    OpContext c = new OpContext();
    c.axis = a;
    c.shape = target;
    return Ops.SCATTER_ADD.run(c, this, index);
  }

  /** The slices {@code index[0], index[1], ...} of {@code axis}, in order (int64 index). */
  public Tensor indexSelect(int axis, Tensor index) {
    checkOpen("indexSelect");
    checkIndexTensor("indexSelect", index);
    if (isScalarAxis(axis) && index.numel() == 1) { // a rank-0 tensor as one axis, as PyTorch
      return reshape(1).indexSelect(0, index.reshape(1)).reshape();
    }
    int a = shape.axis(axis, "indexSelect");
    if (index.rank() > 1) {
      throw new IllegalArgumentException(
          "indexSelect: index must be 0-D or 1-D, got shape " + index.shape);
    }
    OpContext c = new OpContext();
    c.axis = a;
    return Ops.INDEX_SELECT.run(c, this, index);
  }

  /** The inverse of indexSelect: zeros of {@code target}, slice i of this added at index[i]. */
  public Tensor indexAdd(int axis, Tensor index, Shape target) {
    checkOpen("indexAdd");
    checkIndexTensor("indexAdd", index);
    required("indexAdd", "target shape", target);
    int a = target.axis(axis, "indexAdd");
    if (index.rank() > 1) {
      throw new IllegalArgumentException(
          "indexAdd: index must be 0-D or 1-D, got shape " + index.shape);
    }
    if (target.rank() != rank()) {
      throw new IllegalArgumentException("indexAdd: target shape " + target
          + " must have the rank of source shape " + shape);
    }
    for (int d = 0; d < rank(); d++) {
      if (d != a && target.size(d) != shape.size(d)) {
        throw new IllegalArgumentException("indexAdd: target shape " + target
            + " must match source shape " + shape + " on every axis but " + axis);
      }
    }
    if (index.numel() != shape.size(a)) {
      throw new IllegalArgumentException("indexAdd: index of " + index.numel()
          + " elements for axis " + axis + " of size " + shape.size(a));
    }
    OpContext c = new OpContext();
    c.axis = a;
    c.shape = target;
    return Ops.INDEX_ADD.run(c, this, index);
  }

  /**
   * Int64 one-hot rows of {@code classes} entries for these int64 labels, as PyTorch's {@code
   * one_hot}; {@code to(DType)} or arithmetic with a float tensor makes them floating.
   */
  public Tensor oneHot(int classes) {
    checkOpen("oneHot");
    checkIndexTensor("oneHot", this);
    if (classes <= 0) {
      throw new IllegalArgumentException("oneHot: classes must be positive, got " + classes);
    }
    if (numel() * classes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("oneHot: " + numel() + " labels of " + classes
          + " classes give more elements than a Java array can hold");
    }
    OpContext c = new OpContext();
    c.axis = classes;
    return Ops.ONE_HOT.run(c, this);
  }

  private void checkIndexTensor(String op, Tensor index) {
    if (index == null) {
      throw new IllegalArgumentException(op + ": index is null");
    }
    index.checkOpen(op);
    if (index.dtype != DType.INT64) {
      throw new IllegalArgumentException(op + ": index must be int64, got " + index.dtype);
    }
    checkSameDevice(op, index);
  }

  // ---- reductions ---------------------------------------------------------------------------

  /** The sum of all elements, as a rank-0 tensor. */
  public Tensor sum() {
    checkOpen("sum");
    return flatten().sum(0, false);
  }

  /** Sums along {@code axis}, dropping it. */
  public Tensor sum(int axis) {
    return sum(axis, false);
  }

  /** Sums along {@code axis}, keeping it with size 1 when {@code keepDims}. */
  public Tensor sum(int axis, boolean keepDims) {
    return reduction(Ops.SUM, axis, keepDims);
  }

  /** The mean of all elements, as a rank-0 tensor. */
  public Tensor mean() {
    checkOpen("mean");
    return floating().sum().div(numel()); // an empty tensor's mean is NaN, as in NumPy
  }

  /** Means along {@code axis}, dropping it. */
  public Tensor mean(int axis) {
    return mean(axis, false);
  }

  /** Means along {@code axis}, keeping it with size 1 when {@code keepDims}. */
  public Tensor mean(int axis, boolean keepDims) {
    checkOpen("mean");
    if (isScalarAxis(axis)) {
      return floating().sum(axis, keepDims);
    }
    int a = shape.axis(axis, "mean");
    if (shape.size(a) == 0) {
      shape.reduce("mean", a, keepDims); // a result too large is an error naming mean, not sum
    }
    return floating().sum(axis, keepDims).div(shape.size(a));
  }

  /** The largest element, as a rank-0 tensor; tied maxima share the gradient evenly. */
  public Tensor max() {
    return wholeReduction(Ops.MAX_ALL, "max");
  }

  /** The largest values along {@code axis}, dropping it. */
  public Tensor max(int axis) {
    return max(axis, false);
  }

  /** The largest values along {@code axis}; the gradient goes to the first maximal element. */
  public Tensor max(int axis, boolean keepDims) {
    return reduction(Ops.MAX, axis, keepDims);
  }

  /** The smallest element, as a rank-0 tensor; tied minima share the gradient evenly. */
  public Tensor min() {
    return wholeReduction(Ops.MIN_ALL, "min");
  }

  /** The smallest values along {@code axis}, dropping it. */
  public Tensor min(int axis) {
    return min(axis, false);
  }

  /** The smallest values along {@code axis}; the gradient goes to the first minimal element. */
  public Tensor min(int axis, boolean keepDims) {
    return reduction(Ops.MIN, axis, keepDims);
  }

  /** The int64 index of the (first) largest value along {@code axis}. */
  public Tensor argmax(int axis) {
    return argmax(axis, false);
  }

  /** The int64 index of the (first) largest value along {@code axis}. */
  public Tensor argmax(int axis, boolean keepDims) {
    return reduction(Ops.ARGMAX, axis, keepDims);
  }

  /** The flat int64 index of the (first) largest element. */
  public Tensor argmax() {
    checkOpen("argmax");
    return flatten().argmax(0, false);
  }

  /** The int64 index of the (first) smallest value along {@code axis}. */
  public Tensor argmin(int axis) {
    return reduction(Ops.ARGMIN, axis, false);
  }

  /** log(sum(exp(x))) along {@code axis}, dropping it; stable for large values. */
  public Tensor logSumExp(int axis) {
    return logSumExp(axis, false);
  }

  /** log(sum(exp(x))) along {@code axis}; stable for large values. */
  public Tensor logSumExp(int axis, boolean keepDims) {
    return floating().reduction(Ops.LOG_SUM_EXP, axis, keepDims);
  }

  /** exp(x) / sum(exp(x)) along {@code axis}; stable for large values. */
  public Tensor softmax(int axis) {
    return floating().axisOp(Ops.SOFTMAX, axis);
  }

  /** x - logSumExp(x) along {@code axis}; stable for large values. */
  public Tensor logSoftmax(int axis) {
    return floating().axisOp(Ops.LOG_SOFTMAX, axis);
  }

  private Tensor reduction(Op op, int axis, boolean keepDims) {
    checkOpen(op.name());
    if (isScalarAxis(axis)) {
      return reshape(1).reduction(op, 0, false); // keepDims or not, the result has rank 0
    }
    OpContext c = new OpContext();
    c.axis = shape.axis(axis, op.name());
    c.keepDims = keepDims;
    if (shape.size(c.axis) == 0) {
      shape.reduce(op.name(), c.axis, keepDims); // rejects a result too large to hold
    }
    if (shape.size(c.axis) == 0 && op == Ops.LOG_SUM_EXP) {
      return sum(axis, keepDims).log(); // the log of an empty sum: -inf, as PyTorch
    }
    if (shape.size(c.axis) == 0 && op != Ops.SUM) {
      throw new IllegalArgumentException(op.name() + ": axis " + axis + " of shape " + shape
          + " is empty");
    }
    return op.run(c, this);
  }

  /**
   * True for axis 0 or -1 of a rank-0 tensor: PyTorch lets axis arguments treat a rank-0 tensor
   * as having one axis of size 1, so {@code sum(0)}, {@code softmax(-1)} and the like work on it.
   */
  private boolean isScalarAxis(int axis) {
    return rank() == 0 && (axis == 0 || axis == -1);
  }

  private Tensor wholeReduction(Op op, String method) {
    checkOpen(method);
    if (numel() == 0) {
      throw new IllegalArgumentException(method + ": tensor of shape " + shape + " is empty");
    }
    return op.run(null, this);
  }

  private Tensor axisOp(Op op, int axis) {
    checkOpen(op.name());
    if (isScalarAxis(axis)) {
      return reshape(1).axisOp(op, 0).reshape();
    }
    OpContext c = new OpContext();
    c.axis = shape.axis(axis, op.name());
    return op.run(c, this);
  }

  // ---- autograd -----------------------------------------------------------------------------

  /** Marks this leaf as needing gradients, and returns it. */
  public Tensor requiresGrad() {
    return requiresGrad(true);
  }

  /** Sets whether this leaf needs gradients, and returns it. */
  public Tensor requiresGrad(boolean value) {
    checkOpen("requiresGrad");
    if (value && !dtype.isFloating()) {
      throw new IllegalArgumentException(
          "requiresGrad: only float32 and float64 tensors can require gradients, this one is "
              + dtype);
    }
    if (node != null) {
      if (!value) {
        throw new IllegalStateException("requiresGrad: this tensor is the result of an op; "
            + "use detach() for a copy without history");
      }
      return this;
    }
    requiresGrad = value;
    return this;
  }

  /**
   * Makes each {@code backward()} add this op result's gradient into its {@link #grad()}, as a
   * leaf's, and returns it: PyTorch's {@code retain_grad()}, for looking at an intermediate's
   * gradient (a leaf that requires gradients keeps its own anyway). {@link Autograd#grad} leaves
   * it alone, as it does leaves' gradients.
   *
   * <pre>{@code
   * jshell> Tensor x = Tensor.scalar(3.0).requiresGrad();
   * jshell> Tensor h = x.mul(x).retainGrad();
   * jshell> h.mul(2).backward();
   * jshell> h.grad();
   * tensor(2., shape=[], dtype=float32)
   * }</pre>
   *
   * @throws IllegalStateException when no gradient flows to this tensor (it does not require
   *     gradients and is not the result of a recorded op)
   */
  public Tensor retainGrad() {
    checkOpen("retainGrad");
    if (!tracked()) {
      throw new IllegalStateException("retainGrad: this tensor of shape " + shape
          + " does not require gradients, so no gradient reaches it");
    }
    if (node != null) {
      node.retainsGrad = true; // read by backward at this entry, which holds this tensor
    }
    return this;
  }

  /** True when gradients flow to this tensor: a leaf marked requiresGrad, or an op's result. */
  public boolean isRequiresGrad() {
    return tracked();
  }

  /** True for a tensor no recorded op produced. */
  public boolean isLeaf() {
    return node == null;
  }

  boolean tracked() {
    return requiresGrad || node != null;
  }

  /**
   * The gradient accumulated by backward, or null before the first one (and always for an op's
   * result, unless {@link #retainGrad()} asked for it).
   */
  public synchronized Tensor grad() {
    if (gradZeroed && grad != null && !grad.isClosed()) {
      grad.backend.fill(grad.storage, 0);
      grad.storage.modified();
      gradZeroed = false;
    }
    return grad;
  }

  /**
   * Whether a backward has added to this leaf's {@link #grad()} since it was made or last
   * {@link #zeroGrad() zeroed}. After zeroGrad() the gradient reads as zeros but counts as absent
   * until a backward reaches this leaf again, so optimizers and gradient clipping leave alone a
   * parameter that took no part in the step, as PyTorch's do with a gradient that {@code
   * zero_grad()} set to None.
   */
  public synchronized boolean hasGrad() {
    return grad != null && gradSinceZeroGrad;
  }

  /**
   * Resets the accumulated gradient to zeros (a no-op before the first backward); {@link
   * #hasGrad()} is false until the next backward that reaches this leaf.
   */
  public synchronized void zeroGrad() {
    gradSinceZeroGrad = false;
    if (grad != null) {
      if (grad.isClosed() || grad.node != null) {
        grad = grad.isClosed() ? null : grad.detach().zerosLike(); // never write into history
        if (grad != null) {
          Tensors.disown(grad);
        }
      } else {
        gradZeroed = true;
      }
    }
  }

  /**
   * Adds a backward pass's gradient into {@link #grad()}. The leaf owns the result: fresh storage,
   * never the cotangent itself (which another leaf or the caller may hold). Synchronised,
   * as PyTorch locks here, for leaves shared by threads.
   */
  synchronized void accumulateGrad(Tensor g, boolean createGraph) {
    ThreadState state = ThreadState.get();
    boolean was = state.gradEnabled;
    state.gradEnabled = createGraph; // without createGraph, accumulating records nothing
    try {
      boolean inPlace = !createGraph && grad != null && !grad.isClosed() && grad.node == null
          && !g.tracked() && grad.shape.equals(g.shape) && grad.dtype == g.dtype
          && grad.device.equals(g.device);
      if (inPlace && gradZeroed) {
        backend.copyInto(g.storage(), grad.storage); // overwrite the logical zeros
        grad.storage.modified();
      } else if (inPlace) {
        backend.addInto(g.storage(), grad.storage);
        grad.storage.modified();
      } else if (grad == null || grad.isClosed() || gradZeroed) {
        grad = g.mul(1); // a copy: the cotangent may be shared with another leaf or the caller
      } else {
        grad = grad.add(g);
      }
      gradZeroed = false;
      gradSinceZeroGrad = true;
    } finally {
      state.gradEnabled = was;
      Reference.reachabilityFence(g); // its device storage is read by the copy or add above
    }
    Tensors.disown(grad);
  }

  /** Backpropagates from this one-element tensor (a seed of 1). */
  public void backward() {
    Autograd.backward(this, null, false, false);
  }

  /** Backpropagates from this tensor with {@code seed}, the cotangent of its shape. */
  public void backward(Tensor seed) {
    Autograd.backward(this, seed, false, false);
  }

  /**
   * Backpropagates from this one-element tensor, keeping the tape entries for another backward
   * when {@code retainGraph}: PyTorch's {@code backward(retain_graph=True)}.
   */
  public void backward(boolean retainGraph) {
    Autograd.backward(this, null, retainGraph, false);
  }

  /** Backpropagates, keeping the tape entries for another backward when {@code retainGraph}. */
  public void backward(Tensor seed, boolean retainGraph) {
    Autograd.backward(this, seed, retainGraph, false);
  }

  /** A tensor sharing this one's values with no history: gradients stop here. */
  public Tensor detach() {
    checkOpen("detach");
    return alias();
  }

  // ---- in-place update ----------------------------------------------------------------------

  /**
   * Overwrites this tensor's values with {@code src}'s (converted to this dtype), in place and
   * unrecorded, and returns this tensor: how optimizers and initializers update parameters, like
   * PyTorch's {@code p.copy_(src)} under {@code no_grad}. Only a leaf may be overwritten; views
   * sharing its storage see the new values. As in PyTorch, a backward through an op recorded
   * before the overwrite that needs the old values fails with an {@link IllegalStateException}
   * rather than compute with the new ones.
   */
  public Tensor copyFrom(Tensor src) {
    required("copyFrom", "source", src);
    checkOpen("copyFrom");
    src.checkOpen("copyFrom");
    if (node != null) {
      throw new IllegalStateException("copyFrom: this tensor is the recorded result of "
          + node.name() + "; only a leaf (a parameter, a buffer) can be overwritten in place");
    }
    if (!src.shape.equals(shape)) {
      throw new IllegalArgumentException(
          "copyFrom: source shape " + src.shape + " does not match shape " + shape);
    }
    checkSameDevice("copyFrom", src);
    Storage from = src.pin("copyFrom"); // neither may be freed by a close() meanwhile
    try {
      Storage to = pin("copyFrom");
      try {
        Storage values = src.dtype == dtype ? from : backend.cast(from, dtype);
        try {
          if (values != to) {
            backend.copyInto(values, to);
          }
          to.modified();
        } finally {
          if (values != from) {
            values.free(); // the cast's copy, owned by no tensor
          }
        }
      } finally {
        unpin(to);
      }
    } finally {
      unpin(from);
    }
    return this;
  }

  // ---- memory -------------------------------------------------------------------------------

  /** Frees this tensor's storage (shared views keep it alive). Using it afterwards throws. */
  @Override
  public void close() {
    Storage s = storage;
    if (s == null) {
      return;
    }
    storage = null;
    if (cleanable != null) {
      cleanable.clean(); // releases the native storage once
    }
  }

  /** True after {@link #close()}. */
  public boolean isClosed() {
    return storage == null;
  }

  /**
   * Moves this tensor out of the innermost scope to the enclosing one (or none), and returns it.
   * Its values survive the scope; its history does not: when the scope closes, its tape entries
   * go, so a kept result is a constant from then on (gradients do not flow back through it). A
   * tensor of an enclosing scope (made before the innermost one opened, or kept already) stays
   * where it is, so that its own scope still closes it.
   *
   * @throws IllegalStateException if this tensor is closed
   */
  public Tensor keep() {
    checkOpen("keep");
    if (scope != null && scope == ThreadState.get().scope) {
      Tensors.keep(this);
    }
    return this;
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The argument, or an IllegalArgumentException naming the op when it is null. */
  static <T> T required(String op, String what, T value) {
    if (value == null) {
      throw new IllegalArgumentException(op + ": " + what + " must not be null");
    }
    return value;
  }

  /**
   * The storage, held for the duration of an op (until {@link #unpin}): a close() of this tensor
   * on another thread meanwhile then cannot free the memory, which a device's allocator would hand
   * to the next tensor while the op still reads or writes it.
   *
   * @throws IllegalStateException naming {@code op} when this tensor is closed
   */
  Storage pin(String op) {
    if (staleBecause != null) {
      throw new IllegalStateException(staleBecause);
    }
    Storage s = storage;
    if (s == null || s.isNative() && !s.tryRetain()) {
      throw closed(op);
    }
    return s;
  }

  /** Lets go of a storage {@link #pin} held. */
  static void unpin(Storage s) {
    if (s.isNative()) {
      s.release();
    }
  }

  Storage storage() {
    if (staleBecause != null) {
      throw new IllegalStateException(staleBecause);
    }
    Storage s = storage;
    if (s == null) {
      throw closed("use");
    }
    return s;
  }

  Backend backend() {
    return backend;
  }

  void checkOpen(String op) {
    if (storage == null) {
      throw closed(op);
    }
  }

  private IllegalStateException closed(String op) {
    return new IllegalStateException(op + ": tensor of shape " + shape + " was closed and cannot"
        + " be used (by close(); by the end of the Tensors.scope() it was made in, so keep() a"
        + " result the scope should not close; or, for a layer's parameter, by Layer.to(), which"
        + " replaces the parameters: read them through the layer, e.g. parameter(name), rather"
        + " than from a field set before)");
  }

  private void checkSameDevice(String op, Tensor other) {
    checkOpen(op);
    other.checkOpen(op);
    if (!device.equals(other.device)) {
      throw new IllegalArgumentException(op + ": tensors are on different devices, " + device
          + " and " + other.device + "; move one with to(Device)");
    }
  }
}
