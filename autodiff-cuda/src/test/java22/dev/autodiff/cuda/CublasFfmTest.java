package dev.autodiff.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The foreign-function binding of cuBLAS, GPU-free: against a stub libcublas.so.13 (src/test/c,
 * compiled here with gcc; skipped without it) that has cuBLAS's C signatures and column-major
 * semantics on host memory. It checks what the JVM can get wrong without a GPU: the descriptors
 * (int versus long long, pointers, host scalars), the operand swap end to end, the batch calls,
 * the stream and math mode given to the handle, and the status names in exceptions.
 */
@SuppressWarnings("restricted")
class CublasFfmTest {
  @TempDir static Path dir;
  private static Path stubDir;
  private static Path oldStub;
  private static MethodHandle failNext;
  private static MethodHandle lastStream;
  private static MethodHandle lastMath;
  private static MethodHandle batchedCalls;
  private static MethodHandle maxBatchCount;

  @BeforeAll
  static void buildStub() throws Exception {
    Path source = StubCublas.source();
    assumeTrue(Files.isRegularFile(source), "no stub source at " + source);
    stubDir = Files.createDirectories(dir.resolve("stub"));
    boolean built = StubCublas.gcc(source, stubDir.resolve(CublasFfm.LIBRARY));
    assumeTrue(built, "no C compiler (gcc) to build the stub libcublas.so.13");
    Path old = Files.createDirectories(dir.resolve("old"));
    assumeTrue(StubCublas.gcc(source, old.resolve(CublasFfm.LIBRARY), "-DSTUB_NO_BATCHED"));
    oldStub = old;
    SymbolLookup stub = SymbolLookup.libraryLookup(stubDir.resolve(CublasFfm.LIBRARY),
        Arena.global());
    Linker linker = Linker.nativeLinker();
    failNext = linker.downcallHandle(stub.find("stub_fail_next").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    lastStream = linker.downcallHandle(stub.find("stub_last_stream").orElseThrow(),
        FunctionDescriptor.of(JAVA_LONG));
    lastMath = linker.downcallHandle(stub.find("stub_last_math").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT));
    batchedCalls = linker.downcallHandle(stub.find("stub_batched_calls").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT));
    maxBatchCount = linker.downcallHandle(stub.find("stub_max_batch_count").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT));
  }

  private static CublasFfm stub(boolean tf32) {
    return new CublasFfm(stubDir.toString(), Map.of(), tf32);
  }

  // ---- finding the library ------------------------------------------------------------------

  @Test
  void aMissingLibrarySaysWhereItLooked() {
    assumeTrue(!onSystemPath(), "libcublas.so.13 is on this machine's loader path");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> CublasFfm.locate(null, Map.of("LD_LIBRARY_PATH", "/nowhere")));
    assertTrue(e.getMessage().startsWith("libcublas.so.13 not found (looked in LD_LIBRARY_PATH"
        + " /nowhere, /usr/local/cuda/lib64 and the system loader's path); set"
        + " -Dautodiff.cublas.path"), e.getMessage());
  }

  @Test
  void aFileThatDoesNotLoadIsNamedWithTheLoadersComplaint() throws Exception {
    assumeTrue(!onSystemPath(), "libcublas.so.13 is on this machine's loader path");
    // As when libcublasLt.so.13 is not beside libcublas.so.13: a library whose dependency is
    // missing. (The stub links against a libcublasLt built elsewhere and left there.)
    Path lt = Files.createDirectories(dir.resolve("lt"));
    Path empty = Files.writeString(lt.resolve("lt.c"), "int cublasLtStub(void) { return 0; }\n");
    assumeTrue(StubCublas.gcc(empty, lt.resolve("libcublasLt.so.13"),
        "-Wl,-soname,libcublasLt.so.13"));
    Path bad = Files.createDirectories(dir.resolve("bad"));
    assumeTrue(StubCublas.gcc(StubCublas.source(), bad.resolve(CublasFfm.LIBRARY),
        "-Wl,--no-as-needed", lt.resolve("libcublasLt.so.13").toString()));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> CublasFfm.locate(bad.toString(), Map.of()));
    assertTrue(e.getMessage().startsWith("libcublas.so.13 did not load (looked in"
        + " -Dautodiff.cublas.path=" + bad), e.getMessage());
    assertTrue(e.getMessage().contains("failed to load: " + bad.resolve(CublasFfm.LIBRARY)),
        e.getMessage());
    assertTrue(e.getMessage().contains("libcublasLt.so.13"), e.getMessage());
  }

  @Test
  void theLibraryIsFoundThroughTheSettingOrLdLibraryPath() {
    CublasFfm bySetting = stub(false);
    assertEquals("cuBLAS 13.9.7 (" + stubDir.resolve(CublasFfm.LIBRARY) + ") through the"
        + " foreign-function API, strict FP32", bySetting.name());
    CublasFfm byPath = new CublasFfm(null, Map.of("LD_LIBRARY_PATH", "/nowhere:" + stubDir),
        true);
    assertTrue(byPath.name().endsWith("float32 on TF32 tensor cores"
        + " (-Dautodiff.cuda.tf32=true)"), byPath.name());
  }

  @Test
  void aLibraryWithoutAFunctionIsRefusedByName() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new CublasFfm(oldStub.toString(), Map.of(), false));
    assertEquals(oldStub.resolve(CublasFfm.LIBRARY) + " has no function"
        + " cublasSgemmStridedBatched (is it cuBLAS 12 or newer?)", e.getMessage());
  }

  @Test
  void theHolderReportsAMissingLibraryAsAReason() {
    assumeTrue(!onSystemPath(), "libcublas.so.13 is on this machine's loader path");
    assumeTrue(System.getProperty(CublasLibrary.PATH_PROPERTY) == null);
    assumeTrue(!System.getenv().getOrDefault("LD_LIBRARY_PATH", "").contains("cublas"));
    BlasProviders.Probe p = BlasProviders.probeFfm(BlasProviders.FFM_CLASS, false);
    assertNull(p.provider());
    assertTrue(p.status().startsWith("libcublas.so.13 not found"), p.status());
    BlasProviders.Selection s = BlasProviders.select(null, Runtime.version().feature(),
        () -> new BlasProviders.Probe(null, "libcublas.so.12 not found"), () -> p);
    assertTrue(s.description().startsWith("kernel (our tiled matmul); cuBLAS 12 unavailable:"
        + " libcublas.so.12 not found; cuBLAS 13 unavailable: libcublas.so.13 not found (looked"
        + " in LD_LIBRARY_PATH"), s.description());
  }

  private static boolean onSystemPath() {
    try {
      SymbolLookup.libraryLookup(CublasFfm.LIBRARY, Arena.global());
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  // ---- calls --------------------------------------------------------------------------------

  @Test
  void eachStreamGetsAHandleWithItsStreamAndMathMode() throws Throwable {
    CublasFfm strict = stub(false);
    strict.prepare(0x5eed0001L);
    assertEquals(0x5eed0001L, (long) lastStream.invokeExact());
    assertEquals(CublasLibrary.DEFAULT_MATH, (int) lastMath.invokeExact());
    CublasFfm tf32 = stub(true);
    tf32.prepare(0x5eed0002L);
    assertEquals(0x5eed0002L, (long) lastStream.invokeExact());
    assertEquals(CublasLibrary.TF32_TENSOR_OP_MATH, (int) lastMath.invokeExact());
  }

  @Test
  void rowMajorProductsThroughTheStubMatchTheHost() {
    CublasFfm blas = stub(false);
    Random r = new Random(1);
    try (Arena arena = Arena.ofConfined()) {
      for (int trial = 0; trial < 200; trial++) {
        boolean single = r.nextBoolean();
        boolean ta = r.nextBoolean();
        boolean tb = r.nextBoolean();
        int m = 1 + r.nextInt(7);
        int n = 1 + r.nextInt(7);
        int k = 1 + r.nextInt(7);
        int lda = (ta ? m : k) + r.nextInt(2);
        int ldb = (tb ? k : n) + r.nextInt(2);
        int ldc = n + r.nextInt(2);
        int batches = 1 + r.nextInt(3);
        long sa = r.nextInt(3) == 0 ? 0 : (long) (ta ? k : m) * lda + r.nextInt(2);
        long sb = r.nextInt(3) == 0 ? 0 : (long) (tb ? n : k) * ldb + r.nextInt(2);
        long sc = (long) m * ldc + r.nextInt(2);
        int aLen = (int) (sa * (batches - 1) + (long) (ta ? k : m) * lda);
        int bLen = (int) (sb * (batches - 1) + (long) (tb ? n : k) * ldb);
        int cLen = (int) (sc * (batches - 1) + (long) m * ldc);
        double[] a = randoms(r, aLen);
        double[] b = randoms(r, bLen);
        MemorySegment da = put(arena, single, a);
        MemorySegment db = put(arena, single, b);
        MemorySegment dc = put(arena, single, new double[cLen]);
        blas.gemm(trial, single, ta, tb, m, n, k, da.address(), lda, sa, db.address(), ldb, sb,
            dc.address(), ldc, sc, batches);
        double[] got = get(dc, single, cLen);
        for (int z = 0; z < batches; z++) {
          for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
              double s = 0;
              for (int q = 0; q < k; q++) {
                s += a[(int) (z * sa + (ta ? (long) q * lda + i : (long) i * lda + q))]
                    * b[(int) (z * sb + (tb ? (long) j * ldb + q : (long) q * ldb + j))];
              }
              assertEquals(s, got[(int) (z * sc + (long) i * ldc + j)], 0.0,
                  "trial " + trial + ": batch " + z + " (" + i + ", " + j + ")");
            }
          }
        }
      }
    }
  }

  @Test
  void manyBatchesAreSplitIntoCallsCuBlasAccepts() throws Throwable {
    CublasFfm blas = stub(false);
    int batches = CublasLibrary.MAX_BATCHES + 2;
    int before = (int) batchedCalls.invokeExact();
    try (Arena arena = Arena.ofConfined()) {
      double[] a = new double[batches];
      double[] b = new double[batches];
      for (int i = 0; i < batches; i++) {
        a[i] = i % 100;
        b[i] = 2;
      }
      MemorySegment da = put(arena, true, a);
      MemorySegment db = put(arena, true, b);
      MemorySegment dc = put(arena, true, new double[batches]);
      blas.gemm(1, true, false, false, 1, 1, 1, da.address(), 1, 1, db.address(), 1, 1,
          dc.address(), 1, 1, batches);
      double[] c = get(dc, true, batches);
      for (int i = 0; i < batches; i++) {
        assertEquals(2.0 * (i % 100), c[i], 0.0, "batch " + i);
      }
    }
    assertEquals(before + 2, (int) batchedCalls.invokeExact());
    assertEquals(CublasLibrary.MAX_BATCHES, (int) maxBatchCount.invokeExact());
  }

  @Test
  void aFailedStatusNamesTheCallAndTheStatus() throws Throwable {
    CublasFfm blas = stub(false);
    blas.prepare(77);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment x = put(arena, false, new double[4]);
      int ignored = (int) failNext.invokeExact(7);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> blas.gemm(77, false, false, false, 2, 2, 1, x.address(), 1, 0, x.address(), 2, 0,
              x.address(), 2, 0, 1));
      assertTrue(e.getMessage().startsWith("cuBLAS call cublasDgemm_v2 GemmCall[single=false"),
          e.getMessage());
      assertTrue(e.getMessage().endsWith(" failed: CUBLAS_STATUS_INVALID_VALUE (7)"),
          e.getMessage());
      ignored = (int) failNext.invokeExact(13);
      e = assertThrows(IllegalStateException.class,
          () -> blas.gemm(77, true, false, false, 1, 1, 1, x.address(), 1, 0, x.address(), 1, 0,
              x.address(), 1, 2, 2));
      assertTrue(e.getMessage().startsWith("cuBLAS call cublasSgemmStridedBatched"),
          e.getMessage());
      assertTrue(e.getMessage().endsWith("CUBLAS_STATUS_EXECUTION_FAILED (13)"), e.getMessage());
    }
    int ignored = (int) failNext.invokeExact(1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> blas.prepare(78));
    assertEquals("cuBLAS call cublasCreate_v2 failed: CUBLAS_STATUS_NOT_INITIALIZED (1)",
        e.getMessage());
    blas.prepare(78); // a failed creation is not remembered: the next call tries again
  }

  @Test
  void theSelfTestPassesThroughTheBinding() {
    CublasFfm blas = stub(false);
    try (Arena arena = Arena.ofShared()) {
      List<MemorySegment> made = new ArrayList<>();
      BlasSelfTest.Scratch host = new BlasSelfTest.Scratch() {
        @Override
        public long upload(boolean single, double[] values) {
          MemorySegment s = put(arena, single, values);
          made.add(s);
          return s.address();
        }

        @Override
        public double[] download(boolean single, long address, int n) {
          for (MemorySegment s : made) {
            if (s.address() == address) {
              return get(s, single, n);
            }
          }
          throw new AssertionError("no buffer at " + address);
        }

        @Override
        public void close() {}
      };
      assertNull(BlasSelfTest.run(blas, 9, host));
      BlasProviders.Devices devices = new BlasProviders.Devices();
      BlasProviders.Selection s = BlasProviders.select(null, 25,
          () -> new BlasProviders.Probe(null, "libcublas.so.12 not found"),
          () -> new BlasProviders.Probe(blas, null));
      assertEquals(blas, devices.usable(s, 9, "fake:0", () -> host));
    }
  }

  // ---- host memory standing for device memory -----------------------------------------------

  private static double[] randoms(Random r, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextInt(9) - 4; // small integers: exact in float and double
    }
    return v;
  }

  private static MemorySegment put(Arena arena, boolean single, double[] v) {
    MemorySegment s = arena.allocate(Math.max(1, v.length) * (single ? 4L : 8L), 8);
    for (int i = 0; i < v.length; i++) {
      if (single) {
        s.setAtIndex(JAVA_FLOAT, i, (float) v[i]);
      } else {
        s.setAtIndex(JAVA_DOUBLE, i, v[i]);
      }
    }
    return s;
  }

  private static double[] get(MemorySegment s, boolean single, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = single ? s.getAtIndex(JAVA_FLOAT, i) : s.getAtIndex(JAVA_DOUBLE, i);
    }
    return v;
  }
}
