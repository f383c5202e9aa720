package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Gradient clipping against torch.nn.utils.clip_grad_norm_ and clip_grad_value_. */
class GradClipTest {
  private static final double TOLERANCE = 1e-12;
  private static double maxDiff;

  @AfterAll
  static void report() {
    System.out.println("GradClipTest: max abs difference from PyTorch " + maxDiff);
  }

  private static void assertClose(double[] expected, double[] actual, String what) {
    double d = OptimizerTest.maxAbsDiff(expected, actual);
    synchronized (GradClipTest.class) {
      maxDiff = Math.max(maxDiff, d);
    }
    assertTrue(d <= TOLERANCE, () -> what + ": max abs difference " + d + "\n expected "
        + Arrays.toString(expected) + "\n actual   " + Arrays.toString(actual));
  }

  @TestFactory
  Stream<DynamicTest> clippingMatchesTorch() throws IOException {
    List<String> lines = OptimizerTest.lines("/torch-reference/gradclip.txt");
    List<DynamicTest> tests = new ArrayList<>();
    for (int i = 0; i < lines.size(); ) {
      int start = i;
      while (!lines.get(i).equals("end")) {
        i++;
      }
      List<String> block = lines.subList(start, i);
      i++;
      String[] head = block.get(0).split(" ");
      tests.add(DynamicTest.dynamicTest(head[1], () -> runCase(head, block)));
    }
    return tests.stream();
  }

  private static void runCase(String[] head, List<String> block) {
    List<Tensor> params = new ArrayList<>();
    List<int[]> shapes = new ArrayList<>();
    java.util.Map<Integer, double[]> grads = new java.util.LinkedHashMap<>();
    double total = Double.NaN;
    List<double[]> clipped = new ArrayList<>();
    for (String line : block.subList(1, block.size())) {
      String[] f = line.split(" ");
      switch (f[0]) {
        case "grad":
          int[] shape = OptimizerTest.shape(f[2]);
          shapes.add(shape);
          params.add(OptimizerTest.tensor(new double[(int) Arrays.stream(shape)
              .asLongStream().reduce(1, (a, b) -> a * b)], shape).requiresGrad());
          grads.put(Integer.parseInt(f[1]), OptimizerTest.numbers(f, 3));
          break;
        case "total":
          total = Double.parseDouble(f[1]);
          break;
        case "clipped":
          clipped.add(OptimizerTest.numbers(f, 2));
          break;
        default:
          throw new IllegalStateException("gradclip.txt: unknown line " + line);
      }
    }
    try (var scope = Tensors.scope()) {
      OptimizerTest.setGradients(params, grads, shapes);
      if (head[2].equals("norm")) {
        double norm = GradClip.clipGradNorm(params, OptimizerTest.number(head[3]),
            OptimizerTest.number(head[4]));
        assertEquals(total, norm, 1e-12 * total, "total norm");
      } else {
        GradClip.clipGradValue(params, Double.parseDouble(head[3]));
      }
    }
    for (int i = 0; i < params.size(); i++) {
      assertFalse(params.get(i).grad().isClosed(), "the clipped gradient outlives the scope");
      assertClose(clipped.get(i), params.get(i).grad().toDoubleArray(), head[1] + " grad " + i);
    }
  }

  @Test
  void gradientsSharingStorageAreEachClippedOnce() {
    // the two inputs of an add receive one cotangent: their grads may share storage
    Tensor a = Tensor.of(new double[] {3, 0}).requiresGrad();
    Tensor b = Tensor.of(new double[] {0, 4}).requiresGrad();
    a.add(b).mul(Tensor.of(new double[] {3, 4})).sum().backward();
    double norm = GradClip.clipGradNorm(List.of(a, b), 1.0);
    assertEquals(Math.sqrt(50), norm, 1e-12);
    double c = 1.0 / (Math.sqrt(50) + 1e-6);
    assertArrayEquals(new double[] {3 * c, 4 * c}, a.grad().toDoubleArray(), 1e-15);
    assertArrayEquals(new double[] {3 * c, 4 * c}, b.grad().toDoubleArray(), 1e-15);

    Tensor x = Tensor.of(new double[] {-5, 0.5}).requiresGrad();
    Tensor y = Tensor.of(new double[] {1, 1}).requiresGrad();
    x.add(y).mul(Tensor.of(new double[] {-5, 0.5})).sum().backward();
    GradClip.clipGradValue(List.of(x, y), 1.0);
    assertArrayEquals(new double[] {-1, 0.5}, x.grad().toDoubleArray());
    assertArrayEquals(new double[] {-1, 0.5}, y.grad().toDoubleArray());
  }

  @Test
  void aLaterBackwardAddsToTheClippedGradient() {
    Tensor w = Tensor.of(new double[] {0, 0}).requiresGrad();
    w.mul(Tensor.of(new double[] {3, 4})).sum().backward();
    GradClip.clipGradNorm(List.of(w), 1.0);
    w.mul(Tensor.of(new double[] {1, 1})).sum().backward();
    double c = 1.0 / (5 + 1e-6);
    assertArrayEquals(new double[] {3 * c + 1, 4 * c + 1}, w.grad().toDoubleArray(), 1e-15);
  }

