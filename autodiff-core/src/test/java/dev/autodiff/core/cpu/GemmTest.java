package dev.autodiff.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same cases against every GEMM provider present (the native one is skipped where it did not
 * load, except on linux-x86_64, where {@link #nativeBlasLoadsOnLinuxX86_64} makes that a failure),
 * compared with a naive triple loop in double precision.
 */
class GemmTest {

  /** m, n, k: tiny, odd, around the Java kernel's 4-deep unroll, its KC and NB blocks, and large
   *  enough to run in parallel. */
  private static final int[][] SHAPES = {
      {1, 1, 1}, {1, 7, 3}, {5, 1, 6}, {3, 5, 7}, {4, 4, 4}, {17, 13, 9}, {2, 3, 130},
      {33, 70, 129}, {130, 67, 300}, {5, 600, 40}, {600, 3, 20}, {70, 530, 257}, {2, 2, 1000},
  };

  /** alpha, beta: plain, scaled, accumulating, and alpha 0 (C = beta C without reading A, B). */
  private static final double[][] SCALINGS = {
      {1, 0}, {0.5, -1.5}, {-2, 1}, {0, 2}, {0, 0},
  };

  static Stream<String> providers() {
    return Stream.of("java", "native");
  }

  static Stream<Arguments> providersAndTransposes() {
    List<Arguments> all = new ArrayList<>();
    for (String p : List.of("java", "native")) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          all.add(Arguments.of(p, ta, tb));
        }
      }
    }
    return all.stream();
  }

  private static Gemm provider(String name) {
    if (name.equals("java")) {
      return Blas.javaFallback();
    }
    assumeTrue(Blas.nativeBlas().isPresent(), () -> "native BLAS absent: " + Blas.nativeStatus());
    return Blas.nativeBlas().get();
  }

  // ---------------------------------------------------------------------------------------------
  // the main comparison

  @ParameterizedTest(name = "{0} transA={1} transB={2}")
  @MethodSource("providersAndTransposes")
  void sgemmMatchesNaiveProductWithOffsetsStridesAndScaling(String name, boolean ta, boolean tb) {
    Gemm gemm = provider(name);
    Random rnd = new Random(42);
    for (int[] s : SHAPES) {
      for (double[] ab : SCALINGS) {
        Problem p = Problem.random(rnd, ta, tb, s[0], s[1], s[2], ab[0], ab[1]);
        float[] a = p.floats(p.a);
        float[] b = p.floats(p.b);
        float[] c = p.floats(p.c);
        gemm.sgemm(ta, tb, p.m, p.n, p.k, (float) p.alpha, a, p.aOff, p.lda,
            b, p.bOff, p.ldb, (float) p.beta, c, p.cOff, p.ldc);
        p.check(name + " sgemm", asDoubles(c), 0x1p-24);
      }
    }
  }

  @ParameterizedTest(name = "{0} transA={1} transB={2}")
  @MethodSource("providersAndTransposes")
  void dgemmMatchesNaiveProductWithOffsetsStridesAndScaling(String name, boolean ta, boolean tb) {
    Gemm gemm = provider(name);
    Random rnd = new Random(7);
    for (int[] s : SHAPES) {
      for (double[] ab : SCALINGS) {
        Problem p = Problem.random(rnd, ta, tb, s[0], s[1], s[2], ab[0], ab[1]);
        double[] c = p.c.clone();
        gemm.dgemm(ta, tb, p.m, p.n, p.k, p.alpha, p.a.clone(), p.aOff, p.lda,
            p.b.clone(), p.bOff, p.ldb, p.beta, c, p.cOff, p.ldc);
        p.check(name + " dgemm", c, 0x1p-53);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // edge cases

  @ParameterizedTest
  @MethodSource("providers")
  void kZeroScalesCByBetaWithoutReadingAOrB(String name) {
    Gemm gemm = provider(name);
    float[] c = {1, 2, 3, 4, 5, 6, 99};
    gemm.sgemm(false, false, 2, 3, 0, 1f, new float[0], 0, 0, new float[0], 0, 3,
        2f, c, 0, 3);
    assertArrayEquals(new float[] {2, 4, 6, 8, 10, 12, 99}, c);
    double[] d = {1, 2, 3, 4, 5, 6};
    gemm.dgemm(true, true, 3, 2, 0, 1d, null, 0, 0, null, 0, 0, 0d, d, 0, 2);
    assertArrayEquals(new double[6], d);
  }

  @ParameterizedTest
  @MethodSource("providers")
  void emptyOutputIsANoOp(String name) {
    Gemm gemm = provider(name);
    float[] c = {5};
    gemm.sgemm(false, false, 0, 3, 4, 1f, new float[0], 0, 4, new float[12], 0, 3, 0f, c, 0, 3);
    gemm.sgemm(false, false, 3, 0, 4, 1f, new float[12], 0, 4, new float[0], 0, 0, 0f, c, 0, 0);
    assertArrayEquals(new float[] {5}, c);
    double[] d = {5};
    gemm.dgemm(true, true, 0, 0, 0, 1d, null, 0, 0, null, 0, 0, 0d, d, 0, 0);
    assertArrayEquals(new double[] {5}, d);
  }

  @ParameterizedTest
  @MethodSource("providers")
  void betaZeroOverwritesNaNInC(String name) {
    Gemm gemm = provider(name);
    float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
    gemm.sgemm(false, false, 2, 2, 2, 1f, new float[] {1, 2, 3, 4}, 0, 2,
        new float[] {5, 6, 7, 8}, 0, 2, 0f, c, 0, 2);
    assertArrayEquals(new float[] {19, 22, 43, 50}, c);
    double[] d = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
    gemm.dgemm(false, false, 2, 2, 2, 1d, new double[] {1, 2, 3, 4}, 0, 2,
        new double[] {5, 6, 7, 8}, 0, 2, 0d, d, 0, 2);
    assertArrayEquals(new double[] {19, 22, 43, 50}, d);
  }

  @ParameterizedTest
  @MethodSource("providers")
  void rejectsBadArgumentsWithAMessageNamingTheMatrix(String name) {
    Gemm gemm = provider(name);
    float[] a = new float[6];
    float[] b = new float[6];
    float[] c = new float[4];
    // A is 2 x 3: a row stride of 2 is too short
    var e = assertThrows(IllegalArgumentException.class,
        () -> gemm.sgemm(false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2));
    assertTrue(e.getMessage().contains("sgemm") && e.getMessage().contains("A"), e.getMessage());
    // B (3 x 2) from offset 1 overruns its array
    e = assertThrows(IllegalArgumentException.class,
        () -> gemm.sgemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 1, 2, 0f, c, 0, 2));
    assertTrue(e.getMessage().contains("B"), e.getMessage());
    // C too small
    e = assertThrows(IllegalArgumentException.class,
        () -> gemm.dgemm(false, false, 2, 2, 3, 1d, new double[6], 0, 3, new double[6], 0, 2,
            0d, new double[3], 0, 2));
    assertTrue(e.getMessage().contains("dgemm") && e.getMessage().contains("C"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> gemm.sgemm(false, false, -1, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2));
    assertThrows(IllegalArgumentException.class,
        () -> gemm.sgemm(false, false, 2, 2, 3, 1f, a, -1, 3, b, 0, 2, 0f, c, 0, 2));
    assertThrows(IllegalArgumentException.class,
        () -> gemm.sgemm(false, false, 2, 2, 3, 1f, null, 0, 3, b, 0, 2, 0f, c, 0, 2));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void nativeAndJavaAgreeOnALargeProduct(boolean trans) {
    Gemm nat = provider("native");
    int n = 300;
    Random rnd = new Random(3);
    float[] a = new float[n * n];
    float[] b = new float[n * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rnd.nextGaussian();
      b[i] = (float) rnd.nextGaussian();
    }
    float[] c1 = new float[n * n];
    float[] c2 = new float[n * n];
    nat.sgemm(trans, !trans, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c1, 0, n);
    Blas.javaFallback().sgemm(trans, !trans, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c2, 0, n);
    for (int i = 0; i < c1.length; i++) {
      assertEquals(c1[i], c2[i], 1e-3, "element " + i);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // the provider choice

  @Test
  void nativeBlasLoadsOnLinuxX86_64() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    assumeTrue(os.startsWith("linux") && arch.equals("amd64"),
        "the bundled OpenBLAS is linux-x86_64 only");
    assertTrue(Blas.nativeBlas().isPresent(),
        () -> "native BLAS did not load on linux-x86_64 (a silent fallback to the slow path): "
            + Blas.nativeStatus());
    assertTrue(Blas.nativeBlas().get().name().contains("JNIBLAS"), Blas.nativeBlas().get().name());
  }

  @Test
  void gemmIsTheNativeProviderUnlessForcedToJava() {
    boolean forced = "java".equalsIgnoreCase(System.getProperty(Blas.PROPERTY, "").trim());
    Gemm expected = forced ? Blas.javaFallback()
        : Blas.nativeBlas().orElse(Blas.javaFallback());
    assertSame(expected, Blas.gemm(), Blas.description());
    assertTrue(Blas.description().startsWith(Blas.gemm().name()), Blas.description());
  }

  @Test
  void javaPropertyForcesTheFallbackWithoutProbingNative() {
    Blas.Selection s = Blas.select(" java ", () -> fail("native must not be probed"));
    assertSame(Blas.javaFallback(), s.gemm());
    assertTrue(s.description().contains("-Dautodiff.blas=java"), s.description());
  }

  @Test
  void failedNativeLoadFallsBackAndSaysWhy() {
    Blas.Selection s = Blas.select("", () -> new Blas.Probe(null, "no binary for riscv"));
    assertSame(Blas.javaFallback(), s.gemm());
    assertTrue(s.description().contains("did not load: no binary for riscv"), s.description());
    assertTrue(s.fellBack(), "a fallback is logged as a warning");

    Gemm fake = Blas.javaFallback();
    s = Blas.select("auto", () -> new Blas.Probe(fake, "fake"));
    assertSame(fake, s.gemm());
    assertFalse(s.fellBack(), "the native choice is logged at debug level only");
    s = Blas.select("mkl", () -> new Blas.Probe(fake, "fake"));
    assertTrue(s.description().contains("unknown -Dautodiff.blas=mkl"), s.description());
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private static double[] asDoubles(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }

  /**
   * One GEMM with its operands stored row-major at random offsets with padded row strides, in
   * arrays with slack at the end. Values are small so that float inputs are exact.
   */
  private static final class Problem {
    final boolean ta;
    final boolean tb;
    final int m;
    final int n;
    final int k;
    final double alpha;
    final double beta;
    final int aOff;
    final int lda;
    final int bOff;
    final int ldb;
    final int cOff;
    final int ldc;
    final double[] a;
    final double[] b;
    final double[] c;

    private Problem(Random rnd, boolean ta, boolean tb, int m, int n, int k,
        double alpha, double beta) {
      this.ta = ta;
      this.tb = tb;
      this.m = m;
      this.n = n;
      this.k = k;
      this.alpha = alpha;
      this.beta = beta;
      int aRows = ta ? k : m;
      int aCols = ta ? m : k;
      int bRows = tb ? n : k;
      int bCols = tb ? k : n;
      aOff = rnd.nextInt(5);
      lda = aCols + rnd.nextInt(3);
      bOff = rnd.nextInt(5);
      ldb = bCols + rnd.nextInt(3);
      cOff = rnd.nextInt(5);
      ldc = n + rnd.nextInt(3);
      a = fill(rnd, aOff + (aRows - 1) * lda + aCols + rnd.nextInt(3));
      b = fill(rnd, bOff + (bRows - 1) * ldb + bCols + rnd.nextInt(3));
      c = fill(rnd, cOff + (m - 1) * ldc + n + rnd.nextInt(3));
      if (beta == 0) {
        // BLAS semantics: with beta 0, C is not read, so NaNs in it must not leak.
        for (int i = 0; i < m; i++) {
          Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, Double.NaN);
        }
      }
    }

    static Problem random(Random rnd, boolean ta, boolean tb, int m, int n, int k,
        double alpha, double beta) {
      return new Problem(rnd, ta, tb, m, n, k, alpha, beta);
    }

    private static double[] fill(Random rnd, int len) {
      double[] x = new double[len];
      for (int i = 0; i < len; i++) {
        x[i] = rnd.nextInt(2001) / 1000.0 - 1; // in [-1, 1], exact in float to 1e-3 steps
        x[i] = (float) x[i];
      }
      return x;
    }

    float[] floats(double[] x) {
      float[] f = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        f[i] = (float) x[i];
      }
      return f;
    }

    double opA(int i, int p) {
      return ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
    }

    double opB(int p, int j) {
      return tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
    }

    /**
     * Compares every element of {@code got} with the naive product: inside the C block within
     * a rounding bound of {@code (k + 2) * unit * (|alpha| sum |a b| + |beta c|)}, outside it
     * bit for bit unchanged.
     */
    void check(String what, double[] got, double unit) {
      double[] expected = c.clone();
      double[] bound = new double[c.length];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double sum = 0;
          double abs = 0;
          for (int p = 0; p < k; p++) {
            double t = opA(i, p) * opB(p, j);
            sum += t;
            abs += Math.abs(t);
          }
          int at = cOff + i * ldc + j;
          double old = beta == 0 ? 0 : beta * c[at];
          expected[at] = (alpha == 0 ? 0 : alpha * sum) + old;
          bound[at] = 2 * (k + 2) * unit * (Math.abs(alpha) * abs + Math.abs(old)) + 1e-30;
        }
      }
      String where = what + " transA=" + ta + " transB=" + tb + " m=" + m + " n=" + n + " k="
          + k + " alpha=" + alpha + " beta=" + beta + " offsets " + aOff + "," + bOff + ","
          + cOff + " strides " + lda + "," + ldb + "," + ldc;
      for (int i = 0; i < c.length; i++) {
        if (bound[i] == 0) {
          if (Double.doubleToLongBits(got[i]) != Double.doubleToLongBits(expected[i])) {
            fail(where + ": wrote outside the C block at index " + i);
          }
        } else if (!(Math.abs(got[i] - expected[i]) <= bound[i])) {
          fail(where + ": C[" + (i - cOff) / ldc + "][" + (i - cOff) % ldc + "] = " + got[i]
              + ", expected " + expected[i] + " +- " + bound[i]);
        }
      }
    }
  }
}
