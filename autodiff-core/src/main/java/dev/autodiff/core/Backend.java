package dev.autodiff.core;

/**
 * The service interface of primitive kernels over raw {@link Storage}. The CPU backend is built in;
 * others (CUDA) are found at run time through {@link java.util.ServiceLoader}.
 *
 * <p>Every storage is contiguous and row-major. Shapes are passed beside the storages; the ops
 * layer has already validated them, so a backend checks only what it alone can know. Unless a
 * method says otherwise, the inputs of one call share a dtype and the result has that dtype.
 */
public interface Backend {
  /** A short name for logs and messages, e.g. {@code cpu}. */
  String name();

  /** True when this backend owns storages on {@code device}. */
  boolean supports(Device device);

  /**
   * Fails with the reason when {@code device}, which this backend {@link #supports}, cannot be used
   * on this machine (no driver, no such device, a library that failed to load).
   *
   * @throws IllegalStateException naming what is missing
   */
  default void checkUsable(Device device) {}

  // ---- data movement ------------------------------------------------------------------------

  /** A storage holding {@code data} (which the backend may adopt without copying). */
  Storage fromFloats(Device device, float[] data);

  /** A storage holding {@code data} (which the backend may adopt without copying). */
  Storage fromDoubles(Device device, double[] data);

  /** A storage holding {@code data} (which the backend may adopt without copying). */
  Storage fromLongs(Device device, long[] data);

  /** The elements as floats, converted from any dtype. */
  float[] toFloatArray(Storage x);

  /** The elements as doubles, converted from any dtype. */
  double[] toDoubleArray(Storage x);

  /** The elements as longs, converted (truncated) from any dtype. */
  long[] toLongArray(Storage x);

  /** A new storage of {@code n} elements, each {@code value}. */
  Storage full(Device device, DType dtype, long n, double value);

  /** The elements converted to {@code dtype}. */
  Storage cast(Storage x, DType dtype);

  /** Overwrites {@code dst} with the elements of {@code src} (same dtype and size) in place. */
  void copyInto(Storage src, Storage dst);

  /** Adds the elements of {@code src} into {@code dst} (same dtype and size) in place. */
  void addInto(Storage src, Storage dst);

  /** Sets every element of {@code dst} to {@code value} in place. */
  void fill(Storage dst, double value);

  // ---- elementwise --------------------------------------------------------------------------

  /** {@code op} applied to each element, with the op's constants {@code p} and {@code q}. */
  Storage unary(UnaryOp op, Storage x, double p, double q);

  /**
   * The VJP of activation {@code op} in one pass, {@code g f'(x)}, from its input {@code x}, output
   * {@code y} and cotangent {@code g} (one shape and dtype) and the op's constants; or null where
   * this backend does not fuse {@code op}, and the ops layer composes the VJP from tensor ops.
   * The CPU and CUDA backends fuse RELU, LEAKY_RELU, ELU, SIGMOID, TANH and SOFTPLUS. An op's
   * derivative reads x (relu, leaky relu, softplus), y (sigmoid, tanh) or both (elu); the storage
   * it does not read may be passed in its place.
   */
  default Storage unaryBackward(UnaryOp op, Storage x, Storage y, Storage g, double p, double q) {
    return null;
  }

  /**
   * {@code act(z + bias)} for {@code z} of {@code [rows, cols]} and a bias of {@code [cols]}: a
   * layer's bias and activation (with constant {@code p}) in one pass. This default composes the
   * two primitives; a backend fuses them.
   */
  default Storage biasActivation(UnaryOp act, Storage z, Storage bias, int rows, int cols,
      double p) {
    Shape shape = Shape.of(rows, cols);
    Storage sum = binary(BinaryOp.ADD, z, shape, bias, Shape.of(cols), shape);
    Storage y = unary(act, sum, p, 0);
    freeTemporary(sum, z, bias, y);
    return y;
  }

