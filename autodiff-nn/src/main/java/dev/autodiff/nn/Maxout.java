package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/**
 * Maxout (Goodfellow et al., 2013): the last axis is cut into groups of {@code pieces} consecutive
 * features and each group gives its maximum, so [..., m * pieces] becomes [..., m]. Put it after a
 * Linear layer with pieces times the wanted width.
 */
public final class Maxout extends Layer {
  private final int pieces;

  /** Groups of {@code pieces} features. */
  public Maxout(int pieces) {
    if (pieces <= 0) {
      throw new IllegalArgumentException("Maxout: pieces must be positive, got " + pieces);
    }
    this.pieces = pieces;
  }

  @Override
  public Tensor forward(Tensor x) {
    if (input(x).rank() == 0 || x.size(-1) % pieces != 0) {
      throw new IllegalArgumentException("Maxout(" + pieces + "): the last axis of shape "
          + x.shape() + " is not a multiple of " + pieces);
    }
    int[] dims = x.shape().toArray();
    int[] grouped = java.util.Arrays.copyOf(dims, dims.length + 1);
    grouped[dims.length - 1] = dims[dims.length - 1] / pieces;
    grouped[dims.length] = pieces;
    return x.reshape(grouped).max(-1);
  }

  @Override
  protected String describe() {
    return "Maxout(" + pieces + ")";
  }
}
