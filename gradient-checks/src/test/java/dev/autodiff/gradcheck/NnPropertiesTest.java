package dev.autodiff.gradcheck;

import static dev.autodiff.gradcheck.TensorArbitraries.tensors;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.DType;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import dev.autodiff.nn.Dropout;
import dev.autodiff.nn.ELU;
import dev.autodiff.nn.Layer;
import dev.autodiff.nn.LeakyReLU;
import dev.autodiff.nn.Linear;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.MLP;
import dev.autodiff.nn.Maxout;
import dev.autodiff.nn.Reduction;
import dev.autodiff.nn.Sigmoid;
import dev.autodiff.nn.Softplus;
import dev.autodiff.nn.Tanh;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * autodiff-nn's losses and layers: their gradients match finite differences, for inputs,
 * targets that require gradients, and parameters.
 */
class NnPropertiesTest {
  static final int TRIES = 50;

  /** Logits [N, C] and int64 labels [N]. */
  @Provide
  Arbitrary<Tensor[]> logitsAndLabels() {
    return Combinators.combine(Arbitraries.integers().between(1, 4),
        Arbitraries.integers().between(2, 4)).flatAs((n, c) -> Combinators.combine(
            tensors(Shape.of(n, c), Domain.range(-3, 3)), TensorArbitraries.labels(n, c))
        .as((x, y) -> new Tensor[] {x, y}));
  }

  /** Two tensors of one shape. */
  @Provide
  Arbitrary<Tensor[]> predictionAndTarget() {
    return TensorArbitraries.nonEmptyShapes(1, 3, 3).flatMap(s -> Combinators.combine(
        tensors(s, Domain.any()), tensors(s, Domain.any())).as((p, t) -> new Tensor[] {p, t}));
  }

  @Provide
  Arbitrary<Reduction> reductions() {
    return Arbitraries.of(Reduction.class);
  }

  @Property(tries = TRIES)
  void softmaxCrossEntropyWithLabelsMatchesFiniteDifferences(
      @ForAll("logitsAndLabels") Tensor[] xy, @ForAll("reductions") Reduction r) {
    OpLaws.verify("softmaxCrossEntropy", true,
        in -> Losses.softmaxCrossEntropy(in[0], in[1], r), xy);
  }

  @Property(tries = TRIES)
  void softmaxCrossEntropyWithProbabilitiesGivesGradientsToBoth(
      @ForAll("logitsAndLabels") Tensor[] xy, @ForAll("reductions") Reduction r) {
    Tensor probs = xy[0].mul(0.7).softmax(1).detach();
    OpLaws.verify("softmaxCrossEntropy(probabilities)", true,
        in -> Losses.softmaxCrossEntropy(in[0], in[1], r), xy[0], probs);
  }

  @Property(tries = TRIES)
  void nllMatchesFiniteDifferences(@ForAll("logitsAndLabels") Tensor[] xy,
      @ForAll("reductions") Reduction r) {
    OpLaws.verify("nll", true, in -> Losses.nll(in[0].logSoftmax(1), in[1], r), xy);
  }

  @Property(tries = TRIES)
  void mseGivesGradientsToPredictionAndTarget(@ForAll("predictionAndTarget") Tensor[] pt,
      @ForAll("reductions") Reduction r) {
    OpLaws.verify("mse", true, in -> Losses.mse(in[0], in[1], r), pt);
  }

  @Property(tries = TRIES)
  void l1MatchesFiniteDifferencesAwayFromTies(@ForAll("predictionAndTarget") Tensor[] pt,
      @ForAll("reductions") Reduction r) {
    Tensor target = pt[0].add(awayFromZero(pt[1]));
    OpLaws.verify("l1", true, in -> Losses.l1(in[0], in[1], r), pt[0], target);
  }

  @Property(tries = TRIES)
  void huberMatchesFiniteDifferencesAwayFromItsSeams(@ForAll("predictionAndTarget") Tensor[] pt,
      @ForAll("reductions") Reduction r) {
    // Differences d with |d| kept off 0 and off delta = 1, where the pieces meet.
    Tensor d = awayFromZero(pt[1]);
    Tensor far = d.abs().sub(1).abs().lt(0.05);
    Tensor target = pt[0].add(Tensor.where(far, d.mul(1.2), d));
    OpLaws.verify("huber", true, in -> Losses.huber(in[0], in[1], 1.0, r), pt[0], target);
  }

  @Property(tries = TRIES)
  void bceWithLogitsGivesGradientsToLogitsAndTargets(@ForAll("predictionAndTarget") Tensor[] pt,
      @ForAll("reductions") Reduction r) {
    Tensor target = pt[1].sigmoid().detach();
    OpLaws.verify("bceWithLogits", true, in -> Losses.bceWithLogits(in[0], in[1], r), pt[0],
        target);
  }

  private static Tensor awayFromZero(Tensor d) {
    Tensor sign = Tensor.where(d.ge(0), d.onesLike(), d.onesLike().neg());
    return d.add(sign.mul(0.1)).detach(); // |d| >= 0.1
  }

