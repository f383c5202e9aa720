package dev.autodiff.cuda;

import dev.autodiff.core.AdamStep;
import dev.autodiff.core.Backend;
import dev.autodiff.core.BinaryOp;
import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.ReduceOp;
import dev.autodiff.core.RmspropStep;
import dev.autodiff.core.SgdStep;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Storage;
import dev.autodiff.core.UnaryOp;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The CUDA backend: device storages from a caching allocator and our own kernels (kernels.cu,
 * shipped as a fatbin), all queued on one stream per device. Found by {@link
 * java.util.ServiceLoader}; users reach it through {@code Device.cuda()} and {@code
 * tensor.to(device)}.
 *
 * <pre>{@code
 * jshell> Tensor x = Tensor.randn(0, 2, 3).to(Device.cuda());
 * jshell> x.relu().sum().item();
 * }</pre>
 */
public final class CudaBackend implements Backend {
  /** Made by the ServiceLoader; all state lives in the per-device contexts. */
  public CudaBackend() {}

  @Override
  public String name() {
    return "cuda";
  }

  @Override
  public boolean supports(Device device) {
    return device.type() == Device.Type.CUDA;
  }

  @Override
  public void checkUsable(Device device) {
    CudaContext.of(device);
  }

  /**
   * A description of the CUDA setup: driver, devices, kernels, memory; or why CUDA is unusable.
   */
  public static String info() {
    String failure = CudaDriver.failure();
    if (failure != null) {
      return "cuda: unusable: " + failure;
    }
    StringBuilder s = new StringBuilder("cuda: driver " + CudaDriver.version() + ", "
        + CudaDriver.deviceCount() + " device(s); matmul: " + BlasProviders.description()
        + "; softmax: " + DnnProviders.description());
    for (int i = 0; i < CudaDriver.deviceCount(); i++) {
      try {
        CudaContext c = CudaContext.of(Device.cuda(i));
        s.append(String.format("%n  cuda:%d %s, compute %s, %d multiprocessors; kernels %s; %s",
            i, c.name(), c.computeCapability(), c.multiprocessors(), KernelModule.FATBIN,
            c.allocator().stats()));
      } catch (RuntimeException e) {
        s.append(String.format("%n  cuda:%d unusable: %s", i, e.getMessage()));
      }
    }
    return s.toString();
  }

  /** The counters of {@code device}'s caching allocator. */
  public static MemoryStats memoryStats(Device device) {
    return CudaContext.of(device).allocator().stats();
  }

  /** Returns the device memory cached for reuse to the driver (tensors in use keep theirs). */
  public static void emptyCache(Device device) {
    CudaContext.of(device).allocator().releaseCache();
  }

  /** Waits until all work queued on {@code device} has finished (for timing). */
  public static void synchronize(Device device) {
    CudaContext.of(device).synchronize();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static CudaStorage cuda(Storage s) {
    if (!(s instanceof CudaStorage)) {
      throw new IllegalArgumentException(
          "cuda backend: storage on " + s.device() + " cannot be used on a CUDA device");
    }
    return (CudaStorage) s;
  }

  /** The kernel suffix of a dtype's arithmetic. */
  static String type(DType t) {
    switch (t) {
      case FLOAT32:
        return "f32";
      case FLOAT64:
        return "f64";
      default:
        return "i64";
    }
  }

  /** The kernel suffix of a dtype's width, for kernels that only move elements. */
  static String width(DType t) {
    return t.byteSize() == 4 ? "b4" : "b8";
  }

  private static UnsupportedOperationException notForInt64(String op) {
    return new UnsupportedOperationException(op + " is not defined for int64 tensors");
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  // ---- data movement ------------------------------------------------------------------------

  @Override
  public Storage fromFloats(Device device, float[] data) {
    CudaContext c = CudaContext.of(device);
    CudaStorage s = c.allocate(DType.FLOAT32, data.length);
    c.upload(s, data.length, 4, (b, from, n) -> b.asFloatBuffer().put(data, from, n));
    return s;
  }

  @Override
  public Storage fromDoubles(Device device, double[] data) {
    CudaContext c = CudaContext.of(device);
    CudaStorage s = c.allocate(DType.FLOAT64, data.length);
    c.upload(s, data.length, 8, (b, from, n) -> b.asDoubleBuffer().put(data, from, n));
    return s;
  }

  @Override
  public Storage fromLongs(Device device, long[] data) {
    CudaContext c = CudaContext.of(device);
    CudaStorage s = c.allocate(DType.INT64, data.length);
    c.upload(s, data.length, 8, (b, from, n) -> b.asLongBuffer().put(data, from, n));
    return s.range(ValueRange.of(data));
  }

  // Reads download the storage's own dtype and convert on the host, as the CPU backend converts:
  // no cast kernel and no temporary on the device (item() of a float32 loss is one small copy).

  @Override
  public float[] toFloatArray(Storage xs) {
    CudaStorage x = cuda(xs);
    switch (x.dtype()) {
      case FLOAT32:
        return rawFloats(x);
      case FLOAT64: {
        double[] d = rawDoubles(x);
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
          out[i] = (float) d[i];
        }
        return out;
      }
      default: {
        long[] l = rawLongs(x);
        float[] out = new float[l.length];
        for (int i = 0; i < l.length; i++) {
          out[i] = l[i];
        }
        return out;
      }
    }
  }

  @Override
  public double[] toDoubleArray(Storage xs) {
    CudaStorage x = cuda(xs);
    switch (x.dtype()) {
      case FLOAT64:
        return rawDoubles(x);
      case FLOAT32: {
        float[] f = rawFloats(x);
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
          out[i] = f[i];
        }
        return out;
      }
      default: {
        long[] l = rawLongs(x);
        double[] out = new double[l.length];
        for (int i = 0; i < l.length; i++) {
          out[i] = l[i];
        }
        return out;
      }
    }
  }

