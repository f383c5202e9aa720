package dev.autodiff.core.cpu;

/** Where Java's Math differs from C's (and so from PyTorch and CUDA), C's answer. */
final class CMath {
  private CMath() {}

  /**
   * C99's pow: 1 for a base of 1 whatever the exponent, and for -1 to the power of an infinity,
   * where {@link Math#pow} gives NaN. Every other case is Math.pow's.
   */
  static double pow(double a, double b) {
    if (a == 1 || a == -1 && Double.isInfinite(b)) {
      return 1;
    }
    return Math.pow(a, b);
  }
}
