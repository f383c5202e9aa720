package dev.autodiff.core.cpu;

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

/**
 * The built-in CPU backend: heap arrays, matmul through {@link Blas}, and elementwise and
 * reduction loops split over the cores when they are large.
 */
public final class CpuBackend implements Backend {
  /** The one instance. */
  public static final CpuBackend INSTANCE = new CpuBackend();

  private CpuBackend() {}

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public boolean supports(Device device) {
    return device.isCpu();
  }

  private static CpuStorage cpu(Storage s) {
    if (!(s instanceof CpuStorage)) {
      throw new IllegalArgumentException(
          "cpu backend: storage on " + s.device() + " cannot be used on the cpu");
    }
    return (CpuStorage) s;
  }

  // ---- data movement ------------------------------------------------------------------------

  @Override
  public Storage fromFloats(Device device, float[] data) {
    return new CpuStorage(data);
  }

  @Override
  public Storage fromDoubles(Device device, double[] data) {
    return new CpuStorage(data);
  }

  @Override
  public Storage fromLongs(Device device, long[] data) {
    return new CpuStorage(data);
  }

  @Override
  public float[] toFloatArray(Storage x) {
    return cpu(cast(x, DType.FLOAT32)).floats().clone();
  }

  @Override
  public double[] toDoubleArray(Storage x) {
    return cpu(cast(x, DType.FLOAT64)).doubles().clone();
  }

  @Override
  public long[] toLongArray(Storage x) {
    return cpu(cast(x, DType.INT64)).longs().clone();
  }

  @Override
  public Storage full(Device device, DType dtype, long n, double value) {
    CpuStorage s = CpuStorage.allocate(dtype, (int) n);
    if (value != 0) {
      switch (dtype) {
        case FLOAT32:
          Arrays.fill(s.floats(), (float) value);
          break;
        case FLOAT64:
          Arrays.fill(s.doubles(), value);
          break;
        default:
          Arrays.fill(s.longs(), (long) value);
      }
    }
    return s;
  }

  @Override
  public Storage cast(Storage xs, DType to) {
    CpuStorage x = cpu(xs);
    if (x.dtype() == to) {
      return x;
    }
    int n = x.length();
    CpuStorage y = CpuStorage.allocate(to, n);
    Object src = x.array();
    if (src instanceof float[]) {
      float[] a = (float[]) src;
      if (to == DType.FLOAT64) {
        double[] o = y.doubles();
        for (int i = 0; i < n; i++) o[i] = a[i];
      } else {
        long[] o = y.longs();
        for (int i = 0; i < n; i++) o[i] = (long) a[i];
      }
    } else if (src instanceof double[]) {
      double[] a = (double[]) src;
      if (to == DType.FLOAT32) {
        float[] o = y.floats();
        for (int i = 0; i < n; i++) o[i] = (float) a[i];
      } else {
        long[] o = y.longs();
        for (int i = 0; i < n; i++) o[i] = (long) a[i];
      }
    } else {
      long[] a = (long[]) src;
      if (to == DType.FLOAT32) {
        float[] o = y.floats();
        for (int i = 0; i < n; i++) o[i] = a[i];
      } else {
        double[] o = y.doubles();
        for (int i = 0; i < n; i++) o[i] = a[i];
      }
    }
    return y;
  }

  @Override
  public void copyInto(Storage src, Storage dst) {
    CpuStorage s = cpu(src);
    CpuStorage d = cpu(dst);
    if (s.dtype() != d.dtype() || s.size() != d.size()) {
      throw new IllegalArgumentException("copyInto: " + s.size() + " " + s.dtype()
          + " elements cannot overwrite " + d.size() + " " + d.dtype() + " elements");
    }
    System.arraycopy(s.array(), 0, d.array(), 0, s.length());
  }

  @Override
  public void addInto(Storage src, Storage dst) {
    CpuStorage s = cpu(src);
    CpuStorage d = cpu(dst);
    if (s.dtype() != d.dtype() || s.size() != d.size()) {
      throw new IllegalArgumentException("addInto: " + s.size() + " " + s.dtype()
          + " elements cannot be added into " + d.size() + " " + d.dtype() + " elements");
    }
    int n = d.length();
    if (n < Parallel.GRAIN) {
      same(BinaryOp.ADD, d, s, d, 0, n);
    } else {
      Parallel.forRange(n, 1, (lo, hi) -> same(BinaryOp.ADD, d, s, d, lo, hi));
    }
  }

  @Override
  public void fill(Storage dst, double value) {
    CpuStorage d = cpu(dst);
    Object a = d.array();
    if (a instanceof float[]) {
      Arrays.fill((float[]) a, (float) value);
    } else if (a instanceof double[]) {
      Arrays.fill((double[]) a, value);
    } else {
      Arrays.fill((long[]) a, (long) value);
    }
  }

  // ---- elementwise --------------------------------------------------------------------------