  @Override
  public long[] toLongArray(Storage xs) {
    CudaStorage x = cuda(xs);
    switch (x.dtype()) {
      case INT64:
        return rawLongs(x);
      case FLOAT32: {
        float[] f = rawFloats(x);
        long[] out = new long[f.length];
        for (int i = 0; i < f.length; i++) {
          out[i] = (long) f[i];
        }
        return out;
      }
      default: {
        double[] d = rawDoubles(x);
        long[] out = new long[d.length];
        for (int i = 0; i < d.length; i++) {
          out[i] = (long) d[i];
        }
        return out;
      }
    }
  }

  private static float[] rawFloats(CudaStorage x) {
    float[] out = new float[(int) x.size()];
    x.context().download(x, out.length, 4, (b, from, n) -> b.asFloatBuffer().get(out, from, n));
    return out;
  }

  private static double[] rawDoubles(CudaStorage x) {
    double[] out = new double[(int) x.size()];
    x.context().download(x, out.length, 8, (b, from, n) -> b.asDoubleBuffer().get(out, from, n));
    return out;
  }

  private static long[] rawLongs(CudaStorage x) {
    long[] out = new long[(int) x.size()];
    x.context().download(x, out.length, 8, (b, from, n) -> b.asLongBuffer().get(out, from, n));
    return out;
  }

  /** A new storage of {@code n} elements that {@code launch} fills; freed if the launch fails. */
  private static CudaStorage produce(CudaContext c, DType dtype, long n,
      Consumer<CudaStorage> launch) {
    CudaStorage y = c.allocate(dtype, n);
    try {
      launch.accept(y);
      return y;
    } catch (RuntimeException | Error e) {
      y.dispose();
      throw e;
    }
  }

  private static void disposeIfTemporary(CudaStorage made, Storage original) {
    if (made != original) {
      made.dispose();
    }
  }

  @Override
  public Storage full(Device device, DType dtype, long n, double value) {
    return produce(CudaContext.of(device), dtype, n, s -> fill(s, value));
  }

  @Override
  public Storage cast(Storage xs, DType to) {
    CudaStorage x = cuda(xs);
    if (x.dtype() == to) {
      return x;
    }
    CudaContext c = x.context();
    return produce(c, to, x.size(), y -> c.launch1d("cast_" + type(x.dtype()) + "_" + type(to),
        x.size(), new KernelArgs().ptr(x).ptr(y).i64(x.size())));
  }

  @Override
  public void copyInto(Storage src, Storage dst) {
    CudaStorage s = cuda(src);
    CudaStorage d = cuda(dst);
    if (s.dtype() != d.dtype() || s.size() != d.size()) {
      throw new IllegalArgumentException("copyInto: " + s.size() + " " + s.dtype()
          + " elements cannot overwrite " + d.size() + " " + d.dtype() + " elements");
    }
    s.context().copy(s, d);
    d.range(s.range());
  }

  @Override
  public void addInto(Storage src, Storage dst) {
    CudaStorage s = cuda(src);
    CudaStorage d = cuda(dst);
    if (s.dtype() != d.dtype() || s.size() != d.size()) {
      throw new IllegalArgumentException("addInto: " + s.size() + " " + s.dtype()
          + " elements cannot be added into " + d.size() + " " + d.dtype() + " elements");
    }
    d.range(null);
    d.context().launch1d("binary_same_" + type(d.dtype()), d.size(),
        new KernelArgs().i32(BinaryOp.ADD.ordinal()).ptr(d).ptr(s).ptr(d).i64(d.size()));
  }

  @Override
  public void fill(Storage dst, double value) {
    CudaStorage d = cuda(dst);
    d.range(d.dtype() == DType.INT64 ? new ValueRange((long) value, (long) value) : null);
    if (value == 0 && Double.doubleToRawLongBits(value) == 0) {
      d.context().zero(d); // all-zero bits are +0 in every dtype
      return;
    }
    KernelArgs args = new KernelArgs().ptr(d).i64(d.size());
    switch (d.dtype()) {
      case FLOAT32:
        args.f32((float) value);
        break;
      case FLOAT64:
        args.f64(value);
        break;
      default:
        args.i64((long) value);
    }
    d.context().launch1d("fill_" + type(d.dtype()), d.size(), args);
  }

  // ---- elementwise --------------------------------------------------------------------------

  /** The unary kernels unary_i64 has; the ops layer makes the others' int64 inputs float. */
  private static final Set<UnaryOp> INT64_UNARY = EnumSet.of(UnaryOp.NEG, UnaryOp.ABS,
      UnaryOp.SIGN, UnaryOp.RELU, UnaryOp.CLAMP, UnaryOp.ADD_SCALAR, UnaryOp.MUL_SCALAR);

