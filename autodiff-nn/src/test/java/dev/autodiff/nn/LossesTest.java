package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LossesTest {
  private static final Tensor LOGITS = Tensor.of(new double[] {1, 2, 3, 1, 1, 1}, 2, 3);
  private static final Tensor LABELS = Tensor.of(new long[] {2, 0});

  private static double lse(double... v) {
    double m = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      m = Math.max(m, x);
    }
    double s = 0;
    for (double x : v) {
      s += Math.exp(x - m);
    }
    return m + Math.log(s);
  }

  @Test
  void softmaxCrossEntropyMatchesItsDefinitionInEveryReduction() {
    double l0 = lse(1, 2, 3) - 3;
    double l1 = lse(1, 1, 1) - 1;
    assertEquals((l0 + l1) / 2, Losses.softmaxCrossEntropy(LOGITS, LABELS).item(), 1e-12);
    assertEquals(l0 + l1,
        Losses.softmaxCrossEntropy(LOGITS, LABELS, Reduction.SUM).item(), 1e-12);
    assertArrayEquals(new double[] {l0, l1},
        Losses.softmaxCrossEntropy(LOGITS, LABELS, Reduction.NONE).toDoubleArray(), 1e-12);
    assertEquals(Shape.of(), Losses.softmaxCrossEntropy(LOGITS, LABELS).shape());
  }

  // PyTorch's layouts beyond [N, C]; expected values from torch 2.13 (F.cross_entropy, float64).
  private static Tensor perPixelLogits() { // [N=2, C=3, d=2]
    return Tensor.of(new double[] {0.5, -1, 2, 0.25, -0.75, 1.5, 1, 0, -2, 3, 0.5, 0.5}, 2, 3, 2)
        .requiresGrad();
  }

  @Test
  void crossEntropyOverExtraAxesTakesTheClassAxisSecondAsPyTorch() {
    Tensor x = perPixelLogits();
    Tensor labels = Tensor.of(new long[] {2, 0, 1, 2}, 2, 2);
    Tensor loss = Losses.softmaxCrossEntropy(x, labels);
    assertEquals(2.9861524335711827, loss.item(), 1e-12);
    loss.backward();
    assertArrayEquals(new double[] {0.043341123019748774, -0.23500555117122143,
        0.19424143733378557, 0.05233576887054923, -0.23758256035353437, 0.18266978230067218,
        0.15093722403715645, 0.010996620073014461, -0.2424852781076065, 0.22087301850679864,
        0.09154805407045007, -0.23186963857981308}, x.grad().toDoubleArray(), 1e-12);
    Tensor none = Losses.softmaxCrossEntropy(x, labels, Reduction.NONE);
    assertEquals(Shape.of(2, 2), none.shape());
    assertArrayEquals(new double[] {3.0023590102358226, 2.813780863337258, 3.5045969023422834,
        2.6238729583693674}, none.toDoubleArray(), 1e-12);
    assertEquals(11.94460973428473,
        Losses.nll(x.logSoftmax(1), labels, Reduction.SUM).item(), 1e-12);
  }

  @Test
  void crossEntropyOptionsAndProbabilitiesOverExtraAxesMatchPyTorch() {
    Tensor x = perPixelLogits();
    Tensor loss = Losses.crossEntropy().classWeights(Tensor.of(new double[] {1, 2, 0.5}))
        .ignoreIndex(-100).labelSmoothing(0.1)
        .apply(x, Tensor.of(new long[] {2, -100, 1, 2}, 2, 2));
    assertEquals(3.129558503899661, loss.item(), 1e-12);
    loss.backward();
    assertArrayEquals(new double[] {0.02163551517047685, 0.0, 0.12453797487441576, 0.0,
        -0.14617349004489263, 0.0, 0.3746173503171776, -0.0028025537226112965,
        -0.6030179329416611, 0.14465961398291452, 0.22840058262448348, -0.1418570602603032},
        x.grad().toDoubleArray(), 1e-12);
    Tensor y = perPixelLogits();
    Tensor probs = Tensor.of(new double[] {0.1, 0.2, 0.3, -0.4, 0, 1, 1, 0, 0, 1, 0.5, 0.5},
        2, 3, 2).softmax(1);
    Tensor lp = Losses.softmaxCrossEntropy(y, probs);
    assertEquals(1.3385031259745679, lp.item(), 1e-12);
    lp.backward();
    assertArrayEquals(new double[] {-0.03662714106423116, -0.05124207670030624,
        0.09656797901633164, 0.015984392925748443, -0.059940837952100534, 0.03525768377455776,
        0.02431712627324295, -0.035584310733447436, -0.03906620891406839, 0.09425292074288513,
        0.014749082640825473, -0.058668610009437655}, y.grad().toDoubleArray(), 1e-12);
  }

  @Test
  void unbatchedLogitsTakeAScalarLabel() {
    Tensor u = Tensor.of(new double[] {0.5, -1, 2}).requiresGrad();
    Tensor loss = Losses.softmaxCrossEntropy(u, Tensor.scalar(2, DType.INT64));
    assertEquals(0.24131129665715703, loss.item(), 1e-12);
    loss.backward();
    assertArrayEquals(new double[] {0.1752903921400367, 0.03911257327068745,
        -0.21440296541072412}, u.grad().toDoubleArray(), 1e-12);
    assertEquals(Shape.of(), Losses.softmaxCrossEntropy(u, Tensor.scalar(2, DType.INT64),
        Reduction.NONE).shape());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(perPixelLogits(), Tensor.of(new long[] {0, 1})));
    assertEquals("softmaxCrossEntropy: for logits of shape [2, 3, 2] the labels must have shape"
        + " [2, 2], got [2] (int64)", e.getMessage());
  }

  @Test
  void softmaxCrossEntropyGradientIsSoftmaxMinusOneHotOverN() {
    Tensor x = LOGITS.detach().requiresGrad();
    Losses.softmaxCrossEntropy(x, LABELS).backward();
    double[] g = x.grad().toDoubleArray();
    double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    assertEquals(Math.exp(1) / z / 2, g[0], 1e-12);
    assertEquals((Math.exp(3) / z - 1) / 2, g[2], 1e-12);
    assertEquals((1.0 / 3 - 1) / 2, g[3], 1e-12);
  }

  @Test
  void softmaxCrossEntropyIsStableForLogitsOfMagnitudeAThousand() {
    Tensor x = Tensor.of(new float[] {1000, -1000, 0, 0, 1000, -1000}, 2, 3).requiresGrad();
    Tensor loss = Losses.softmaxCrossEntropy(x, Tensor.of(new long[] {1, 1}));
    assertEquals(1000.0, loss.item(), 1e-3); // row 0: 2000, row 1: 0
    loss.backward();
    for (float v : x.grad().toFloatArray()) {
      assertTrue(Float.isFinite(v));
    }
    assertArrayEquals(new float[] {0.5f, -0.5f, 0, 0, 0, 0}, x.grad().toFloatArray(), 1e-6f);
  }

  @Test
  void probabilityTargetsGiveTheSameLossAsOneHotLabelsAndGetGradients() {
    Tensor oneHot = LABELS.oneHot(3).to(LOGITS.dtype()).requiresGrad();
    assertEquals(Losses.softmaxCrossEntropy(LOGITS, LABELS).item(),
        Losses.softmaxCrossEntropy(LOGITS, oneHot).item(), 1e-12);
    Losses.softmaxCrossEntropy(LOGITS, oneHot).backward();
    // d/dt of -sum t log p is -log p / N.
    double[] g = oneHot.grad().toDoubleArray();
    assertEquals(-(1 - lse(1, 2, 3)) / 2, g[0], 1e-12);
    // oneHot gives int64, as torch's one_hot; cross_entropy does not take those as targets either
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(LOGITS, LABELS.oneHot(3)));
    assertTrue(e.getMessage().contains("oneHot(C).to(DType.FLOAT32)"), e.getMessage());
  }

  @Test
  void nllOfLogSoftmaxEqualsCrossEntropy() {
    assertEquals(Losses.softmaxCrossEntropy(LOGITS, LABELS).item(),
        Losses.nll(LOGITS.logSoftmax(1), LABELS).item(), 1e-12);
  }

  @Test
  void regressionLossesMatchTheirDefinitions() {
    Tensor p = Tensor.of(new double[] {0.5, 2, -1, 3});
    Tensor t = Tensor.of(new double[] {0, 0, 0, 0.5});
    assertEquals((0.25 + 4 + 1 + 6.25) / 4, Losses.mse(p, t).item(), 1e-12);
    assertEquals(0.25 + 4 + 1 + 6.25, Losses.mse(p, t, Reduction.SUM).item(), 1e-12);
    assertEquals((0.5 + 2 + 1 + 2.5) / 4, Losses.l1(p, t).item(), 1e-12);
    // Huber (delta 1): 0.125, 1.5, 0.5, 2.0
    assertEquals((0.125 + 1.5 + 0.5 + 2.0) / 4, Losses.huber(p, t).item(), 1e-12);
  }

  @Test
  void bceWithLogitsIsStableAndMatchesItsDefinition() {
    Tensor x = Tensor.of(new double[] {0.3, -2, 800, -800});
    Tensor t = Tensor.of(new double[] {1, 0, 1, 0});
    double expected = (Math.log1p(Math.exp(-0.3)) + Math.log1p(Math.exp(-2)) + 0 + 0) / 4;
    assertEquals(expected, Losses.bceWithLogits(x, t).item(), 1e-12);
    Tensor xs = x.detach().requiresGrad();
    Tensor ts = t.detach().requiresGrad();
    Losses.bceWithLogits(xs, ts).backward();
    double s = 1 / (1 + Math.exp(-0.3));
    assertEquals((s - 1) / 4, xs.grad().toDoubleArray()[0], 1e-12);
    assertEquals(-0.3 / 4, ts.grad().toDoubleArray()[0], 1e-12); // the target gets -x / N
  }

  @Test
  void bceWithLogitsKeepsSmallLossesOfLargeLogitsToFullPrecision() {
    // exact values (50 digits, mpmath): softplus(x) - x t would give 0 for the first two
    double[] x = {25, 20.5, 19.9, 0, -3, -30, 2.5};
    double[] t = {1, 1, 1, 0.3, 0.2, 0, 0.7};
    double[] loss = {1.3887943864867583e-11, 1.2501528656053015e-09, 2.277927038610895e-09,
        0.6931471805599453, 0.6485873515737421, 9.357622968839737e-14, 0.8288897342925498};
    double[] slope = {-1.3887943864771146e-11, -1.2501528648238605e-09, -2.277927036016419e-09,
        0.2, -0.15257412682243324, 9.357622968839299e-14, 0.22414181997875648};
    Tensor xs = Tensor.of(x).requiresGrad();
    Tensor ts = Tensor.of(t).requiresGrad();
    Tensor l = Losses.bceWithLogits(xs, ts, Reduction.NONE);
    l.sum().backward();
    double[] got = l.toDoubleArray();
    double[] gx = xs.grad().toDoubleArray();
    double[] gt = ts.grad().toDoubleArray();
    for (int i = 0; i < x.length; i++) {
      assertEquals(loss[i], got[i], 1e-14 * loss[i], "loss " + i);
      assertEquals(slope[i], gx[i], 1e-14 * Math.abs(slope[i]), "gradient " + i);
      assertEquals(-x[i], gt[i], 0, "target gradient " + i);
    }
    Tensor inf = Tensor.of(new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
    assertArrayEquals(new double[] {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY},
        Losses.bceWithLogits(inf, Tensor.of(new double[] {0, 1}), Reduction.NONE)
            .toDoubleArray());
  }

  @Test
  void bceWithLogitsGradientsAtInfiniteLogitsMatchPyTorch() {
    // torch 2.13, float64, reduction='sum': x = [inf, -inf, 2, -1], t = [1, 0, 0.3, 0.6]
    double[][] expected = {
        {0, 0, 0.5807970779778824, -0.3310585786300049,
            Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -2, 1},
        {0, 0, 0.545036201371247, -0.7696937258080078,      // pos_weight=[2]
            Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -1.8730719889570278,
            2.3132616875182226}};
    for (int withPos = 0; withPos < 2; withPos++) {
      Tensor x = Tensor.of(new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 2, -1})
          .requiresGrad();
      Tensor t = Tensor.of(new double[] {1, 0, 0.3, 0.6}).requiresGrad();
      BceWithLogits bce = Losses.bceWithLogits().reduction(Reduction.SUM);
      if (withPos == 1) {
        bce = bce.posWeight(Tensor.of(new double[] {2}));
      }
      bce.apply(x, t).backward();
      double[] got = new double[8];
      System.arraycopy(x.grad().toDoubleArray(), 0, got, 0, 4);
      System.arraycopy(t.grad().toDoubleArray(), 0, got, 4, 4);
      assertArrayEquals(expected[withPos], got, 1e-12);
    }
  }

  // ---- crossEntropy() options, against torch.nn.functional.cross_entropy 2.13 (float64) -----

  private static final double[] CE_LOGITS = {1.0, -0.5, 2.0, 0.3, 0.8, -1.2, -2.0, 0.1, 0.4,
      1.5, 1.5, -0.7};
  private static final Tensor CE_WEIGHTS = Tensor.of(new double[] {0.2, 1.0, 3.0});

  /** Checks loss values and the logits' gradient (of the loss, or of its sum for NONE). */
  private static void assertCrossEntropy(CrossEntropy ce, Tensor target, double[] loss,
      double[] grad) {
    Tensor x = Tensor.of(CE_LOGITS, 4, 3).requiresGrad();
    Tensor l = ce.apply(x, target);
    assertArrayEquals(loss, l.toDoubleArray(), 1e-14, ce.toString());
    l.sum().backward();
    assertArrayEquals(grad, x.grad().toDoubleArray(), 1e-14, ce + " gradient");
  }

  @Test
  void crossEntropyOptionsMatchPyTorch() {
    Tensor y = Tensor.of(new long[] {0, 2, 1, 2});
    Tensor withIgnored = Tensor.of(new long[] {0, -100, 1, 2});
    assertCrossEntropy(Losses.crossEntropy().labelSmoothing(0.1), y,
        new double[] {1.8980132144282023},
        new double[] {-0.169904287924577, 0.005819599726784487, 0.16408468819779257,
            0.07871852363760039, 0.1351909149085903, -0.21390943854619068,
            0.004049435101526206, -0.13221354230629095, 0.12816410720476473,
            0.11010499617625602, 0.11010499617625602, -0.22020999235251204});
    assertCrossEntropy(Losses.crossEntropy().classWeights(CE_WEIGHTS), y,
        new double[] {2.456324885534941},
        new double[] {-0.020730106065693744, 0.001572548117790869, 0.01915755794790288,
            0.14508642828488955, 0.23920708040320607, -0.3842935086880956,
            0.006879315797144189, -0.08271122720719867, 0.07583191141005448,
            0.1973972158493156, 0.1973972158493156, -0.39479443169863115});
    CrossEntropy all = Losses.crossEntropy().classWeights(CE_WEIGHTS).labelSmoothing(0.2)
        .ignoreIndex(-100);
    double[] sumGrad = {-0.061698213413922245, -0.0417575044808593, 0.10345571789478161, 0, 0,
        0, 0.04016022630525988, -0.42982916942984356, 0.38966894312458367, 1.2563255590094649,
        1.2029922256761314, -2.459317784685596};
    assertCrossEntropy(all, withIgnored, new double[] {2.1836162530635654},
        new double[] {-0.014690050812838631, -0.009942262971633167, 0.02463231378447181, 0, 0,
            0, 0.009561958644109494, -0.10234027843567704, 0.09277831979156752,
            0.29912513309749156, 0.2864267203990789, -0.5855518534965704});
    assertCrossEntropy(all.reduction(Reduction.SUM), withIgnored,
        new double[] {9.171188262866975}, sumGrad);
    assertCrossEntropy(all.reduction(Reduction.NONE), withIgnored,
        new double[] {0.5034771740151804, 0, 0.9455674583736454, 7.72214363047815}, sumGrad);
    assertCrossEntropy(Losses.crossEntropy().ignoreIndex(1), y,
        new double[] {2.291188156776601},
        new double[] {-0.2487612727883249, 0.018870577413490425, 0.22989069537483453,
            0.11606914262791163, 0.19136566432256485, -0.3074348069504765, 0, 0, 0,
            0.15791777267945245, 0.15791777267945245, -0.3158355453589049});
    Tensor probs = Tensor.of(new double[] {0.7, 0.2, 0.1, 0, 0, 1, 0.5, 0.5, 0, 0.1, 0.1, 0.8},
        4, 3);
    assertCrossEntropy(Losses.crossEntropy().classWeights(CE_WEIGHTS).labelSmoothing(0.3),
        probs, new double[] {3.5239788019208986},
        new double[] {0.02555641141480048, -0.04771525410381773, 0.022158842689017275,
            0.214370679566753, 0.3366811055696476, -0.5510517851364005, -0.012098474514717988,
            -0.0275593755372844, 0.039657850052002355, 0.2501693116489431,
            0.21616931164894312, -0.4663386232978862});
    // every row ignored: the loss is NaN, as torch's, but the gradient 0 (torch's too)
    Tensor x = Tensor.of(CE_LOGITS, 4, 3).requiresGrad();
    Tensor none = Losses.crossEntropy().ignoreIndex(-100).labelSmoothing(0.2)
        .apply(x, Tensor.full(-100, DType.INT64, 4));
    assertTrue(Double.isNaN(none.item()));
    none.backward();
    assertArrayEquals(new double[12], x.grad().toDoubleArray(), 0);
  }

  @Test
  void aLossConfiguredInAScopeOutlivesItAndNamesClosedWeights() {
    Tensor x = Tensor.of(CE_LOGITS, 4, 3);
    Tensor y = Tensor.of(new long[] {0, 2, 1, 2});
    Tensor w = Tensor.of(new double[] {0.2, 1.0, 3.0});
    CrossEntropy ce;
    BceWithLogits bce;
    try (var s = Tensors.scope()) {
      ce = Losses.crossEntropy().classWeights(w);
      bce = Losses.bceWithLogits().posWeight(w);
    }
    assertEquals(2.456324885534941, ce.apply(x, y).item(), 1e-14); // torch's value, above
    assertTrue(Double.isFinite(bce.apply(x, x.sigmoid()).item()));
    w.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ce.apply(x, y));
    assertTrue(e.getMessage().startsWith("crossEntropy: the class weights tensor was closed"),
        e.getMessage());
    e = assertThrows(IllegalStateException.class, () -> bce.apply(x, x.sigmoid()));
    assertTrue(e.getMessage().startsWith("bceWithLogits: the posWeight tensor was closed"),
        e.getMessage());
  }

  @Test
  void paddingLabelsAndNullArgumentsAreExplained() {
    Tensor x = Tensor.of(CE_LOGITS, 4, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(x, Tensor.of(new long[] {0, -100, 2, 1})));
    assertTrue(e.getMessage().contains("ignoreIndex(-100)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Losses.crossEntropy().ignoreIndex(5).apply(null, Tensor.of(new long[] {0})));
    assertTrue(e.getMessage().contains("the prediction is null"), e.getMessage());
  }

  @Test
  void closedLabelsAreNamedByTheLoss() {
    Tensor x = Tensor.of(CE_LOGITS, 4, 3);
    Tensor y = Tensor.of(new long[] {0, 2, 1, 2});
    y.close();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Losses.softmaxCrossEntropy(x, y));
    assertTrue(e.getMessage().startsWith("softmaxCrossEntropy: the labels tensor was closed"),
        e.getMessage());
  }

  @Test
  void crossEntropyWithoutOptionsIsTheFusedLossAndBadOptionsAreNamed() {
    Tensor x = Tensor.of(CE_LOGITS, 4, 3);
    Tensor y = Tensor.of(new long[] {0, 2, 1, 2});
    assertEquals(Losses.softmaxCrossEntropy(x, y).item(), Losses.crossEntropy().apply(x, y).item());
    assertThrows(IllegalArgumentException.class,
        () -> Losses.crossEntropy().labelSmoothing(1.5));
    assertThrows(IllegalArgumentException.class,
        () -> Losses.crossEntropy().classWeights(Tensor.of(new long[] {1, 2, 3})));
    IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
        () -> Losses.crossEntropy().classWeights(Tensor.of(new double[] {1, 2})).apply(x, y));
    assertTrue(few.getMessage().contains("2 class weights for 3 classes"), few.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> Losses.crossEntropy().ignoreIndex(-100).apply(x, Tensor.of(new long[] {0, 3, 1,
            -100})));
    assertTrue(bad.getMessage().contains("label 3"), bad.getMessage());
  }

  @Test
  void bceWithLogitsOptionsMatchPyTorch() {
    // torch.nn.functional.binary_cross_entropy_with_logits 2.13, float64, reduction none
    double[] loss = {8.33276631892055e-11, 0.9481539683602134, 3.0919344253988363,
        0.6293552444685271, 7.500000000000023, 0.1316412336690156, 2.0794415416798357,
        0.6599569940662138, 1.9900000033029934};
    // element 0 exactly, -6 sigmoid(-25): torch's -8.332801115784605e-11 is 4e-6 off
    double[] gx = {-6 / (1 + Math.exp(25)), 0.7550813375962908, 1.1258332793491292,
        -0.17555748318834097, -0.2499999999999766, 0.11573760825049119, -1.5,
        0.37248126873104603, 0.09999999669700599};
    double[] gt = {-49.99999999994445, 0.025923015819893314, -3.8730719889570278,
        0.4043552444685271, 7.499999999999976, 0.9658206168345078, 1.3862943611198904,
        -0.4221983300367854, -19.899999998861034};
    BceWithLogits bce = Losses.bceWithLogits().posWeight(Tensor.of(new double[] {3, 0.5, 1.5}))
        .weight(Tensor.of(new double[] {2, 0.5, 1}, 3, 1));
    for (Reduction red : Reduction.values()) {
      Tensor x = Tensor.of(new double[] {25, -0.5, 2, 0.3, -30, -1.2, 0, 0.1, 19.9}, 3, 3)
          .requiresGrad();
      Tensor t = Tensor.of(new double[] {1, 0, 0.3, 0.5, 1, 0, 1, 0.2, 0.9}, 3, 3)
          .requiresGrad();
      Tensor l = bce.reduction(red).apply(x, t);
      double scale = red == Reduction.MEAN ? 1.0 / 9 : 1;
      double total = Arrays.stream(loss).sum();
      if (red == Reduction.NONE) {
        assertArrayEquals(loss, l.toDoubleArray(), 1e-13, "loss");
      } else {
        assertEquals(total * scale, l.item(), 1e-13, red.toString());
      }
      l.sum().backward();
      double[] gotX = x.grad().toDoubleArray();
      double[] gotT = t.grad().toDoubleArray();
      for (int i = 0; i < 9; i++) {
        assertEquals(gx[i] * scale, gotX[i], 1e-12 * Math.max(1e-10, Math.abs(gx[i])), red + " x");
        assertEquals(gt[i] * scale, gotT[i], 1e-12 * Math.abs(gt[i]), red + " target");
      }
    }
    assertThrows(IllegalArgumentException.class, () -> Losses.bceWithLogits()
        .posWeight(Tensor.of(new double[] {1, 2})).apply(Tensor.zeros(3, 3), Tensor.zeros(3, 3)));
    assertThrows(IllegalArgumentException.class,
        () -> Losses.bceWithLogits().weight(Tensor.of(new long[] {1})));
  }

  @Test
  void huberOfAnInfiniteDifferenceHasTheLinearSlope() {
    // torch: [1, 1]; the quadratic branch, not taken, must not send 0 * inf back
    Tensor p = Tensor.of(new double[] {Double.POSITIVE_INFINITY, 3}).requiresGrad();
    Tensor t = Tensor.of(new double[] {0, 0}).requiresGrad();
    Losses.huber(p, t, 1.0, Reduction.SUM).backward();
    assertArrayEquals(new double[] {1, 1}, p.grad().toDoubleArray());
    assertArrayEquals(new double[] {-1, -1}, t.grad().toDoubleArray());
  }

  @Test
  void mseTargetThatRequiresGradGetsGradients() {
    Tensor p = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor t = Tensor.of(new double[] {0, 0}).requiresGrad();
    Losses.mse(p, t).backward();
    assertArrayEquals(new double[] {1, 2}, p.grad().toDoubleArray(), 1e-12);
    assertArrayEquals(new double[] {-1, -2}, t.grad().toDoubleArray(), 1e-12);
  }

  @Test
  void badLabelsAndShapesFailNamingTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(LOGITS, Tensor.of(new long[] {2, 3})));
    assertTrue(e.getMessage().contains("label 3") && e.getMessage().contains("index 1"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(LOGITS, Tensor.of(new long[] {-1, 0})));
    assertTrue(e.getMessage().contains("label -1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(LOGITS, Tensor.of(new long[] {0, 1, 2})));
    assertTrue(e.getMessage().contains("3 labels") && e.getMessage().contains("batch of 2"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Losses.mse(Tensor.zeros(3), Tensor.zeros(3, 1)));
    assertTrue(e.getMessage().contains("[3]") && e.getMessage().contains("[3, 1]"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Losses.mse(null, Tensor.zeros(1)));
  }

  @Test
  void floatLabelsOfTheWrongShapeAreExplained() {
    Tensor logits = Tensor.zeros(4, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(logits, Tensor.of(new float[] {0, 1, 2, 1})));
    assertTrue(e.getMessage().contains("class labels must be int64"), e.getMessage());
  }
}
