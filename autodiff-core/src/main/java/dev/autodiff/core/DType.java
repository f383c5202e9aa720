package dev.autodiff.core;

/**
 * The element type of a tensor. Floating tensors are differentiable; {@link #INT64} holds labels and
 * indices and is never differentiated.
 */
public enum DType {
  FLOAT32("float32", 4),
  FLOAT64("float64", 8),
  INT64("int64", 8);

  private final String label;
  private final int byteSize;

  DType(String label, int byteSize) {
    this.label = label;
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** True for the floating types, the only ones that can require gradients. */
  public boolean isFloating() {
    return this != INT64;
  }

  /**
   * The type both operands of a binary op are converted to, as NumPy and PyTorch promote:
   * float64 wins over float32, and any float wins over int64.
   */
  public static DType promote(DType a, DType b) {
    if (a == b) {
      return a;
    }
    if (a == FLOAT64 || b == FLOAT64) {
      return FLOAT64;
    }
    return FLOAT32;
  }

  /** The NumPy-style name, e.g. {@code float32}. */
  @Override
  public String toString() {
    return label;
  }
}
