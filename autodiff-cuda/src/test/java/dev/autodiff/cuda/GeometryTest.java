package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** Launch-geometry arithmetic: within the hardware's limits and never wasteful. */
class GeometryTest {
  @Property
  void elementwiseGridsCoverSmallInputsExactlyAndCapLargeOnes(
      @ForAll @LongRange(min = 1, max = 1L << 40) long n,
      @ForAll @IntRange(min = 1, max = 200) int sms) {
    int blocks = Geometry.blocks(n, sms);
    assertTrue(blocks >= 1);
    assertTrue(blocks <= sms * Geometry.BLOCKS_PER_SM);
    assertTrue((long) blocks * Geometry.THREADS < n + Geometry.THREADS, "no idle block");
    if (n <= (long) sms * Geometry.BLOCKS_PER_SM * Geometry.THREADS) {
      assertTrue((long) blocks * Geometry.THREADS >= n, "one thread per element");
    }
  }

  @Property
  void rowBlocksArePowersOfTwoWithinTheScratchOfTheReductions(
      @ForAll @LongRange(min = 0, max = 1L << 32) long n) {
    int t = Geometry.rowThreads(n);
    assertEquals(1, Integer.bitCount(t));
    assertTrue(t >= 32 && t <= 1024, "a whole number of warps, at most 32 of them");
    assertTrue(t >= Math.min(n, 1024));
  }

  @Property
  void longRowsAreSplitIntoNonEmptyChunksOnlyWhenTheRowsLeaveTheGpuIdle(
      @ForAll @LongRange(min = 1, max = 1L << 20) long rows,
      @ForAll @LongRange(min = 1, max = Integer.MAX_VALUE) long n,
      @ForAll @IntRange(min = 1, max = 200) int sms) {
    int splits = Geometry.rowSplits(rows, n, sms);
    assertTrue(splits >= 1);
    if (rows >= sms || n < Geometry.SPLIT_MIN_ROW) {
      assertEquals(1, splits);
      return;
    }
    long len = (n + splits - 1) / splits; // as CudaBackend cuts the rows
    assertTrue((long) (splits - 1) * len < n, "every chunk has elements");
    assertTrue(splits == 1 || len >= Geometry.SPLIT_MIN_CHUNK, "chunks worth a block");
    assertTrue(rows * splits <= 2L * sms + rows, "about two blocks per multiprocessor");
    assertTrue(rows * splits >= Math.min(2L * sms, rows * (n / Geometry.SPLIT_MIN_CHUNK)) / 2,
        "enough blocks to fill the GPU");
  }

  @Test
  void tilesRoundUp() {
    assertEquals(0, Geometry.tiles(0, 32));
    assertEquals(1, Geometry.tiles(1, 32));
    assertEquals(1, Geometry.tiles(32, 32));
    assertEquals(2, Geometry.tiles(33, 32));
    assertEquals(32, Geometry.tiles(4096, 128));
  }

  @Test
  void largeProductsUseBigTilesAndSmallOnesKeepTheDeviceBusy() {
    assertEquals(128, MatmulPlan.tile(4096, 4096, 1, 132));
    assertEquals(128, MatmulPlan.tile(1024, 2048, 1, 132)); // 128 tiles for 132 SMs
    assertEquals(64, MatmulPlan.tile(1024, 1024, 1, 132)); // 64 tiles: half the SMs idle
    assertEquals(64, MatmulPlan.tile(128, 256, 1, 132));
    assertEquals(128, MatmulPlan.tile(128, 256, 100, 132));
  }
}
