package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Shape;
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
}