  @Override
  public Storage unary(UnaryOp op, Storage xs, double p, double q) {
    CudaStorage x = cuda(xs);
    if (x.dtype() == DType.INT64 && !INT64_UNARY.contains(op)) {
      throw notForInt64(lower(op));
    }
    CudaContext c = x.context();
    return produce(c, x.dtype(), x.size(), y -> c.launch1d("unary_" + type(x.dtype()), x.size(),
        new KernelArgs().i32(op.ordinal()).ptr(x).ptr(y).i64(x.size()).f64(p).f64(q)));
  }

  @Override
  public Storage biasActivation(UnaryOp act, Storage zs, Storage bs, int rows, int cols,
      double p) {
    CudaStorage z = cuda(zs);
    CudaStorage b = cuda(bs);
    CudaContext c = z.context();
    long n = (long) rows * cols;
    return produce(c, z.dtype(), n, y -> c.launch1d("bias_activation_" + type(z.dtype()), n,
        new KernelArgs().i32(act.ordinal()).ptr(z).ptr(b).ptr(y).i64(n).i32(cols).f64(p)));
  }

  /** The activations whose VJP kernels.cu fuses (unary_backward). */
  private static final Set<UnaryOp> FUSED_BACKWARD = EnumSet.of(UnaryOp.RELU,
      UnaryOp.LEAKY_RELU, UnaryOp.ELU, UnaryOp.SIGMOID, UnaryOp.TANH, UnaryOp.SOFTPLUS);

  @Override
  public Storage unaryBackward(UnaryOp op, Storage xs, Storage ys, Storage gs, double p,
      double q) {
    CudaStorage x = cuda(xs);
    if (x.dtype() == DType.INT64 || !FUSED_BACKWARD.contains(op)) {
      return null; // the ops layer composes the VJP
    }
    CudaStorage y = cuda(ys);
    CudaStorage g = cuda(gs);
    CudaContext c = x.context();
    return produce(c, x.dtype(), x.size(), o -> c.launch1d("unary_backward_" + type(x.dtype()),
        x.size(), new KernelArgs().i32(op.ordinal()).ptr(x).ptr(y).ptr(g).ptr(o).i64(x.size())
            .f64(p)));
  }

  @Override
  public Storage binary(BinaryOp op, Storage as, Shape aShape, Storage bs, Shape bShape,
      Shape out) {
    CudaStorage a = cuda(as);
    CudaStorage b = cuda(bs);
    if (a.dtype() == DType.INT64 && op == BinaryOp.DIV) {
      throw notForInt64(lower(op));
    }
    CudaContext c = a.context();
    long n = out.numel();
    String t = type(a.dtype());
    String kernel;
    KernelArgs args = new KernelArgs().i32(op.ordinal());
    if (aShape.equals(out) && bShape.equals(out)) {
      kernel = "binary_same_" + t;
      args.ptr(a).ptr(b);
    } else if (bShape.numel() == 1 && aShape.equals(out)) {
      kernel = "binary_scalar_" + t;
      args.ptr(a).ptr(b);
    } else if (aShape.numel() == 1 && bShape.equals(out)) {
      kernel = "binary_scalar_" + t;
      args.ptr(b).ptr(a);
    } else {
      kernel = "binary_broadcast_" + t;
      args.ptr(a).ptr(b);
    }
    // The layout is built (and may be rejected) before anything is allocated.
    int[] layout = kernel.startsWith("binary_broadcast") ? CudaLayout.broadcast(out, aShape, bShape)
        : null;
    boolean scalarFirst = aShape.numel() == 1 && !aShape.equals(out);
    return produce(c, a.dtype(), n, y -> {
      args.ptr(y).i64(n);
      if (layout != null) {
        args.struct(layout);
      } else if (kernel.startsWith("binary_scalar")) {
        args.flag(scalarFirst);
      }
      c.launch1d(kernel, n, args);
    });
  }

  @Override
  public Storage where(Storage cs, Shape cShape, Storage as, Shape aShape, Storage bs,
      Shape bShape, Shape out) {
    CudaStorage a = cuda(as);
    CudaStorage b = cuda(bs);
    CudaContext c = a.context();
    long n = out.numel();
    int[] layout = CudaLayout.broadcast(out, cShape, aShape, bShape);
    CudaStorage cond = cuda(cast(cs, DType.FLOAT64));
    try {
      return produce(c, a.dtype(), n, y -> c.launch1d("where_" + type(a.dtype()), n,
          new KernelArgs().ptr(cond).ptr(a).ptr(b).ptr(y).i64(n).struct(layout)));
    } finally {
      disposeIfTemporary(cond, cs);
    }
  }

  @Override
  public Storage expand(Storage xs, Shape shape, Shape out) {
    CudaStorage x = cuda(xs);
    CudaContext c = x.context();
    long n = out.numel();
    int[] layout = CudaLayout.broadcast(out, shape);
    return produce(c, x.dtype(), n, y -> c.launch1d("strided_copy_" + width(x.dtype()), n,
        new KernelArgs().ptr(x).ptr(y).i64(n).struct(layout))).range(x.range());
  }

  // ---- reductions ---------------------------------------------------------------------------

