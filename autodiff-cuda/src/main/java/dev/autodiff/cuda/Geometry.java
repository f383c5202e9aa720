package dev.autodiff.cuda;

/**
 * Launch geometry. The kernels loop grid-stride, so any grid is correct; these choices only tune
 * speed: enough blocks to fill every multiprocessor several times over, never more than the
 * elements need, and block sizes the reductions' shared scratch (32 warps at most) allows.
 */
final class Geometry {
  /** Threads per block of the elementwise kernels. */
  static final int THREADS = 256;
  /** Blocks per multiprocessor worth launching before grid-stride loops take over. */
  static final int BLOCKS_PER_SM = 32;
  /** The largest grid y and z extent. */
  static final int MAX_GRID_YZ = 65535;

  private Geometry() {}

  /** Blocks for {@code n} elements, one per element at first, capped by the device's size. */
  static int blocks(long n, int multiprocessors) {
    long want = (n + THREADS - 1) / THREADS;
    return (int) Math.max(1, Math.min(want, (long) multiprocessors * BLOCKS_PER_SM));
  }

  /** Threads of the block that reduces one row of {@code n}: a power of two in [32, 1024]. */
  static int rowThreads(long n) {
    int t = 32;
    while (t < 1024 && t < n) {
      t <<= 1;
    }
    return t;
  }

  /** Blocks for {@code rows} rows, one block each, capped by the device's size. */
  static int rowBlocks(long rows, int multiprocessors) {
    return (int) Math.max(1, Math.min(rows, (long) multiprocessors * BLOCKS_PER_SM));
  }

  /** Rows shorter than this are reduced by one block each. */
  static final int SPLIT_MIN_ROW = 1 << 15;
  /** Elements a block of a split row reduces at least. */
  static final int SPLIT_MIN_CHUNK = 1 << 13;

  /**
   * Chunks to cut each of {@code rows} rows of {@code n} into, a block each: 1 (no split) when
   * the rows alone give every multiprocessor a block or are short; else enough chunks for about
   * two blocks per multiprocessor, none under {@link #SPLIT_MIN_CHUNK} elements, each non-empty.
   */
  static int rowSplits(long rows, long n, int multiprocessors) {
    if (rows >= multiprocessors || n < SPLIT_MIN_ROW) {
      return 1;
    }
    long want = Math.min((2L * multiprocessors + rows - 1) / rows, n / SPLIT_MIN_CHUNK);
    long len = (n + want - 1) / want;
    return (int) Math.max(1, (n + len - 1) / len);
  }

  /** Tiles of {@code tile} covering {@code n}. */
  static int tiles(long n, int tile) {
    return (int) ((n + tile - 1) / tile);
  }
}
