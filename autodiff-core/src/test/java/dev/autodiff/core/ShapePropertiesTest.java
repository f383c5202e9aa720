package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Properties of broadcasting and reshaping over random small shapes. */
class ShapePropertiesTest {

  @Provide
  Arbitrary<int[]> dims() {
    return Arbitraries.integers().between(1, 4).array(int[].class).ofMinSize(0).ofMaxSize(4);
  }

  @Property(tries = 200)
  void broadcastIsCommutativeAndBothShapesBroadcastToIt(@ForAll("dims") int[] a) {
    // Make a compatible partner by replacing some sizes with 1 and dropping leading axes.
    int[] b = new int[Math.max(0, a.length - 1)];
    for (int i = 0; i < b.length; i++) {
      b[i] = (i % 2 == 0) ? 1 : a[i + 1];
    }
    Shape sa = Shape.of(a);
    Shape sb = Shape.of(b);
    Shape out = Shape.broadcast("add", sa, sb);
    assertEquals(out, Shape.broadcast("add", sb, sa));
    assertEquals(sa, out);
    assertEquals(true, sb.broadcastsTo(out));
  }

  @Property(tries = 200)
  void broadcastAddGradientSumsBackToEachInputShape(@ForAll("dims") int[] a) {
    int[] b = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = i % 2 == 0 ? 1 : a[i];
    }
    Tensor x = Tensor.ones(DType.FLOAT64, a).requiresGrad();
    Tensor y = Tensor.ones(DType.FLOAT64, b).requiresGrad();
    x.add(y).sum().backward();
    Shape sa = Shape.of(a);
    Shape sb = Shape.of(b);
    assertEquals(sa, x.grad().shape());
    assertEquals(sb, y.grad().shape());
    // Each element of y was added to numel(x) / numel(y) outputs.
    double expected = (double) sa.numel() / sb.numel();
    for (double g : y.grad().toDoubleArray()) {
      assertEquals(expected, g);
    }
  }

  @Property(tries = 200)
  void reshapeToFlatAndBackKeepsValues(@ForAll("dims") int[] a) {
    Shape s = Shape.of(a);
    double[] data = new double[(int) s.numel()];
    for (int i = 0; i < data.length; i++) {
      data[i] = i * 0.5;
    }
    Tensor x = Tensor.of(data, a);
    Tensor round = x.flatten().reshape(a);
    assertEquals(s, round.shape());
    assertArrayEquals(data, round.toDoubleArray());
  }
}
