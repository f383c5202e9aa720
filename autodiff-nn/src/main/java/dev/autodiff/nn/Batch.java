package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/**
 * One mini-batch from a {@link DataLoader}: features {@code x} ({@code [B, ...]}) and targets
 * {@code y} ({@code [B, ...]}, int64 labels for classification). Both are new tensors; make them
 * inside a {@code Tensors.scope()} (or close them) when memory matters, as on a GPU.
 *
 * @param x the features, the first axis indexing samples
 * @param y the targets, the first axis indexing samples
 */
public record Batch(Tensor x, Tensor y) {
  /** Checks that both tensors are present and hold the same number of samples. */
  public Batch {
    if (x == null || y == null) {
      throw new IllegalArgumentException("batch: x and y must not be null");
    }
    if (x.rank() == 0 || y.rank() == 0 || x.size(0) != y.size(0)) {
      throw new IllegalArgumentException("batch: x " + x.shape() + " and y " + y.shape()
          + " must hold the same number of samples along axis 0");
    }
  }

  /** The number of samples. */
  public int size() {
    return x.size(0);
  }
}