  @Override
  public Storage unary(UnaryOp op, Storage xs, double p, double q) {
    CpuStorage x = cpu(xs);
    int n = x.length();
    CpuStorage y = CpuStorage.allocate(x.dtype(), n);
    long cost = UnaryKernels.CHEAP.contains(op) ? 1 : 8;
    boolean small = n * cost < Parallel.GRAIN;
    switch (x.dtype()) {
      case FLOAT32: {
        float[] a = x.floats();
        float[] o = y.floats();
        if (small) {
          UnaryKernels.apply(op, a, o, 0, n, p, q);
        } else {
          Parallel.forRange(n, cost, (lo, hi) -> UnaryKernels.apply(op, a, o, lo, hi, p, q));
        }
        break;
      }
      case FLOAT64: {
        double[] a = x.doubles();
        double[] o = y.doubles();
        if (small) {
          UnaryKernels.apply(op, a, o, 0, n, p, q);
        } else {
          Parallel.forRange(n, cost, (lo, hi) -> UnaryKernels.apply(op, a, o, lo, hi, p, q));
        }
        break;
      }
      default:
        UnaryKernels.apply(op, x.longs(), y.longs(), 0, n, p, q);
    }
    return y;
  }

  @Override
  public Storage biasActivation(UnaryOp act, Storage zs, Storage bs, int rows, int cols,
      double p) {
    CpuStorage z = cpu(zs);
    CpuStorage b = cpu(bs);
    CpuStorage y = CpuStorage.allocate(z.dtype(), z.length());
    // Row by row: the add, then the activation over the row while it is still in cache; the same
    // two operations as the composed ops, so the same numbers.
    Parallel.forRange(rows, 8L * cols, (lo, hi) -> {
      for (int r = lo; r < hi; r++) {
        int at = r * cols;
        if (z.dtype() == DType.FLOAT32) {
          BinaryKernels.run(BinaryOp.ADD, z.floats(), at, b.floats(), 0, y.floats(), at, cols);
          UnaryKernels.apply(act, y.floats(), y.floats(), at, at + cols, p, 0);
        } else {
          BinaryKernels.run(BinaryOp.ADD, z.doubles(), at, b.doubles(), 0, y.doubles(), at, cols);
          UnaryKernels.apply(act, y.doubles(), y.doubles(), at, at + cols, p, 0);
        }
      }
    });
    return y;
  }

  @Override
  public Storage unaryBackward(UnaryOp op, Storage xs, Storage ys, Storage gs, double p,
      double q) {
    CpuStorage x = cpu(xs);
    CpuStorage y = cpu(ys);
    CpuStorage g = cpu(gs);
    int n = x.length();
    if (x.dtype() == DType.INT64 || !UnaryKernels.FUSED_BACKWARD.contains(op)) {
      return null; // no fused VJP: the ops layer composes one
    }
    CpuStorage o = CpuStorage.allocate(x.dtype(), n);
    if (x.dtype() == DType.FLOAT32) {
      Parallel.forRange(n, 8, (lo, hi) -> UnaryKernels.backward(op, x.floats(), y.floats(),
          g.floats(), o.floats(), lo, hi, p));
    } else {
      Parallel.forRange(n, 8, (lo, hi) -> UnaryKernels.backward(op, x.doubles(), y.doubles(),
          g.doubles(), o.doubles(), lo, hi, p));
    }
    return o;
  }

  @Override
  public Storage binary(BinaryOp op, Storage as, Shape aShape, Storage bs, Shape bShape,
      Shape out) {
    CpuStorage a = cpu(as);
    CpuStorage b = cpu(bs);
    int n = (int) out.numel();
    CpuStorage y = CpuStorage.allocate(a.dtype(), n);
    if (n == 0) {
      return y;
    }
    boolean small = n < Parallel.GRAIN; // no lambda, no split: small ops are all overhead
    if (aShape.equals(out) && bShape.equals(out)) {
      if (small) {
        same(op, a, b, y, 0, n);
      } else {
        Parallel.forRange(n, 1, (lo, hi) -> same(op, a, b, y, lo, hi));
      }
    } else if (bShape.numel() == 1 && aShape.equals(out)) {
      if (small) {
        scalar(op, a, b, 0, false, y, 0, n);
      } else {
        Parallel.forRange(n, 1, (lo, hi) -> scalar(op, a, b, 0, false, y, lo, hi));
      }
    } else if (aShape.numel() == 1 && bShape.equals(out)) {
      if (small) {
        scalar(op, b, a, 0, true, y, 0, n);
      } else {
        Parallel.forRange(n, 1, (lo, hi) -> scalar(op, b, a, 0, true, y, lo, hi));
      }
    } else {
      broadcastRuns(op, a, aShape, b, bShape, y, out);
    }
    return y;
  }

  /** {@code y[i] = a[i] op b[i]} over [lo, hi). */
  private static void same(BinaryOp op, CpuStorage a, CpuStorage b, CpuStorage y, int lo,
      int hi) {
    Object arr = a.array();
    if (arr instanceof float[]) {
      BinaryKernels.same(op, (float[]) arr, b.floats(), y.floats(), lo, hi);
    } else if (arr instanceof double[]) {
      BinaryKernels.same(op, (double[]) arr, b.doubles(), y.doubles(), lo, hi);
    } else {
      BinaryKernels.same(op, (long[]) arr, b.longs(), y.longs(), lo, hi);
    }
  }