  @Override
  public Storage reduce(ReduceOp op, Storage xs, Shape shape, int axis) {
    CudaStorage x = cuda(xs);
    int outer = shape.outer(axis);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    boolean index = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
    if (n == 0 && op != ReduceOp.SUM) {
      throw new IllegalArgumentException(lower(op) + ": cannot reduce over axis " + axis
          + " of size 0 in shape " + shape);
    }
    if (op == ReduceOp.LOG_SUM_EXP && x.dtype() == DType.INT64) {
      throw notForInt64("logSumExp");
    }
    CudaContext c = x.context();
    long count = (long) outer * inner;
    String kernel = (index ? "arg" : "") + "reduce_" + (inner == 1 ? "rows_" : "columns_")
        + type(x.dtype());
    CudaStorage result = produce(c, index ? DType.INT64 : x.dtype(), count, y -> {
      if (count == 0) {
        return;
      }
      if (n == 0) {
        c.zero(y); // an empty sum
        return;
      }
      int splits = inner == 1 ? Geometry.rowSplits(outer, n, c.multiprocessors()) : 1;
      if (splits > 1) {
        reduceSplit(op, x, y, outer, n, splits, index);
        return;
      }
      KernelArgs args = new KernelArgs().i32(op.ordinal()).ptr(x).ptr(y).i32(outer).i32(n);
      if (inner == 1) {
        c.launch(kernel, Geometry.rowBlocks(outer, c.multiprocessors()), 1, 1,
            Geometry.rowThreads(n), 1, args);
      } else {
        c.launch(kernel, Geometry.tiles(inner, 32), Math.min(outer, Geometry.MAX_GRID_YZ), 1, 32,
            8, args.i32(inner));
      }
    });
    return index ? result.range(new ValueRange(0, n - 1)) : result;
  }

  /**
   * Reduces each of the {@code outer} rows of {@code n} in {@code splits} chunks, a block each,
   * then folds the chunks' partials (16 bytes each) in a second launch.
   */
  private static void reduceSplit(ReduceOp op, CudaStorage x, CudaStorage y, int outer, int n,
      int splits, boolean index) {
    CudaContext c = x.context();
    int len = (int) (((long) n + splits - 1) / splits);
    CudaStorage partials = c.allocate(DType.FLOAT64, 2L * outer * splits);
    try {
      c.launch("reduce_split_" + type(x.dtype()), splits, Math.min(outer, Geometry.MAX_GRID_YZ),
          1, Geometry.rowThreads(len), 1, new KernelArgs().i32(op.ordinal()).ptr(x)
              .ptr(partials).i32(outer).i32(n).i32(splits).i32(len));
      c.launch((index ? "arg" : "") + "reduce_combine_" + type(x.dtype()),
          Geometry.rowBlocks(outer, c.multiprocessors()), 1, 1, Geometry.rowThreads(splits), 1,
          new KernelArgs().i32(op.ordinal()).ptr(partials).ptr(y).i32(outer).i32(splits));
    } finally {
      partials.dispose(); // stream-ordered: the next user of the block runs after these launches
    }
  }

  @Override
  public Storage softmax(Storage xs, Shape shape, int axis, boolean log) {
    CudaStorage x = cuda(xs);
    if (x.dtype() == DType.INT64) {
      throw notForInt64("softmax");
    }
    int outer = shape.outer(axis);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    CudaContext c = x.context();
    String t = type(x.dtype());
    DnnProvider dnn = inner == 1 ? dnn(c) : null;
    return produce(c, x.dtype(), x.size(), y -> {
      if (x.size() == 0 || dnn != null && dnn.softmax(log, x, y, outer, n)) {
        return;
      }
      if (inner == 1) {
        c.launch("softmax_rows_" + t, Geometry.rowBlocks(outer, c.multiprocessors()), 1, 1,
            Geometry.rowThreads(n), 1,
            new KernelArgs().ptr(x).ptr(y).i32(outer).i32(n).flag(log));
      } else {
        c.launch1d("softmax_columns_" + t, (long) outer * inner,
            new KernelArgs().ptr(x).ptr(y).i32(outer).i32(n).i32(inner).flag(log));
      }
    });
  }

  @Override
  public Storage softmaxBackward(Storage ys, Storage gs, Shape shape, int axis, boolean log) {
    CudaStorage y = cuda(ys);
    CudaStorage g = cuda(gs);
    if (y.dtype() == DType.INT64) {
      throw notForInt64("softmax");
    }
    int outer = shape.outer(axis);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    CudaContext c = y.context();
    String t = type(y.dtype());
    DnnProvider dnn = inner == 1 ? dnn(c) : null;
    return produce(c, y.dtype(), y.size(), o -> {
      if (y.size() == 0 || dnn != null && dnn.softmaxBackward(log, y, g, o, outer, n)) {
        return;
      }
      if (inner == 1) {
        c.launch("softmax_backward_rows_" + t, Geometry.rowBlocks(outer, c.multiprocessors()), 1,
            1, Geometry.rowThreads(n), 1,
            new KernelArgs().ptr(y).ptr(g).ptr(o).i32(outer).i32(n).flag(log));
      } else {
        c.launch1d("softmax_backward_columns_" + t, (long) outer * inner,
            new KernelArgs().ptr(y).ptr(g).ptr(o).i32(outer).i32(n).i32(inner).flag(log));
      }
    });
  }

  @Override
  public Storage crossEntropy(Storage logits, Storage labels, int rows, int classes) {
    CudaStorage x = cuda(logits);
    CudaStorage l = cuda(labels);
    checkIndices("crossEntropy", l, rows, classes);
    CudaContext c = x.context();
    return produce(c, x.dtype(), rows, loss -> {
      if (rows > 0) {
        c.launch("cross_entropy_" + type(x.dtype()), Geometry.rowBlocks(rows, c.multiprocessors()),
            1, 1, Geometry.rowThreads(classes), 1,
            new KernelArgs().ptr(x).ptr(l).ptr(loss).i32(rows).i32(classes));
      }
    });
  }

