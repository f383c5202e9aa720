package dev.autodiff.gradcheck;

import dev.autodiff.core.DType;
import dev.autodiff.core.Op;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Whole models: random small MLPs with softmax cross-entropy and squared loss pass the gradient
 * check on every parameter; and an example of checking a user-defined op as a property.
 */
class CompositeAndUserOpPropertiesTest {

  enum Activation {
    TANH(Tensor::tanh),
    SIGMOID(Tensor::sigmoid),
    RELU(Tensor::relu),
    LEAKY_RELU(x -> x.leakyRelu(0.1)),
    ELU(x -> x.elu(1.0)),
    SOFTPLUS(Tensor::softplus);

    final UnaryOperator<Tensor> f;

    Activation(UnaryOperator<Tensor> f) {
      this.f = f;
    }
  }

  @Provide
  Arbitrary<List<Activation>> activations() {
    return Arbitraries.of(Activation.class).list().ofMinSize(1).ofMaxSize(3);
  }

  /** Weights and biases of an MLP of the given widths, then the forward pass as a function. */
  private static final class Mlp {
    final List<Tensor> params = new ArrayList<>();
    final List<Activation> acts;

    Mlp(Random rnd, int[] widths, List<Activation> acts) {
      this.acts = acts;
      for (int l = 0; l + 1 < widths.length; l++) {
        params.add(Tensor.randn(rnd, widths[l], widths[l + 1]).to(DType.FLOAT64)
            .mul(1 / Math.sqrt(widths[l])).detach().requiresGrad());
        params.add(Tensor.randn(rnd, widths[l + 1]).to(DType.FLOAT64).mul(0.1).detach()
            .requiresGrad());
      }
    }

    /** in[0] is the input batch, in[1..] the parameters. */
    Tensor forward(Tensor[] in) {
      Tensor h = in[0];
      int layers = (in.length - 1) / 2;
      for (int l = 0; l < layers; l++) {
        h = h.matmul(in[1 + 2 * l]).add(in[2 + 2 * l]);
        if (l < layers - 1) {
          h = acts.get(l % acts.size()).f.apply(h);
        }
      }
      return h;
    }

    Tensor[] inputs(Tensor x) {
      Tensor[] in = new Tensor[1 + params.size()];
      in[0] = x;
      for (int i = 0; i < params.size(); i++) {
        in[i + 1] = params.get(i);
      }
      return in;
    }
  }

  private static int[] widths(Random rnd, int depth, int in, int out) {
    int[] w = new int[depth + 1];
    w[0] = in;
    for (int i = 1; i < depth; i++) {
      w[i] = 2 + rnd.nextInt(4);
    }
    w[depth] = out;
    return w;
  }

  @Property(tries = 50)
  void mlpWithSoftmaxCrossEntropyPassesGradCheckOnAllParameters(
      @ForAll @IntRange(min = 1, max = 3) int depth, @ForAll("activations") List<Activation> acts,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    Random rnd = new Random(seed);
    int classes = 3;
    Mlp mlp = new Mlp(rnd, widths(rnd, depth, 4, classes), acts);
    Tensor x = Tensor.randn(rnd, 5, 4).to(DType.FLOAT64);
    long[] y = new long[5];
    for (int i = 0; i < y.length; i++) {
      y[i] = rnd.nextInt(classes);
    }
    Tensor labels = Tensor.of(y).unsqueeze(1);
    GradCheck.defaults().name("mlp + softmax cross-entropy").check(in -> mlp.forward(in)
        .logSoftmax(1).gather(1, labels).neg().mean(), mlp.inputs(x)).assertPassed();
  }

  @Property(tries = 50)
  void mlpWithSquaredLossPassesGradCheckOnAllParameters(
      @ForAll @IntRange(min = 1, max = 3) int depth, @ForAll("activations") List<Activation> acts,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    Random rnd = new Random(seed);
    Mlp mlp = new Mlp(rnd, widths(rnd, depth, 3, 2), acts);
    Tensor x = Tensor.randn(rnd, 6, 3).to(DType.FLOAT64);
    Tensor target = Tensor.randn(rnd, 6, 2).to(DType.FLOAT64);
    GradCheck.defaults().name("mlp + squared loss").check(
        in -> mlp.forward(in).sub(target).pow(2).mean(), mlp.inputs(x)).assertPassed();
  }

  /**
   * A user-defined op: x * sigmoid(x) ("swish"), with its own hand-written VJP. As in PyTorch, a
   * value computed inside forward carries no history, so the VJP recomputes sigmoid(x) from the
   * input (whose history is kept) for its second derivative to be right.
   */
  static final Op SWISH = Op.define("swish",
      (ctx, in) -> in[0].mul(in[0].sigmoid()),
      (ctx, g) -> {
        Tensor x = ctx.input(0);
        Tensor s = x.sigmoid();
        // d/dx x s(x) = s + x s (1 - s)
        return new Tensor[] {g.mul(s.add(x.mul(s).mul(s.neg().add(1))))};
      });

  @Provide
  Arbitrary<Tensor> values() {
    return TensorArbitraries.tensors(TensorArbitraries.shapes(0, 3, 0, 3), Domain.any());
  }

  @Property(tries = 50)
  void userDefinedOpMatchesFiniteDifferencesToSecondOrder(@ForAll("values") Tensor x) {
    OpLaws.verify("swish", true, in -> SWISH.apply(in[0]), x);
  }

  @Property(tries = 20)
  void arbitrariesKeepToTheirContracts(@ForAll("values") Tensor x) {
    Shape s = x.shape();
    net.jqwik.api.Assume.that(s.rank() > 0);
    if (s.rank() > 3 || x.dtype() != DType.FLOAT64) {
      throw new AssertionError("unexpected " + x);
    }
  }
}