  /**
   * {@code y[i] = v[i] op s} (or {@code s op v[i]} when {@code scalarFirst}) over [lo, hi), s
   * being element {@code at} of {@code s}.
   */
  private static void scalar(BinaryOp op, CpuStorage v, CpuStorage s, int at,
      boolean scalarFirst, CpuStorage y, int lo, int hi) {
    Object arr = v.array();
    if (arr instanceof float[]) {
      float k = s.floats()[at];
      if (scalarFirst) {
        BinaryKernels.scalarLeft(op, k, (float[]) arr, y.floats(), lo, hi);
      } else {
        BinaryKernels.scalar(op, (float[]) arr, k, y.floats(), lo, hi);
      }
    } else if (arr instanceof double[]) {
      double k = s.doubles()[at];
      if (scalarFirst) {
        BinaryKernels.scalarLeft(op, k, (double[]) arr, y.doubles(), lo, hi);
      } else {
        BinaryKernels.scalar(op, (double[]) arr, k, y.doubles(), lo, hi);
      }
    } else {
      long k = s.longs()[at];
      if (scalarFirst) {
        BinaryKernels.scalarLeft(op, k, (long[]) arr, y.longs(), lo, hi);
      } else {
        BinaryKernels.scalar(op, (long[]) arr, k, y.longs(), lo, hi);
      }
    }
  }

  /** One run of {@code len} elements at three offsets (a broadcast row). */
  private static void runs(BinaryOp op, CpuStorage a, int ao, CpuStorage b, int bo, CpuStorage y,
      int yo, int len) {
    Object arr = a.array();
    if (arr instanceof float[]) {
      BinaryKernels.run(op, (float[]) arr, ao, b.floats(), bo, y.floats(), yo, len);
    } else if (arr instanceof double[]) {
      BinaryKernels.run(op, (double[]) arr, ao, b.doubles(), bo, y.doubles(), yo, len);
    } else {
      BinaryKernels.run(op, (long[]) arr, ao, b.longs(), bo, y.longs(), yo, len);
    }
  }

  /**
   * The general broadcast, row by row (a row is the last axis of {@code out}). A row where one
   * operand is a single broadcast value and the other lines up with the output takes the
   * single-index scalar kernel; other rows spread a broadcast operand into a row buffer.
   */
  private static void broadcastRuns(BinaryOp op, CpuStorage a, Shape aShape, CpuStorage b,
      Shape bShape, CpuStorage y, Shape out) {
    int inner = out.rank() == 0 ? 1 : out.size(-1);
    int rows = (int) (out.numel() / inner);
    int[] aRows = rowOffsets(aShape, out);
    int[] bRows = rowOffsets(bShape, out);
    boolean aSpread = innerStride(aShape, out) == 0;
    boolean bSpread = innerStride(bShape, out) == 0;
    Parallel.forRange(rows, inner, (lo, hi) -> {
      CpuStorage ar = null;
      CpuStorage br = null;
      for (int r = lo; r < hi; r++) {
        int at = r * inner;
        if (bSpread && !aSpread && aRows[r] == at) {
          scalar(op, a, b, bRows[r], false, y, at, at + inner);
        } else if (aSpread && !bSpread && bRows[r] == at) {
          scalar(op, b, a, aRows[r], true, y, at, at + inner);
        } else {
          if (aSpread) {
            ar = ar == null ? CpuStorage.allocate(a.dtype(), inner) : ar;
            fill(ar, a, aRows[r]);
          }
          if (bSpread) {
            br = br == null ? CpuStorage.allocate(b.dtype(), inner) : br;
            fill(br, b, bRows[r]);
          }
          runs(op, aSpread ? ar : a, aSpread ? 0 : aRows[r], bSpread ? br : b,
              bSpread ? 0 : bRows[r], y, at, inner);
        }
      }
    });
  }

  /** Fills {@code out} with element {@code at} of {@code s}. */
  private static void fill(CpuStorage out, CpuStorage s, int at) {
    Object arr = s.array();
    if (arr instanceof float[]) {
      Arrays.fill(out.floats(), ((float[]) arr)[at]);
    } else if (arr instanceof double[]) {
      Arrays.fill(out.doubles(), ((double[]) arr)[at]);
    } else {
      Arrays.fill(out.longs(), ((long[]) arr)[at]);
    }
  }

  /** 1 when {@code in} runs along the last axis of {@code out}, 0 when it is broadcast there. */
  private static int innerStride(Shape in, Shape out) {
    return in.rank() == 0 || in.size(-1) == 1 && out.size(-1) != 1 ? 0 : 1;
  }

  /**
   * The offset in {@code in} where each row of {@code out} (each index of all axes but the last)
   * starts, with broadcast axes standing still.
   */
  static int[] rowOffsets(Shape in, Shape out) {
    int r = out.rank();
    int rows = r == 0 ? 1 : (int) (out.numel() / Math.max(1, out.size(-1)));
    if (r == 0 && out.numel() == 0) {
      rows = 0;
    }
    int[] strides = alignedStrides(in, out);
    int[] dims = out.toArray();
    int[] offsets = new int[rows];
    int[] counter = new int[Math.max(0, r - 1)];
    int off = 0;
    for (int row = 0; row < rows; row++) {
      offsets[row] = off;
      for (int d = r - 2; d >= 0; d--) {
        counter[d]++;
        off += strides[d];
        if (counter[d] < dims[d]) {
          break;
        }
        off -= strides[d] * dims[d];
        counter[d] = 0;
      }
    }
    return offsets;
  }