  @Test
  void gradientsBelowTheLimitAreUntouched() {
    Tensor w = Tensor.of(new double[] {0, 0}).requiresGrad();
    w.mul(Tensor.of(new double[] {0.3, 0.4})).sum().backward();
    Tensor before = w.grad();
    assertEquals(0.5, GradClip.clipGradNorm(List.of(w), 1.0), 1e-15);
    assertTrue(before == w.grad(), "nothing to clip, nothing replaced");
    assertArrayEquals(new double[] {0.3, 0.4}, w.grad().toDoubleArray());
  }

  @Test
  void parametersWithoutGradientsAreSkipped() {
    Tensor with = Tensor.of(new double[] {0}).requiresGrad();
    Tensor without = Tensor.of(new double[] {0}).requiresGrad();
    assertEquals(0.0, GradClip.clipGradNorm(List.of(without), 1.0));
    with.mul(Tensor.of(new double[] {-10})).sum().backward();
    assertEquals(10.0, GradClip.clipGradNorm(List.of(with, without), 2.0), 1e-12);
    assertNull(without.grad());
    assertArrayEquals(new double[] {-2 * 10 / (10 + 1e-6)}, with.grad().toDoubleArray(), 1e-15);
    GradClip.clipGradValue(List.of(with, without), 0.5);
    assertArrayEquals(new double[] {-0.5}, with.grad().toDoubleArray());
    assertNull(without.grad());
  }

  @Test
  void parametersNoBackwardReachedSinceZeroGradAreSkipped() {
    Tensor used = Tensor.of(new double[] {0}).requiresGrad();
    Tensor unused = Tensor.of(new double[] {0}).requiresGrad();
    used.add(unused).mul(5).sum().backward();
    used.zeroGrad();
    unused.zeroGrad();
    used.mul(Tensor.of(new double[] {-10})).sum().backward();
    assertEquals(10.0, GradClip.clipGradNorm(List.of(used, unused), 2.0), 1e-12);
    assertFalse(unused.hasGrad()); // clipping did not install a gradient for it
    assertArrayEquals(new double[] {0}, unused.grad().toDoubleArray());
    GradClip.clipGradValue(List.of(used, unused), 0.5);
    assertArrayEquals(new double[] {-0.5}, used.grad().toDoubleArray());
    assertFalse(unused.hasGrad());
  }

  @Test
  void aNonFiniteNormThrowsOnlyWhenAskedAndLeavesTheGradients() {
    Tensor w = Tensor.of(new double[] {0, 0}).requiresGrad();
    w.mul(Tensor.of(new double[] {Double.NaN, 3})).sum().backward();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> GradClip.clipGradNorm(List.of(w), 1.0, 2.0, true));
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    assertEquals(3.0, w.grad().toDoubleArray()[1]); // untouched
    assertTrue(Double.isNaN(GradClip.clipGradNorm(List.of(w), 1.0, 2.0, false)));
  }

  @Test
  void clippingWorksOnFloat32Gradients() {
    Tensor w = Tensor.of(new float[] {0, 0}).requiresGrad();
    w.mul(Tensor.of(new float[] {6, 8})).sum().backward();
    assertEquals(10.0, GradClip.clipGradNorm(List.of(w), 5.0), 1e-6);
    assertArrayEquals(new float[] {3, 4}, w.grad().toFloatArray(), 1e-5f);
  }

  @Test
  void clippingThenStepInsideAScopeTrainsAsUsual() {
    Tensor w = Tensor.of(new double[] {1, -1}).requiresGrad();
    Optimizer opt = new SGD(List.of(w), 1.0).momentum(0.5);
    for (int step = 0; step < 3; step++) {
      try (var scope = Tensors.scope()) {
        opt.zeroGrad();
        w.mul(Tensor.of(new double[] {30, 40})).sum().backward();
        GradClip.clipGradNorm(opt.parameters(), 5.0);
        opt.step();
      }
      assertFalse(w.grad().isClosed());
    }
    // clipped gradient k (30, 40) = (3, 4) up to the 1e-6 guard; momentum buffers g, 1.5 g, 1.75 g
    double k = 5 / (50 + 1e-6);
    assertArrayEquals(new double[] {1 - 4.25 * 30 * k, -1 - 4.25 * 40 * k},
        w.toDoubleArray(), 1e-12);
  }

  @Test
  void badArgumentsAreRejected() {
    List<Tensor> p = List.of(Tensor.of(new double[] {1}).requiresGrad());
    assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(null, 1));
    assertThrows(IllegalArgumentException.class,
        () -> GradClip.clipGradNorm(Arrays.asList((Tensor) null), 1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(p, -1));
    assertTrue(e.getMessage().contains("clipGradNorm") && e.getMessage().contains("-1.0"));
    assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(p, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(p, 1, 0));
    e = assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradValue(p, -0.5));
    assertTrue(e.getMessage().contains("clipGradValue") && e.getMessage().contains("-0.5"));
  }
}
