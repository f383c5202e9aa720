package dev.autodiff.gradcheck;

import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * jqwik arbitraries for tensor code: shapes, broadcast-compatible shapes, float64 tensors whose
 * values keep to a {@link Domain}, integer labels and valid axes. All are built from jqwik's own
 * combinators, so a failing property shrinks: values toward 0 and, where the failure does not hang
 * on one generated value, shapes toward fewer and smaller axes (the values are drawn for each
 * shape, so a failure that needs one particular value tends to keep its shape).
 *
 * <pre>{@code
 * @Property
 * void tanhIsOdd(@ForAll("values") Tensor x) { ... }
 *
 * @Provide
 * Arbitrary<Tensor> values() {
 *   return TensorArbitraries.tensors(TensorArbitraries.shapes(0, 3, 1, 3), Domain.any());
 * }
 * }</pre>
 */
public final class TensorArbitraries {
  /** Decimal digits of generated values. */
  private static final int DIGITS = 6;
  private static final double SCALE = 1e6;

  private TensorArbitraries() {}

  /** Shapes of rank 0 to 4 with sizes 0 to 4 (size-1 and size-0 axes included). */
  public static Arbitrary<Shape> shapes() {
    return shapes(0, 4, 0, 4);
  }

  /** Shapes with rank in [minRank, maxRank] and each size in [minSize, maxSize]. */
  public static Arbitrary<Shape> shapes(int minRank, int maxRank, int minSize, int maxSize) {
    if (minRank < 0 || minRank > maxRank || minSize < 0 || minSize > maxSize) {
      throw new IllegalArgumentException("shapes: bad bounds rank [" + minRank + ", " + maxRank
          + "], size [" + minSize + ", " + maxSize + "]");
    }
    return Arbitraries.integers().between(minRank, maxRank)
        .flatMap(rank -> Arbitraries.integers().between(minSize, maxSize)
            .array(int[].class).ofSize(rank))
        .map(Shape::of);
  }

  /** Shapes with no size-0 axis: rank in [minRank, maxRank], sizes in [1, maxSize]. */
  public static Arbitrary<Shape> nonEmptyShapes(int minRank, int maxRank, int maxSize) {
    return shapes(minRank, maxRank, 1, maxSize);
  }

  /** Two shapes that broadcast together (rank up to 4, sizes up to 4). */
  public static Arbitrary<BroadcastShapes> broadcastPairs() {
    return broadcastShapes(2, 4, 4);
  }

  /** Three shapes that broadcast together (rank up to 4, sizes up to 4). */
  public static Arbitrary<BroadcastShapes> broadcastTriples() {
    return broadcastShapes(3, 4, 4);
  }

  /**
   * {@code count} shapes that broadcast together: each is the result shape with some leading axes
   * dropped and some sizes set to 1.
   */
  public static Arbitrary<BroadcastShapes> broadcastShapes(int count, int maxRank, int maxSize) {
    if (count < 1 || maxRank < 0 || maxSize < 1) {
      throw new IllegalArgumentException("broadcastShapes: need count >= 1, maxRank >= 0 and"
          + " maxSize >= 1, got " + count + ", " + maxRank + " and " + maxSize);
    }
    return nonEmptyShapes(0, maxRank, maxSize).flatMap(result -> {
      Arbitrary<Shape> operand = operandOf(result);
      return operand.list().ofSize(count).map(list -> new BroadcastShapes(list,
          broadcastAll(list)));
    });
  }

  private static Arbitrary<Shape> operandOf(Shape result) {
    int r = result.rank();
    return Combinators.combine(Arbitraries.integers().between(0, r),
            Arbitraries.of(true, false).list().ofSize(r))
        .as((dropped, ones) -> {
          int[] dims = new int[r - dropped];
          for (int i = 0; i < dims.length; i++) {
            int axis = i + dropped;
            dims[i] = ones.get(axis) ? 1 : result.size(axis);
          }
          return Shape.of(dims);
        });
  }

  private static Shape broadcastAll(List<Shape> shapes) {
    Shape out = shapes.get(0);
    for (Shape s : shapes) {
      out = Shape.broadcast("broadcastShapes", out, s);
    }
    return out;
  }

  /** Float64 tensors of the given shapes with values in {@code domain}. */
  public static Arbitrary<Tensor> tensors(Arbitrary<Shape> shapes, Domain domain) {
    notNull("tensors", "shapes", shapes);
    notNull("tensors", "domain", domain);
    return shapes.flatMap(s -> tensors(s, domain));
  }

  /** Float64 tensors of one shape with values in {@code domain}. */
  public static Arbitrary<Tensor> tensors(Shape shape, Domain domain) {
    notNull("tensors", "shape", shape);
    notNull("tensors", "domain", domain);
    int n = (int) shape.numel();
    return values(n, domain).map(v -> GradCheck.shaped(v, shape));
  }

  /** {@code n} doubles in {@code domain}, as an array. */
  public static Arbitrary<double[]> values(int n, Domain domain) {
    notNull("values", "domain", domain);
    if (n < 0) {
      throw new IllegalArgumentException("values: n must be >= 0, got " + n);
    }
    if (domain.distinct) {
      return distinctValues(n, domain);
    }
    // jqwik needs bounds it can represent at the arbitrary's scale: round them inwards.
    double low = Math.ceil(domain.low * SCALE) / SCALE;
    double high = Math.floor(domain.high * SCALE) / SCALE;
    return Arbitraries.doubles().between(low, high).ofScale(DIGITS).filter(domain::admits)
        .list().ofSize(n)
        .map(TensorArbitraries::toArray);
  }

  /**
   * Distinct values: a shuffled ladder of n evenly spaced rungs along the admitted parts of the
   * domain (the holes around avoided points skipped), each jittered by less than a third of the
   * spacing, so that any two differ by at least a third of it and none needs filtering out.
   */
  private static Arbitrary<double[]> distinctValues(int n, Domain domain) {
    if (n == 0) {
      return Arbitraries.just(new double[0]);
    }
    double step = domain.admitted() / n;
    List<Integer> rungs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rungs.add(i);
    }
    return Combinators.combine(Arbitraries.shuffle(rungs),
            Arbitraries.doubles().between(-1, 1).ofScale(DIGITS).list().ofSize(n))
        .as((order, jitter) -> {
          double[] v = new double[n];
          for (int i = 0; i < n; i++) {
            v[i] = domain.along((order.get(i) + 0.5 + jitter.get(i) / 3) * step);
          }
          return v;
        });
  }

  /** Int64 label tensors of {@code n} labels in [0, classes). */
  public static Arbitrary<Tensor> labels(int n, int classes) {
    if (classes <= 0 || n < 0) {
      throw new IllegalArgumentException(
          "labels: need n >= 0 and classes > 0, got " + n + " and " + classes);
    }
    return Arbitraries.longs().between(0, classes - 1).array(long[].class).ofSize(n)
        .map(l -> Tensor.of(l));
  }

  /** Valid axes of {@code shape}, negative ones included: [-rank, rank). */
  public static Arbitrary<Integer> axes(Shape shape) {
    if (shape.rank() == 0) {
      throw new IllegalArgumentException("axes: a rank-0 shape has no axis");
    }
    return Arbitraries.integers().between(-shape.rank(), shape.rank() - 1);
  }

  private static void notNull(String method, String what, Object value) {
    if (value == null) {
      throw new IllegalArgumentException(method + ": " + what + " must not be null");
    }
  }

  private static double[] toArray(List<Double> list) {
    double[] a = new double[list.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = list.get(i);
    }
    return a;
  }
}