  // ---- layers --------------------------------------------------------------------------------

  enum Activation {
    TANH(Tanh::new, true),
    SIGMOID(Sigmoid::new, true),
    SOFTPLUS(Softplus::new, true),
    ELU(ELU::new, false),
    LEAKY_RELU(LeakyReLU::new, false);

    final java.util.function.Supplier<Layer> make;
    final boolean smooth;

    Activation(java.util.function.Supplier<Layer> make, boolean smooth) {
      this.make = make;
      this.smooth = smooth;
    }
  }

  @Property(tries = TRIES)
  void mlpInputAndParameterGradientsMatchFiniteDifferences(
      @ForAll @IntRange(min = 1, max = 4) int hidden, @ForAll Activation activation,
      @ForAll @IntRange(min = 0, max = 10_000) int seed) {
    Random rnd = new Random(seed);
    MLP mlp = MLP.of(rnd, activation.make, 3, hidden, 2);
    Tensor x = Tensor.randn(rnd, 4, 3).to(DType.FLOAT64).requiresGrad();
    GradCheck.defaults().name("MLP input").atol(1e-4).check(in -> mlp.forward(in[0]), x)
        .assertPassed();
    if (activation.smooth) { // float32 steps are too coarse to stay clear of a kink
      parameterGradientsMatch(mlp, x);
    }
  }

  @Property(tries = TRIES)
  void linearParameterGradientsMatchFiniteDifferences(
      @ForAll @IntRange(min = 1, max = 4) int in, @ForAll @IntRange(min = 1, max = 4) int out,
      @ForAll @IntRange(min = 0, max = 10_000) int seed) {
    Random rnd = new Random(seed);
    Linear linear = new Linear(in, out, rnd);
    parameterGradientsMatch(linear, Tensor.randn(rnd, 3, in).to(DType.FLOAT64));
  }

  @Property(tries = TRIES)
  void maxoutAndDropoutPassGradientsToTheirInputs(@ForAll("distinctRows") Tensor x,
      @ForAll @IntRange(min = 0, max = 10_000) int seed) {
    x.requiresGrad();
    GradCheck.defaults().name("Maxout").check(in -> new Maxout(2).forward(in[0]), x)
        .assertPassed();
    // A dropout of one seed draws one mask, so each evaluation sees the same function.
    GradCheck.defaults().name("Dropout").check(
        in -> new Dropout(0.4, new Random(seed)).forward(in[0]), x).assertPassed();
  }

  @Provide
  Arbitrary<Tensor> distinctRows() {
    return Arbitraries.integers().between(1, 3).flatMap(n ->
        tensors(Shape.of(n, 4), Domain.distinct()));
  }

  /**
   * Each float32 parameter's gradient of sum(u * layer(x)) matches central differences taken by
   * overwriting the parameter in place (step 1e-3; float32 rounding bounds the agreement).
   */
  private static void parameterGradientsMatch(Layer layer, Tensor x) {
    Tensor probe = Tensor.randn(new Random(11), layer.forward(x).shape().toArray())
        .to(DType.FLOAT64);
    layer.zeroGrad();
    layer.forward(x).mul(probe).sum().backward();
    double h = 1e-3;
    for (var entry : layer.namedParameters().entrySet()) {
      Tensor p = entry.getValue();
      float[] base = p.toFloatArray();
      float[] analytic = p.grad().toFloatArray();
      for (int i = 0; i < base.length; i++) {
        double plus = objective(layer, x, probe, p, base, i, h);
        double minus = objective(layer, x, probe, p, base, i, -h);
        p.copyFrom(Tensor.of(base).reshape(p.shape().toArray()));
        double numeric = (plus - minus) / (2 * h);
        assertEquals(numeric, analytic[i], 1e-3 + 1e-2 * Math.abs(numeric),
            entry.getKey() + " element " + i);
      }
    }
  }

  private static double objective(Layer layer, Tensor x, Tensor probe, Tensor p, float[] base,
      int i, double step) {
    float[] v = base.clone();
    v[i] += (float) step;
    p.copyFrom(Tensor.of(v).reshape(p.shape().toArray()));
    try (var noGrad = Autograd.noGrad()) {
      return layer.forward(x).mul(probe).sum().item();
    }
  }

  @Property(tries = 20)
  void lossesOfLargeLogitsStayFinite(@ForAll("logitsAndLabels") Tensor[] xy) {
    Tensor big = xy[0].mul(400).detach().requiresGrad();
    Tensor loss = Losses.softmaxCrossEntropy(big, xy[1]);
    loss.backward();
    for (double g : big.grad().toDoubleArray()) {
      if (!Double.isFinite(g)) {
        throw new AssertionError("non-finite gradient at logits " + big);
      }
    }
    if (!Double.isFinite(loss.item())) {
      throw new AssertionError("non-finite loss at logits " + big);
    }
  }
}
