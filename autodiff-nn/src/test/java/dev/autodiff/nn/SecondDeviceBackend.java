package dev.autodiff.nn;

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
import dev.autodiff.core.cpu.CpuBackend;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake second device for tests: it claims {@code cuda:0} and runs every kernel on the CPU
 * backend, but its storages say they live on {@code cuda:0} and are "native" (reference-counted,
 * with a Cleaner as safety net). So the nn code meets exactly what it would meet on a GPU: a
 * tensor made with {@code Tensor.of/zeros/randn} (a CPU tensor) combined with a parameter or an
 * activation on the device fails with "tensors are on different devices", and a CPU storage that
 * reaches a kernel of this backend fails too, while the arithmetic stays bit-for-bit the CPU's.
 *
 * <p>Registered in {@code META-INF/services/dev.autodiff.core.Backend} of the nn test resources,
 * so {@code Device.cuda()} finds it in this module's tests only (never where the real CUDA
 * backend is on the class path).
 */
public final class SecondDeviceBackend implements Backend {
  private static final CpuBackend CPU = CpuBackend.INSTANCE;
  private static final AtomicLong ALLOCATED = new AtomicLong();
  private static final AtomicLong FREED = new AtomicLong();

  /** The device, made on first use (Device.cuda() looks this backend up, so not at load time). */
  private static final class Holder {
    static final Device DEVICE = Device.cuda(0);
  }

  /** The fake device, {@code cuda:0}. */
  static Device device() {
    return Holder.DEVICE;
  }

  /** Storages allocated on the fake device and not yet freed. */
  static long liveStorages() {
    return ALLOCATED.get() - FREED.get();
  }

  /** A CPU storage dressed as device memory. */
  static final class DeviceStorage extends Storage {
    private volatile Storage inner;

    DeviceStorage(Storage inner) {
      super(inner.dtype(), inner.size());
      this.inner = inner;
      ALLOCATED.incrementAndGet();
    }

    @Override
    public Device device() {
      return Holder.DEVICE;
    }

    @Override
    public boolean isNative() {
      return true;
    }

    @Override
    protected void free() {
      if (inner == null) {
        throw new IllegalStateException("second device: storage freed twice");
      }
      inner = null;
      FREED.incrementAndGet();
    }

    Storage inner() {
      Storage s = inner;
      if (s == null) {
        throw new IllegalStateException("second device: storage used after it was freed");
      }
      return s;
    }
  }

  @Override
  public String name() {
    return "second-device";
  }

  @Override
  public boolean supports(Device device) {
    return device.type() == Device.Type.CUDA && device.index() == 0;
  }

  // ---- wrapping -----------------------------------------------------------------------------

  private static Storage in(Storage s) {
    if (s == null) {
      return null;
    }
    if (!(s instanceof DeviceStorage)) {
      throw new IllegalArgumentException(
          "second device: storage on " + s.device() + " cannot be used on cuda:0");
    }
    return ((DeviceStorage) s).inner();
  }

  private static Storage[] in(Storage[] s) {
    Storage[] out = new Storage[s.length];
    for (int i = 0; i < s.length; i++) {
      out[i] = in(s[i]);
    }
    return out;
  }

  /** The result on the device: the input's own wrapper when the CPU returned an input as is. */
  private static Storage out(Storage result, Storage... inputs) {
    for (Storage i : inputs) {
      if (i != null && ((DeviceStorage) i).inner() == result) {
        return i;
      }
    }
    return new DeviceStorage(result);
  }

  private static void check(Device device) {
    if (!device.equals(Holder.DEVICE)) {
      throw new IllegalArgumentException("second device: asked for a storage on " + device);
    }
  }

  // ---- data movement ------------------------------------------------------------------------

  @Override
  public Storage fromFloats(Device device, float[] data) {
    check(device);
    return out(CPU.fromFloats(Device.cpu(), data));
  }

  @Override
  public Storage fromDoubles(Device device, double[] data) {
    check(device);
    return out(CPU.fromDoubles(Device.cpu(), data));
  }

  @Override
  public Storage fromLongs(Device device, long[] data) {
    check(device);
    return out(CPU.fromLongs(Device.cpu(), data));
  }

  @Override
  public float[] toFloatArray(Storage x) {
    return CPU.toFloatArray(in(x));
  }

  @Override
  public double[] toDoubleArray(Storage x) {
    return CPU.toDoubleArray(in(x));
  }

  @Override
  public long[] toLongArray(Storage x) {
    return CPU.toLongArray(in(x));
  }

  @Override
  public Storage full(Device device, DType dtype, long n, double value) {
    check(device);
    return out(CPU.full(Device.cpu(), dtype, n, value));
  }

  @Override
  public Storage cast(Storage x, DType dtype) {
    return out(CPU.cast(in(x), dtype), x);
  }

  @Override
  public void copyInto(Storage src, Storage dst) {
    CPU.copyInto(in(src), in(dst));
  }

  @Override
  public void addInto(Storage src, Storage dst) {
    CPU.addInto(in(src), in(dst));
  }

  @Override
  public void fill(Storage dst, double value) {
    CPU.fill(in(dst), value);
  }