  /** {@code op} on {@code a} and {@code b} broadcast to {@code out}. */
  Storage binary(BinaryOp op, Storage a, Shape aShape, Storage b, Shape bShape, Shape out);

  /** {@code cond != 0 ? a : b}, all three broadcast to {@code out}; {@code cond} may differ in dtype. */
  Storage where(Storage cond, Shape cShape, Storage a, Shape aShape, Storage b, Shape bShape,
      Shape out);

  /** {@code x} broadcast (copied) to {@code out}. */
  Storage expand(Storage x, Shape shape, Shape out);

  // ---- reductions ---------------------------------------------------------------------------

  /** {@code op} along {@code axis}; the result has {@code shape} with {@code axis} removed. */
  Storage reduce(ReduceOp op, Storage x, Shape shape, int axis);

  /** Softmax, or log-softmax when {@code log}, along {@code axis}, stable for large logits. */
  Storage softmax(Storage x, Shape shape, int axis, boolean log);

  /**
   * The VJP of softmax along {@code axis} from its output {@code y} and cotangent {@code g} (one
   * shape and dtype): {@code y (g - sum(g y))}; with {@code log}, of logSoftmax: {@code g - exp(y)
   * sum(g)}. This default composes the primitives above; a backend fuses it into one pass.
   */
  default Storage softmaxBackward(Storage y, Storage g, Shape shape, int axis, boolean log) {
    Shape kept = shape.reduce(axis, true);
    Storage sum;
    Storage scaled;
    Storage result;
    if (log) {
      sum = reduce(ReduceOp.SUM, g, shape, axis);
      Storage e = unary(UnaryOp.EXP, y, 0, 0);
      scaled = binary(BinaryOp.MUL, e, shape, sum, kept, shape);
      freeTemporary(e, y, g);
      result = binary(BinaryOp.SUB, g, shape, scaled, shape, shape);
    } else {
      Storage gy = binary(BinaryOp.MUL, g, shape, y, shape, shape);
      sum = reduce(ReduceOp.SUM, gy, shape, axis);
      freeTemporary(gy, y, g);
      scaled = binary(BinaryOp.SUB, g, shape, sum, kept, shape);
      result = binary(BinaryOp.MUL, y, shape, scaled, shape, shape);
    }
    freeTemporary(sum, y, g, result);
    freeTemporary(scaled, y, g, result);
    return result;
  }

  /**
   * Softmax cross-entropy of each row of {@code [rows, classes]} logits at its INT64 label
   * ({@code -log softmax(x)[label]}, stable for large logits). This default composes the
   * primitives above; a backend fuses it into one pass.
   *
   * @throws IllegalArgumentException naming the first label outside [0, classes)
   */
  default Storage crossEntropy(Storage logits, Storage labels, int rows, int classes) {
    Shape shape = Shape.of(rows, classes);
    Storage logp = softmax(logits, shape, 1, true);
    Storage picked = gather(logp, shape, 1, labels, Shape.of(rows, 1));
    freeTemporary(logp, logits, picked);
    Storage loss = unary(UnaryOp.NEG, picked, 0, 0);
    freeTemporary(picked, logits, loss);
    return loss;
  }

  /**
   * The gradient of {@link #crossEntropy} for the logits, {@code (softmax(x) - onehot(label))
   * scale}, where {@code scale} (the logits' dtype) holds one value per row or one for all. The
   * labels are those {@link #crossEntropy} accepted; a backend need not check them again (a GPU
   * would have to wait for the result), and one out of range leaves its row without the -1.
   */
  default Storage crossEntropyBackward(Storage logits, Storage labels, Storage scale, int rows,
      int classes) {
    Shape shape = Shape.of(rows, classes);
    Storage p = softmax(logits, shape, 1, false);
    Storage hot = oneHot(labels, classes, logits.dtype());
    Storage d = binary(BinaryOp.SUB, p, shape, hot, shape, shape);
    freeTemporary(p, logits, d);
    freeTemporary(hot, logits, d);
    Shape scaleShape = scale.size() == 1 ? Shape.SCALAR : Shape.of(rows, 1);
    Storage out = binary(BinaryOp.MUL, d, shape, scale, scaleShape, shape);
    freeTemporary(d, logits, scale, out);
    return out;
  }

