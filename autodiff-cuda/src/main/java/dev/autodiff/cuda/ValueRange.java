package dev.autodiff.cuda;

/**
 * Inclusive bounds on the values of an int64 storage, known on the host, so that checking indices
 * against an axis need not read the device back.
 */
record ValueRange(long min, long max) {
  /** The bounds of {@code values}; null when there are none. */
  static ValueRange of(long[] values) {
    if (values.length == 0) {
      return null;
    }
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    for (long v : values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return new ValueRange(lo, hi);
  }

  /** True when every value is an index into an axis of size {@code n}. */
  boolean indexesInto(int n) {
    return min >= 0 && max < n;
  }

  /** Bounds holding both: null when either is unknown. */
  static ValueRange union(ValueRange a, ValueRange b) {
    return a == null || b == null
        ? null : new ValueRange(Math.min(a.min, b.min), Math.max(a.max, b.max));
  }
}