  /** Strides of {@code in} aligned to the axes of {@code out}; 0 where in is broadcast. */
  static int[] alignedStrides(Shape in, Shape out) {
    int r = out.rank();
    int[] s = new int[r];
    int[] own = in.strides();
    int off = r - in.rank();
    for (int d = 0; d < in.rank(); d++) {
      s[d + off] = in.size(d) == 1 && out.size(d + off) != 1 ? 0 : own[d];
    }
    return s;
  }

  /** For each element of {@code out}, the offset of the element of {@code in} it reads. */
  static int[] elementOffsets(Shape in, Shape out) {
    int inner = out.rank() == 0 ? 1 : out.size(-1);
    int[] rows = rowOffsets(in, out);
    int step = innerStride(in, out);
    int[] off = new int[(int) out.numel()];
    for (int r = 0; r < rows.length; r++) {
      for (int j = 0; j < inner; j++) {
        off[r * inner + j] = rows[r] + j * step;
      }
    }
    return off;
  }

  @Override
  public Storage where(Storage cs, Shape cShape, Storage as, Shape aShape, Storage bs,
      Shape bShape, Shape out) {
    double[] c = cpu(cast(cs, DType.FLOAT64)).doubles();
    CpuStorage a = cpu(as);
    CpuStorage b = cpu(bs);
    int[] ci = elementOffsets(cShape, out);
    int[] ai = elementOffsets(aShape, out);
    int[] bi = elementOffsets(bShape, out);
    int n = ci.length;
    CpuStorage y = CpuStorage.allocate(a.dtype(), n);
    Object ya = y.array();
    if (ya instanceof float[]) {
      float[] o = (float[]) ya;
      float[] av = a.floats();
      float[] bv = b.floats();
      for (int i = 0; i < n; i++) o[i] = c[ci[i]] != 0 ? av[ai[i]] : bv[bi[i]];
    } else if (ya instanceof double[]) {
      double[] o = (double[]) ya;
      double[] av = a.doubles();
      double[] bv = b.doubles();
      for (int i = 0; i < n; i++) o[i] = c[ci[i]] != 0 ? av[ai[i]] : bv[bi[i]];
    } else {
      long[] o = (long[]) ya;
      long[] av = a.longs();
      long[] bv = b.longs();
      for (int i = 0; i < n; i++) o[i] = c[ci[i]] != 0 ? av[ai[i]] : bv[bi[i]];
    }
    return y;
  }

  @Override
  public Storage expand(Storage xs, Shape shape, Shape out) {
    return gatherOffsets(cpu(xs), elementOffsets(shape, out));
  }

  /** A new storage whose element i is element {@code offsets[i]} of x. */
  private static CpuStorage gatherOffsets(CpuStorage x, int[] offsets) {
    int n = offsets.length;
    CpuStorage y = CpuStorage.allocate(x.dtype(), n);
    Object src = x.array();
    if (src instanceof float[]) {
      float[] s = (float[]) src;
      float[] o = y.floats();
      for (int i = 0; i < n; i++) o[i] = s[offsets[i]];
    } else if (src instanceof double[]) {
      double[] s = (double[]) src;
      double[] o = y.doubles();
      for (int i = 0; i < n; i++) o[i] = s[offsets[i]];
    } else {
      long[] s = (long[]) src;
      long[] o = y.longs();
      for (int i = 0; i < n; i++) o[i] = s[offsets[i]];
    }
    return y;
  }

  /** Adds element i of src into element {@code offsets[i]} of y (which starts as zeros). */
  private static void addAtOffsets(CpuStorage src, int[] offsets, CpuStorage y) {
    Object s = src.array();
    int n = offsets.length;
    if (s instanceof float[]) {
      float[] a = (float[]) s;
      float[] o = y.floats();
      for (int i = 0; i < n; i++) o[offsets[i]] += a[i];
    } else if (s instanceof double[]) {
      double[] a = (double[]) s;
      double[] o = y.doubles();
      for (int i = 0; i < n; i++) o[offsets[i]] += a[i];
    } else {
      long[] a = (long[]) s;
      long[] o = y.longs();
      for (int i = 0; i < n; i++) o[offsets[i]] += a[i];
    }
  }

  // ---- reductions ---------------------------------------------------------------------------

