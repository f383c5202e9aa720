package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.cuda.BlasProviders.Probe;
import dev.autodiff.cuda.BlasProviders.Selection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The choice of the CUDA matmul, its fallbacks and reasons, and the per-device self-test. */
class BlasProvidersTest {
  private static final BlasProvider FAKE = new HostBlas(1 << 12);

  private static Supplier<Probe> loads() {
    return () -> new Probe(FAKE, null);
  }

  private static Supplier<Probe> fails(String why) {
    return () -> new Probe(null, why);
  }

  private static Supplier<Probe> mustNotLoad() {
    return () -> fail("cuBLAS must not be loaded here");
  }

  /** A machine without libcublas.so.12 (CUDA 13, or none). */
  private static final String NO_12 = "libcublas.so.12 not found";

  private static Supplier<Probe> no12() {
    return fails(NO_12);
  }

  @Test
  void thisProcessChoiceIsExplained() {
    // Where the tests run without cuBLAS (no GPU, or JDK 17) the kernel is chosen with the reason;
    // on a GPU machine with libcublas.so.13 on the path it is cuBLAS.
    String d = BlasProviders.description();
    int jdk = Runtime.version().feature();
    if (System.getProperty(BlasProviders.PROPERTY) != null) {
      return; // a forced choice is checked by the select tests below
    }
    if (BlasProviders.selected() != null) {
      assertTrue(d.startsWith("cuBLAS "), d);
      return;
    }
    assertTrue(d.startsWith(BlasProviders.KERNEL + "; cuBLAS 12 unavailable: "), d);
    assertTrue(d.contains("libcublas.so.12"), d);
    if (jdk < 22) {
      assertTrue(d.contains("; cuBLAS 13 not tried: it is called through the foreign-function API,"
          + " which needs JDK 22+ (this is JDK " + jdk + ")"), d);
    } else {
      assertTrue(d.contains("; cuBLAS 13 unavailable: "), d);
      assertTrue(d.contains("libcublas.so.13") || d.contains("built on a JDK older than 22"), d);
    }
  }

  @Test
  void jdk17WithoutCublas12FallsBackWithoutTryingCublas13() {
    Selection s = BlasProviders.select(null, 17, no12(), mustNotLoad());
    assertNull(s.provider());
    assertNull(s.failure());
    assertEquals(BlasProviders.KERNEL + "; cuBLAS 12 unavailable: " + NO_12 + "; cuBLAS 13 not"
        + " tried: it is called through the foreign-function API, which needs JDK 22+ (this is"
        + " JDK 17)", s.description());
  }

  @Test
  void cublas12IsChosenOnAnyJdkWhereItLoadsAndCublas13IsThenNotLoaded() {
    for (int jdk : new int[] {17, 25}) {
      Selection s = BlasProviders.select("auto", jdk, loads(), mustNotLoad());
      assertSame(FAKE, s.provider());
      assertEquals(FAKE.name(), s.description());
      assertFalse(s.forced());
    }
  }

  @Test
  void cublas13IsChosenWhereOnlyItLoads() {
    Selection s = BlasProviders.select("auto", 25, no12(), loads());
    assertSame(FAKE, s.provider());
    assertEquals(FAKE.name(), s.description());
  }

  @Test
  void aFailedLoadFallsBackWithItsReasons() {
    Selection s = BlasProviders.select("", 22, no12(),
        fails("libcublas.so.13 not found (looked in ...)"));
    assertNull(s.provider());
    assertNull(s.require());
    assertEquals(BlasProviders.KERNEL + "; cuBLAS 12 unavailable: " + NO_12 + "; cuBLAS 13"
        + " unavailable: libcublas.so.13 not found (looked in ...)", s.description());
  }

  @Test
  void kernelCanBeForced() {
    Selection s = BlasProviders.select(" Kernel ", 25, mustNotLoad(), mustNotLoad());
    assertNull(s.provider());
    assertEquals(BlasProviders.KERNEL + "; cuBLAS not tried (-Dautodiff.cuda.blas=kernel)",
        s.description());
  }