  @Override
  public Storage crossEntropyBackward(Storage logits, Storage labels, Storage scale, int rows,
      int classes) {
    CudaStorage x = cuda(logits);
    CudaStorage l = cuda(labels);
    CudaStorage k = cuda(scale);
    // Free when the labels are those the forward checked (their range is known); labels changed
    // in place since are checked again, as the CPU does.
    checkIndices("crossEntropyBackward", l, rows, classes);
    CudaContext c = x.context();
    return produce(c, x.dtype(), x.size(), out -> {
      if (x.size() > 0) {
        c.launch("cross_entropy_backward_" + type(x.dtype()),
            Geometry.rowBlocks(rows, c.multiprocessors()), 1, 1, Geometry.rowThreads(classes), 1,
            new KernelArgs().ptr(x).ptr(l).ptr(k).ptr(out).i32(rows).i32(classes)
                .flag(k.size() != 1));
      }
    });
  }

  // ---- linear algebra -----------------------------------------------------------------------

  @Override
  public Storage matmul(Storage as, Shape aShape, boolean transA, Storage bs, Shape bShape,
      boolean transB, Shape out) {
    CudaStorage a = cuda(as);
    CudaStorage b = cuda(bs);
    if (a.dtype() == DType.INT64) {
      throw notForInt64("matmul");
    }
    CudaContext c = a.context();
    int r = out.rank();
    int m = out.size(r - 2);
    int n = out.size(r - 1);
    int k = transA ? aShape.size(-2) : aShape.size(-1);
    if (out.numel() == 0) {
      return c.allocate(a.dtype(), 0); // an empty batch axis: no plan, no launch
    }
    Shape batch = Shape.of(Arrays.copyOf(out.toArray(), r - 2));
    long[] aOff = MatmulPlan.batchOffsets(aShape, batch);
    long[] bOff = MatmulPlan.batchOffsets(bShape, batch);
    MatmulPlan plan = MatmulPlan.of(aOff, bOff, bShape.rank() == 2 && !transA, m, k);
    c.enter(); // a vendor BLAS readies its handle in the thread's current context
    BlasProvider blas = k > 0 && useBlas ? BlasProviders.forContext(c, c.streamHandle()) : null;
    return produce(c, a.dtype(), out.numel(), y -> {
      Gemm gemm = new Gemm(c, a, b, y, transA, transB, aShape.size(-1), bShape.size(-1), n, k);
      if (blas != null && gemm.tryVendor(blas, plan)) {
        return;
      }
      gemm.run(plan);
    });
  }

  /** False makes softmax skip cuDNN (tests compare it with our kernels). */
  static volatile boolean useDnn = true;

  /** cuDNN for softmax on {@code c} where it is used, else null: our kernels. */
  private static DnnProvider dnn(CudaContext c) {
    return useDnn ? DnnProviders.forContext(c) : null;
  }

  /** False makes products skip the vendor BLAS (tests of our kernels set it). */
  static volatile boolean useBlas = true;

  private static volatile boolean vendorFailureLogged;

  /**
   * The float32 kernel for operands that allow 16-byte accesses; null leaves them to the scalar
   * tiles (tests compare all three). matmul_f32_128v is the one timed on an H100;
   * matmul_f32_128w, warp-tiled with deeper slabs, gives the same bits and awaits its timing
   * (matmul_sweep.cu).
   */
  static volatile String vectorKernel = "matmul_f32_128v";

  /** Column tiles one launch of our matmul covers: a grid's y limit (tests make it small). */
  static volatile int maxColumnTiles = Geometry.MAX_GRID_YZ;

  /** One product's operands and sizes, launched as the plan says. */
  private static final class Gemm {
    final CudaContext c;
    final CudaStorage a;
    final CudaStorage b;
    final CudaStorage y;
    final boolean transA;
    final boolean transB;
    final int lda;
    final int ldb;
    final int n;
    final int k;
    final int w;

    Gemm(CudaContext c, CudaStorage a, CudaStorage b, CudaStorage y, boolean transA,
        boolean transB, int lda, int ldb, int n, int k) {
      this.c = c;
      this.a = a;
      this.b = b;
      this.y = y;
      this.transA = transA;
      this.transB = transB;
      this.lda = lda;
      this.ldb = ldb;
      this.n = n;
      this.k = k;
      this.w = a.dtype().byteSize();
    }

    void run(MatmulPlan p) {
      int slices = p.launches == null && p.batches == 1
          ? MatmulPlan.kSlices(p.m, n, k, c.multiprocessors()) : 1;
      if (slices > 1) {
        runSliced(p, slices);
      } else if (p.launches == null) {
        for (int z0 = 0; z0 < p.batches; z0 += Geometry.MAX_GRID_YZ) {
          int zs = Math.min(Geometry.MAX_GRID_YZ, p.batches - z0);
          launch(y, k, p.m, zs, p.aStart + z0 * p.aStride, p.bStart + z0 * p.bStride,
              (long) z0 * p.m * n, p.aStride, p.bStride);
        }
      } else {
        for (int i = 0; i < p.launches.length; i += 2) {
          launch(y, k, p.m, 1, p.launches[i], p.launches[i + 1], (long) (i / 2) * p.m * n, 0,
              0);
        }
      }
    }

