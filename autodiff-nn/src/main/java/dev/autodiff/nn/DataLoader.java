package dev.autodiff.nn;

import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * Mini-batches over a {@link Dataset}. Each {@link #iterator()} is one epoch: every sample
 * appears exactly once (or, with {@link #dropLast(boolean) dropLast}, every sample of the full
 * batches). With a {@link Random} the order is reshuffled each epoch from that generator, so the
 * same seed gives the same sequence of epochs; without one, samples come in dataset order.
 *
 * <pre>{@code
 * for (Batch b : new DataLoader(train, 128, new Random(0))) { ... }
 * }</pre>
 */
public final class DataLoader implements Iterable<Batch> {
  private final Dataset data;
  private final int batchSize;
  private final Random shuffle;
  private boolean dropLast;
  private Device device;

  /** Batches of {@code batchSize} in a new seeded-random order each epoch. */
  public DataLoader(Dataset data, int batchSize, Random shuffleRandom) {
    if (data == null) {
      throw new IllegalArgumentException("data loader: dataset must not be null");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException(
          "data loader: batch size must be at least 1, got " + batchSize);
    }
    this.data = data;
    this.batchSize = batchSize;
    this.shuffle = shuffleRandom;
  }

  /** Batches of {@code batchSize} in dataset order, the same every epoch. */
  public DataLoader(Dataset data, int batchSize) {
    this(data, batchSize, null);
  }

  /** Whether to skip the last batch when it is smaller than the batch size; returns this. */
  public DataLoader dropLast(boolean drop) {
    this.dropLast = drop;
    return this;
  }

  /** Moves each batch to {@code target} (e.g. {@code Device.cuda()}) when made; returns this. */
  public DataLoader to(Device target) {
    if (target == null) {
      throw new IllegalArgumentException("data loader: device must not be null");
    }
    this.device = target;
    return this;
  }

  /** The dataset. */
  public Dataset dataset() {
    return data;
  }

  /** The batch size. */
  public int batchSize() {
    return batchSize;
  }

  /** True when the order is reshuffled each epoch. */
  public boolean isShuffled() {
    return shuffle != null;
  }

  /** The number of batches in one epoch. */
  public int numBatches() {
    long n = data.size();
    return (int) (dropLast ? n / batchSize : (n + batchSize - 1) / batchSize);
  }

  /** The number of samples in one epoch (all of them unless dropLast drops a partial batch). */
  public int numSamples() {
    return dropLast ? numBatches() * batchSize : data.size();
  }

  /** One epoch of batches; a shuffled loader draws a new order here. */
  @Override
  public Iterator<Batch> iterator() {
    int n = data.size();
    long[] order = shuffle != null ? permutation(n, shuffle) : null;
    int batches = numBatches();
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < batches;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException("data loader: the epoch has ended");
        }
        int from = next * batchSize;
        int to = Math.min(n, from + batchSize);
        next++;
        Batch b;
        if (order == null) {
          b = new Batch(fresh(data.x(), from, to), fresh(data.y(), from, to));
        } else {
          long[] idx = new long[to - from];
          System.arraycopy(order, from, idx, 0, idx.length);
          b = data.get(idx);
        }
        if (device != null && !device.equals(b.x().device())) {
          b = new Batch(b.x().to(device), b.y().to(device));
        }
        return b;
      }
    };
  }

  /** Rows [from, to) of t as a tensor the caller may close (slice gives t itself for all rows). */
  private static Tensor fresh(Tensor t, int from, int to) {
    Tensor s = t.slice(0, from, to);
    return s == t ? t.detach() : s;
  }

  /** A uniformly random permutation of {@code 0..n-1} (Fisher-Yates) drawn from {@code random}. */
  static long[] permutation(int n, Random random) {
    long[] p = new long[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      long t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