  @Override
  public Storage reduce(ReduceOp op, Storage xs, Shape shape, int axis) {
    CpuStorage x = cpu(xs);
    int outer = shape.outer(axis);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    int count = outer * inner;
    boolean index = op == ReduceOp.ARGMAX || op == ReduceOp.ARGMIN;
    if (n == 0 && op != ReduceOp.SUM) {
      throw new IllegalArgumentException(op.name().toLowerCase(java.util.Locale.ROOT)
          + ": cannot reduce over axis " + axis + " of size 0 in shape " + shape);
    }
    CpuStorage y = CpuStorage.allocate(index ? DType.INT64 : x.dtype(), count);
    Object src = x.array();
    if (op == ReduceOp.SUM && inner == 1 && outer == 1 && n >= 4 * Parallel.GRAIN
        && !(src instanceof long[])) {
      // One long row (a full sum): partial sums of chunks in parallel, then their sum.
      int chunks = 16;
      double[] partial = new double[chunks];
      Parallel.forRange(chunks, n / chunks, (lo, hi) -> {
        for (int c = lo; c < hi; c++) {
          int from = (int) ((long) n * c / chunks);
          int to = (int) ((long) n * (c + 1) / chunks);
          partial[c] = src instanceof float[] ? ReduceKernels.sumRun((float[]) src, from, to)
              : ReduceKernels.sumRun((double[]) src, from, to);
        }
      });
      double total = ReduceKernels.sumRun(partial, 0, chunks);
      if (src instanceof float[]) {
        y.floats()[0] = (float) total;
      } else {
        y.doubles()[0] = total;
      }
      return y;
    }
    if (op == ReduceOp.SUM) {
      if (src instanceof float[]) {
        float[] a = (float[]) src;
        Parallel.forRange(outer, (long) n * inner,
            (lo, hi) -> ReduceKernels.sum(a, y.floats(), n, inner, lo, hi));
      } else if (src instanceof double[]) {
        double[] a = (double[]) src;
        Parallel.forRange(outer, (long) n * inner,
            (lo, hi) -> ReduceKernels.sum(a, y.doubles(), n, inner, lo, hi));
      } else {
        ReduceKernels.sum((long[]) src, y.longs(), n, inner, 0, outer);
      }
      return y;
    }
    long[] idx = index ? y.longs() : null;
    if (src instanceof float[]) {
      float[] a = (float[]) src;
      float[] o = index ? null : y.floats();
      Parallel.forRange(count, n, (lo, hi) -> ReduceKernels.extreme(op, a, o, idx, n, inner, lo, hi));
    } else if (src instanceof double[]) {
      double[] a = (double[]) src;
      double[] o = index ? null : y.doubles();
      Parallel.forRange(count, n, (lo, hi) -> ReduceKernels.extreme(op, a, o, idx, n, inner, lo, hi));
    } else {
      if (op == ReduceOp.LOG_SUM_EXP) {
        throw new UnsupportedOperationException("logSumExp is not defined for int64 tensors");
      }
      ReduceKernels.extreme(op, (long[]) src, index ? null : y.longs(), idx, n, inner, 0, count);
    }
    return y;
  }

  @Override
  public Storage softmax(Storage xs, Shape shape, int axis, boolean log) {
    CpuStorage x = cpu(xs);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    int count = shape.outer(axis) * inner;
    CpuStorage y = CpuStorage.allocate(x.dtype(), x.length());
    Object src = x.array();
    if (src instanceof float[]) {
      float[] a = (float[]) src;
      Parallel.forRange(count, 4L * n,
          (lo, hi) -> ReduceKernels.softmax(a, y.floats(), n, inner, log, lo, hi));
    } else if (src instanceof double[]) {
      double[] a = (double[]) src;
      Parallel.forRange(count, 4L * n,
          (lo, hi) -> ReduceKernels.softmax(a, y.doubles(), n, inner, log, lo, hi));
    } else {
      throw new UnsupportedOperationException("softmax is not defined for int64 tensors");
    }
    return y;
  }

  @Override
  public Storage softmaxBackward(Storage ys, Storage gs, Shape shape, int axis, boolean log) {
    CpuStorage y = cpu(ys);
    CpuStorage g = cpu(gs);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    int count = shape.outer(axis) * inner;
    CpuStorage o = CpuStorage.allocate(y.dtype(), y.length());
    if (y.dtype() == DType.FLOAT32) {
      Parallel.forRange(count, 4L * n, (lo, hi) -> ReduceKernels.softmaxBackward(y.floats(),
          g.floats(), o.floats(), n, inner, log, lo, hi));
    } else if (y.dtype() == DType.FLOAT64) {
      Parallel.forRange(count, 4L * n, (lo, hi) -> ReduceKernels.softmaxBackward(y.doubles(),
          g.doubles(), o.doubles(), n, inner, log, lo, hi));
    } else {
      throw new UnsupportedOperationException("softmax is not defined for int64 tensors");
    }
    return o;
  }

  @Override
  public Storage crossEntropy(Storage logits, Storage labels, int rows, int classes) {
    CpuStorage x = cpu(logits);
    long[] l = checkLabels("crossEntropy", cpu(labels).longs(), rows, classes);
    CpuStorage loss = CpuStorage.allocate(x.dtype(), rows);
    if (x.dtype() == DType.FLOAT32) {
      Parallel.forRange(rows, 4L * classes, (lo, hi) -> ReduceKernels.crossEntropy(x.floats(), l,
          loss.floats(), classes, lo, hi));
    } else {
      Parallel.forRange(rows, 4L * classes, (lo, hi) -> ReduceKernels.crossEntropy(x.doubles(),
          l, loss.doubles(), classes, lo, hi));
    }
    return loss;
  }