  /**
   * Frees an intermediate of a default method at once (device memory is not left to the garbage
   * collector), unless a primitive handed back one of {@code keep} instead of a fresh storage.
   */
  private static void freeTemporary(Storage temporary, Storage... keep) {
    for (Storage k : keep) {
      if (temporary == k) {
        return;
      }
    }
    temporary.free();
  }

  // ---- linear algebra -----------------------------------------------------------------------

  /**
   * Batched {@code op(a) @ op(b)} where {@code op} transposes the last two axes when its flag is
   * set (no copy is made). Both shapes have rank &gt;= 2; leading (batch) axes broadcast to those of
   * {@code out}.
   */
  Storage matmul(Storage a, Shape aShape, boolean transA, Storage b, Shape bShape, boolean transB,
      Shape out);

  // ---- layout -------------------------------------------------------------------------------

  /** The axes of {@code x} reordered: axis {@code i} of the result is axis {@code perm[i]} of x. */
  Storage permute(Storage x, Shape shape, int[] perm);

  /** Elements {@code from} (inclusive) to {@code to} (exclusive) along {@code axis}. */
  Storage slice(Storage x, Shape shape, int axis, int from, int to);

  /** The inverse of slice: zeros of size {@code total} along {@code axis}, x placed at {@code from}. */
  Storage pad(Storage x, Shape shape, int axis, int from, int total);

  /** The inputs joined along {@code axis}; they agree on every other axis. */
  Storage concat(Storage[] xs, Shape[] shapes, int axis);

  /** Slices {@code index[i]} of {@code axis}, in order; {@code index} is INT64 of {@code n} elements. */
  Storage indexSelect(Storage x, Shape shape, int axis, Storage index, int n);

  /** The inverse of indexSelect: zeros of {@code out}, with slice i of src added at index[i]. */
  Storage indexAdd(Storage src, Shape srcShape, int axis, Storage index, Shape out);

  /**
   * {@code out[..i..] = x[..index[..i..]..]} along {@code axis}; the index (INT64) has x's shape
   * except along {@code axis}.
   */
  Storage gather(Storage x, Shape shape, int axis, Storage index, Shape indexShape);

  /** The inverse of gather: zeros of {@code out}, with src added at the indexed positions. */
  Storage scatterAdd(Storage src, Shape indexShape, int axis, Storage index, Shape out);

  /** One-hot rows of {@code classes} entries in {@code dtype} for INT64 labels in [0, classes). */
  Storage oneHot(Storage labels, int classes, DType dtype);

  // ---- fused parameter updates --------------------------------------------------------------

  /**
   * One Adam or AdamW step in place, in one pass over parameter {@code p} (gradient {@code g},
   * moments {@code m} and {@code v}, all of one dtype and size); see {@link AdamStep}. With
   * AMSGrad, {@code vMax} (else null) keeps the running maximum of {@code v}, which then takes
   * v's place in the denominator.
   */
  void adamStep(Storage p, Storage g, Storage m, Storage v, Storage vMax, AdamStep step);

  /**
   * One SGD step in place over parameter {@code p} (gradient {@code g}, momentum buffer {@code b},
   * which is null without momentum); see {@link SgdStep}.
   */
  void sgdStep(Storage p, Storage g, Storage b, SgdStep step);

  /**
   * One RMSprop or AdaGrad step in place over parameter {@code p}, squared average {@code v}, and
   * the centered mean {@code a} and momentum buffer {@code b} (each null when unused); see {@link
   * RmspropStep}.
   */
  void rmspropStep(Storage p, Storage g, Storage v, Storage a, Storage b, RmspropStep step);
}
