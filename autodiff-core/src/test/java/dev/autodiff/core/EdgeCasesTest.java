package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Ownership, sharing, NaN and limit cases that a careful user meets sooner or later. */
class EdgeCasesTest {

  @Test
  void leavesOwnTheirGradientsEvenWhenOneCotangentFeedsBoth() {
    Tensor a = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor b = Tensor.of(new double[] {3, 4}).requiresGrad();
    a.add(b).sum().backward();
    assertNotSame(a.grad(), b.grad());
    a.grad().copyFrom(Tensor.of(new double[] {7, 7})); // writing one leaves the other alone
    assertArrayEquals(new double[] {1, 1}, b.grad().toDoubleArray());
    a.grad().close();
    assertArrayEquals(new double[] {1, 1}, b.grad().toDoubleArray());
  }

  @Test
  void hasGradTellsWhetherABackwardReachedTheLeafSinceZeroGrad() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    assertFalse(x.hasGrad());
    x.mul(3).sum().backward();
    assertTrue(x.hasGrad());
    x.zeroGrad();
    assertFalse(x.hasGrad());
    assertArrayEquals(new double[] {0, 0}, x.grad().toDoubleArray()); // reading does not count
    assertFalse(x.hasGrad());
    x.mul(2).sum().backward();
    assertTrue(x.hasGrad());
    assertArrayEquals(new double[] {2, 2}, x.grad().toDoubleArray());
    assertFalse(x.mul(2).hasGrad()); // not a leaf
  }

  @Test
  void aLeafBackwardDoesNotAdoptTheCallersSeed() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor seed = Tensor.of(new double[] {5, 6});
    x.backward(seed);
    seed.close();
    assertArrayEquals(new double[] {5, 6}, x.grad().toDoubleArray());
  }

  @Test
  void threadsSharingALeafLoseNoGradient() throws Exception {
    Tensor w = Tensor.scalar(1.0, DType.FLOAT64).requiresGrad();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        jobs.add(pool.submit(() -> {
          for (int i = 0; i < 500; i++) {
            w.mul(2).backward();
          }
        }));
      }
      for (Future<?> f : jobs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertEquals(4 * 500 * 2.0, w.grad().item());
  }

  @Test
  void userOpReturningItsInputLeavesTheInputALeaf() {
    Op first = Op.define("first", (c, x) -> x[0], (c, g) -> new Tensor[] {g, null});
    Tensor a = Tensor.of(new double[] {1, 2});
    Tensor b = Tensor.of(new double[] {3, 4}).requiresGrad();
    Tensor y = first.apply(a, b);
    assertNotSame(a, y);
    assertTrue(a.isLeaf());
    assertFalse(a.isRequiresGrad());
  }

  @Test
  void builtInOpsAreAppliedThroughTheirTensorMethods() {
    Tensor x = Tensor.of(new double[] {1, 2});
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
        () -> Ops.SLICE.apply(x));
    assertTrue(e.getMessage().contains("slice"), e.getMessage());
  }

  @Test
  void keptTensorBecomesAConstantWhenItsScopeCloses() {
    Tensor frozen = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor head = Tensor.of(new double[] {3, 4}).requiresGrad();
    Tensor features;
    try (var s = Tensors.scope()) {
      features = frozen.mul(2).keep();
    }
    assertTrue(features.isLeaf());
    features.mul(head).sum().backward();
    assertArrayEquals(new double[] {2, 4}, head.grad().toDoubleArray());
    assertNull(frozen.grad());
  }

  @Test
  void doubleBackwardLoopReleasesWhatItUsed() {
    Tensor w = Tensor.randn(1, 4, 4).to(DType.FLOAT64).requiresGrad();
    Tensor x = Tensor.randn(2, 8, 4).to(DType.FLOAT64);
    Tape tape = ThreadState.get().tape;
    long before = tape.liveBytes();
    for (int i = 0; i < 200; i++) {
      try (var s = Tensors.scope()) {
        Tensor g = Autograd.grad(x.matmul(w).tanh().sum(), w, true);
        g.pow(2).sum().backward();
      }
    }
    assertEquals(before, tape.liveBytes());
  }

  @Test
  void secondDerivativeOfAPiecewiseLinearOpIsZeroNotAnError() {
    Tensor x = Tensor.of(new double[] {-1.5, 2}).requiresGrad();
    Tensor g = Autograd.grad(x.abs().sum(), x, true);
    assertArrayEquals(new double[] {-1, 1}, g.toDoubleArray());
    assertArrayEquals(new double[] {0, 0}, Autograd.grad(g.sum(), x, false).toDoubleArray());
  }

  @Test
  void nanPropagatesThroughMaxArgmaxAndRelu() {
    Tensor x = Tensor.of(new double[] {1, Double.NaN, 3});
    assertTrue(Double.isNaN(x.max().item()));
    assertTrue(Double.isNaN(x.max(0).item()));
    assertEquals(1, x.argmax(0).item());
    assertTrue(Double.isNaN(x.relu().toDoubleArray()[1]));
    assertTrue(Double.isNaN(x.to(DType.FLOAT32).relu().toDoubleArray()[1]));
  }

  @Test
  void aNanMaximumOrMinimumOfAWholeTensorSendsTheGradientToItsNans() {
    for (DType t : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      Tensor one = Tensor.of(new double[] {1, Double.NaN, 3}).to(t).requiresGrad();
      one.max().backward();
      assertArrayEquals(new double[] {0, 1, 0}, one.grad().toDoubleArray()); // torch's values
      Tensor two = Tensor.of(new double[] {1, Double.NaN, Double.NaN}).to(t).requiresGrad();
      two.min().backward();
      assertArrayEquals(new double[] {0, 0.5, 0.5}, two.grad().toDoubleArray());
    }
  }

  @Test
  void signPassesAZeroGradientAsPyTorchDoes() {
    Tensor x = Tensor.of(new double[] {1, -2, 0}).requiresGrad();
    x.sign().sum().backward();
    assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray());
  }

  @Test
  void powGradientsAtZeroTakeTheLimitsPyTorchTakes() {
    Tensor x = Tensor.of(new double[] {0, 2}).requiresGrad();
    x.pow(0).sum().backward();
    assertArrayEquals(new double[] {0, 0}, x.grad().toDoubleArray());

    Tensor a = Tensor.of(new double[] {0, 0}).requiresGrad();
    Tensor b = Tensor.of(new double[] {0, 2}).requiresGrad();
    a.pow(b).sum().backward();
    assertArrayEquals(new double[] {0, 0}, a.grad().toDoubleArray());
    assertArrayEquals(new double[] {0, 0}, b.grad().toDoubleArray());
  }

  @Test
  void wrongIndexAddTargetsAndHugeAranges() {
    Tensor src = Tensor.ones(2, 3);
    Tensor idx = Tensor.of(new long[] {0, 1});
    assertThrows(IllegalArgumentException.class, () -> src.indexAdd(0, idx, Shape.of(4, 5)));
    assertThrows(IllegalArgumentException.class,
        () -> src.indexAdd(0, Tensor.of(new long[] {0, 1}, 1, 2), Shape.of(4, 3)));
    assertThrows(IllegalArgumentException.class, () -> src.indexAdd(0, idx, null));
    assertThrows(IllegalArgumentException.class,
        () -> Tensor.arange(Integer.MIN_VALUE, Integer.MAX_VALUE));
    assertEquals(0, Shape.of(65536, 65536, 0).numel());
  }

  @Test
  void contextMisuseGivesClearErrors() {
    Op bad = Op.define("badIndex", (c, x) -> x[0].mul(2),
        (c, g) -> new Tensor[] {g.mul(c.input(3))});
    Tensor x = Tensor.of(new double[] {1}).requiresGrad();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bad.apply(x).sum().backward());
    assertTrue(e.getMessage().contains("badIndex") && e.getMessage().contains("no input 3"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Op.define(null, (c, y) -> y[0],
        (c, g) -> new Tensor[] {g}));
  }

  @Test
  void intTensorWithAHugeScalarPromotesInsteadOfSaturating() {
    Tensor i = Tensor.arange(3);
    assertEquals(DType.INT64, i.add(2).dtype());
    assertEquals(DType.FLOAT32, i.add(2.5).dtype());
    assertEquals(DType.FLOAT32, i.add(1e20).dtype());
  }

  @Test
  void fullSumOfALargeTensorIsAccurate() {
    int n = 1 << 20;
    float[] v = new float[n];
    Random r = new Random(3);
    double expected = 0;
    for (int k = 0; k < n; k++) {
      v[k] = r.nextFloat();
      expected += v[k];
    }
    assertEquals(expected, Tensor.of(v).sum().item(), expected * 1e-6);
  }

  @Test
  void copyFromOverwritesALeafInPlaceAndRefusesRecordedResults() {
    Tensor p = Tensor.of(new float[] {1, 2, 3}).requiresGrad();
    Tensor view = p.reshape(3, 1);
    p.copyFrom(Tensor.of(new double[] {4, 5, 6}));
    assertArrayEquals(new float[] {4, 5, 6}, p.toFloatArray());
    assertArrayEquals(new float[] {4, 5, 6}, view.toFloatArray());
    assertEquals(DType.FLOAT32, p.dtype());
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> p.copyFrom(Tensor.zeros(2)));
    assertTrue(shape.getMessage().contains("[2]") && shape.getMessage().contains("[3]"));
    Tensor y = p.mul(2);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> y.copyFrom(Tensor.zeros(3)));
    assertTrue(e.getMessage().contains("mul"), e.getMessage());
  }

  @Test
  void powOfOneIsOneWhateverTheExponentAsInC() {
    double inf = Double.POSITIVE_INFINITY;
    Tensor a = Tensor.of(new double[] {1, -1, 1, -1, 1}).requiresGrad();
    Tensor b = Tensor.of(new double[] {inf, inf, -inf, -inf, Double.NaN}).requiresGrad();
    Tensor y = a.pow(b);
    assertArrayEquals(new double[] {1, 1, 1, 1, 1}, y.toDoubleArray()); // torch.pow gives these
    y.sum().backward();
    // d/da = b a^(b-1) and d/db = a^b log a, as PyTorch's derivatives of pow give them
    assertArrayEquals(new double[] {inf, inf, -inf, -inf, Double.NaN}, a.grad().toDoubleArray());
    assertArrayEquals(new double[] {0, Double.NaN, 0, Double.NaN, 0}, b.grad().toDoubleArray());
    assertArrayEquals(new float[] {1, 1}, Tensor.of(new float[] {1, -1}).pow(inf).toFloatArray());
    assertArrayEquals(new float[] {1}, Tensor.of(new float[] {1}).pow(Double.NaN).toFloatArray());
  }

  @Test
  void clampOfIntegersToFractionalBoundsPromotesAsPyTorchDoes() {
    Tensor y = Tensor.of(new long[] {2, -3, 3}).clamp(-1.5, 2.5);
    assertEquals(DType.FLOAT32, y.dtype());
    assertArrayEquals(new float[] {2, -1.5f, 2.5f}, y.toFloatArray());
    Tensor whole = Tensor.of(new long[] {2, -3, 3}).clamp(-1, 2);
    assertEquals(DType.INT64, whole.dtype());
    assertArrayEquals(new long[] {2, -1, 2}, whole.toLongArray());
  }

  @Test
  void softplusIsXAboveTwentyAsPyTorchsDefaultThreshold() {
    Tensor x = Tensor.of(new double[] {19.5, 20.5, 25}).requiresGrad();
    Tensor y = x.softplus();
    assertEquals(19.5 + Math.log1p(Math.exp(-19.5)), y.toDoubleArray()[0], 0);
    assertEquals(20.5, y.toDoubleArray()[1], 0);
    assertEquals(25, y.toDoubleArray()[2], 0);
    Tensor g = Autograd.grad(y.sum(), x, true); // the recorded VJP
    assertArrayEquals(new double[] {1 / (1 + Math.exp(-19.5)), 1, 1}, g.toDoubleArray(), 0);
    Tensor h = Autograd.grad(g.sum(), x, false);
    assertEquals(0, h.toDoubleArray()[1], 0);
    x.zeroGrad();
    x.softplus().sum().backward(); // the fused VJP
    assertArrayEquals(g.toDoubleArray(), x.grad().toDoubleArray(), 0);
    Tensor f = Tensor.of(new float[] {20.5f}).requiresGrad();
    f.softplus().sum().backward();
    assertEquals(1f, f.grad().toFloatArray()[0], 0f);
  }
}
