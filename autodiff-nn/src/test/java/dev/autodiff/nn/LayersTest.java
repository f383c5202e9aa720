package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LayersTest {

  @Test
  void linearHasPyTorchShapesAndInitBounds() {
    Linear l = new Linear(16, 4, new Random(1));
    assertEquals(Shape.of(4, 16), l.weight().shape());
    assertEquals(Shape.of(4), l.bias().shape());
    double bound = 1 / Math.sqrt(16);
    for (double w : l.weight().toDoubleArray()) {
      assertTrue(Math.abs(w) <= bound);
    }
    for (double b : l.bias().toDoubleArray()) {
      assertTrue(Math.abs(b) <= bound);
    }
    assertEquals(List.of("weight", "bias"), List.copyOf(l.namedParameters().keySet()));
    assertTrue(l.weight().isRequiresGrad());
  }

  @Test
  void linearComputesXTimesWTransposedPlusB() {
    Linear l = new Linear(3, 2, new Random(2));
    l.weight().copyFrom(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
    l.bias().copyFrom(Tensor.of(new float[] {10, 20}));
    Tensor x = Tensor.of(new float[] {1, 0, -1, 2, 1, 0}, 2, 3);
    assertArrayEquals(new float[] {8, 18, 14, 33}, l.forward(x).toFloatArray());
    assertArrayEquals(new float[] {8, 18}, l.forward(Tensor.of(new float[] {1, 0, -1}))
        .toFloatArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> l.forward(Tensor.zeros(2, 4)));
    assertTrue(e.getMessage().contains("[2, 4]"), e.getMessage());
  }

  @Test
  void linearGradientsMatchTheClosedForm() {
    Linear l = new Linear(3, 2, new Random(3));
    Tensor x = Tensor.randn(4, 5, 3);
    l.forward(x).sum().backward();
    // d sum(x W^T + b) / dW = column sums of x, per output row; d / db = batch size.
    float[] colSums = x.sum(0).toFloatArray();
    float[] gw = l.weight().grad().toFloatArray();
    for (int o = 0; o < 2; o++) {
      for (int i = 0; i < 3; i++) {
        assertEquals(colSums[i], gw[o * 3 + i], 1e-5);
      }
    }
    assertArrayEquals(new float[] {5, 5}, l.bias().grad().toFloatArray());
  }

  @Test
  void mlpNamesParametersInOrderAndPutActivationsBetweenLayers() {
    MLP m = MLP.of(new Random(0), Tanh::new, 4, 8, 3);
    assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"),
        List.copyOf(m.namedParameters().keySet()));
    assertEquals(4 * 8 + 8 + 8 * 3 + 3, m.parameterCount());
    assertEquals(3, m.layers().size());
    assertTrue(m.layers().get(1) instanceof Tanh);
    assertEquals(Shape.of(5, 3), m.forward(Tensor.zeros(5, 4)).shape());
    assertTrue(m.toString().startsWith("MLP(4 -> 8 -> 3)"), m.toString());
    assertThrows(IllegalArgumentException.class, () -> MLP.of(4));
  }

  @Test
  void defaultMlpUsesReluAndTheSeededDefaultGenerator() {
    Init.manualSeed(42);
    MLP a = MLP.of(3, 5, 2);
    Init.manualSeed(42);
    MLP b = MLP.of(3, 5, 2);
    assertTrue(a.layers().get(1) instanceof ReLU);
    assertArrayEquals(a.parameters().get(0).toFloatArray(), b.parameters().get(0).toFloatArray());
  }

  @Test
  void activationLayersApplyTheirFunctions() {
    Tensor x = Tensor.of(new double[] {-2, 0.5});
    assertArrayEquals(new double[] {0, 0.5}, new ReLU().forward(x).toDoubleArray());
    assertArrayEquals(new double[] {-0.2, 0.5}, new LeakyReLU(0.1).forward(x).toDoubleArray(),
        1e-12);
    assertArrayEquals(new double[] {Math.expm1(-2), 0.5}, new ELU().forward(x).toDoubleArray(),
        1e-12);
    assertArrayEquals(new double[] {Math.tanh(-2), Math.tanh(0.5)},
        new Tanh().forward(x).toDoubleArray(), 1e-12);
    assertArrayEquals(new double[] {1 / (1 + Math.exp(2)), 1 / (1 + Math.exp(-0.5))},
        new Sigmoid().forward(x).toDoubleArray(), 1e-12);
    assertArrayEquals(new double[] {Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(0.5))},
        new Softplus().forward(x).toDoubleArray(), 1e-12);
  }

  @Test
  void maxoutTakesTheMaximumOfEachGroup() {
    Tensor x = Tensor.of(new double[] {1, 5, 3, -1, -4, 2}, 1, 6);
    assertArrayEquals(new double[] {5, 3, 2}, new Maxout(2).forward(x).toDoubleArray());
    assertArrayEquals(new double[] {5, 2}, new Maxout(3).forward(x).toDoubleArray());
    assertThrows(IllegalArgumentException.class, () -> new Maxout(4).forward(x));
  }

  @Test
  void dropoutIsSeededScalesKeptValuesAndIsOffInEval() {
    Tensor x = Tensor.ones(DType.FLOAT64, 1000);
    Dropout a = new Dropout(0.3, new Random(9));
    Dropout b = new Dropout(0.3, new Random(9));
    double[] ya = a.forward(x).toDoubleArray();
    assertArrayEquals(ya, b.forward(x).toDoubleArray());
    int kept = 0;
    for (double v : ya) {
      assertTrue(v == 0 || Math.abs(v - 1 / 0.7) < 1e-12);
      kept += v == 0 ? 0 : 1;
    }
    assertTrue(kept > 620 && kept < 780, "kept " + kept);
    a.eval();
    assertFalse(a.isTraining());
    assertArrayEquals(x.toDoubleArray(), a.forward(x).toDoubleArray());
    assertThrows(IllegalArgumentException.class, () -> new Dropout(1.5));
    assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1));
    assertThrows(IllegalArgumentException.class, () -> new Dropout(Double.NaN));
  }

  @Test
  void dropoutWithPOneDropsEverythingAsPyTorchDoes() {
    Tensor x = Tensor.of(new double[] {1, -2, 3}).requiresGrad();
    Tensor y = new Dropout(1.0, new Random(1)).forward(x);
    assertArrayEquals(new double[] {0, 0, 0}, y.abs().toDoubleArray()); // -2 * 0 is -0
    y.sum().backward();
    assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray());
  }

  @Test
  void dropoutOfIntegersAndInitOverInfiniteRangesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Dropout(0.5, new Random(3)).forward(Tensor.of(new long[] {1, 2, 3, 4})));
    assertEquals("dropout: input must be floating, got int64 of shape [4]", e.getMessage());
    Tensor w = Tensor.zeros(2);
    e = assertThrows(IllegalArgumentException.class, () -> Init.uniform(w,
        Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, new Random(0)));
    assertTrue(e.getMessage().startsWith("uniform: the range [-Infinity, Infinity]"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Init.uniform(w, -Double.MAX_VALUE, Double.MAX_VALUE, new Random(0)));
    assertThrows(IllegalArgumentException.class,
        () -> Init.normal(w, 0, Double.POSITIVE_INFINITY, new Random(0)));
    assertThrows(IllegalArgumentException.class,
        () -> Init.normal(w, Double.NaN, 1, new Random(0)));
    assertArrayEquals(new double[] {0, 0}, w.toDoubleArray()); // untouched
  }

  @Test
  void aModelConvertedToFloat64KeepsItsValuesAndTrainsInFloat64() {
    Layer model = MLP.of(new Random(3), Tanh::new, 3, 5, 2);
    Tensor x = Tensor.randn(new Random(4), 4, 3);
    double[] before = model.forward(x).toDoubleArray();
    Tensor sharedBefore = model.parameters().get(0);
    assertSame(model, model.to(DType.FLOAT64));
    assertTrue(sharedBefore.isClosed(), "the float32 parameters are replaced and closed");
    for (Tensor p : model.parameters()) {
      assertEquals(DType.FLOAT64, p.dtype());
      assertTrue(p.isRequiresGrad() && p.isLeaf());
    }
    Tensor y = model.forward(x.to(DType.FLOAT64));
    assertEquals(DType.FLOAT64, y.dtype());
    assertArrayEquals(before, y.toDoubleArray(), 1e-6);
    y.sum().backward();
    assertEquals(DType.FLOAT64, model.parameters().get(0).grad().dtype());
    assertThrows(IllegalArgumentException.class, () -> model.to(DType.INT64));
    assertThrows(IllegalArgumentException.class, () -> model.to((DType) null));
  }

  @Test
  void trainAndEvalReachEveryChild() {
    Sequential s = new Sequential(new Linear(2, 2, new Random(1)), new Dropout(0.5));
    s.eval();
    assertFalse(s.layers().get(1).isTraining());
    s.train();
    assertTrue(s.layers().get(1).isTraining());
  }

  @Test
  void tiedWeightsAppearOnceAndTrainAsOne() {
    Linear shared = new Linear(2, 2, new Random(4));
    Sequential twice = new Sequential(shared, new Tanh(), shared);
    assertEquals(List.of("0.weight", "0.bias"), List.copyOf(twice.namedParameters().keySet()));
    assertEquals(6, twice.parameterCount());
    Optimizer opt = new Adam(twice.parameters(), 1e-2);
    twice.forward(Tensor.ones(3, 2)).sum().backward();
    opt.step();
  }

  @Test
  void aModelBuiltInsideAScopeOutlivesIt() {
    MLP m;
    try (var s = dev.autodiff.core.Tensors.scope()) {
      m = MLP.of(new Random(1), ReLU::new, 2, 3, 1);
    }
    assertEquals(Shape.of(4, 1), m.forward(Tensor.ones(4, 2)).shape());
  }

  @Test
  void nullArgumentsAreRejectedClearly() {
    assertThrows(IllegalArgumentException.class, () -> new Linear(2, 2, null));
    assertThrows(IllegalArgumentException.class, () -> new Linear(2, 2).forward(null));
    assertThrows(IllegalArgumentException.class, () -> MLP.of(null, 2, 3));
    assertThrows(IllegalArgumentException.class, () -> new Sequential((Layer[]) null));
    assertThrows(IllegalArgumentException.class, () -> Init.uniform(Tensor.zeros(2), 0, 1, null));
    assertThrows(IllegalArgumentException.class, () -> new Dropout(0.1, null));
    for (Layer l : List.of(new ReLU(), new Tanh(), new Sigmoid(), new LeakyReLU(), new ELU(),
        new Softplus(), new Maxout(2), new Dropout(0.5), new Sequential(new ReLU()),
        new Linear(2, 2))) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> l.forward(null), l.toString());
      assertEquals(l.describe() + ": input is null", e.getMessage());
      l.eval();
      assertThrows(IllegalArgumentException.class, () -> l.forward(null), l + " in eval");
    }
    Random r = new Random(1);
    assertThrows(IllegalArgumentException.class, () -> Init.zeros(null));
    assertThrows(IllegalArgumentException.class, () -> Init.constant(null, 1));
    assertThrows(IllegalArgumentException.class, () -> Init.xavierUniform(null, 1, r));
    assertThrows(IllegalArgumentException.class, () -> Init.xavierNormal(null, 1, r));
    assertThrows(IllegalArgumentException.class, () -> Init.kaimingUniform(null, 0, r));
    assertThrows(IllegalArgumentException.class, () -> Init.kaimingNormal(null, 0, r));
  }

  @Test
  void randomInitializersNeedAFloatingTensor() {
    Tensor labels = Tensor.of(new long[] {1, 2});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Init.uniform(labels, 0, 5, new Random(0)));
    assertTrue(e.getMessage().startsWith("uniform: samples need a floating tensor"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Init.normal(labels, 0, 1, new Random(0)));
    assertArrayEquals(new long[] {1, 2}, labels.toLongArray(), "left untouched");
    assertArrayEquals(new long[] {3, 3}, Init.constant(labels, 3).toLongArray());
  }

  @Test
  void initializersHaveTheirPromisedSpread() {
    Random r = new Random(5);
    Tensor w = Tensor.zeros(200, 300);
    double xavierBound = Math.sqrt(6.0 / 500);
    Init.xavierUniform(w, 1.0, r);
    assertTrue(max(w) <= xavierBound && max(w) > 0.95 * xavierBound);
    Init.kaimingNormal(w, 0, r);
    assertEquals(Math.sqrt(2.0 / 300), std(w), 0.02 * Math.sqrt(2.0 / 300));
    Init.kaimingUniform(w, 0, r);
    assertTrue(max(w) <= Math.sqrt(6.0 / 300));
    Init.xavierNormal(w, 2.0, r);
    assertEquals(2 * Math.sqrt(2.0 / 500), std(w), 0.05 * 2 * Math.sqrt(2.0 / 500));
    Init.normal(w, 3, 0.5, r);
    assertEquals(0.5, std(w), 0.02);
    Init.constant(w, 7);
    assertEquals(7, w.max().item());
    Init.zeros(w);
    assertEquals(0, w.abs().max().item());
    assertThrows(IllegalArgumentException.class, () -> Init.kaimingUniform(Tensor.zeros(3), 0, r));
    Tensor a = Init.uniform(Tensor.zeros(4), -1, 1, new Random(1));
    Tensor b = Init.uniform(Tensor.zeros(4), -1, 1, new Random(1));
    assertArrayEquals(a.toFloatArray(), b.toFloatArray());
    assertNotEquals(0, a.abs().sum().item());
  }

  private static double max(Tensor t) {
    return t.abs().max().item();
  }

  private static double std(Tensor t) {
    double[] v = t.toDoubleArray();
    double m = 0;
    for (double x : v) {
      m += x;
    }
    m /= v.length;
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    return Math.sqrt(s / v.length);
  }

  @Test
  void aModelCannotContainItself() {
    Sequential s = new Sequential(new ReLU());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.add(s));
    assertTrue(e.getMessage().contains("cannot contain itself"), e.getMessage());
    Sequential outer = new Sequential(s);
    assertThrows(IllegalArgumentException.class, () -> s.add(outer));
    assertEquals(1, s.layers().size(), "the failed adds left the model as it was");
    Linear shared = new Linear(2, 2, new Random(1));
    new Sequential(shared, new ReLU(), shared); // the same layer twice is no cycle
  }
}