    /**
     * One product with k cut into {@code slices}: the slices' products run as one batch into a
     * workspace of {@code slices} m x n partial products, which a column reduction then sums in
     * a fixed order (deterministic, accumulated in double as every sum here).
     */
    private void runSliced(MatmulPlan p, int slices) {
      int depth = k / slices;
      long mn = (long) p.m * n;
      CudaStorage partials = c.allocate(a.dtype(), slices * mn);
      try {
        launch(partials, depth, p.m, slices, p.aStart, p.bStart, 0,
            transA ? (long) depth * lda : depth, transB ? depth : (long) depth * ldb);
        c.launch("reduce_columns_" + type(a.dtype()), Geometry.tiles(mn, 32), 1, 1, 32, 8,
            new KernelArgs().i32(ReduceOp.SUM.ordinal()).ptr(partials).ptr(y).i32(1).i32(slices)
                .i32((int) mn));
      } finally {
        partials.dispose(); // stream-ordered: the next user of the block runs after these launches
      }
    }

    /**
     * The products through a vendor BLAS; false (and our kernel takes over, overwriting whatever
     * it wrote) when it fails and cuBLAS was not forced.
     */
    boolean tryVendor(BlasProvider blas, MatmulPlan p) {
      try {
        runVendor(blas, p);
        if (CudaContext.SYNC_EACH_LAUNCH) {
          c.synchronize(); // a fault inside cuBLAS is reported here, naming it
        }
        return true;
      } catch (IllegalStateException e) {
        if (BlasProviders.forced()) {
          throw e;
        }
        if (!vendorFailureLogged) {
          vendorFailureLogged = true;
          System.getLogger("dev.autodiff").log(System.Logger.Level.WARNING, c.device()
              + ": " + blas.name() + " failed (" + e.getMessage() + "); this product and later"
              + " failing ones use our kernel");
        }
        return false;
      }
    }

    /** The same products through a vendor BLAS on the context's stream. */
    void runVendor(BlasProvider blas, MatmulPlan p) {
      long stream = c.streamHandle();
      boolean single = a.dtype() == DType.FLOAT32;
      if (p.launches == null) {
        blas.gemm(stream, single, transA, transB, p.m, n, k, a.address() + p.aStart * w, lda,
            p.aStride, b.address() + p.bStart * w, ldb, p.bStride, y.address(), n,
            (long) p.m * n, p.batches);
      } else {
        for (int i = 0; i < p.launches.length; i += 2) {
          blas.gemm(stream, single, transA, transB, p.m, n, k, a.address() + p.launches[i] * w,
              lda, 0, b.address() + p.launches[i + 1] * w, ldb, 0,
              y.address() + (long) (i / 2) * p.m * n * w, n, 0, 1);
        }
      }
    }

    /** The products of depth {@code depth} at these offsets into {@code out}. */
    private void launch(CudaStorage out, int depth, int m, int batches, long aAt, long bAt,
        long yAt, long aStride, long bStride) {
      // The float4 kernel beat both scalar tiles on every shape timed on an H100, even where it
      // gives only two blocks (BENCHMARKS.md), so it is taken whenever the operands allow it.
      String vectorKernel = CudaBackend.vectorKernel;
      boolean vector = w == 4 && vectorKernel != null && MatmulPlan.vectorizable(m, n, depth,
          lda, ldb, transA, transB, aAt, bAt, aStride, bStride);
      int tile = vector ? 128 : MatmulPlan.tile(m, n, batches, c.multiprocessors());
      String kernel = vector ? vectorKernel : "matmul_" + type(a.dtype()) + "_" + tile;
      long columnsPerLaunch = (long) maxColumnTiles * tile;
      // More column tiles than a grid holds: a launch per slab of columns, each writing its
      // columns of every row of C (row stride n), reading its columns of B. Slabs start at
      // multiples of the tile, so the float4 kernel's alignment holds in each.
      for (long c0 = 0; c0 < n; c0 += columnsPerLaunch) {
        int nc = (int) Math.min(columnsPerLaunch, n - c0);
        launchTiles(kernel, tile, out, depth, m, nc, batches, aAt,
            bAt + (transB ? c0 * ldb : c0), yAt + c0, aStride, bStride);
      }
    }

    /** Columns [0, nc) of the product at these offsets; C's rows are n long. */
    private void launchTiles(String kernel, int tile, CudaStorage out, int depth, int m, int nc,
        int batches, long aAt, long bAt, long yAt, long aStride, long bStride) {
      c.launch(kernel, Geometry.tiles(m, tile), Geometry.tiles(nc, tile), batches, 256, 1,
          new KernelArgs().address(a.address() + aAt * w).address(b.address() + bAt * w)
              .address(out.address() + yAt * w).i32(m).i32(nc).i32(depth).i32(lda).i32(ldb)
              .i32(n).flag(transA).flag(transB).i64(aStride).i64(bStride).i64((long) m * n));
    }
  }

  // ---- layout -------------------------------------------------------------------------------

