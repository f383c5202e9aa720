package dev.autodiff.nn;

import dev.autodiff.core.DType;
import dev.autodiff.core.Tensor;
import java.util.Random;

/**
 * An in-memory dataset: features {@code x} of shape {@code [N, ...]} and targets {@code y} of shape
 * {@code [N, ...]}: int64 class labels {@code [N]} for classification, floating targets (such as
 * {@code [N]} or {@code [N, outputs]} for regression) or anything else with one entry per sample,
 * as PyTorch's {@code TensorDataset}. Immutable; {@link #get(Tensor)} gathers a mini-batch and
 * {@link DataLoader} iterates over mini-batches.
 *
 * <p>Both tensors live on one device: usually the CPU, with each batch moved by {@link
 * DataLoader#to}, or a GPU for a dataset small enough to stay there.
 *
 * <p>The tensors should be made outside any {@code Tensors.scope()} (or kept out of it), since the
 * dataset outlives training steps.
 */
public final class Dataset {
  private final Tensor x;
  private final Tensor y;

  /**
   * A dataset over {@code x} ({@code [N, ...]}) and targets {@code y} ({@code [N, ...]}). Int64
   * targets are class labels; a negative one is taken as a marker, such as the -100 that {@code
   * Losses.crossEntropy().ignoreIndex(-100)} skips (the loss, not the dataset, checks the range).
   */
  public Dataset(Tensor x, Tensor y) {
    if (x == null || y == null) {
      throw new IllegalArgumentException("dataset: x and y must not be null");
    }
    if (x.rank() < 1) {
      throw new IllegalArgumentException(
          "dataset: x must have a sample axis, got shape " + x.shape());
    }
    if (y.rank() < 1) {
      throw new IllegalArgumentException("dataset: y must have a sample axis (one target per"
          + " sample), got shape " + y.shape());
    }
    if (x.size(0) != y.size(0)) {
      throw new IllegalArgumentException("dataset: x has " + x.size(0) + " samples (shape "
          + x.shape() + ") but y has " + y.size(0));
    }
    if (!x.device().equals(y.device())) {
      throw new IllegalArgumentException("dataset: x is on " + x.device() + " but y is on "
          + y.device() + "; move both to one device with to(Device)");
    }
    this.x = x;
    this.y = y;
  }

  /** The features, {@code [N, ...]}. */
  public Tensor x() {
    return x;
  }

  /** The targets, {@code [N, ...]}: int64 labels for classification. */
  public Tensor y() {
    return y;
  }

  /** The number of samples N. */
  public int size() {
    return y.size(0);
  }

  /**
   * One more than the largest label (0 for an empty dataset, or one with only negative markers).
   *
   * @throws IllegalStateException when the targets are not int64 class labels
   */
  public int numClasses() {
    if (y.dtype() != DType.INT64) {
      throw new IllegalStateException("dataset numClasses: the targets are " + y.dtype() + " "
          + y.shape() + ", not int64 class labels");
    }
    long max = -1;
    for (long v : y.toLongArray()) {
      max = Math.max(max, v);
    }
    if (max >= Integer.MAX_VALUE) {
      throw new IllegalStateException("dataset numClasses: label " + max + " is too large for a "
          + "class index (classes must count below " + Integer.MAX_VALUE + ")");
    }
    return (int) (max + 1);
  }

  /**
   * The samples {@code index[0], index[1], ...} (a 1-D int64 tensor on the dataset's device) as a
   * new batch.
   */
  public Batch get(Tensor index) {
    if (index == null) {
      throw new IllegalArgumentException("dataset get: index must not be null");
    }
    if (index.dtype() != DType.INT64) {
      throw new IllegalArgumentException("dataset get: index must be int64 sample numbers, got "
          + index.dtype() + " of shape " + index.shape());
    }
    return new Batch(x.indexSelect(0, index), y.indexSelect(0, index));
  }

  /** The samples at {@code indices} as a new batch; each must be in {@code [0, size())}. */
  public Batch get(long... indices) {
    if (indices == null) {
      throw new IllegalArgumentException("dataset get: indices must not be null");
    }
    for (long i : indices) {
      if (i < 0 || i >= size()) {
        throw new IllegalArgumentException(
            "dataset get: index " + i + " is out of range [0, " + size() + ")");
      }
    }
    // The indices go where the data is (a dataset may live on a GPU); the copy is freed here.
    try (Tensor cpu = Tensor.of(indices); Tensor idx = cpu.to(x.device())) {
      return get(idx);
    }
  }

  /**
   * Samples {@code from} (inclusive) to {@code to} (exclusive) as a new dataset: a copy, except
   * that the whole range returns this dataset's own tensors.
   */
  public Dataset subset(int from, int to) {
    if (from < 0 || to > size() || from > to) {
      throw new IllegalArgumentException("dataset subset: range [" + from + ", " + to
          + ") is not within [0, " + size() + "]");
    }
    return new Dataset(x.slice(0, from, to), y.slice(0, from, to));
  }

  /** This dataset with the features reshaped to {@code [N, features]} (for an MLP). */
  public Dataset flatten() {
    return x.rank() == 2 ? this : new Dataset(x.reshape(size(), -1), y);
  }

  /**
   * Splits the samples at random (seeded) into two datasets, the first with {@code firstSize}
   * samples, e.g. a training and a validation set.
   */
  public Dataset[] split(int firstSize, Random random) {
    if (firstSize < 0 || firstSize > size()) {
      throw new IllegalArgumentException("dataset split: first part of " + firstSize
          + " samples is not within [0, " + size() + "]");
    }
    if (random == null) {
      throw new IllegalArgumentException("dataset split: random must not be null");
    }
    long[] perm = DataLoader.permutation(size(), random);
    long[] a = java.util.Arrays.copyOfRange(perm, 0, firstSize);
    long[] b = java.util.Arrays.copyOfRange(perm, firstSize, perm.length);
    Batch first = get(a);
    Batch second = get(b);
    return new Dataset[] {new Dataset(first.x(), first.y()),
        new Dataset(second.x(), second.y())};
  }

  /**
   * The shapes, e.g. {@code Dataset(x=[60000, 28, 28] float32, y=[60000])} (the targets' dtype
   * shown unless they are int64 labels).
   */
  @Override
  public String toString() {
    return "Dataset(x=" + x.shape() + " " + x.dtype() + ", y=" + y.shape()
        + (y.dtype() == DType.INT64 ? "" : " " + y.dtype()) + ")";
  }
}
