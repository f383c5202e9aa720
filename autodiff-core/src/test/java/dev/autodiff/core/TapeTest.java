package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class TapeTest {

  @Test
  void lectureExampleGivesTwentyTwoAndGradientsFourSixTwo() {
    Tensor a = Tensor.scalar(3.0).requiresGrad();
    Tensor b = Tensor.scalar(2.0).requiresGrad();
    Tensor c = Tensor.scalar(5.0).requiresGrad();
    Tensor j = a.mul(b).add(c).mul(2);
    j.backward();
    assertEquals(22.0, j.item());
    assertEquals(4.0, a.grad().item());
    assertEquals(6.0, b.grad().item());
    assertEquals(2.0, c.grad().item());
  }

  @Test
  void fanOutAddsCotangentsOfEveryUse() {
    Tensor x = Tensor.scalar(3.0, DType.FLOAT64).requiresGrad();
    Tensor y = x.mul(x).add(x.exp()).add(x); // x^2 + e^x + x
    y.backward();
    assertEquals(2 * 3 + Math.exp(3) + 1, x.grad().item(), 1e-12);
  }

  @Test
  void leafGradientsAccumulateUntilZeroGrad() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    assertArrayEquals(new double[] {6, 6}, x.grad().toDoubleArray());
    x.zeroGrad();
    assertArrayEquals(new double[] {0, 0}, x.grad().toDoubleArray());
    x.mul(5).sum().backward();
    assertArrayEquals(new double[] {5, 5}, x.grad().toDoubleArray());
  }

  @Test
  void entriesThatCannotReachTheLossAreSkippedAndKept() {
    Tensor x = Tensor.scalar(2.0, DType.FLOAT64).requiresGrad();
    Tensor other = x.mul(10); // recorded, but not part of the loss
    Tensor loss = x.mul(x);
    loss.backward();
    assertEquals(4.0, x.grad().item());
    // The unrelated branch was not used, so it can still be differentiated.
    x.zeroGrad();
    other.backward();
    assertEquals(10.0, x.grad().item());
  }

  @Test
  void secondBackwardThroughReleasedEntriesFailsClearly() {
    Tensor x = Tensor.scalar(2.0).requiresGrad();
    Tensor y = x.mul(x).exp();
    y.backward();
    IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
    assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
  }

  @Test
  void retainGraphAllowsASecondBackward() {
    Tensor x = Tensor.scalar(2.0, DType.FLOAT64).requiresGrad();
    Tensor y = x.mul(x);
    y.backward(null, true);
    y.backward();
    assertEquals(8.0, x.grad().item());
  }

  @Test
  void backwardThatNeedsAValueOverwrittenSinceFailsNamingTheOpAndInput() {
    Tensor w = Tensor.of(new double[] {2}).requiresGrad();
    Tensor y = w.mul(w).sum(); // mul's VJP needs w as it was: 2
    try (var g = Autograd.noGrad()) {
      w.copyFrom(Tensor.of(new double[] {-2}));
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
    assertTrue(e.getMessage().contains("mul") && e.getMessage().contains("modified in place")
        && e.getMessage().contains("input 1"), e.getMessage()); // dy/dw0 = w1
    assertNull(w.grad(), "nothing is accumulated from a failed backward");
  }

  @Test
  void anOverwriteAfterAnOpsRecordIsCaughtForEveryKindOfInPlaceWrite() {
    // An optimizer's fused update between a retained backward and the next.
    Tensor p = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor loss = p.mul(p).sum();
    loss.backward(null, true);
    ParameterUpdates.sgd(p, p.grad(), null, new SgdStep(0.1, 0, 0, 0, false, false));
    assertModifiedInPlace(loss);
    // A gradient accumulated into in place, read by a recorded op.
    Tensor x = Tensor.of(new double[] {3}).requiresGrad();
    x.mul(x).sum().backward();
    Tensor z = x.grad().detach().requiresGrad();
    Tensor q = z.mul(x.grad()).sum(); // records x.grad() as mul's input 1
    x.mul(x).sum().backward(); // adds into x.grad() in place
    assertModifiedInPlace(q);
  }

  private static void assertModifiedInPlace(Tensor loss) {
    IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
    assertTrue(e.getMessage().contains("modified in place"), e.getMessage());
  }

  @Test
  void anOverwriteAnOpsVjpDoesNotReadLeavesItsGradientAlone() {
    // add needs only its inputs' shapes and exp only its output, as in PyTorch.
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor y = w.add(1).sum().add(w.exp().sum());
    try (var g = Autograd.noGrad()) {
      w.copyFrom(Tensor.of(new double[] {5, 5}));
    }
    y.backward();
    assertArrayEquals(new double[] {1 + Math.exp(1), 1 + Math.exp(2)}, w.grad().toDoubleArray(),
        1e-12);
  }

  @Test
  void aViewSharesItsBaseVersionSoOverwritingEitherIsCaught() {
    Tensor w = Tensor.of(new double[] {1, 2, 3, 4}).requiresGrad();
    Tensor v = w.detach().reshape(2, 2); // shares w's storage
    Tensor y = w.mul(w).sum();
    v.copyFrom(Tensor.zeros(2, 2).to(DType.FLOAT64));
    assertModifiedInPlace(y);
  }

  @Test
  void aUserOpsSavedTensorOverwrittenSinceFailsWhenItsBackwardReadsIt() {
    Op scaleBy = Op.define("scaleBy", (ctx, in) -> {
      ctx.save(in[1]);
      return in[0].mul(in[1]);
    }, (ctx, g) -> new Tensor[] {g.mul(ctx.saved(0)), null});
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor s = Tensor.of(new double[] {3, 4});
    Tensor y = scaleBy.apply(x, s).sum();
    s.copyFrom(Tensor.of(new double[] {0, 0}));
    IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
    assertTrue(e.getMessage().contains("scaleBy") && e.getMessage().contains("saved tensor 0"),
        e.getMessage());
  }

  @Test
  void secondDerivativeOfCubeIsSixX() {
    Tensor x = Tensor.scalar(1.5, DType.FLOAT64).requiresGrad();
    Tensor y = x.pow(3);
    Tensor dy = Autograd.grad(y, x, true);
    assertEquals(3 * 1.5 * 1.5, dy.item(), 1e-12);
    Tensor d2y = Autograd.grad(dy, x, true);
    assertEquals(6 * 1.5, d2y.item(), 1e-12);
    Tensor d3y = Autograd.grad(d2y, x, false);
    assertEquals(6.0, d3y.item(), 1e-12);
  }

  @Test
  void backwardWithCreateGraphGivesDifferentiableLeafGradient() {
    Tensor x = Tensor.scalar(2.0, DType.FLOAT64).requiresGrad();
    Autograd.backward(x.pow(3), null, false, true);
    Tensor g = x.grad(); // 3x^2 = 12, with history
    assertEquals(12.0, g.item(), 1e-12);
    assertTrue(g.isRequiresGrad());
    Tensor h = Autograd.grad(g, x, false); // 6x
    assertEquals(12.0, h.item(), 1e-12);
  }

  @Test
  void hessianVectorProductOfMlpMatchesFiniteDifferencesOfItsGradient() {
    Random rnd = new Random(7);
    Tensor x = Tensor.randn(rnd, 5, 3).to(DType.FLOAT64);
    Tensor w1 = Tensor.randn(rnd, 3, 4).to(DType.FLOAT64).requiresGrad();
    Tensor w2 = Tensor.randn(rnd, 4, 2).to(DType.FLOAT64);
    double[] v = Tensor.randn(rnd, 3, 4).to(DType.FLOAT64).toDoubleArray();
    Tensor vt = Tensor.of(v, 3, 4);

    Tensor g = Autograd.grad(mlpLoss(x, w1, w2), w1, true);
    Tensor hv = Autograd.grad(g.mul(vt).sum(), w1, false);

    double eps = 1e-5;
    double[] w = w1.toDoubleArray();
    double[] plus = gradientAt(x, add(w, v, eps), w2);
    double[] minus = gradientAt(x, add(w, v, -eps), w2);
    double[] expected = new double[w.length];
    for (int i = 0; i < w.length; i++) {
      expected[i] = (plus[i] - minus[i]) / (2 * eps);
    }
    assertArrayEquals(expected, hv.toDoubleArray(), 1e-6);
  }

  private static Tensor mlpLoss(Tensor x, Tensor w1, Tensor w2) {
    return x.matmul(w1).tanh().matmul(w2).softmax(1).pow(2).sum();
  }

  private static double[] gradientAt(Tensor x, double[] w1, Tensor w2) {
    Tensor w = Tensor.of(w1, 3, 4).requiresGrad();
    return Autograd.grad(mlpLoss(x, w, w2), w, false).toDoubleArray();
  }

  private static double[] add(double[] a, double[] b, double scale) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] + scale * b[i];
    }
    return out;
  }

  @Test
  void functionalGradLeavesGradUntouchedAndGivesZerosForUnusedInputs() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor unused = Tensor.of(new double[] {5}).requiresGrad();
    List<Tensor> g = Autograd.grad(x.mul(x).sum(), List.of(x, unused), false);
    assertArrayEquals(new double[] {2, 4}, g.get(0).toDoubleArray());
    assertArrayEquals(new double[] {0}, g.get(1).toDoubleArray());
    assertNull(x.grad());
  }

  @Test
  void gradWithRespectToAnIntermediateIsItsCotangent() {
    Tensor x = Tensor.scalar(3.0, DType.FLOAT64).requiresGrad();
    Tensor h = x.mul(2);
    Tensor y = h.mul(h);
    assertEquals(12.0, Autograd.grad(y, h, false).item(), 1e-12);
  }

  @Test
  void gradStopsAtAnIntermediateInputAndReleasesWhatItReachedUnlessRetained() {
    Op throwing = Op.define("throwingBackward", (c, in) -> in[0].mul(1), (c, g) -> {
      throw new UnsupportedOperationException("below h: grad(.., h) must not run it");
    });
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor h = throwing.apply(x).mul(2);
    assertArrayEquals(new double[] {4, 8},
        Autograd.grad(h.mul(h).sum(), h, false).toDoubleArray()); // 2h
    Tensor x2 = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor h2 = x2.mul(x2);
    assertArrayEquals(new double[] {2, 8}, Autograd.grad(List.of(h2.mul(h2).sum()), null,
        List.of(h2), true, false).get(0).toDoubleArray()); // retained
    h2.sum().backward(); // x2 * x2 is still there
    assertArrayEquals(new double[] {2, 4}, x2.grad().toDoubleArray());
    Tensor k = x2.mul(x2);
    Autograd.grad(k.mul(k).sum(), k, false); // releases what it reached, x2 * x2 included
    assertThrows(IllegalStateException.class, () -> k.sum().backward());
  }

  @Test
  void aCustomVjpThatCallsGradLeavesTheOuterPassesCotangentsAlone() {
    // G(a, e) = a^2, whose VJP asks for de/da itself (as a checkpointed or implicit layer does).
    Op g = Op.define("gradInside", (c, in) -> in[0].mul(in[0]), (c, gy) -> {
      Tensor da = Autograd.grad(List.of(c.input(1)), null, List.of(c.input(0)), true, false)
          .get(0);
      return new Tensor[] {gy.mul(da), null};
    });
    Tensor x = Tensor.of(new double[] {0.5, -1.2, 2.0}).requiresGrad();
    Tensor b = x.sin(); // recorded before e: its cotangent waits while G's VJP runs
    Tensor a = x.exp();
    Tensor e = a.mul(a).sum();
    g.apply(a, e).sum().add(b.sum()).backward();
    // 2 e^{2x} + cos x, from torch.autograd
    double[] expected = {6.314146218808463, 0.5437936610554986, 108.78015322974133};
    assertArrayEquals(expected, x.grad().toDoubleArray(), 1e-12);
    // A VJP whose own grad() does not retain leaves what lies below its input (exp) to the
    // outer pass.
    Op square = Op.define("squareByGrad", (c, in) -> in[0].mul(in[0]), (c, gy) -> {
      Tensor in = c.input(0);
      return new Tensor[] {Autograd.grad(in.mul(in).mul(gy).sum(), in, false)};
    });
    Tensor y = square.apply(x.exp()).sum().add(x.sin().sum());
    assertArrayEquals(expected, Autograd.grad(y, x, true).toDoubleArray(), 1e-12);
  }

  @Test
  void loopsOutsideAnyScopeKeepTheTapeFlatWithCreateGraphAndNullGradients() {
    Tensor z = Tensor.of(new double[] {0.5, -1.0}).requiresGrad();
    Tensor w = Tensor.of(new double[] {2.0, 3.0}).requiresGrad();
    Op stop = Op.define("stopGradient", (c, in) -> in[0].mul(1), (c, gy) -> new Tensor[] {null});
    Tape tape = ThreadState.get().tape;
    int before = tape.size();
    for (int i = 0; i < 100; i++) {
      Tensor y = z.mul(w).sum();
      Tensor gz = Autograd.grad(y, List.of(z), true).get(0); // w, differentiable
      gz.pow(2).sum().add(y).backward(); // a gradient penalty, as WGAN-GP's
      stop.apply(w.mul(2).tanh()).sum().add(z.sum()).backward(); // a VJP giving w no gradient
    }
    assertEquals(before, tape.size());
    assertArrayEquals(new double[] {300, 400}, z.grad().toDoubleArray(), 1e-9); // 100 (w + 1)
    assertArrayEquals(new double[] {100 * (2 * 2 + 0.5), 100 * (2 * 3 - 1)},
        w.grad().toDoubleArray(), 1e-9); // 100 (2w + z): the penalty's and y's
  }

  @Test
  void gradOfAHeadOutsideAnyScopeKeepsTheTapeFlat() {
    Tensor x = Tensor.randn(new Random(1), 4, 3).to(DType.FLOAT64);
    Tensor trunk = Tensor.randn(new Random(2), 3, 5).to(DType.FLOAT64).requiresGrad();
    Tensor head = Tensor.randn(new Random(3), 5, 1).to(DType.FLOAT64).requiresGrad();
    Tape tape = ThreadState.get().tape;
    int before = tape.size();
    for (int i = 0; i < 200; i++) {
      Tensor h = x.matmul(trunk).tanh(); // recorded (trunk requires gradients), never asked for
      Autograd.grad(h.matmul(head).sum(), head, false);
    }
    assertEquals(before, tape.size());
  }

  @Test
  void gradThroughAnotherThreadsEntryFailsRatherThanGivingZeros() throws Exception {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor h = w.mul(1.0).mul(1.0).mul(1.0).exp();
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      Tensor u = other.submit(() -> h.tanh()).get(); // recorded on the other thread's tape
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> Autograd.grad(u.sum(), h, false));
      assertTrue(e.getMessage().contains("thread"), e.getMessage());
    } finally {
      other.shutdown();
    }
  }

  @Test
  void gradWithRespectToAnIntermediateWorksAfterABackwardReleasedWhatMadeIt() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor h = x.mul(x);
    Tensor y = h.mul(h).sum();
    h.mul(3).sum().backward(); // releases x * x
    assertArrayEquals(new double[] {2, 8}, Autograd.grad(y, h, false).toDoubleArray());
    assertThrows(IllegalStateException.class, () -> Autograd.grad(x.mul(1).sum().add(
        h.sum()), x, false)); // needs x * x: spent
  }

  @Test
  void gradOfAnOutputComputedWithoutRecordingFailsAsBackwardDoes() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor y;
    try (var g = Autograd.noGrad()) {
      y = x.mul(x).sum();
    }
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Autograd.grad(y, x, false));
    assertTrue(e.getMessage().startsWith("grad: ") && e.getMessage().contains("noGrad"),
        e.getMessage());
    Tensor kept;
    try (var s = Tensors.scope()) {
      kept = x.mul(x).sum().keep();
    }
    e = assertThrows(IllegalStateException.class, () -> Autograd.grad(kept, x, false));
    assertTrue(e.getMessage().contains("kept past the scope"), e.getMessage());
    e = assertThrows(IllegalStateException.class,
        () -> Autograd.grad(kept.mul(3).sum(), x, false)); // computed from the kept tensor
    assertTrue(e.getMessage().contains("kept past the scope"), e.getMessage());
    Tensor firstOrder = Autograd.grad(x.mul(x).sum(), x, false); // no createGraph: no history
    assertThrows(IllegalStateException.class, () -> Autograd.grad(firstOrder.sum(), x, false));
    // A constant made from no tensor that requires gradients still gives zeros: the derivative
    // of a linear function's (constant) gradient.
    Tensor slope = Autograd.grad(x.mul(3).sum(), x, true);
    assertArrayEquals(new double[] {0, 0}, Autograd.grad(slope.sum(), x, false).toDoubleArray());
  }

  @Test
  void retainGradKeepsAnIntermediatesGradientAsTheZeroToHeroLectureReadsIt() {
    // Karpathy's micrograd lecture: e = a b, d = e + c, L = d f at a=2, b=-3, c=10, f=-2.
    Tensor a = Tensor.scalar(2.0, DType.FLOAT64).requiresGrad();
    Tensor b = Tensor.scalar(-3.0, DType.FLOAT64).requiresGrad();
    Tensor c = Tensor.scalar(10.0, DType.FLOAT64).requiresGrad();
    Tensor f = Tensor.scalar(-2.0, DType.FLOAT64).requiresGrad();
    Tensor e = a.mul(b).retainGrad();
    Tensor d = e.add(c).retainGrad();
    Tensor loss = d.mul(f).retainGrad();
    assertSame(a, a.retainGrad()); // a leaf keeps its gradient anyway
    assertNull(d.grad());
    Autograd.grad(List.of(loss), null, List.of(a), true, false); // leaves grad() alone
    assertNull(d.grad());
    loss = d.mul(f);
    loss.backward();
    assertEquals(-2, e.grad().item());
    assertEquals(-2, d.grad().item());
    assertEquals(6, a.grad().item());
    assertEquals(4, f.grad().item());
    assertThrows(IllegalStateException.class, () -> Tensor.scalar(1.0).retainGrad());
  }

  @Test
  void noGradRecordsNothing() {
    Tensor x = Tensor.scalar(3.0).requiresGrad();
    Tensor y;
    try (var g = Autograd.noGrad()) {
      assertFalse(Autograd.isGradEnabled());
      y = x.mul(2);
    }
    assertTrue(Autograd.isGradEnabled());
    assertFalse(y.isRequiresGrad());
    assertThrows(IllegalStateException.class, y::backward);
  }

  @Test
  void detachStopsGradients() {
    Tensor x = Tensor.scalar(3.0, DType.FLOAT64).requiresGrad();
    Tensor y = x.mul(x.detach()); // d/dx = x (the detached factor is a constant)
    y.backward();
    assertEquals(3.0, x.grad().item());
  }

  @Test
  void seededBackwardOfNonScalarOutput() {
    Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad();
    x.mul(x).backward(Tensor.of(new double[] {1, 0, 2}));
    assertArrayEquals(new double[] {2, 0, 12}, x.grad().toDoubleArray());
  }

  @Test
  void userDefinedOpRecordsLikeABuiltInOne() {
    Op cube = Op.define("cube",
        (ctx, in) -> {
          ctx.save(in[0]);
          return in[0].mul(in[0]).mul(in[0]);
        },
        (ctx, gy) -> new Tensor[] {gy.mul(ctx.saved(0).pow(2).mul(3))});
    Tensor x = Tensor.scalar(2.0, DType.FLOAT64).requiresGrad();
    Tensor y = cube.apply(x).add(1);
    assertEquals(9.0, y.item());
    y.backward();
    assertEquals(12.0, x.grad().item());
    // Its VJP is made of ordinary ops, so second derivatives work through it too.
    Tensor x2 = Tensor.scalar(2.0, DType.FLOAT64).requiresGrad();
    Tensor d = Autograd.grad(cube.apply(x2), x2, true);
    assertEquals(12.0, Autograd.grad(d, x2, false).item(), 1e-12);
  }

  @Test
  void userDefinedOpWithWrongGradientShapeFailsNamingTheOp() {
    Op bad = Op.define("badShape", (ctx, in) -> in[0].mul(2),
        (ctx, gy) -> new Tensor[] {gy.sum()});
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor y = bad.apply(x).sum();
    IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
    assertTrue(e.getMessage().startsWith("backward through badShape: "), e.getMessage());
    assertEquals(e.getMessage().indexOf("badShape"), e.getMessage().lastIndexOf("badShape"),
        e.getMessage()); // named once
  }

  @Test
  void userDefinedOpRunsItsForwardWithoutRecording() {
    Op twice = Op.define("twice", (ctx, in) -> in[0].add(in[0]),
        (ctx, gy) -> new Tensor[] {gy.mul(2)});
    Tensor x = Tensor.scalar(1.0).requiresGrad();
    int before = ThreadState.get().tape.size();
    twice.apply(x);
    assertEquals(before + 1, ThreadState.get().tape.size());
  }

  @Test
  void twoThreadsTrainTwoModelsAtOnceLikeOneAfterTheOther() throws Exception {
    double[] alone1 = train(1);
    double[] alone2 = train(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Callable<double[]> t1 = () -> train(1);
      Callable<double[]> t2 = () -> train(2);
      Future<double[]> f1 = pool.submit(t1);
      Future<double[]> f2 = pool.submit(t2);
      assertArrayEquals(alone1, f1.get());
      assertArrayEquals(alone2, f2.get());
    } finally {
      pool.shutdown();
    }
  }

  /** Trains a small regression model with plain gradient descent and returns its weights. */
  private static double[] train(long seed) {
    Random rnd = new Random(seed);
    Tensor x = Tensor.randn(rnd, 32, 4);
    Tensor y = Tensor.randn(rnd, 32, 1);
    Tensor w = Tensor.randn(rnd, 4, 8).mul(0.5).detach().requiresGrad();
    Tensor v = Tensor.randn(rnd, 8, 1).mul(0.5).detach().requiresGrad();
    for (int step = 0; step < 200; step++) {
      try (var s = Tensors.scope()) {
        Tensor loss = x.matmul(w).tanh().matmul(v).sub(y).pow(2).mean();
        loss.backward();
        Tensor nw = w.sub(w.grad().mul(0.05)).detach().requiresGrad().keep();
        Tensor nv = v.sub(v.grad().mul(0.05)).detach().requiresGrad().keep();
        w = nw;
        v = nv;
      }
    }
    double[] a = w.toDoubleArray();
    double[] b = v.toDoubleArray();
    double[] out = new double[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void backwardThroughAnotherThreadsTapeFailsClearly() throws Exception {
    Tensor x = Tensor.scalar(2.0).requiresGrad();
    Tensor y = x.mul(x);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Throwable> f = pool.submit(() -> {
        try {
          y.backward();
          return null;
        } catch (RuntimeException e) {
          return e;
        }
      });
      Throwable t = f.get();
      assertNotNull(t);
      assertTrue(t instanceof IllegalStateException, t.toString());
      assertTrue(t.getMessage().contains("thread"), t.getMessage());
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void usingATensorKeptPastItsScopeInARecordedOpWarnsOnceThatItsHistoryIsCut() throws Exception {
    List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("dev.autodiff");
    java.util.logging.Handler handler = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        warnings.add(r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    log.addHandler(handler);
    ExecutorService fresh = Executors.newSingleThreadExecutor(); // a tape that has not warned
    try {
      fresh.submit(() -> {
        Tensor w1 = Tensor.of(new double[] {1, 2}).requiresGrad();
        Tensor w2 = Tensor.of(new double[] {3, 4}).requiresGrad();
        Tensor h = Tensors.scoped(() -> w1.mul(2).tanh());
        h.mul(w2).sum().backward();
        h.mul(w2).sum().backward();
        assertNull(w1.grad()); // what the warning is about
        h.detach().mul(w2).sum().backward(); // said to be a constant: no warning
      }).get();
    } finally {
      fresh.shutdown();
      log.removeHandler(handler);
    }
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).startsWith("mul is recorded with an input of shape [2] that was"
        + " kept past the Tensors.scope()"), warnings.get(0));
  }

  @Test
  void tapeStaysFlatOverTenThousandStepsWithScopes() {
    Tensor w = Tensor.randn(new Random(1), 8, 8).requiresGrad();
    Tensor x = Tensor.randn(new Random(2), 4, 8);
    Tape tape = ThreadState.get().tape;
    int before = tape.size();
    for (int i = 0; i < 10_000; i++) {
      try (var s = Tensors.scope()) {
        Tensor loss = x.matmul(w).relu().sum();
        Tensor unused = x.matmul(w).exp(); // recorded, never backpropagated
        loss.backward();
        assertNotNull(unused);
      }
    }
    assertEquals(before, tape.size());
    assertNotNull(w.grad());
    assertFalse(w.grad().isClosed());
  }

  @Test
  void tapeStaysFlatWhenEveryStepBackpropagates() {
    Tensor w = Tensor.randn(new Random(1), 8, 8).requiresGrad();
    Tensor x = Tensor.randn(new Random(2), 4, 8);
    Tape tape = ThreadState.get().tape;
    int before = tape.size();
    for (int i = 0; i < 10_000; i++) {
      w.zeroGrad();
      x.matmul(w).tanh().sum().backward();
    }
    assertEquals(before, tape.size());
  }

  @Test
  void scopeClosesItsTensorsButKeepsLeafGradients() {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor kept;
    Tensor dropped;
    try (var s = Tensors.scope()) {
      dropped = w.mul(3);
      kept = w.mul(4).keep();
      dropped.sum().backward();
    }
    assertTrue(dropped.isClosed());
    assertFalse(kept.isClosed());
    assertFalse(w.isClosed());
    assertArrayEquals(new double[] {3, 3}, w.grad().toDoubleArray());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> dropped.add(1));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void keepOnlyMovesATensorOutOfTheInnermostScope() {
    Tensor w;
    Tensor twice;
    try (var outer = Tensors.scope()) {
      w = Tensor.ones(2);
      Tensor fromOuter = w;
      assertSame(w, Tensors.scoped(() -> fromOuter)); // returned, not made, by the inner scope
      try (var inner = Tensors.scope()) {
        twice = Tensor.ones(2).keep().keep(); // the second keep finds it in the outer scope
      }
      assertFalse(twice.isClosed());
    }
    assertTrue(w.isClosed(), "its own scope still closes it");
    assertTrue(twice.isClosed(), "kept once: into the outer scope, which closes it");
  }

  @Test
  void scopedReturnsItsResultAndFreesTheRest() {
    Tensor x = Tensor.of(new float[] {1, 2, 3});
    Tensor[] inner = new Tensor[1];
    Tensor r = Tensors.scoped(() -> {
      inner[0] = x.mul(2);
      return inner[0].add(1);
    });
    assertArrayEquals(new float[] {3, 5, 7}, r.toFloatArray());
    assertTrue(inner[0].isClosed());
  }

  @Test
  void viewsShareStorageUntilTheLastOneCloses() {
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4});
    Tensor v = x.reshape(2, 2);
    x.close();
    assertArrayEquals(new float[] {1, 2, 3, 4}, v.toFloatArray());
    assertThrows(IllegalStateException.class, x::toFloatArray);
  }

  @Test
  void opsAreEnumerableAndDifferentiableOnesHaveVjps() {
    assertTrue(Ops.all().size() > 30);
    assertTrue(Ops.differentiable().stream().allMatch(Op::isDifferentiable));
    assertTrue(Ops.all().stream().anyMatch(op -> op.name().equals("gt") && !op.isDifferentiable()));
  }
}
