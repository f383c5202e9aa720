package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;
import org.junit.jupiter.api.Test;

/** Where CUDA cannot work, users get one clear IllegalStateException, never a linkage error. */
class CudaUnavailableTest {
  @Test
  void deviceCudaNamesWhatIsMissing() {
    String failure = CudaDriver.failure();
    assumeTrue(failure != null, "CUDA works here");
    IllegalStateException e = assertThrows(IllegalStateException.class, Device::cuda);
    assertTrue(e.getMessage().startsWith("cuda:0 is unusable: no CUDA "), e.getMessage());
    assertTrue(e.getMessage().length() < 400, "one readable line: " + e.getMessage());
    // Asking again gives the same reason (no NoClassDefFoundError on the second touch).
    IllegalStateException again = assertThrows(IllegalStateException.class,
        () -> Tensor.ones(2).to(Device.cuda(0)));
    assertTrue(again.getMessage().equals(e.getMessage()));
    assertTrue(CudaBackend.info().startsWith("cuda: unusable: no CUDA "), CudaBackend.info());
  }

  @Test
  void aMissingDeviceIndexIsNamed() {
    assumeTrue(CudaDriver.failure() == null, "no CUDA here");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Device.cuda(63));
    assertTrue(e.getMessage().startsWith("no device cuda:63: this machine has "), e.getMessage());
  }

  @Test
  void theLoaderErrorIsCutToTheLineThatMatters() {
    UnsatisfiedLinkError e = new UnsatisfiedLinkError("Error while loading native library \"x\"\n"
        + "Stack trace from the attempt to load the library as a resource:\n"
        + "java.lang.UnsatisfiedLinkError: /tmp/libx.so: libcuda.so.1: cannot open shared object"
        + " file: No such file or directory\n\tat java.base/jdk.internal.loader...\n");
    assertTrue(CudaDriver.rootCause(e).equals(
        "/tmp/libx.so: libcuda.so.1: cannot open shared object file: No such file or directory"),
        CudaDriver.rootCause(e));
  }

  @Test
  void aLaterTouchOfTheFailedClassStillGivesTheLoadersLine() {
    // What the JVM throws on every touch after a class's native failed to load in <clinit>.
    Error later = new NoClassDefFoundError("Could not initialize class jcuda.jcublas.JCublas2");
    later.initCause(new ExceptionInInitializerError("Exception java.lang.UnsatisfiedLinkError:"
        + " Error while loading native library \"JCublas2\"\n"
        + "java.lang.UnsatisfiedLinkError: /tmp/libJCublas2.so: libcublas.so.12: cannot open"
        + " shared object file: No such file or directory\n [in thread \"main\"]"));
    assertEquals("/tmp/libJCublas2.so: libcublas.so.12: cannot open shared object file: No such"
        + " file or directory", CudaDriver.rootCause(later));
    assertEquals("NoClassDefFoundError: Could not initialize class x",
        CudaDriver.rootCause(new NoClassDefFoundError("Could not initialize class x")));
  }
}
