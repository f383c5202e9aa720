package dev.autodiff.core;

import java.util.Arrays;

/**
 * The immutable extent of a tensor along each axis. A rank-0 shape {@code []} is a scalar.
 *
 * <pre>
 * jshell&gt; Shape.of(2, 3)
 * $1 ==&gt; [2, 3]
 * </pre>
 */
public final class Shape {
  /** The shape of a rank-0 tensor. */
  public static final Shape SCALAR = new Shape(new int[0]);

  private final int[] dims;
  private final long numel;

  private Shape(int[] dims) {
    this.dims = dims;
    long n = 1;
    for (int d : dims) {
      n *= d;
    }
    this.numel = n;
  }

  /** A shape with the given sizes; each must be non-negative. */
  public static Shape of(int... dims) {
    return of("shape", dims);
  }

  /** {@link #of(int...)} with errors naming {@code op}, the method the user called. */
  static Shape of(String op, int... dims) {
    if (dims == null) {
      throw new IllegalArgumentException(op + ": sizes must not be null");
    }
    if (dims.length == 0) {
      return SCALAR;
    }
    for (int d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException(op + ": negative size in " + Arrays.toString(dims));
      }
    }
    if (!fitsAnArray(dims)) {
      throw new IllegalArgumentException(
          op + ": " + Arrays.toString(dims) + " has more elements than a Java array can hold");
    }
    return new Shape(dims.clone());
  }

  /** True when non-negative sizes multiply to at most the largest Java array (no overflow). */
  static boolean fitsAnArray(int[] dims) {
    long n = 1;
    for (int d : dims) {
      if (d == 0) {
        return true;
      }
      n = Math.min(n * d, Integer.MAX_VALUE); // n <= 2^31 and d < 2^31: no long overflow
    }
    return n <= Integer.MAX_VALUE - 8;
  }

  /** Number of axes. */
  public int rank() {
    return dims.length;
  }

  /** Size along {@code axis}; a negative axis counts from the end. */
  public int size(int axis) {
    return dims[axis(axis, "size")];
  }

  /** Number of elements, the product of the sizes (1 for a scalar). */
  public long numel() {
    return numel;
  }

  /** The sizes as a fresh array. */
  public int[] toArray() {
    return dims.clone();
  }

  /**
   * Resolves a possibly negative axis against this rank.
   *
   * @throws IllegalArgumentException naming {@code op}, the axis and the shape when out of range
   */
  public int axis(int axis, String op) {
    int r = dims.length;
    if (axis < -r || axis >= r) {
      throw new IllegalArgumentException(
          op + ": axis " + axis + " is out of range for shape " + this + " (rank " + r + ")");
    }
    return axis < 0 ? axis + r : axis;
  }

  /** Product of the sizes before {@code axis} (0..rank). */
  public int outer(int axis) {
    checkAxis("outer", axis, dims.length);
    int n = 1;
    for (int i = 0; i < axis; i++) {
      n *= dims[i];
    }
    return n;
  }

  /** Product of the sizes after {@code axis} (-1..rank-1). */
  public int inner(int axis) {
    checkAxis("inner", axis + 1, dims.length);
    int n = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      n *= dims[i];
    }
    return n;
  }

  /** This shape with {@code axis} removed, or set to 1 when {@code keep}. */
  public Shape reduce(int axis, boolean keep) {
    return reduce("reduce", axis, keep);
  }

  /**
   * {@link #reduce(int, boolean)} with errors naming {@code op}: reducing an empty axis can leave
   * more elements than an array holds ([0, 65536, 65536] summed over axis 0).
   */
  Shape reduce(String op, int axis, boolean keep) {
    checkAxis(op, axis, dims.length - 1);
    int[] d = new int[keep ? dims.length : dims.length - 1];
    for (int i = 0, j = 0; i < dims.length; i++) {
      if (i != axis) {
        d[j++] = dims[i];
      } else if (keep) {
        d[j++] = 1;
      }
    }
    return numel == 0 ? of(op, d) : new Shape(d);
  }

  /** This shape with the size of {@code axis} replaced. */
  public Shape with(int axis, int size) {
    checkAxis("with", axis, dims.length - 1);
    int[] d = dims.clone();
    d[axis] = size;
    return of(d);
  }

  /** This shape with a size-1 axis inserted at {@code axis} (0..rank). */
  public Shape insert(int axis, int size) {
    checkAxis("insert", axis, dims.length);
    int[] d = new int[dims.length + 1];
    for (int i = 0, j = 0; i < d.length; i++) {
      d[i] = i == axis ? size : dims[j++];
    }
    return of(d);
  }

  /**
   * The NumPy broadcast of two shapes: aligned from the right, each pair of sizes equal or one of
   * them 1.
   *
   * @throws IllegalArgumentException naming {@code op} and both shapes when they do not broadcast
   */
  public static Shape broadcast(String op, Shape a, Shape b) {
    if (a == null || b == null) {
      throw new IllegalArgumentException(op + ": cannot broadcast a null shape");
    }
    if (a.equals(b)) {
      return a;
    }
    int r = Math.max(a.dims.length, b.dims.length);
    int[] out = new int[r];
    for (int i = 0; i < r; i++) {
      int da = i < r - a.dims.length ? 1 : a.dims[i - (r - a.dims.length)];
      int db = i < r - b.dims.length ? 1 : b.dims[i - (r - b.dims.length)];
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(
            op + ": shapes " + a + " and " + b + " cannot be broadcast together");
      }
      out[i] = da == 1 ? db : da;
    }
    if (!fitsAnArray(out)) {
      throw new IllegalArgumentException(op + ": broadcasting " + a + " and " + b + " gives "
          + Arrays.toString(out) + ", more elements than a Java array can hold");
    }
    return new Shape(out);
  }

  /** True when this shape broadcasts to {@code target} without changing {@code target}. */
  public boolean broadcastsTo(Shape target) {
    if (target == null) {
      throw new IllegalArgumentException("broadcastsTo: target shape is null");
    }
    if (dims.length > target.dims.length) {
      return false;
    }
    int off = target.dims.length - dims.length;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] != 1 && dims[i] != target.dims[i + off]) {
        return false;
      }
    }
    return true;
  }

  /** Fails unless 0 &lt;= axis &lt;= max: the helpers above take axes already resolved. */
  private void checkAxis(String helper, int axis, int max) {
    if (axis < 0 || axis > max) {
      throw new IllegalArgumentException("shape " + this + "." + helper + ": axis " + axis
          + " is out of range 0.." + max);
    }
  }

  /** Row-major strides, in elements. */
  public int[] strides() {
    int[] s = new int[dims.length];
    int acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= dims[i];
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Printed as {@code [2, 3]}; a scalar prints {@code []}. */
  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