  @Override
  public Storage crossEntropyBackward(Storage logits, Storage labels, Storage scale, int rows,
      int classes) {
    CpuStorage x = cpu(logits);
    long[] l = checkLabels("crossEntropyBackward", cpu(labels).longs(), rows, classes);
    CpuStorage k = cpu(scale);
    CpuStorage out = CpuStorage.allocate(x.dtype(), x.length());
    boolean perRow = k.size() != 1;
    if (x.dtype() == DType.FLOAT32) {
      Parallel.forRange(rows, 4L * classes, (lo, hi) -> ReduceKernels.crossEntropyBackward(
          x.floats(), l, k.floats(), perRow, out.floats(), classes, lo, hi));
    } else {
      Parallel.forRange(rows, 4L * classes, (lo, hi) -> ReduceKernels.crossEntropyBackward(
          x.doubles(), l, k.doubles(), perRow, out.doubles(), classes, lo, hi));
    }
    return out;
  }

  // ---- linear algebra -----------------------------------------------------------------------

  @Override
  public Storage matmul(Storage as, Shape aShape, boolean transA, Storage bs, Shape bShape,
      boolean transB, Shape out) {
    CpuStorage a = cpu(as);
    CpuStorage b = cpu(bs);
    int r = out.rank();
    int m = out.size(r - 2);
    int n = out.size(r - 1);
    int k = transA ? aShape.size(-2) : aShape.size(-1);
    int lda = aShape.size(-1);
    int ldb = bShape.size(-1);
    CpuStorage c = CpuStorage.allocate(a.dtype(), (int) out.numel());
    if (out.numel() == 0) {
      return c;
    }
    Shape batch = Shape.of(Arrays.copyOf(out.toArray(), r - 2));
    int batches = (int) batch.numel();
    int aMat = aShape.size(-2) * aShape.size(-1);
    int bMat = bShape.size(-2) * bShape.size(-1);
    Gemm gemm = Blas.gemm();
    if (bShape.rank() == 2 && !transA) {
      // A stack of matrices times one matrix is a single taller product: [B*M, K] x [K, N].
      int[] aOff = batchOffsets(aShape, batch, aMat);
      if (isContiguousRun(aOff, aMat)) {
        gemm(gemm, c, a, b, transA, transB, batches * m, n, k, aOff[0], lda, 0, ldb, 0, n);
        return c;
      }
    }
    int[] aOff = batchOffsets(aShape, batch, aMat);
    int[] bOff = batchOffsets(bShape, batch, bMat);
    for (int i = 0; i < batches; i++) {
      gemm(gemm, c, a, b, transA, transB, m, n, k, aOff[i], lda, bOff[i], ldb, i * m * n, n);
    }
    return c;
  }

  private static boolean isContiguousRun(int[] offsets, int step) {
    for (int i = 0; i < offsets.length; i++) {
      if (offsets[i] != i * step) {
        return false;
      }
    }
    return true;
  }

  private static int[] batchOffsets(Shape in, Shape batch, int matSize) {
    Shape inBatch = Shape.of(Arrays.copyOf(in.toArray(), in.rank() - 2));
    int[] off = elementOffsets(inBatch, batch);
    for (int i = 0; i < off.length; i++) {
      off[i] *= matSize;
    }
    return off;
  }

  private static void gemm(Gemm g, CpuStorage c, CpuStorage a, CpuStorage b, boolean ta,
      boolean tb, int m, int n, int k, int ao, int lda, int bo, int ldb, int co, int ldc) {
    if (c.dtype() == DType.FLOAT32) {
      g.sgemm(ta, tb, m, n, k, 1f, a.floats(), ao, lda, b.floats(), bo, ldb, 0f, c.floats(), co,
          ldc);
    } else if (c.dtype() == DType.FLOAT64) {
      g.dgemm(ta, tb, m, n, k, 1d, a.doubles(), ao, lda, b.doubles(), bo, ldb, 0d, c.doubles(),
          co, ldc);
    } else {
      throw new UnsupportedOperationException("matmul is not defined for int64 tensors");
    }
  }

  // ---- layout -------------------------------------------------------------------------------

  @Override
  public Storage permute(Storage xs, Shape shape, int[] perm) {
    int r = shape.rank();
    if (swapsLastTwo(perm)) {
      return transposeLastTwo(cpu(xs), shape);
    }
    int[] dims = shape.toArray();
    int[] strides = shape.strides();
    int[] outDims = new int[r];
    int[] srcStride = new int[r];
    for (int i = 0; i < r; i++) {
      outDims[i] = dims[perm[i]];
      srcStride[i] = strides[perm[i]];
    }
    int n = (int) shape.numel();
    int[] offsets = new int[n];
    int[] counter = new int[r];
    int off = 0;
    for (int i = 0; i < n; i++) {
      offsets[i] = off;
      for (int d = r - 1; d >= 0; d--) {
        counter[d]++;
        off += srcStride[d];
        if (counter[d] < outDims[d]) {
          break;
        }
        off -= srcStride[d] * outDims[d];
        counter[d] = 0;
      }
    }
    return gatherOffsets(cpu(xs), offsets);
  }