  // ---- elementwise --------------------------------------------------------------------------

  @Override
  public Storage unary(UnaryOp op, Storage x, double p, double q) {
    return out(CPU.unary(op, in(x), p, q), x);
  }

  @Override
  public Storage biasActivation(UnaryOp act, Storage z, Storage bias, int rows, int cols,
      double p) {
    return out(CPU.biasActivation(act, in(z), in(bias), rows, cols, p), z);
  }

  @Override
  public Storage unaryBackward(UnaryOp op, Storage x, Storage y, Storage g, double p, double q) {
    Storage fused = CPU.unaryBackward(op, in(x), in(y), in(g), p, q);
    return fused == null ? null : out(fused, x);
  }

  @Override
  public Storage binary(BinaryOp op, Storage a, Shape aShape, Storage b, Shape bShape,
      Shape out) {
    return out(CPU.binary(op, in(a), aShape, in(b), bShape, out), a, b);
  }

  @Override
  public Storage where(Storage cond, Shape cShape, Storage a, Shape aShape, Storage b,
      Shape bShape, Shape out) {
    return out(CPU.where(in(cond), cShape, in(a), aShape, in(b), bShape, out), cond, a, b);
  }

  @Override
  public Storage expand(Storage x, Shape shape, Shape out) {
    return out(CPU.expand(in(x), shape, out), x);
  }

  // ---- reductions ---------------------------------------------------------------------------

  @Override
  public Storage reduce(ReduceOp op, Storage x, Shape shape, int axis) {
    return out(CPU.reduce(op, in(x), shape, axis), x);
  }

  @Override
  public Storage softmax(Storage x, Shape shape, int axis, boolean log) {
    return out(CPU.softmax(in(x), shape, axis, log), x);
  }

  @Override
  public Storage crossEntropy(Storage logits, Storage labels, int rows, int classes) {
    return out(CPU.crossEntropy(in(logits), in(labels), rows, classes), logits);
  }

  @Override
  public Storage crossEntropyBackward(Storage logits, Storage labels, Storage scale, int rows,
      int classes) {
    return out(CPU.crossEntropyBackward(in(logits), in(labels), in(scale), rows, classes),
        logits);
  }

  @Override
  public Storage softmaxBackward(Storage y, Storage g, Shape shape, int axis, boolean log) {
    return out(CPU.softmaxBackward(in(y), in(g), shape, axis, log), y);
  }

  // ---- linear algebra -----------------------------------------------------------------------

  @Override
  public Storage matmul(Storage a, Shape aShape, boolean transA, Storage b, Shape bShape,
      boolean transB, Shape out) {
    return out(CPU.matmul(in(a), aShape, transA, in(b), bShape, transB, out), a, b);
  }

  // ---- layout -------------------------------------------------------------------------------

  @Override
  public Storage permute(Storage x, Shape shape, int[] perm) {
    return out(CPU.permute(in(x), shape, perm), x);
  }

  @Override
  public Storage slice(Storage x, Shape shape, int axis, int from, int to) {
    return out(CPU.slice(in(x), shape, axis, from, to), x);
  }

  @Override
  public Storage pad(Storage x, Shape shape, int axis, int from, int total) {
    return out(CPU.pad(in(x), shape, axis, from, total), x);
  }

  @Override
  public Storage concat(Storage[] xs, Shape[] shapes, int axis) {
    return out(CPU.concat(in(xs), shapes, axis), xs);
  }

  @Override
  public Storage indexSelect(Storage x, Shape shape, int axis, Storage index, int n) {
    return out(CPU.indexSelect(in(x), shape, axis, in(index), n), x, index);
  }

  @Override
  public Storage indexAdd(Storage src, Shape srcShape, int axis, Storage index, Shape out) {
    return out(CPU.indexAdd(in(src), srcShape, axis, in(index), out), src, index);
  }

  @Override
  public Storage gather(Storage x, Shape shape, int axis, Storage index, Shape indexShape) {
    return out(CPU.gather(in(x), shape, axis, in(index), indexShape), x, index);
  }

  @Override
  public Storage scatterAdd(Storage src, Shape indexShape, int axis, Storage index, Shape out) {
    return out(CPU.scatterAdd(in(src), indexShape, axis, in(index), out), src, index);
  }

  @Override
  public Storage oneHot(Storage labels, int classes, DType dtype) {
    return out(CPU.oneHot(in(labels), classes, dtype), labels);
  }

  // ---- fused parameter updates --------------------------------------------------------------

  @Override
  public void adamStep(Storage p, Storage g, Storage m, Storage v, Storage vMax, AdamStep step) {
    CPU.adamStep(in(p), in(g), in(m), in(v), vMax == null ? null : in(vMax), step);
  }

  @Override
  public void sgdStep(Storage p, Storage g, Storage b, SgdStep step) {
    CPU.sgdStep(in(p), in(g), in(b), step);
  }

  @Override
  public void rmspropStep(Storage p, Storage g, Storage v, Storage a, Storage b,
      RmspropStep step) {
    CPU.rmspropStep(in(p), in(g), in(v), in(a), in(b), step);
  }
}