  @Test
  void forcedCublasThatCannotLoadThrowsOnUseNotOnDescription() {
    Selection s = BlasProviders.select("cublas", 25, no12(), fails("libcublas.so.13 not found"));
    assertTrue(s.forced());
    String why = "-Dautodiff.cuda.blas=cublas, but cuBLAS 12 unavailable: " + NO_12
        + "; cuBLAS 13 unavailable: libcublas.so.13 not found";
    assertEquals("no CUDA matmul: " + why, s.description());
    IllegalStateException e = assertThrows(IllegalStateException.class, s::require);
    assertEquals(why, e.getMessage());
    e = assertThrows(IllegalStateException.class,
        () -> new BlasProviders.Devices().usable(s, 1, "fake:0", () -> fail("no self-test")));
    assertTrue(e.getMessage().contains("libcublas.so.13 not found"), e.getMessage());

    Selection old = BlasProviders.select("cublas", 17, no12(), mustNotLoad());
    assertTrue(old.failure().contains("needs JDK 22+"), old.failure());
  }

  @Test
  void forcedCublasThatLoadsIsUsed() {
    for (Selection s : List.of(BlasProviders.select("cublas", 17, loads(), mustNotLoad()),
        BlasProviders.select("cublas", 25, no12(), loads()))) {
      assertSame(FAKE, s.require());
      assertEquals(FAKE.name() + " (-Dautodiff.cuda.blas=cublas)", s.description());
    }
  }

  @Test
  void unknownSettingsAreNamedAndIgnored() {
    Selection s = BlasProviders.select("jcublas", 25, fails("nope"), fails("nope"));
    assertNull(s.provider());
    assertTrue(s.description().endsWith(" (ignored unknown -Dautodiff.cuda.blas=jcublas; use auto,"
        + " kernel or cublas)"), s.description());
  }

  @Test
  void cublas12WithoutItsLibrarySaysWhereItLooked() {
    Probe p = JCublasBlas.probe(null, Map.of("LD_LIBRARY_PATH", "/nowhere"), false);
    assumeTrue(p.provider() == null, "libcublas.so.12 is on this machine's loader path");
    assertEquals("libcublas.so.12 not found (looked in LD_LIBRARY_PATH /nowhere,"
        + " /usr/local/cuda/lib64 and the system loader's path); set -Dautodiff.cublas.path to"
        + " the file or its folder, or put its folder on LD_LIBRARY_PATH", p.status());
  }

  @Test
  void cublas12ThatDoesNotLoadIsNamedWithTheLoadersComplaint(@TempDir Path dir)
      throws Exception {
    Path fake = Files.writeString(dir.resolve("libcublas.so.12"), "not a library");
    Probe p = JCublasBlas.probe(dir.toString(), Map.of(), false);
    assumeTrue(p.provider() == null, "libcublas.so.12 is on this machine's loader path");
    assertTrue(p.status().startsWith("JCublas2's native library did not load, which needs"
        + " libcublas.so.12 ("), p.status());
    assertTrue(p.status().contains("(looked in -Dautodiff.cublas.path=" + dir + ", LD_LIBRARY_PATH"
        + " (unset), /usr/local/cuda/lib64 and the system loader's path; failed to load: " + fake
        + " ("), p.status());
  }

  @Test
  void aMissingBindingClassIsAReasonNotAnException() {
    Probe p = BlasProviders.probeFfm("dev.autodiff.cuda.NoSuchBinding", false);
    assertNull(p.provider());
    assertTrue(p.status().contains("built on a JDK older than 22"), p.status());

    Probe notAProvider = BlasProviders.probeFfm("java.lang.String", false);
    assertNull(notAProvider.provider());
    assertTrue(notAProvider.status().contains("NoSuchMethodException"), notAProvider.status());
  }

  @Test
  void theSelfTestPassesOnCublasSemantics() {
    HostBlas blas = new HostBlas(1 << 12);
    assertNull(BlasSelfTest.run(blas, 0, blas.scratch()));
    assertEquals(4, blas.calls); // two cases in each precision
  }

