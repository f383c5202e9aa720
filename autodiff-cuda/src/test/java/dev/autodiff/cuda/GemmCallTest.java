package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The row-major to column-major mapping of {@link GemmCall#rowMajor}, run on {@link HostBlas}
 * (cuBLAS's semantics and argument checks on host arrays) and compared with the row-major product
 * written out directly: transposes, padded leading dimensions, offsets, broadcast operands and gaps
 * between batches.
 */
class GemmCallTest {
  /** One row-major product's layout, in elements. */
  private record Layout(boolean single, boolean transA, boolean transB, int m, int n, int k,
      int lda, int ldb, int ldc, long strideA, long strideB, long strideC, int batches) {
    int aLength() {
      return (int) (strideA * (batches - 1) + (long) (transA ? k : m) * lda);
    }

    int bLength() {
      return (int) (strideB * (batches - 1) + (long) (transB ? n : k) * ldb);
    }

    int cLength() {
      return (int) (strideC * (batches - 1) + (long) m * ldc);
    }
  }

  private static Layout randomLayout(Random r) {
    boolean transA = r.nextBoolean();
    boolean transB = r.nextBoolean();
    int m = 1 + r.nextInt(6);
    int n = 1 + r.nextInt(6);
    int k = 1 + r.nextInt(6);
    int lda = (transA ? m : k) + r.nextInt(3);
    int ldb = (transB ? k : n) + r.nextInt(3);
    int ldc = n + r.nextInt(3);
    int batches = 1 + r.nextInt(4);
    long aSize = (long) (transA ? k : m) * lda;
    long bSize = (long) (transB ? n : k) * ldb;
    // 0 broadcasts an operand over the batches; otherwise at least one matrix apart, maybe more.
    long strideA = r.nextInt(4) == 0 ? 0 : aSize + r.nextInt(3);
    long strideB = r.nextInt(4) == 0 ? 0 : bSize + r.nextInt(3);
    long strideC = (long) m * ldc + r.nextInt(3);
    return new Layout(r.nextBoolean(), transA, transB, m, n, k, lda, ldb, ldc, strideA, strideB,
        strideC, batches);
  }

  /** Runs {@code t} through {@code call} on host memory and checks all of C, gaps included. */
  private static void check(HostBlas blas, Layout t, Random r, String what) {
    int w = t.single() ? 4 : 8;
    double[] mem = blas.memory(t.single());
    int aOffset = r.nextInt(3); // an operand need not start a buffer
    long a = blas.allocate(t.aLength() + aOffset) + (long) aOffset * w;
    long b = blas.allocate(t.bLength());
    long c = blas.allocate(t.cLength());
    int ai = HostBlas.index(a, w);
    int bi = HostBlas.index(b, w);
    int ci = HostBlas.index(c, w);
    for (int i = 0; i < t.aLength(); i++) {
      mem[ai + i] = r.nextInt(9) - 4;
    }
    for (int i = 0; i < t.bLength(); i++) {
      mem[bi + i] = r.nextInt(9) - 4;
    }
    for (int i = 0; i < t.cLength(); i++) {
      mem[ci + i] = Double.NaN; // beta = 0: garbage in C must not matter
    }
    double[] want = new double[t.cLength()];
    java.util.Arrays.fill(want, Double.NaN);
    for (int z = 0; z < t.batches(); z++) {
      for (int i = 0; i < t.m(); i++) {
        for (int j = 0; j < t.n(); j++) {
          double s = 0;
          for (int q = 0; q < t.k(); q++) {
            // Row-major: A[i][q] at i * lda + q, or A^T's [i][q] = A[q][i] at q * lda + i.
            double x = mem[(int) (ai + z * t.strideA()
                + (t.transA() ? (long) q * t.lda() + i : (long) i * t.lda() + q))];
            double y = mem[(int) (bi + z * t.strideB()
                + (t.transB() ? (long) j * t.ldb() + q : (long) q * t.ldb() + j))];
            s += x * y;
          }
          want[(int) (z * t.strideC() + (long) i * t.ldc() + j)] = s;
        }
      }
    }
    blas.run(0, GemmCall.rowMajor(t.single(), t.transA(), t.transB(), t.m(), t.n(), t.k(), 1, a,
        t.lda(), t.strideA(), b, t.ldb(), t.strideB(), 0, c, t.ldc(), t.strideC(), t.batches()));
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], mem[ci + i], what + " " + t + ": element " + i + " of C");
    }
  }

  @Test
  void rowMajorProductsMatchTheDirectDefinition() {
    Random r = new Random(42);
    for (int trial = 0; trial < 500; trial++) {
      check(new HostBlas(1 << 14), randomLayout(r), r, "trial " + trial);
    }
  }

  @Test
  void everyTransposeCombinationWithPadding() {
    Random r = new Random(7);
    for (boolean single : new boolean[] {true, false}) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          int m = 3;
          int n = 5;
          int k = 4;
          int lda = (ta ? m : k) + 2;
          int ldb = (tb ? k : n) + 1;
          int ldc = n + 3;
          Layout t = new Layout(single, ta, tb, m, n, k, lda, ldb, ldc,
              (long) (ta ? k : m) * lda + 1, 0, (long) m * ldc + 2, 3);
          check(new HostBlas(1 << 12), t, r, "ta " + ta + ", tb " + tb);
        }
      }
    }
  }

  @Test
  void theSwapIsNeeded() {
    // The same arguments passed to a column-major BLAS unswapped give another product (or a
    // rejected leading dimension): the test above would see a wrong mapping.
    Random r = new Random(3);
    Layout t = new Layout(false, false, false, 2, 3, 4, 4, 3, 3, 0, 0, 0, 1);
    HostBlas unswapped = new HostBlas(1 << 12, g -> new GemmCall(g.single(), g.transB(),
        g.transA(), g.n(), g.m(), g.k(), g.alpha(), g.b(), g.ldb(), g.strideB(), g.a(), g.lda(),
        g.strideA(), g.beta(), g.c(), g.ldc(), g.strideC(), g.batches()));
    Throwable e = assertThrows(Throwable.class, () -> check(unswapped, t, r, "unswapped"));
    assertTrue(e instanceof AssertionError || e instanceof IllegalStateException, e::toString);
  }

  @Test
  void mappingSwapsOperandsAndSizesAndKeepsFlags() {
    GemmCall g = GemmCall.rowMajor(true, true, false, 2, 3, 4, 1, 0x100, 4, 8, 0x200, 5, 0,
        0, 0x300, 3, 6, 2);
    assertEquals(new GemmCall(true, false, true, 3, 2, 4, 1, 0x200, 5, 0, 0x100, 4, 8, 0, 0x300,
        3, 6, 2), g);
  }

  @Test
  void javadocExampleIsWhatToStringPrints() {
    GemmCall g = GemmCall.rowMajor(true, false, true, 2, 3, 4, 1, 0x100, 4, 0, 0x200, 4, 0, 0,
        0x300, 3, 0, 1);
    assertEquals("GemmCall[single=true, transA=true, transB=false, m=3, n=2, k=4, alpha=1.0,"
        + " a=512, lda=4, strideA=0, b=256, ldb=4, strideB=0, beta=0.0, c=768, ldc=3, strideC=0,"
        + " batches=1]", g.toString());
  }

  @Test
  void batchSlicesMoveTheAddressesByWholeStrides() {
    GemmCall g = GemmCall.rowMajor(false, false, false, 2, 3, 4, 1, 1000, 4, 8, 5000, 3, 0, 0,
        9000, 3, 6, 10);
    GemmCall s = g.batches(4, 3);
    assertEquals(3, s.batches());
    assertEquals(g.a() + 4 * g.strideA() * 8, s.a());
    assertEquals(g.b() + 4 * g.strideB() * 8, s.b());
    assertEquals(g.c() + 4 * g.strideC() * 8, s.c());
    assertEquals(g.strideA(), s.strideA());
    assertThrows(IllegalArgumentException.class, () -> g.batches(8, 3));
    assertThrows(IllegalArgumentException.class, () -> g.batches(0, 0));

    // Slices run one after another give the whole product.
    Layout t = new Layout(true, true, true, 3, 2, 4, 5, 6, 2, 21, 13, 7, 5);
    List<Integer> sizes = new ArrayList<>();
    HostBlas split = new HostBlas(1 << 12) {
      @Override
      public void run(long stream, GemmCall call) {
        call.inCallsOf(2, g -> {
          sizes.add(g.batches());
          super.run(stream, g);
        });
      }
    };
    check(split, t, new Random(11), "sliced");
    assertEquals(List.of(2, 2, 1), sizes);

    List<GemmCall> whole = new ArrayList<>();
    g.inCallsOf(10, whole::add);
    assertEquals(List.of(g), whole, "a product small enough is one call, itself");
  }

  @Test
  void inconsistentRowMajorArgumentsAreRejectedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GemmCall.rowMajor(true, false, false, 2, 3, 4, 1, 0, 3, 0, 0, 3, 0, 0, 0, 3, 0, 1));
    assertTrue(e.getMessage().contains("lda = 3 is less than 4"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> GemmCall.rowMajor(true, true, false, 2, 3, 4, 1, 0, 1, 0, 0, 3, 0, 0, 0, 3, 0, 1));
    assertTrue(e.getMessage().contains("lda = 1 is less than 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> GemmCall.rowMajor(true, false, true, 2, 3, 4, 1, 0, 4, 0, 0, 3, 0, 0, 0, 3, 0, 1));
    assertTrue(e.getMessage().contains("ldb = 3 is less than 4"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> GemmCall.rowMajor(true, false, false, 2, 3, 4, 1, 0, 4, 0, 0, 3, 0, 0, 0, 2, 0, 1));
    assertTrue(e.getMessage().contains("ldc = 2 is less than 3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> GemmCall.rowMajor(true, false, false, 2, 3, 4, 1, 0, 4, 8, 0, 3, 0, 0, 0, 3, 5, 2));
    assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> GemmCall.rowMajor(true, false, false, 2, 3, 0, 1, 0, 4, 0, 0, 3, 0, 0, 0, 3, 0, 1));
    assertTrue(e.getMessage().contains("k 0"), e.getMessage());
  }
}