  private static boolean swapsLastTwo(int[] perm) {
    int r = perm.length;
    if (r < 2 || perm[r - 2] != r - 1 || perm[r - 1] != r - 2) {
      return false;
    }
    for (int i = 0; i < r - 2; i++) {
      if (perm[i] != i) {
        return false;
      }
    }
    return true;
  }

  /** Each matrix of the batch transposed, in cache-sized tiles. */
  private static CpuStorage transposeLastTwo(CpuStorage x, Shape shape) {
    int rows = shape.size(-2);
    int cols = shape.size(-1);
    int mat = rows * cols;
    int batches = mat == 0 ? 0 : (int) (shape.numel() / mat);
    CpuStorage y = CpuStorage.allocate(x.dtype(), (int) shape.numel());
    Object src = x.array();
    Object dst = y.array();
    Parallel.forRange(batches * ((rows + TILE - 1) / TILE), (long) TILE * cols, (lo, hi) -> {
      int tilesPerMatrix = (rows + TILE - 1) / TILE;
      for (int t = lo; t < hi; t++) {
        int base = (t / tilesPerMatrix) * mat;
        int i0 = (t % tilesPerMatrix) * TILE;
        int i1 = Math.min(rows, i0 + TILE);
        for (int j0 = 0; j0 < cols; j0 += TILE) {
          int j1 = Math.min(cols, j0 + TILE);
          transposeTile(src, dst, base, rows, cols, i0, i1, j0, j1);
        }
      }
    });
    return y;
  }

  private static final int TILE = 32;

  private static void transposeTile(Object src, Object dst, int base, int rows, int cols, int i0,
      int i1, int j0, int j1) {
    if (src instanceof float[]) {
      float[] a = (float[]) src;
      float[] o = (float[]) dst;
      for (int i = i0; i < i1; i++) {
        for (int j = j0; j < j1; j++) o[base + j * rows + i] = a[base + i * cols + j];
      }
    } else if (src instanceof double[]) {
      double[] a = (double[]) src;
      double[] o = (double[]) dst;
      for (int i = i0; i < i1; i++) {
        for (int j = j0; j < j1; j++) o[base + j * rows + i] = a[base + i * cols + j];
      }
    } else {
      long[] a = (long[]) src;
      long[] o = (long[]) dst;
      for (int i = i0; i < i1; i++) {
        for (int j = j0; j < j1; j++) o[base + j * rows + i] = a[base + i * cols + j];
      }
    }
  }

  @Override
  public Storage slice(Storage xs, Shape shape, int axis, int from, int to) {
    CpuStorage x = cpu(xs);
    int outer = shape.outer(axis);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    int m = to - from;
    CpuStorage y = CpuStorage.allocate(x.dtype(), outer * m * inner);
    for (int i = 0; i < outer; i++) {
      System.arraycopy(x.array(), (i * n + from) * inner, y.array(), i * m * inner, m * inner);
    }
    return y;
  }

  @Override
  public Storage pad(Storage xs, Shape shape, int axis, int from, int total) {
    CpuStorage x = cpu(xs);
    int outer = shape.outer(axis);
    int m = shape.size(axis);
    int inner = shape.inner(axis);
    CpuStorage y = CpuStorage.allocate(x.dtype(), outer * total * inner);
    for (int i = 0; i < outer; i++) {
      System.arraycopy(x.array(), i * m * inner, y.array(), (i * total + from) * inner, m * inner);
    }
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
    CpuStorage y = CpuStorage.allocate(xs[0].dtype(), outer * total * inner);
    int at = 0;
    for (int t = 0; t < xs.length; t++) {
      int m = shapes[t].size(axis);
      Object src = cpu(xs[t]).array();
      for (int i = 0; i < outer; i++) {
        System.arraycopy(src, i * m * inner, y.array(), (i * total + at) * inner, m * inner);
      }
      at += m;
    }
    return y;
  }

  @Override
  public Storage indexSelect(Storage xs, Shape shape, int axis, Storage index, int count) {
    CpuStorage x = cpu(xs);
    long[] idx = cpu(index).longs();
    int outer = shape.outer(axis);
    int n = shape.size(axis);
    int inner = shape.inner(axis);
    CpuStorage y = CpuStorage.allocate(x.dtype(), outer * count * inner);
    for (int i = 0; i < outer; i++) {
      for (int j = 0; j < count; j++) {
        int from = (int) checkIndex("indexSelect", idx[j], j, n);
        System.arraycopy(x.array(), (i * n + from) * inner, y.array(), (i * count + j) * inner,
            inner);
      }
    }
    return y;
  }

  @Override
  public Storage indexAdd(Storage src, Shape srcShape, int axis, Storage index, Shape out) {
    long[] idx = cpu(index).longs();
    int outer = srcShape.outer(axis);
    int count = srcShape.size(axis);
    int inner = srcShape.inner(axis);
    int n = out.size(axis);
    int[] offsets = new int[outer * count * inner];
    for (int i = 0, p = 0; i < outer; i++) {
      for (int j = 0; j < count; j++) {
        int to = (int) checkIndex("indexAdd", idx[j], j, n);
        for (int t = 0; t < inner; t++) {
          offsets[p++] = (i * n + to) * inner + t;
        }
      }
    }
    CpuStorage y = CpuStorage.allocate(src.dtype(), (int) out.numel());
    addAtOffsets(cpu(src), offsets, y);
    return y;
  }

