package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.cuda.BlasProviders.Probe;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.cudaStream_t;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JCublas2 binding of cuBLAS 12, GPU-free: against the stub libcublas (src/test/c) built here
 * with gcc as a versioned {@code libcublas.so.12}, to which JCublas2's real native library then
 * links. It checks what can go wrong without a GPU: finding and preloading the library, the
 * argument order (int leading dimensions, long strides, host scalars), the operand swap end to
 * end, batches split into calls cuBLAS accepts, the stream and math mode given to the handle, and
 * the status names in exceptions. "Device" memory is direct buffers; the stub computes on their
 * host addresses.
 *
 * <p>Runs in a JVM of its own (a surefire execution in the pom): once JCublas2 is bound to the
 * stub, every later probe in that JVM would find it.
 */
class JCublasBlasTest {
  @TempDir static Path dir;
  private static Path stub;
  private static JCublasBlas blas;

  @BeforeAll
  static void buildAndLoadTheStub() throws Exception {
    Path source = StubCublas.source();
    assumeTrue(Files.isRegularFile(source), "no stub source at " + source);
    Path folder = Files.createDirectories(dir.resolve("cuda12"));
    Path versions = Files.writeString(dir.resolve("versions.map"),
        "libcublas.so.12 { global: *; };\n");
    stub = folder.resolve(JCublasBlas.LIBRARY);
    assumeTrue(StubCublas.gcc(source, stub, "-DSTUB_MAJOR=12", "-Wl,-soname,libcublas.so.12",
        "-Wl,--version-script=" + versions), "no C compiler (gcc) to build the stub");
    Probe p = JCublasBlas.probe(folder.toString(), Map.of(), false);
    assertNotNull(p.provider(), p.status());
    blas = (JCublasBlas) p.provider();
  }

  /** A direct buffer standing for device memory, and its address. */
  private static final class Memory {
    final ByteBuffer buffer;
    final long address;
    final boolean single;

    Memory(int elements, boolean single) {
      this.single = single;
      this.buffer = ByteBuffer.allocateDirect(Math.max(1, elements) * (single ? 4 : 8))
          .order(ByteOrder.nativeOrder());
      this.address = addressOf(buffer);
    }

    void put(double[] v) {
      for (int i = 0; i < v.length; i++) {
        if (single) {
          buffer.putFloat(4 * i, (float) v[i]);
        } else {
          buffer.putDouble(8 * i, v[i]);
        }
      }
    }

    double get(int i) {
      return single ? buffer.getFloat(4 * i) : buffer.getDouble(8 * i);
    }
  }

