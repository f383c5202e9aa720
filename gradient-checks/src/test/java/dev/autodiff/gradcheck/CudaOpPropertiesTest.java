package dev.autodiff.gradcheck;

import dev.autodiff.core.Device;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * Every op property of {@link OpPropertiesTest} with the op computed by the CUDA backend, in
 * float64 against finite differences (which also run on the GPU). Skipped as a whole, with the
 * reason, where no CUDA device is usable.
 */
@AddLifecycleHook(CudaOpPropertiesTest.NeedsCuda.class)
class CudaOpPropertiesTest extends OpPropertiesTest {
  /** Why CUDA is unusable here, or null. */
  static final String UNUSABLE = probe();

  private static String probe() {
    try {
      Device.cuda();
      return null;
    } catch (IllegalStateException e) {
      return e.getMessage();
    }
  }

  /** Skips the container where no CUDA device is usable. */
  public static final class NeedsCuda implements SkipExecutionHook {
    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
      return UNUSABLE == null ? SkipResult.doNotSkip()
          : SkipResult.skip("no usable CUDA device here: " + UNUSABLE);
    }
  }

  @Override
  Device device() {
    return Device.cuda();
  }
}