  @Override
  public Storage gather(Storage xs, Shape shape, int axis, Storage index, Shape indexShape) {
    return gatherOffsets(cpu(xs), scatterOffsets("gather", shape, axis, index, indexShape));
  }

  @Override
  public Storage scatterAdd(Storage src, Shape indexShape, int axis, Storage index, Shape out) {
    CpuStorage y = CpuStorage.allocate(src.dtype(), (int) out.numel());
    addAtOffsets(cpu(src), scatterOffsets("scatterAdd", out, axis, index, indexShape), y);
    return y;
  }

  /** For each index element, the offset in a tensor of {@code shape} that it points at. */
  private static int[] scatterOffsets(String op, Shape shape, int axis, Storage index,
      Shape indexShape) {
    long[] idx = cpu(index).longs();
    int n = shape.size(axis);
    int m = indexShape.size(axis);
    int inner = indexShape.inner(axis);
    int[] offsets = new int[idx.length];
    for (int p = 0; p < idx.length; p++) {
      int i = p / (m * inner);
      int t = p % inner;
      offsets[p] = (int) ((i * n + checkIndex(op, idx[p], p, n)) * inner + t);
    }
    return offsets;
  }

  @Override
  public Storage oneHot(Storage labels, int classes, DType dtype) {
    long[] l = cpu(labels).longs();
    CpuStorage y = CpuStorage.allocate(dtype, l.length * classes);
    for (int i = 0; i < l.length; i++) {
      int c = (int) checkIndex("oneHot", l[i], i, classes);
      switch (dtype) {
        case FLOAT32:
          y.floats()[i * classes + c] = 1f;
          break;
        case FLOAT64:
          y.doubles()[i * classes + c] = 1d;
          break;
        default:
          y.longs()[i * classes + c] = 1L;
      }
    }
    return y;
  }

  // ---- fused parameter updates --------------------------------------------------------------

  @Override
  public void adamStep(Storage ps, Storage gs, Storage ms, Storage vs, Storage vMaxs,
      AdamStep s) {
    CpuStorage p = cpu(ps);
    CpuStorage g = cpu(gs);
    CpuStorage m = cpu(ms);
    CpuStorage v = cpu(vs);
    CpuStorage vMax = vMaxs == null ? null : cpu(vMaxs);
    int n = p.length();
    if (p.dtype() == DType.FLOAT32) {
      Parallel.forRange(n, 16, (lo, hi) -> OptimizerKernels.adam(p.floats(), g.floats(),
          m.floats(), v.floats(), vMax == null ? null : vMax.floats(), s, lo, hi));
    } else {
      Parallel.forRange(n, 16, (lo, hi) -> OptimizerKernels.adam(p.doubles(), g.doubles(),
          m.doubles(), v.doubles(), vMax == null ? null : vMax.doubles(), s, lo, hi));
    }
  }

  @Override
  public void sgdStep(Storage ps, Storage gs, Storage bs, SgdStep s) {
    CpuStorage p = cpu(ps);
    CpuStorage g = cpu(gs);
    CpuStorage b = bs == null ? null : cpu(bs);
    int n = p.length();
    if (p.dtype() == DType.FLOAT32) {
      Parallel.forRange(n, 8, (lo, hi) -> OptimizerKernels.sgd(p.floats(), g.floats(),
          b == null ? null : b.floats(), s, lo, hi));
    } else {
      Parallel.forRange(n, 8, (lo, hi) -> OptimizerKernels.sgd(p.doubles(), g.doubles(),
          b == null ? null : b.doubles(), s, lo, hi));
    }
  }

  @Override
  public void rmspropStep(Storage ps, Storage gs, Storage vs, Storage as, Storage bs,
      RmspropStep s) {
    CpuStorage p = cpu(ps);
    CpuStorage g = cpu(gs);
    CpuStorage v = cpu(vs);
    CpuStorage a = as == null ? null : cpu(as);
    CpuStorage b = bs == null ? null : cpu(bs);
    int n = p.length();
    if (p.dtype() == DType.FLOAT32) {
      Parallel.forRange(n, 16, (lo, hi) -> OptimizerKernels.rmsprop(p.floats(), g.floats(),
          v.floats(), a == null ? null : a.floats(), b == null ? null : b.floats(), s, lo, hi));
    } else {
      Parallel.forRange(n, 16, (lo, hi) -> OptimizerKernels.rmsprop(p.doubles(), g.doubles(),
          v.doubles(), a == null ? null : a.doubles(), b == null ? null : b.doubles(), s, lo,
          hi));
    }
  }

  private static long[] checkLabels(String op, long[] labels, int rows, int classes) {
    for (int r = 0; r < rows; r++) {
      checkIndex(op, labels[r], r, classes);
    }
    return labels;
  }

  /** {@code i}, the index at {@code position} of its tensor, checked to lie in [0, n). */
  private static long checkIndex(String op, long i, long position, int n) {
    if (i < 0 || i >= n) {
      throw new IllegalArgumentException(op + ": index " + i + " at position " + position
          + " is out of range for an axis of size " + n);
    }
    return i;
  }
}
