package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Shape;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** How batched products become launches. */
class MatmulPlanTest {
  @Test
  void aStackTimesOneMatrixIsOneTallerProduct() {
    Shape batch = Shape.of(4, 3);
    long[] a = MatmulPlan.batchOffsets(Shape.of(4, 3, 5, 7), batch);
    long[] b = MatmulPlan.batchOffsets(Shape.of(7, 2), batch);
    MatmulPlan p = MatmulPlan.of(a, b, true, 5, 7);
    assertEquals(60, p.m);
    assertEquals(1, p.batches);
    assertNull(p.launches);
  }

  @Test
  void evenlySpacedBatchesShareOneLaunch() {
    Shape batch = Shape.of(6);
    long[] a = MatmulPlan.batchOffsets(Shape.of(6, 5, 7), batch);
    long[] b = MatmulPlan.batchOffsets(Shape.of(6, 7, 2), batch);
    MatmulPlan p = MatmulPlan.of(a, b, false, 5, 7);
    assertEquals(5, p.m);
    assertEquals(6, p.batches);
    assertEquals(35, p.aStride);
    assertEquals(14, p.bStride);
    // One matrix broadcast against a batch: stride 0.
    long[] one = MatmulPlan.batchOffsets(Shape.of(5, 7), batch);
    MatmulPlan q = MatmulPlan.of(one, b, false, 5, 7);
    assertEquals(0, q.aStride);
    assertEquals(6, q.batches);
  }

  @Test
  void crossBroadcastBatchesLaunchOncePerBatch() {
    Shape batch = Shape.of(2, 3);
    long[] a = MatmulPlan.batchOffsets(Shape.of(2, 1, 4, 4), batch);
    long[] b = MatmulPlan.batchOffsets(Shape.of(1, 3, 4, 4), batch);
    assertArrayEquals(new long[] {0, 0, 0, 16, 16, 16}, a);
    assertArrayEquals(new long[] {0, 16, 32, 0, 16, 32}, b);
    MatmulPlan p = MatmulPlan.of(a, b, false, 4, 4);
    assertArrayEquals(new long[] {0, 0, 0, 16, 0, 32, 16, 0, 16, 16, 16, 32}, p.launches);
  }

  @Test
  void theFloat4KernelNeedsWholeAlignedVectorsAlongEveryLoadedAxis() {
    assertTrue(MatmulPlan.vectorizable(256, 256, 256, 256, 256, false, false, 0, 0, 0, 0));
    assertTrue(MatmulPlan.vectorizable(256, 128, 64, 256, 64, true, true, 0, 0, 0, 0));
    assertFalse(MatmulPlan.vectorizable(256, 129, 64, 64, 129, false, false, 0, 0, 0, 0),
        "C's rows and B's vectors along j need n % 4 == 0");
    assertFalse(MatmulPlan.vectorizable(256, 128, 62, 62, 128, false, false, 0, 0, 0, 0),
        "A's vectors along k need k % 4 == 0");
    assertTrue(MatmulPlan.vectorizable(256, 128, 62, 256, 128, true, false, 0, 0, 0, 0),
        "a transposed A loads along i");
    assertFalse(MatmulPlan.vectorizable(254, 128, 64, 254, 128, true, false, 0, 0, 0, 0));
    assertFalse(MatmulPlan.vectorizable(256, 128, 64, 64, 128, false, false, 2, 0, 0, 0),
        "an unaligned start");
    assertFalse(MatmulPlan.vectorizable(256, 128, 64, 64, 128, false, false, 0, 0, 0, 6),
        "an unaligned batch stride");
  }

  @Test
  void swapsLastTwoRecognisesOnlyThatPermutation() {
    assertTrue(MatmulPlan.swapsLastTwo(new int[] {1, 0}));
    assertTrue(MatmulPlan.swapsLastTwo(new int[] {0, 1, 3, 2}));
    assertFalse(MatmulPlan.swapsLastTwo(new int[] {1, 0, 2}));
    assertFalse(MatmulPlan.swapsLastTwo(new int[] {0}));
  }

  @Property
  void kIsSlicedOnlyForProductsThatLeaveTheGpuIdleAndIntoWholeAlignedSlices(
      @ForAll @IntRange(min = 1, max = 5000) int m, @ForAll @IntRange(min = 1, max = 5000) int n,
      @ForAll @IntRange(min = 0, max = 1 << 16) int k,
      @ForAll @IntRange(min = 1, max = 200) int sms) {
    int slices = MatmulPlan.kSlices(m, n, k, sms);
    long blocks = (long) Geometry.tiles(m, 128) * Geometry.tiles(n, 128);
    assertTrue(slices >= 1);
    if (2 * blocks >= sms || k < 2 * MatmulPlan.MIN_SLICE) {
      assertEquals(1, slices);
    }
    if (slices > 1) {
      assertEquals(0, k % slices, "k is a whole number of slices");
      assertEquals(0, k / slices % 4, "each slice keeps float4 alignment");
      assertTrue(k / slices >= MatmulPlan.MIN_SLICE, "slices worth a block");
      assertTrue(blocks * slices < sms + blocks, "about one block per multiprocessor");
    }
  }

  @Test
  void theMlpProductsThatStarveAnH100AreSliced() {
    assertEquals(7, MatmulPlan.kSlices(128, 256, 784, 132)); // MNIST's first layer: 112 deep
    assertEquals(16, MatmulPlan.kSlices(1024, 10, 2048, 132)); // the wide net's last layer
    assertEquals(1, MatmulPlan.kSlices(1024, 2048, 2048, 132)); // 128 tiles fill the GPU
    assertEquals(1, MatmulPlan.kSlices(32, 16, 16, 132)); // the tiny net: k too short
  }
}
