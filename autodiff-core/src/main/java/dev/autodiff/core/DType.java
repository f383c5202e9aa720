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
    if (a == null || b == null) {
      throw new IllegalArgumentException("promote: dtypes must not be null, got " + a + " and " + b);
    }
    if (a == b) {
      return a;
    }
    if (a == FLOAT64 || b == FLOAT64) {
      return FLOAT64;
    }
    return FLOAT32;
  }

  /**
   * The type of a binary op's result with PyTorch's rule for rank-0 operands: a rank-0 tensor
   * beside a tensor with axes acts like a scalar and decides the type only when it is of a higher
   * category (floating over int64). So float32 [n] with a rank-0 float64 gives float32, int64 [n]
   * with a rank-0 float64 gives float64; operands of equal rank follow {@link #promote}.
   */
  public static DType resultType(DType a, boolean aRank0, DType b, boolean bRank0) {
    if (a == null || b == null) {
      throw new IllegalArgumentException(
          "resultType: dtypes must not be null, got " + a + " and " + b);
    }
    if (aRank0 == bRank0) {
      return promote(a, b);
    }
    DType withAxes = aRank0 ? b : a;
    DType rank0 = aRank0 ? a : b;
    return withAxes.isFloating() || !rank0.isFloating() ? withAxes : rank0;
  }

  /** The NumPy-style name, e.g. {@code float32}. */
  @Override
  public String toString() {
    return label;
  }
}
