package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An ordinary backward runs each activation's VJP as one fused pass; a recorded one (createGraph)
 * composes it from tensor ops so that it can be differentiated again. Both give the same bits.
 */
class FusedActivationBackwardTest {
  static final List<UnaryOperator<Tensor>> ACTIVATIONS = List.of(Tensor::relu,
      x -> x.leakyRelu(0.1), x -> x.leakyRelu(0.37), x -> x.elu(1.0), x -> x.elu(0.3),
      Tensor::sigmoid, Tensor::tanh, Tensor::softplus);

  static Tensor vjp(UnaryOperator<Tensor> f, Tensor x, Tensor g, boolean record) {
    Tensor leaf = x.detach().requiresGrad();
    return Autograd.grad(List.of(f.apply(leaf)), List.of(g), List.of(leaf), false, record).get(0);
  }

  @Test
  void theFusedVjpReadsOnlyWhatTheDerivativeNeeds() {
    // relu's derivative reads its input: its output may be closed before backward.
    Tensor x = Tensor.of(new double[] {-1, 2, 3}).requiresGrad();
    Tensor y = x.relu();
    Tensor s = y.mul(2).sum();
    y.close();
    s.backward();
    assertArrayEquals(new double[] {0, 2, 2}, x.grad().toDoubleArray());
    // tanh's reads its output: its input may be closed.
    Tensor z = Tensor.of(new double[] {0.5, -0.25}).requiresGrad();
    Tensor h = z.mul(1.5);
    Tensor t = h.tanh().sum();
    h.close();
    t.backward();
    double[] got = z.grad().toDoubleArray();
    for (int i = 0; i < 2; i++) {
      double th = Math.tanh(1.5 * new double[] {0.5, -0.25}[i]);
      org.junit.jupiter.api.Assertions.assertEquals(1.5 * (1 - th * th), got[i], 1e-15);
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void fusedVjpsEqualTheComposedOnesBitForBit(DType t) {
    Random r = new Random(4);
    double[] values = new double[4000];
    for (int i = 0; i < values.length; i++) {
      values[i] = r.nextGaussian() * (i % 7 == 0 ? 30 : 2);
    }
    double[] special = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, 1e-40, -1e-40, 700, -700};
    System.arraycopy(special, 0, values, 0, special.length);
    Tensor x = Tensor.of(values).to(t);
    Tensor g = Tensor.randn(r, values.length).to(t);
    for (int k = 0; k < ACTIVATIONS.size(); k++) {
      UnaryOperator<Tensor> f = ACTIVATIONS.get(k);
      double[] fused = vjp(f, x, g, false).toDoubleArray();
      double[] composed = vjp(f, x, g, true).toDoubleArray();
      assertArrayEquals(composed, fused, "activation " + k + " in " + t);
    }
  }
}
