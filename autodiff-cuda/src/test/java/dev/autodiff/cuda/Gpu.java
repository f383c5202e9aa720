package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;

/** The GPU for tests that need one, and CPU-vs-GPU comparisons. */
final class Gpu {
  private Gpu() {}

  /** cuda:0, or the test is skipped with the reason CUDA is unusable here. */
  static Device device() {
    String failure = CudaDriver.failure();
    assumeTrue(failure == null, () -> "no usable CUDA here: " + failure);
    return Device.cuda();
  }

  /**
   * Asserts that a GPU result equals the CPU's: float64 to 1e-9 relative, float32 to 1e-4, int64
   * exactly; NaN where the CPU has NaN.
   */
  static void assertMatches(Tensor cpu, Tensor gpu, String what) {
    assertEquals(cpu.shape(), gpu.shape(), what + ": shape");
    assertEquals(cpu.dtype(), gpu.dtype(), what + ": dtype");
    assertEquals(Device.Type.CUDA, gpu.device().type(), what + ": device");
    if (cpu.dtype() == DType.INT64) {
      assertArrayEquals(cpu.toLongArray(), gpu.toLongArray(), what);
      return;
    }
    double tol = cpu.dtype() == DType.FLOAT64 ? 1e-9 : 1e-4;
    double[] want = cpu.toDoubleArray();
    double[] got = gpu.toDoubleArray();
    for (int i = 0; i < want.length; i++) {
      if (Double.isNaN(want[i]) || Double.isInfinite(want[i])) {
        assertEquals(want[i], got[i], what + ": element " + i);
      } else {
        assertEquals(want[i], got[i], tol * Math.max(1, Math.abs(want[i])),
            what + ": element " + i);
      }
    }
  }
}
