package dev.autodiff.cuda;

import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;

/**
 * The parameters of one kernel launch, in the kernel's order: {@code cuLaunchKernel} takes an
 * array of pointers, one to each parameter's bytes.
 */
final class KernelArgs {
  private final List<Pointer> params = new ArrayList<>(16);

  /** A device pointer parameter ({@code T*}); a null storage passes nullptr. */
  KernelArgs ptr(CudaStorage s) {
    return address(s == null ? 0 : s.address());
  }

  /** A device pointer parameter at a raw address. */
  KernelArgs address(long address) {
    params.add(Pointer.to(new long[] {address}));
    return this;
  }

  KernelArgs i32(int v) {
    params.add(Pointer.to(new int[] {v}));
    return this;
  }

  KernelArgs flag(boolean v) {
    return i32(v ? 1 : 0);
  }

  KernelArgs i64(long v) {
    params.add(Pointer.to(new long[] {v}));
    return this;
  }

  KernelArgs f64(double v) {
    params.add(Pointer.to(new double[] {v}));
    return this;
  }

  KernelArgs f32(float v) {
    params.add(Pointer.to(new float[] {v}));
    return this;
  }

  /** A value of the kernel's element type: float for float32 kernels, double for float64. */
  KernelArgs real(boolean single, double v) {
    return single ? f32((float) v) : f64(v);
  }

  /** A struct passed by value, given as its ints (see {@link CudaLayout}). */
  KernelArgs struct(int[] ints) {
    params.add(Pointer.to(ints));
    return this;
  }

  Pointer pack() {
    return Pointer.to(params.toArray(new Pointer[0]));
  }

  int size() {
    return params.size();
  }
}
