package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** How the activation and softmax provider is chosen, without a GPU. */
class DnnProvidersTest {
  @Test
  void cudnnIsUsedWhereItLoads() {
    DnnProviders.Selection s = DnnProviders.select(null, () -> null);
    assertTrue(s.cudnn());
    assertEquals("cuDNN", s.description());
    assertNull(s.failure());
  }

  @Test
  void aFailedLoadFallsBackToTheKernelsAndSaysWhy() {
    DnnProviders.Selection s = DnnProviders.select("auto", () -> "libcudnn.so.9 not found");
    assertFalse(s.cudnn());
    assertEquals(DnnProviders.KERNEL + "; cuDNN unavailable: libcudnn.so.9 not found",
        s.description());
    assertNull(s.failure(), "auto never throws");
  }

  @Test
  void kernelIsNotEvenProbed() {
    AtomicInteger probes = new AtomicInteger();
    DnnProviders.Selection s = DnnProviders.select(" Kernel ", () -> {
      probes.incrementAndGet();
      return null;
    });
    assertFalse(s.cudnn());
    assertEquals(0, probes.get());
    assertTrue(s.description().contains("-Dautodiff.cuda.dnn=kernel"), s.description());
  }

  @Test
  void forcingCudnnWhereItCannotLoadIsAFailureToReport() {
    DnnProviders.Selection s = DnnProviders.select("cudnn", () -> "no libcudnn");
    assertFalse(s.cudnn());
    assertEquals("-Dautodiff.cuda.dnn=cudnn, but cuDNN cannot be used: no libcudnn", s.failure());
    assertTrue(DnnProviders.select("cudnn", () -> null).forced());
  }

  @Test
  void anUnknownSettingIsNamedAndIgnored() {
    DnnProviders.Selection s = DnnProviders.select("fast", () -> null);
    assertTrue(s.cudnn());
    assertTrue(s.description().contains("ignored unknown -Dautodiff.cuda.dnn=fast"),
        s.description());
  }

  @Test
  void theProbeNeverThrowsAndNamesTheLibraryWhenItFails() {
    String why = DnnProviders.probeCudnn(); // null where libcudnn.so.9 loads
    if (why != null) {
      assertTrue(why.contains("libcudnn.so.9") || why.contains("cudnnGetVersion"), why);
    }
    assertTrue(DnnProviders.description().startsWith("cuDNN")
        || DnnProviders.description().startsWith(DnnProviders.KERNEL));
  }
}
