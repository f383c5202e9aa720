package dev.autodiff.core.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Splits large loops over the cores. Small loops run on the caller: forking costs microseconds,
 * which is what a whole small op costs.
 */
final class Parallel {
  /** Elements below which a loop stays on one thread. */
  static final int GRAIN = 1 << 15;

  /** Threads a large loop is split over: the cores, or {@code -Dautodiff.threads=N}. */
  private static final int THREADS = Math.max(1,
      Integer.getInteger("autodiff.threads", Runtime.getRuntime().availableProcessors()));
  private static final ForkJoinPool POOL = ForkJoinPool.commonPool();

  private Parallel() {}

  /** A loop body over {@code [from, to)}. */
  @FunctionalInterface
  interface Range {
    void run(int from, int to);
  }

  /**
   * Runs {@code body} over {@code [0, n)}, split into chunks when {@code n * costPerItem} is large
   * enough to pay for the split.
   */
  static void forRange(int n, long costPerItem, Range body) {
    long work = (long) n * Math.max(1, costPerItem);
    if (THREADS == 1 || n < 2 || work < GRAIN) {
      body.run(0, n);
      return;
    }
    int chunks = (int) Math.min(n, Math.min(THREADS * 4L, work / GRAIN));
    if (chunks < 2) {
      body.run(0, n);
      return;
    }
    POOL.invoke(new Chunk(body, n, chunks, 0, chunks));
  }

  private static final class Chunk extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private final transient Range body;
    private final int n;
    private final int chunks;
    private final int lo;
    private final int hi;

    Chunk(Range body, int n, int chunks, int lo, int hi) {
      this.body = body;
      this.n = n;
      this.chunks = chunks;
      this.lo = lo;
      this.hi = hi;
    }

    @Override
    protected void compute() {
      if (hi - lo == 1) {
        body.run((int) ((long) n * lo / chunks), (int) ((long) n * hi / chunks));
        return;
      }
      int mid = (lo + hi) >>> 1;
      invokeAll(new Chunk(body, n, chunks, lo, mid), new Chunk(body, n, chunks, mid, hi));
    }
  }
}