  @Test
  void theSelfTestCatchesAWrongBinding() {
    // Operands not swapped: the BLAS either rejects a leading dimension or computes another product.
    HostBlas unswapped = new HostBlas(1 << 12, g -> new GemmCall(g.single(), g.transB(),
        g.transA(), g.n(), g.m(), g.k(), g.alpha(), g.b(), g.ldb(), g.strideB(), g.a(), g.lda(),
        g.strideA(), g.beta(), g.c(), g.ldc(), g.strideC(), g.batches()));
    String why = BlasSelfTest.run(unswapped, 0, unswapped.scratch());
    assertNotNull(why);
    assertTrue(why.startsWith("host cuBLAS failed its self-test: "), why);

    // Strides ignored: the second batch is wrong.
    HostBlas noStrides = new HostBlas(1 << 12, g -> g.batches() == 1 ? g
        : new GemmCall(g.single(), g.transA(), g.transB(), g.m(), g.n(), g.k(), g.alpha(), g.a(),
            g.lda(), 0, g.b(), g.ldb(), 0, g.beta(), g.c(), g.ldc(), 0, g.batches()));
    why = BlasSelfTest.run(noStrides, 0, noStrides.scratch());
    assertNotNull(why);
    assertTrue(why.contains("element"), why);

    // TF32-like rounding would still pass (small integers); float32 computed as float64 would too;
    // but a BLAS that writes outside C (the gap between batches) fails.
    HostBlas overwrites = new HostBlas(1 << 12, g -> g.batches() == 1 ? g
        : new GemmCall(g.single(), g.transA(), g.transB(), g.m(), g.n(), g.k(), g.alpha(), g.a(),
            g.lda(), g.strideA(), g.b(), g.ldb(), g.strideB(), g.beta(), g.c(), g.ldc() + 1,
            g.strideC(), g.batches()));
    assertNotNull(BlasSelfTest.run(overwrites, 0, overwrites.scratch()));
  }

  @Test
  void aDeviceWhereTheSelfTestFailsKeepsTheKernelAndSaysSo() {
    HostBlas broken = new HostBlas(1 << 12, g -> new GemmCall(g.single(), g.transA(), g.transB(),
        g.m(), g.n(), g.k(), 2 * g.alpha(), g.a(), g.lda(), g.strideA(), g.b(), g.ldb(),
        g.strideB(), g.beta(), g.c(), g.ldc(), g.strideC(), g.batches()));
    BlasProviders.Devices devices = new BlasProviders.Devices();
    Selection auto = BlasProviders.select(null, 25, () -> new Probe(broken, null), mustNotLoad());
    AtomicInteger tests = new AtomicInteger();
    Supplier<BlasSelfTest.Scratch> scratch = () -> {
      tests.incrementAndGet();
      return broken.scratch();
    };
    assertNull(devices.usable(auto, 7, "fake:1", scratch));
    assertNull(devices.usable(auto, 7, "fake:1", scratch));
    assertEquals(1, tests.get(), "the self-test runs once per stream");
    assertTrue(devices.failures().startsWith("fake:1: " + BlasProviders.KERNEL
        + ", as host cuBLAS failed its self-test: "), devices.failures());

    Selection forced = BlasProviders.select("cublas", 25, () -> new Probe(broken, null),
        mustNotLoad());
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> devices.usable(forced, 7, "fake:1", scratch));
    assertTrue(e.getMessage().startsWith("-Dautodiff.cuda.blas=cublas, but on fake:1: host"
        + " cuBLAS failed its self-test"), e.getMessage());
  }

  @Test
  void aDeviceWhereTheSelfTestPassesUsesTheProvider() {
    HostBlas good = new HostBlas(1 << 12);
    BlasProviders.Devices devices = new BlasProviders.Devices();
    Selection auto = BlasProviders.select(null, 25, () -> new Probe(good, null), mustNotLoad());
    assertSame(good, devices.usable(auto, 3, "fake:0", good::scratch));
    assertSame(good, devices.usable(auto, 3, "fake:0", () -> fail("tested once")));
    assertEquals("", devices.failures());
  }

  @Test
  void aProviderThatCannotBeReadiedFallsBack() {
    BlasProvider noHandle = new HostBlas(1 << 12) {
      @Override
      public void prepare(long stream) {
        throw new IllegalStateException("cuBLAS call cublasCreate_v2 failed:"
            + " CUBLAS_STATUS_NOT_INITIALIZED (1)");
      }
    };
    BlasProviders.Devices devices = new BlasProviders.Devices();
    Selection auto = BlasProviders.select(null, 25, no12(), () -> new Probe(noHandle, null));
    assertNull(devices.usable(auto, 5, "fake:0", () -> fail("no self-test without a handle")));
    assertTrue(devices.failures().contains("could not be readied: cuBLAS call cublasCreate_v2"
        + " failed: CUBLAS_STATUS_NOT_INITIALIZED (1)"), devices.failures());
  }

  @Test
  void noProviderMeansTheKernelWithoutASelfTest() {
    BlasProviders.Devices devices = new BlasProviders.Devices();
    Selection kernel = BlasProviders.select("kernel", 25, mustNotLoad(), mustNotLoad());
    assertNull(devices.usable(kernel, 1, "fake:0", () -> fail("no self-test for the kernel")));
  }
}
