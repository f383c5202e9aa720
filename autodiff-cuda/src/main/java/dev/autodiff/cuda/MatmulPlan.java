package dev.autodiff.cuda;

import dev.autodiff.core.Shape;
import java.util.Arrays;

/**
 * How a batched product becomes kernel launches: a stack of row-major matrices times one matrix
 * is one taller product; batches at evenly spaced offsets are one launch over the grid's z axis;
 * any other broadcast of the batch axes is one launch per batch.
 */
final class MatmulPlan {
  /** Rows of each launched product. */
  final int m;
  /** Batches of the z axis (1 when {@link #launches} is set). */
  final int batches;
  final long aStart;
  final long aStride;
  final long bStart;
  final long bStride;
  /** Pairs of (a, b) element offsets, one launch each; null when the batches are uniform. */
  final long[] launches;

  private MatmulPlan(int m, int batches, long aStart, long aStride, long bStart, long bStride,
      long[] launches) {
    this.m = m;
    this.batches = batches;
    this.aStart = aStart;
    this.aStride = aStride;
    this.bStart = bStart;
    this.bStride = bStride;
    this.launches = launches;
  }

  /**
   * The plan for per-batch element offsets of a and b.
   *
   * @param flattenable true when b is one matrix and a is not transposed, so that evenly stacked
   *     a matrices are the rows of a single product
   * @param m rows of each product
   * @param k the inner size (a's matrices are m x k when flattenable)
   */
  static MatmulPlan of(long[] aOff, long[] bOff, boolean flattenable, int m, int k) {
    int batches = aOff.length;
    long aStride = batches > 1 ? aOff[1] - aOff[0] : 0;
    long bStride = batches > 1 ? bOff[1] - bOff[0] : 0;
    boolean uniform = true;
    for (int i = 0; i < batches && uniform; i++) {
      uniform = aOff[i] == aOff[0] + i * aStride && bOff[i] == bOff[0] + i * bStride;
    }
    if (uniform && flattenable && bStride == 0 && aStride == (long) m * k
        && (long) batches * m <= Integer.MAX_VALUE) {
      return new MatmulPlan(batches * m, 1, aOff[0], 0, bOff[0], 0, null);
    }
    if (uniform) {
      return new MatmulPlan(m, batches, aOff[0], aStride, bOff[0], bStride, null);
    }
    long[] pairs = new long[2 * batches];
    for (int i = 0; i < batches; i++) {
      pairs[2 * i] = aOff[i];
      pairs[2 * i + 1] = bOff[i];
    }
    return new MatmulPlan(m, 1, 0, 0, 0, 0, pairs);
  }

  /** For each batch index of {@code batch}, the element offset of in's matrix (broadcast). */
  static long[] batchOffsets(Shape in, Shape batch) {
    Shape inBatch = Shape.of(Arrays.copyOf(in.toArray(), in.rank() - 2));
    long mat = (long) in.size(-2) * in.size(-1);
    int[] layout = CudaLayout.broadcast(batch, inBatch);
    long[] off = new long[(int) batch.numel()];
    for (int i = 0; i < off.length; i++) {
      off[i] = CudaLayout.offsetOf(layout, 0, i) * mat;
    }
    return off;
  }

  /**
   * The scalar kernels' tile edge: 128 when such tiles still give at least half the
   * multiprocessors a block (a 128 tile does four times a 64 tile's work, more efficiently), else
   * 64. On an H100 this picked the faster of the two on every shape timed (BENCHMARKS.md); the
   * float4 kernel, where the operands allow it, beat both and is always 128.
   */
  static int tile(int m, int n, int batches, int multiprocessors) {
    long big = (long) Geometry.tiles(m, 128) * Geometry.tiles(n, 128) * batches;
    return 2 * big >= multiprocessors ? 128 : 64;
  }

  /** The least depth of a slice of k worth a block of its own. */
  static final int MIN_SLICE = 64;

  /**
   * Slices to cut k into for a single m x n product whose 128-wide output tiles give fewer than
   * half the multiprocessors a block (MNIST's layers, a classifier's last layer, where one block
   * would walk all of k while most of the GPU idles): about one block per multiprocessor in all,
   * each slice at least {@link #MIN_SLICE} deep, and k a whole number of slices of a multiple of
   * four (so the float4 kernel still applies). 1: no split.
   */
  static int kSlices(int m, int n, int k, int multiprocessors) {
    long blocks = (long) Geometry.tiles(m, 128) * Geometry.tiles(n, 128);
    if (2 * blocks >= multiprocessors || k < 2 * MIN_SLICE) {
      return 1;
    }
    long want = Math.min(k / MIN_SLICE, (multiprocessors + blocks - 1) / blocks);
    for (int s = (int) want; s > 1; s--) {
      if (k % s == 0 && (k / s) % 4 == 0) {
        return s;
      }
    }
    return 1;
  }

  /**
   * True when a float32 product may use the float4 kernel (matmul_f32_128v): every load it makes
   * along a contiguous axis covers four whole floats at a 16-byte aligned address. Offsets and
   * strides are in elements; storages start 256-byte aligned (cuMemAlloc).
   */
  static boolean vectorizable(int m, int n, int k, int lda, int ldb, boolean transA,
      boolean transB, long aAt, long bAt, long aStride, long bStride) {
    boolean rows = lda % 4 == 0 && ldb % 4 == 0 && n % 4 == 0; // n is also C's row stride
    boolean alongA = transA ? m % 4 == 0 : k % 4 == 0; // A's vectors run along i or k
    boolean alongB = transB ? k % 4 == 0 : true; // B's along k, or along j (n % 4 == 0)
    boolean aligned = aAt % 4 == 0 && bAt % 4 == 0 && aStride % 4 == 0 && bStride % 4 == 0;
    return rows && alongA && alongB && aligned;
  }

  /** True for a permutation that swaps the last two axes and keeps the others. */
  static boolean swapsLastTwo(int[] perm) {
    int r = perm.length;
    if (r < 2 || perm[r - 2] != r - 1 || perm[r - 1] != r - 2) {
      return false;
    }
    for (int i = 0; i < r - 2; i++) {
      if (perm[i] != i) {
        return false;
      }
    }
    return true;
  }
}