  @Override
  public Storage permute(Storage xs, Shape shape, int[] perm) {
    CudaStorage x = cuda(xs);
    CudaContext c = x.context();
    long total = shape.numel();
    if (total == 0) {
      return c.allocate(x.dtype(), 0);
    }
    int r = shape.rank();
    if (MatmulPlan.swapsLastTwo(perm)) {
      int rows = shape.size(r - 2);
      int cols = shape.size(r - 1);
      long batches = total / ((long) rows * cols);
      if (batches <= Geometry.MAX_GRID_YZ && Geometry.tiles(rows, 32) <= Geometry.MAX_GRID_YZ) {
        return produce(c, x.dtype(), total, y -> c.launch("transpose_" + width(x.dtype()),
            Geometry.tiles(cols, 32), Geometry.tiles(rows, 32), (int) batches, 32, 8,
            new KernelArgs().ptr(x).ptr(y).i32(rows).i32(cols))).range(x.range());
      }
    }
    int[] layout = CudaLayout.permute(shape, perm);
    return produce(c, x.dtype(), total, y -> c.launch1d("strided_copy_" + width(x.dtype()), total,
        new KernelArgs().ptr(x).ptr(y).i64(total).struct(layout))).range(x.range());
  }

  /** Copies {@code rows} runs of {@code len} elements between pitched positions. */
  private static void copyRows(CudaStorage x, long xAt, CudaStorage y, long yAt, int rows,
      int len, int srcPitch, int dstPitch) {
    long n = (long) rows * len;
    if (n == 0) {
      return;
    }
    int w = x.dtype().byteSize();
    x.context().launch1d("copy_rows_" + width(x.dtype()), n,
        new KernelArgs().address(x.address() + xAt * w).address(y.address() + yAt * w)
            .i32(rows).i32(len).i32(srcPitch).i32(dstPitch));
  }

  @Override
  public Storage slice(Storage xs, Shape shape, int axis, int from, int to) {
    CudaStorage x = cuda(xs);
    int outer = shape.outer(axis);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    int m = to - from;
    return produce(x.context(), x.dtype(), (long) outer * m * inner,
        y -> copyRows(x, (long) from * inner, y, 0, outer, m * inner, n * inner, m * inner))
        .range(x.range());
  }

  @Override
  public Storage pad(Storage xs, Shape shape, int axis, int from, int total) {
    CudaStorage x = cuda(xs);
    int outer = shape.outer(axis);
    int m = shape.size(axis);
    int inner = shape.inner(axis);
    return produce(x.context(), x.dtype(), (long) outer * total * inner, y -> {
      x.context().zero(y);
      copyRows(x, 0, y, (long) from * inner, outer, m * inner, m * inner, total * inner);
    });
  }

  @Override
  public Storage concat(Storage[] xs, Shape[] shapes, int axis) {
    int outer = shapes[0].outer(axis);
    int inner = shapes[0].inner(axis);
    int total = 0;
    for (Shape s : shapes) {
      total += s.size(axis);
    }
    CudaStorage first = cuda(xs[0]);
    int rowLength = total * inner;
    ValueRange range = first.range();
    for (Storage x : xs) {
      range = ValueRange.union(range, cuda(x).range());
    }
    return produce(first.context(), first.dtype(), (long) outer * rowLength, y -> {
      int at = 0;
      for (int t = 0; t < xs.length; t++) {
        int m = shapes[t].size(axis);
        copyRows(cuda(xs[t]), 0, y, (long) at * inner, outer, m * inner, m * inner, rowLength);
        at += m;
      }
    }).range(range);
  }

  /**
   * Fails as the CPU backend does when one of the first {@code count} indices lies outside [0,
   * n). Where the index storage's {@link ValueRange} settles it, that is all; otherwise a kernel
   * finds the first such position, which is read back (waiting for the stream), and its value
   * named, and a check of every index is remembered as a range. Runs before the indexing kernel,
   * which skips such indices.
   */
  private static void checkIndices(String op, CudaStorage index, long count, int n) {
    ValueRange known = index.range();
    if (count == 0 || known != null && known.indexesInto(n)) {
      return;
    }
    CudaContext c = index.context();
    CudaStorage firstBad = c.allocate(DType.INT64, 1);
    try {
      c.memset(firstBad, 0xff); // all ones: no position found
      c.launch1d("check_index", count,
          new KernelArgs().ptr(index).i64(count).i32(n).ptr(firstBad));
      long[] at = new long[1];
      c.download(firstBad, 1, 8, (b, from, k) -> b.asLongBuffer().get(at, from, k));
      if (at[0] != -1) {
        long[] value = new long[1];
        c.download(index, at[0], 1, 8, (b, from, k) -> b.asLongBuffer().get(value, from, k));
        throw new IllegalArgumentException(op + ": index " + value[0] + " at position " + at[0]
            + " is out of range for an axis of size " + n);
      }
      if (count == index.size()) {
        index.range(new ValueRange(0, n - 1)); // the next check of these indices is free
      }
    } finally {
      firstBad.dispose();
    }
  }

  @Override
  public Storage indexSelect(Storage xs, Shape shape, int axis, Storage index, int count) {
    CudaStorage x = cuda(xs);
    CudaStorage idx = cuda(index);
    int outer = shape.outer(axis);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    checkIndices("indexSelect", idx, outer == 0 ? 0 : count, n);
    long total = (long) outer * count * inner;
    CudaContext c = x.context();
    return produce(c, x.dtype(), total, y -> c.launch1d("index_select_" + width(x.dtype()), total,
        new KernelArgs().ptr(x).ptr(idx).ptr(y).i32(outer).i32(n).i32(count).i32(inner)))
        .range(x.range());
  }