  /** The address of a direct buffer (the pom opens java.nio to these tests for it). */
  private static long addressOf(ByteBuffer b) {
    try {
      Field f = Buffer.class.getDeclaredField("address");
      f.setAccessible(true);
      return f.getLong(b);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void itsNameSaysTheVersionWhereItWasFoundAndThePrecision() {
    assertEquals("cuBLAS 12.9.7 (" + stub + ") through JCublas2, strict FP32", blas.name());
  }

  @Test
  void rowMajorProductsMatchTheHostInBothPrecisions() {
    Random r = new Random(3);
    int[][] sizes = {{1, 1, 1}, {3, 5, 2}, {7, 4, 6}};
    for (boolean single : new boolean[] {true, false}) {
      for (int[] mnk : sizes) {
        for (int variant = 0; variant < 8; variant++) {
          boolean ta = (variant & 1) != 0;
          boolean tb = (variant & 2) != 0;
          int batches = (variant & 4) != 0 ? 3 : 1;
          product(r, single, ta, tb, mnk[0], mnk[1], mnk[2], batches);
        }
      }
    }
  }

  /**
   * One product through the binding: A padded (lda one more than needed), B shared by the batches
   * (stride 0), C with a gap between batches; compared with the row-major definition.
   */
  private static void product(Random r, boolean single, boolean ta, boolean tb, int m, int n,
      int k, int batches) {
    int lda = (ta ? m : k) + 1;
    int ldb = tb ? k : n;
    int aRows = ta ? k : m;
    long strideA = (long) aRows * lda;
    long strideC = (long) m * n + 2;
    double[] a = gaussian(r, (int) (strideA * batches), single);
    double[] b = gaussian(r, (tb ? n : k) * ldb, single);
    Memory ma = new Memory(a.length, single);
    Memory mb = new Memory(b.length, single);
    Memory mc = new Memory((int) (strideC * batches), single);
    ma.put(a);
    mb.put(b);
    double[] nan = new double[(int) (strideC * batches)];
    Arrays.fill(nan, Double.NaN); // beta is 0: C's old contents must not leak in
    mc.put(nan);
    blas.gemm(0, single, ta, tb, m, n, k, ma.address, lda, strideA, mb.address, ldb, 0,
        mc.address, n, strideC, batches);
    String what = (single ? "float32" : "float64") + " " + m + "x" + n + "x" + k + " ta=" + ta
        + " tb=" + tb + " batches=" + batches;
    for (int z = 0; z < batches; z++) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double want = 0;
          for (int p = 0; p < k; p++) {
            double x = ta ? a[(int) (z * strideA) + p * lda + i]
                : a[(int) (z * strideA) + i * lda + p];
            double y = tb ? b[j * ldb + p] : b[p * ldb + j];
            want += x * y;
          }
          double got = mc.get((int) (z * strideC) + i * n + j);
          assertEquals(want, got, single ? 1e-5 * (1 + Math.abs(want)) : 1e-12,
              what + " at z=" + z + " (" + i + ", " + j + ")");
        }
      }
    }
  }

  private static double[] gaussian(Random r, int n, boolean single) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = single ? (float) r.nextGaussian() : r.nextGaussian();
    }
    return v;
  }

  @Test
  void moreBatchesThanCublasTakesAreSplitIntoCalls() {
    int batches = CublasLibrary.MAX_BATCHES + 3;
    Memory a = new Memory(batches, true);
    Memory b = new Memory(1, true);
    Memory c = new Memory(batches, true);
    double[] index = new double[batches];
    for (int z = 0; z < batches; z++) {
      index[z] = z;
    }
    a.put(index);
    b.put(new double[] {2});
    blas.gemm(0, true, false, false, 1, 1, 1, a.address, 1, 1, b.address, 1, 0, c.address, 1, 1,
        batches);
    for (int z = 0; z < batches; z++) {
      assertEquals(2.0 * z, c.get(z), "batch " + z);
    }
  }

  /** A cudaStream_t that tells the handle JCublas2 wrote into it. */
  private static final class StreamOut extends cudaStream_t {
    long value() {
      return getNativePointer();
    }
  }

  @Test
  void theHandleIsBoundToTheStreamWithTheChosenMathMode() {
    cublasHandle h = blas.cublasHandleOn(0);
    StreamOut s = new StreamOut();
    assertEquals(0, JCublas2.cublasGetStream(h, s));
    assertEquals(0, s.value(), "stream 0, the legacy default stream");
    int[] mode = {-1};
    assertEquals(0, JCublas2.cublasGetMathMode(h, mode));
    assertEquals(CublasLibrary.DEFAULT_MATH, mode[0], "strict FP32 by default");

    Probe p = JCublasBlas.probe(stub.getParent().toString(), Map.of(), true);
    JCublasBlas tf32 = (JCublasBlas) p.provider();
    assertNotNull(tf32, p.status());
    assertTrue(tf32.name().endsWith("float32 on TF32 tensor cores (-Dautodiff.cuda.tf32=true)"),
        tf32.name());
    assertEquals(0, JCublas2.cublasGetMathMode(tf32.cublasHandleOn(0), mode));
    assertEquals(CublasLibrary.TF32_TENSOR_OP_MATH, mode[0]);
  }

  @Test
  void aStreamOfNoContextIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> blas.prepare(0x5eed));
    assertEquals("no CUDA context of this process has a stream with handle 0x5eed",
        e.getMessage());
  }

  @Test
  void aRejectedCallNamesTheCallItsArgumentsAndTheStatus() {
    Memory m = new Memory(4, true);
    // Column-major with lda 1 < m 2: cuBLAS answers CUBLAS_STATUS_INVALID_VALUE.
    GemmCall bad = new GemmCall(true, false, false, 2, 2, 2, 1, m.address, 1, 0, m.address, 2, 0,
        0, m.address, 2, 0, 1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> blas.run(0, bad));
    assertEquals("cuBLAS call cublasSgemm_v2 " + bad + " failed: CUBLAS_STATUS_INVALID_VALUE (7)",
        e.getMessage());

    // The same with JCuda's exceptions turned on by the user: still ours, still named.
    JCublas2.setExceptionsEnabled(true);
    try {
      e = assertThrows(IllegalStateException.class, () -> blas.run(0, bad));
      assertTrue(e.getMessage().startsWith("cuBLAS call cublasSgemm_v2 failed: "), e.getMessage());
      assertTrue(e.getMessage().contains("CUBLAS_STATUS_INVALID_VALUE"), e.getMessage());
    } finally {
      JCublas2.setExceptionsEnabled(false);
    }
  }
}
