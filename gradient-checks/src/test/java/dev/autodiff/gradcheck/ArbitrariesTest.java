package dev.autodiff.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The arbitraries keep their promises, so properties built on them test what they claim. */
class ArbitrariesTest {

  @Test
  void shapesIncludeRanksZeroToFourAndSizesZeroAndOne() {
    List<Shape> sample = TensorArbitraries.shapes().sampleStream().limit(2000)
        .collect(Collectors.toList());
    for (int rank = 0; rank <= 4; rank++) {
      int r = rank;
      assertTrue(sample.stream().anyMatch(s -> s.rank() == r), "no shape of rank " + r);
    }
    assertTrue(sample.stream().allMatch(s -> s.rank() <= 4));
    assertTrue(sample.stream().anyMatch(s -> Arrays.stream(s.toArray()).anyMatch(d -> d == 0)));
    assertTrue(sample.stream().anyMatch(s -> Arrays.stream(s.toArray()).anyMatch(d -> d == 1)));
  }

  @Property(tries = 200)
  void broadcastShapesBroadcastToTheirResult(
      @ForAll("triples") BroadcastShapes b) {
    Shape out = b.get(0);
    for (Shape s : b.shapes()) {
      assertTrue(s.broadcastsTo(b.result()), s + " must broadcast to " + b.result());
      out = Shape.broadcast("test", out, s);
    }
    assertEquals(b.result(), out);
  }

  @Provide
  Arbitrary<BroadcastShapes> triples() {
    return TensorArbitraries.broadcastTriples();
  }

  @Property(tries = 200)
  void distinctValuesAreApartAndInRange(@ForAll("distinct") Tensor x) {
    double[] v = x.toDoubleArray();
    Arrays.sort(v);
    for (int i = 0; i < v.length; i++) {
      assertTrue(v[i] >= -2 && v[i] <= 2);
      if (i > 0) {
        assertTrue(v[i] - v[i - 1] > 1e-3, "values too close: " + Arrays.toString(v));
      }
    }
    assertEquals(DType.FLOAT64, x.dtype());
  }

  @Provide
  Arbitrary<Tensor> distinct() {
    return TensorArbitraries.tensors(TensorArbitraries.nonEmptyShapes(0, 3, 4), Domain.distinct());
  }

  @Property(tries = 50)
  void manyDistinctValuesAvoidingAPointAreApartAndAvoidIt(@ForAll("manyDistinct") Tensor x) {
    double[] v = x.toDoubleArray();
    assertEquals(256, v.length);
    Arrays.sort(v);
    for (int i = 0; i < v.length; i++) {
      assertTrue(v[i] >= -2 && v[i] <= 2 && Math.abs(v[i]) >= Domain.MARGIN - 1e-12, "" + v[i]);
      if (i > 0) {
        assertTrue(v[i] - v[i - 1] > 1e-3, "values too close: " + v[i - 1] + ", " + v[i]);
      }
    }
  }

  @Provide
  Arbitrary<Tensor> manyDistinct() {
    return TensorArbitraries.tensors(Shape.of(16, 16), Domain.distinct().avoiding(0));
  }

  @Test
  void domainsAndArbitrariesThatCannotGenerateAreRejectedWhenBuilt() {
    for (Executable bad : List.<Executable>of(
        () -> Domain.range(1e-7, 9e-7),
        () -> Domain.range(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY),
        () -> Domain.range(2, 1),
        () -> Domain.range(-0.01, 0.01).avoiding(0),
        () -> Domain.any().avoiding(Double.NaN),
        () -> TensorArbitraries.broadcastShapes(0, 3, 3),
        () -> TensorArbitraries.tensors((Arbitrary<Shape>) null, Domain.any()),
        () -> TensorArbitraries.tensors(Shape.of(2), null))) {
      assertThrows(IllegalArgumentException.class, bad);
    }
    assertEquals(1, TensorArbitraries.broadcastShapes(1, 2, 2).sample().shapes().size());
  }

  @Property(tries = 200)
  void avoidedPointsAreAvoided(@ForAll("clampDomain") Tensor x) {
    for (double v : x.toDoubleArray()) {
      assertTrue(Math.abs(v - 0.5) >= Domain.MARGIN && Math.abs(v) >= Domain.MARGIN, "" + v);
      assertTrue(v >= -1 && v <= 1);
    }
  }

  @Provide
  Arbitrary<Tensor> clampDomain() {
    return TensorArbitraries.tensors(TensorArbitraries.shapes(),
        Domain.range(-1, 1).avoiding(0, 0.5));
  }

  @Property(tries = 100)
  void positiveValuesStayInsideLogAndSqrtDomains(@ForAll("positive") Tensor x) {
    for (double v : x.toDoubleArray()) {
      assertTrue(v >= 0.2, "" + v);
    }
  }

  @Provide
  Arbitrary<Tensor> positive() {
    return TensorArbitraries.tensors(TensorArbitraries.shapes(), Domain.positive());
  }

  @Property(tries = 100)
  void labelsAreInt64InRange(@ForAll("labels") Tensor y) {
    assertEquals(DType.INT64, y.dtype());
    assertEquals(7, y.numel());
    for (long l : y.toLongArray()) {
      assertTrue(l >= 0 && l < 5);
    }
  }

  @Provide
  Arbitrary<Tensor> labels() {
    return TensorArbitraries.labels(7, 5);
  }

  @Property(tries = 100)
  void axesAreValidIncludingNegativeOnes(@ForAll("axis") int axis) {
    assertTrue(axis >= -3 && axis < 3);
    assertEquals(Shape.of(2, 3, 4).size(axis), Shape.of(2, 3, 4).toArray()[(axis + 3) % 3]);
  }

  @Provide
  Arbitrary<Integer> axis() {
    return TensorArbitraries.axes(Shape.of(2, 3, 4));
  }
}