  @Override
  public Storage indexAdd(Storage src, Shape srcShape, int axis, Storage index, Shape out) {
    CudaStorage s = cuda(src);
    CudaStorage idx = cuda(index);
    int outer = srcShape.outer(axis);
    int count = srcShape.size(axis);
    int inner = srcShape.inner(axis);
    int n = out.size(axis);
    checkIndices("indexAdd", idx, outer == 0 ? 0 : count, n);
    CudaContext c = s.context();
    long work = (long) outer * count * inner;
    return produce(c, s.dtype(), out.numel(), y -> {
      c.zero(y);
      c.launch1d("index_add_" + type(s.dtype()), work, new KernelArgs().ptr(s).ptr(idx).ptr(y)
          .i32(outer).i32(count).i32(inner).i32(n));
    });
  }

  @Override
  public Storage gather(Storage xs, Shape shape, int axis, Storage index, Shape indexShape) {
    CudaStorage x = cuda(xs);
    CudaStorage idx = cuda(index);
    long total = indexShape.numel();
    int n = shape.size(axis);
    checkIndices("gather", idx, total, n);
    CudaContext c = x.context();
    return produce(c, x.dtype(), total, y -> c.launch1d("gather_" + width(x.dtype()), total,
        new KernelArgs().ptr(x).ptr(idx).ptr(y).i64(total).i32(indexShape.size(axis))
            .i32(indexShape.inner(axis)).i32(n))).range(x.range());
  }

  @Override
  public Storage scatterAdd(Storage src, Shape indexShape, int axis, Storage index, Shape out) {
    CudaStorage s = cuda(src);
    CudaStorage idx = cuda(index);
    long total = indexShape.numel();
    int n = out.size(axis);
    checkIndices("scatterAdd", idx, total, n);
    CudaContext c = s.context();
    return produce(c, s.dtype(), out.numel(), y -> {
      c.zero(y);
      c.launch1d("scatter_add_" + type(s.dtype()), total, new KernelArgs().ptr(s).ptr(idx).ptr(y)
          .i64(total).i32(indexShape.size(axis)).i32(indexShape.inner(axis)).i32(n));
    });
  }

  @Override
  public Storage oneHot(Storage labels, int classes, DType dtype) {
    CudaStorage l = cuda(labels);
    checkIndices("oneHot", l, l.size(), classes);
    CudaContext c = l.context();
    return produce(c, dtype, l.size() * classes, y -> {
      c.zero(y);
      c.launch1d("one_hot_" + type(dtype), l.size(),
          new KernelArgs().ptr(l).ptr(y).i64(l.size()).i32(classes));
    });
  }

  // ---- fused parameter updates --------------------------------------------------------------

  @Override
  public void adamStep(Storage ps, Storage gs, Storage ms, Storage vs, Storage vMax,
      AdamStep s) {
    CudaStorage p = cuda(ps);
    boolean single = p.dtype() == DType.FLOAT32;
    double wd = single ? (float) s.weightDecay() : s.weightDecay();
    KernelArgs args = new KernelArgs().ptr(p).ptr(cuda(gs)).ptr(cuda(ms)).ptr(cuda(vs))
        .ptr(vMax == null ? null : cuda(vMax)).i64(p.size()).real(single, s.beta1()).real(single, s.beta2())
        .real(single, 1 - s.beta1()).real(single, 1 - s.beta2()).real(single, s.weightDecay())
        .real(single, 1 - s.lr() * s.weightDecay())
        .real(single, Math.sqrt(s.biasCorrection2())).real(single, s.eps())
        .real(single, -(s.lr() / s.biasCorrection1()))
        .flag(s.decoupled() && wd != 0).flag(!s.decoupled() && wd != 0);
    p.context().launch1d("adam_" + type(p.dtype()), p.size(), args);
  }

  @Override
  public void sgdStep(Storage ps, Storage gs, Storage bs, SgdStep s) {
    CudaStorage p = cuda(ps);
    boolean single = p.dtype() == DType.FLOAT32;
    double wd = single ? (float) s.weightDecay() : s.weightDecay();
    CudaStorage b = bs == null || s.momentum() == 0 ? null : cuda(bs);
    KernelArgs args = new KernelArgs().ptr(p).ptr(cuda(gs)).ptr(b).i64(p.size())
        .real(single, s.weightDecay()).real(single, s.momentum())
        .real(single, 1 - s.dampening()).real(single, -s.lr())
        .flag(wd != 0).flag(s.nesterov()).flag(s.firstStep());
    p.context().launch1d("sgd_" + type(p.dtype()), p.size(), args);
  }

  @Override
  public void rmspropStep(Storage ps, Storage gs, Storage vs, Storage as, Storage bs,
      RmspropStep s) {
    CudaStorage p = cuda(ps);
    boolean single = p.dtype() == DType.FLOAT32;
    double wd = single ? (float) s.weightDecay() : s.weightDecay();
    KernelArgs args = new KernelArgs().ptr(p).ptr(cuda(gs)).ptr(cuda(vs))
        .ptr(as == null ? null : cuda(as)).ptr(bs == null ? null : cuda(bs)).i64(p.size())
        .real(single, s.weightDecay()).real(single, s.alpha()).real(single, 1 - s.alpha())
        .real(single, s.eps()).real(single, s.momentum()).real(single, -s.lr())
        .flag(wd != 0).flag(s.accumulate());
    p.context().launch1d("rmsprop_" + type(p.dtype()), p.size(), args);
  }
}
