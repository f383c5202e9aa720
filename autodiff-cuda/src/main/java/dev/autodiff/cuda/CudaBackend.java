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
import java.util.Locale;

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
        + CudaDriver.deviceCount() + " device(s)");
    for (int i = 0; i < CudaDriver.deviceCount(); i++) {
      try {
        CudaContext c = CudaContext.of(Device.cuda(i));
        s.append(String.format("%n  cuda:%d %s, compute %s, %d multiprocessors; kernels %s;"
                + " matmul: own tiled kernel; %s", i, c.name(), c.computeCapability(),
            c.multiprocessors(), KernelModule.FATBIN, c.allocator().stats()));
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
    return s;
  }

  @Override
  public float[] toFloatArray(Storage xs) {
    CudaStorage x = cuda(cast(xs, DType.FLOAT32));
    try {
      float[] out = new float[(int) x.size()];
      x.context().download(x, out.length, 4, (b, from, n) -> b.asFloatBuffer().get(out, from, n));
      return out;
    } finally {
      disposeIfTemporary(x, xs);
    }
  }

  @Override
  public double[] toDoubleArray(Storage xs) {
    CudaStorage x = cuda(cast(xs, DType.FLOAT64));
    try {
      double[] out = new double[(int) x.size()];
      x.context().download(x, out.length, 8,
          (b, from, n) -> b.asDoubleBuffer().get(out, from, n));
      return out;
    } finally {
      disposeIfTemporary(x, xs);
    }
  }

  @Override
  public long[] toLongArray(Storage xs) {
    CudaStorage x = cuda(cast(xs, DType.INT64));
    try {
      long[] out = new long[(int) x.size()];
      x.context().download(x, out.length, 8, (b, from, n) -> b.asLongBuffer().get(out, from, n));
      return out;
    } finally {
      disposeIfTemporary(x, xs);
    }
  }

  private static void disposeIfTemporary(CudaStorage made, Storage original) {
    if (made != original) {
      made.dispose();
    }
  }

  @Override
  public Storage full(Device device, DType dtype, long n, double value) {
    CudaContext c = CudaContext.of(device);
    CudaStorage s = c.allocate(dtype, n);
    fill(s, value);
    return s;
  }

  @Override
  public Storage cast(Storage xs, DType to) {
    CudaStorage x = cuda(xs);
    if (x.dtype() == to) {
      return x;
    }
    CudaContext c = x.context();
    CudaStorage y = c.allocate(to, x.size());
    c.launch1d("cast_" + type(x.dtype()) + "_" + type(to), x.size(),
        new KernelArgs().ptr(x).ptr(y).i64(x.size()));
    return y;
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
  }

  @Override
  public void addInto(Storage src, Storage dst) {
    CudaStorage s = cuda(src);
    CudaStorage d = cuda(dst);
    if (s.dtype() != d.dtype() || s.size() != d.size()) {
      throw new IllegalArgumentException("addInto: " + s.size() + " " + s.dtype()
          + " elements cannot be added into " + d.size() + " " + d.dtype() + " elements");
    }
    d.context().launch1d("binary_same_" + type(d.dtype()), d.size(),
        new KernelArgs().i32(BinaryOp.ADD.ordinal()).ptr(d).ptr(s).ptr(d).i64(d.size()));
  }

  @Override
  public void fill(Storage dst, double value) {
    CudaStorage d = cuda(dst);
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

  @Override
  public Storage unary(UnaryOp op, Storage xs, double p, double q) {
    CudaStorage x = cuda(xs);
    if (x.dtype() == DType.INT64 && op != UnaryOp.NEG && op != UnaryOp.ABS
        && op != UnaryOp.SIGN && op != UnaryOp.RELU && op != UnaryOp.CLAMP) {
      throw notForInt64(lower(op));
    }
    CudaContext c = x.context();
    CudaStorage y = c.allocate(x.dtype(), x.size());
    c.launch1d("unary_" + type(x.dtype()), x.size(),
        new KernelArgs().i32(op.ordinal()).ptr(x).ptr(y).i64(x.size()).f64(p).f64(q));
    return y;
  }

  @Override
  public Storage binary(BinaryOp op, Storage as, Shape aShape, Storage bs, Shape bShape,
      Shape out) {
    CudaStorage a = cuda(as);
    CudaStorage b = cuda(bs);
    if (a.dtype() == DType.INT64 && (op == BinaryOp.DIV || op == BinaryOp.POW)) {
      throw notForInt64(lower(op));
    }
    CudaContext c = a.context();
    long n = out.numel();
    CudaStorage y = c.allocate(a.dtype(), n);
    String t = type(a.dtype());
    if (aShape.equals(out) && bShape.equals(out)) {
      c.launch1d("binary_same_" + t, n,
          new KernelArgs().i32(op.ordinal()).ptr(a).ptr(b).ptr(y).i64(n));
    } else if (bShape.numel() == 1 && aShape.equals(out)) {
      c.launch1d("binary_scalar_" + t, n,
          new KernelArgs().i32(op.ordinal()).ptr(a).ptr(b).ptr(y).i64(n).i32(0));
    } else if (aShape.numel() == 1 && bShape.equals(out)) {
      c.launch1d("binary_scalar_" + t, n,
          new KernelArgs().i32(op.ordinal()).ptr(b).ptr(a).ptr(y).i64(n).i32(1));
    } else {
      c.launch1d("binary_broadcast_" + t, n, new KernelArgs().i32(op.ordinal()).ptr(a).ptr(b)
          .ptr(y).i64(n).struct(CudaLayout.broadcast(out, aShape, bShape)));
    }
    return y;
  }

  @Override
  public Storage where(Storage cs, Shape cShape, Storage as, Shape aShape, Storage bs,
      Shape bShape, Shape out) {
    CudaStorage cond = cuda(cast(cs, DType.FLOAT64));
    CudaStorage a = cuda(as);
    CudaStorage b = cuda(bs);
    CudaContext c = a.context();
    long n = out.numel();
    CudaStorage y = c.allocate(a.dtype(), n);
    c.launch1d("where_" + type(a.dtype()), n, new KernelArgs().ptr(cond).ptr(a).ptr(b).ptr(y)
        .i64(n).struct(CudaLayout.broadcast(out, cShape, aShape, bShape)));
    disposeIfTemporary(cond, cs);
    return y;
  }

  @Override
  public Storage expand(Storage xs, Shape shape, Shape out) {
    CudaStorage x = cuda(xs);
    CudaContext c = x.context();
    long n = out.numel();
    CudaStorage y = c.allocate(x.dtype(), n);
    c.launch1d("strided_copy_" + width(x.dtype()), n,
        new KernelArgs().ptr(x).ptr(y).i64(n).struct(CudaLayout.broadcast(out, shape)));
    return y;
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
    CudaStorage y = c.allocate(index ? DType.INT64 : x.dtype(), count);
    if (count == 0) {
      return y;
    }
    if (n == 0) {
      c.zero(y); // an empty sum
      return y;
    }
    String kernel = (index ? "arg" : "") + "reduce_" + (inner == 1 ? "rows_" : "columns_")
        + type(x.dtype());
    KernelArgs args = new KernelArgs().i32(op.ordinal()).ptr(x).ptr(y).i32(outer).i32(n);
    if (inner == 1) {
      c.launch(kernel, Geometry.rowBlocks(outer, c.multiprocessors()), 1, 1,
          Geometry.rowThreads(n), 1, args);
    } else {
      c.launch(kernel, Geometry.tiles(inner, 32), Math.min(outer, Geometry.MAX_GRID_YZ), 1, 32, 8,
          args.i32(inner));
    }
    return y;
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
    CudaStorage y = c.allocate(x.dtype(), x.size());
    if (x.size() == 0) {
      return y;
    }
    String t = type(x.dtype());
    if (inner == 1) {
      c.launch("softmax_rows_" + t, Geometry.rowBlocks(outer, c.multiprocessors()), 1, 1,
          Geometry.rowThreads(n), 1,
          new KernelArgs().ptr(x).ptr(y).i32(outer).i32(n).flag(log));
    } else {
      c.launch1d("softmax_columns_" + t, (long) outer * inner,
          new KernelArgs().ptr(x).ptr(y).i32(outer).i32(n).i32(inner).flag(log));
    }
    return y;
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
    CudaStorage y = c.allocate(a.dtype(), out.numel());
    if (out.numel() == 0) {
      return y;
    }
    Shape batch = Shape.of(Arrays.copyOf(out.toArray(), r - 2));
    int batches = (int) batch.numel();
    long[] aOff = MatmulPlan.batchOffsets(aShape, batch);
    long[] bOff = MatmulPlan.batchOffsets(bShape, batch);
    MatmulPlan plan = MatmulPlan.of(aOff, bOff, bShape.rank() == 2 && !transA, m, k);
    new Gemm(c, a, b, y, transA, transB, aShape.size(-1), bShape.size(-1), n, k).run(plan);
    return y;
  }

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
      if (p.launches == null) {
        for (int z0 = 0; z0 < p.batches; z0 += Geometry.MAX_GRID_YZ) {
          int zs = Math.min(Geometry.MAX_GRID_YZ, p.batches - z0);
          launch(p.m, zs, p.aStart + z0 * p.aStride, p.bStart + z0 * p.bStride,
              (long) z0 * p.m * n, p.aStride, p.bStride);
        }
      } else {
        for (int i = 0; i < p.launches.length; i += 2) {
          launch(p.m, 1, p.launches[i], p.launches[i + 1], (long) (i / 2) * p.m * n, 0, 0);
        }
      }
    }

    private void launch(int m, int batches, long aAt, long bAt, long yAt, long aStride,
        long bStride) {
      int tile = MatmulPlan.tile(m, n, batches, c.multiprocessors());
      int gridY = Geometry.tiles(n, tile);
      if (gridY > Geometry.MAX_GRID_YZ) {
        throw new UnsupportedOperationException("matmul on cuda: " + n + " columns need "
            + gridY + " tiles of " + tile + ", more than a grid's " + Geometry.MAX_GRID_YZ);
      }
      String kernel = "matmul_" + type(a.dtype()) + "_" + tile;
      c.launch(kernel, Geometry.tiles(m, tile), gridY, batches, 256, 1, new KernelArgs()
          .address(a.address() + aAt * w).address(b.address() + bAt * w)
          .address(y.address() + yAt * w).i32(m).i32(n).i32(k).i32(lda).i32(ldb).i32(n)
          .flag(transA).flag(transB).i64(aStride).i64(bStride).i64((long) m * n));
    }
  }

  // ---- layout -------------------------------------------------------------------------------

  @Override
  public Storage permute(Storage xs, Shape shape, int[] perm) {
    CudaStorage x = cuda(xs);
    CudaContext c = x.context();
    long total = shape.numel();
    CudaStorage y = c.allocate(x.dtype(), total);
    if (total == 0) {
      return y;
    }
    int r = shape.rank();
    if (MatmulPlan.swapsLastTwo(perm)) {
      int rows = shape.size(r - 2);
      int cols = shape.size(r - 1);
      long batches = total / ((long) rows * cols);
      if (batches <= Geometry.MAX_GRID_YZ && Geometry.tiles(rows, 32) <= Geometry.MAX_GRID_YZ) {
        c.launch("transpose_" + width(x.dtype()), Geometry.tiles(cols, 32),
            Geometry.tiles(rows, 32), (int) batches, 32, 8,
            new KernelArgs().ptr(x).ptr(y).i32(rows).i32(cols));
        return y;
      }
    }
    c.launch1d("strided_copy_" + width(x.dtype()), total,
        new KernelArgs().ptr(x).ptr(y).i64(total).struct(CudaLayout.permute(shape, perm)));
    return y;
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
    CudaStorage y = x.context().allocate(x.dtype(), (long) outer * m * inner);
    copyRows(x, (long) from * inner, y, 0, outer, m * inner, n * inner, m * inner);
    return y;
  }

  @Override
  public Storage pad(Storage xs, Shape shape, int axis, int from, int total) {
    CudaStorage x = cuda(xs);
    int outer = shape.outer(axis);
    int m = shape.size(axis);
    int inner = shape.inner(axis);
    CudaStorage y = x.context().allocate(x.dtype(), (long) outer * total * inner);
    x.context().zero(y);
    copyRows(x, 0, y, (long) from * inner, outer, m * inner, m * inner, total * inner);
    return y;
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
    CudaStorage y = first.context().allocate(first.dtype(), (long) outer * total * inner);
    int at = 0;
    for (int t = 0; t < xs.length; t++) {
      int m = shapes[t].size(axis);
      copyRows(cuda(xs[t]), 0, y, (long) at * inner, outer, m * inner, m * inner, total * inner);
      at += m;
    }
    return y;
  }

  /**
   * Runs an indexing kernel that records an out-of-range index in a two-long error buffer, which
   * is read back (waiting for the kernel) and turned into the CPU backend's exception.
   */
  private static void checkedIndexing(CudaContext c, String op, int axisSize, long work,
      String kernel, KernelArgs args) {
    if (work == 0) {
      return;
    }
    CudaStorage err = c.allocate(DType.INT64, 2);
    try {
      c.zero(err);
      c.launch1d(kernel, work, args.ptr(err));
      long[] e = new long[2];
      c.download(err, 2, 8, (b, from, n) -> b.asLongBuffer().get(e, from, n));
      if (e[0] != 0) {
        throw new IllegalArgumentException(
            op + ": index " + e[1] + " is out of range for an axis of size " + axisSize);
      }
    } finally {
      err.dispose();
    }
  }

  @Override
  public Storage indexSelect(Storage xs, Shape shape, int axis, Storage index, int count) {
    CudaStorage x = cuda(xs);
    int outer = shape.outer(axis);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    CudaContext c = x.context();
    long total = (long) outer * count * inner;
    CudaStorage y = c.allocate(x.dtype(), total);
    try {
      checkedIndexing(c, "indexSelect", n, total, "index_select_" + width(x.dtype()),
          new KernelArgs().ptr(x).ptr(cuda(index)).ptr(y).i32(outer).i32(n).i32(count)
              .i32(inner));
    } catch (RuntimeException e) {
      y.dispose();
      throw e;
    }
    return y;
  }

  @Override
  public Storage indexAdd(Storage src, Shape srcShape, int axis, Storage index, Shape out) {
    CudaStorage s = cuda(src);
    int outer = srcShape.outer(axis);
    int count = srcShape.size(axis);
    int inner = srcShape.inner(axis);
    int n = out.size(axis);
    CudaContext c = s.context();
    CudaStorage y = c.allocate(s.dtype(), out.numel());
    c.zero(y);
    try {
      checkedIndexing(c, "indexAdd", n, (long) outer * count * inner,
          "index_add_" + type(s.dtype()), new KernelArgs().ptr(s).ptr(cuda(index)).ptr(y)
              .i32(outer).i32(count).i32(inner).i32(n));
    } catch (RuntimeException e) {
      y.dispose();
      throw e;
    }
    return y;
  }

  @Override
  public Storage gather(Storage xs, Shape shape, int axis, Storage index, Shape indexShape) {
    CudaStorage x = cuda(xs);
    CudaContext c = x.context();
    long total = indexShape.numel();
    CudaStorage y = c.allocate(x.dtype(), total);
    try {
      checkedIndexing(c, "gather", shape.size(axis), total, "gather_" + width(x.dtype()),
          new KernelArgs().ptr(x).ptr(cuda(index)).ptr(y).i64(total).i32(indexShape.size(axis))
              .i32(indexShape.inner(axis)).i32(shape.size(axis)));
    } catch (RuntimeException e) {
      y.dispose();
      throw e;
    }
    return y;
  }

  @Override
  public Storage scatterAdd(Storage src, Shape indexShape, int axis, Storage index, Shape out) {
    CudaStorage s = cuda(src);
    CudaContext c = s.context();
    CudaStorage y = c.allocate(s.dtype(), out.numel());
    c.zero(y);
    long total = indexShape.numel();
    try {
      checkedIndexing(c, "scatterAdd", out.size(axis), total, "scatter_add_" + type(s.dtype()),
          new KernelArgs().ptr(s).ptr(cuda(index)).ptr(y).i64(total).i32(indexShape.size(axis))
              .i32(indexShape.inner(axis)).i32(out.size(axis)));
    } catch (RuntimeException e) {
      y.dispose();
      throw e;
    }
    return y;
  }

  @Override
  public Storage oneHot(Storage labels, int classes, DType dtype) {
    CudaStorage l = cuda(labels);
    CudaContext c = l.context();
    CudaStorage y = c.allocate(dtype, l.size() * classes);
    c.zero(y);
    try {
      checkedIndexing(c, "oneHot", classes, l.size(), "one_hot_" + type(dtype),
          new KernelArgs().ptr(l).ptr(y).i64(l.size()).i32(classes));
    } catch (RuntimeException e) {
      y.dispose();
      throw e;
    }
    return y;
  }

  // ---- fused parameter updates --------------------------------------------------------------

  @Override
  public void adamStep(Storage ps, Storage gs, Storage ms, Storage vs, AdamStep s) {
    CudaStorage p = cuda(ps);
    boolean single = p.dtype() == DType.FLOAT32;
    double wd = single ? (float) s.weightDecay() : s.weightDecay();
    KernelArgs args = new KernelArgs().ptr(p).ptr(cuda(gs)).ptr(cuda(ms)).ptr(cuda(vs))
        .i64(p.size()).real(single, s.beta1()).real(single, s.beta2())
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
