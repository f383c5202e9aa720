package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The fused bias + activation equals {@code z.add(bias)} and the activation, bit for bit. */
class FusedBiasActivationTest {
  record Case(UnaryOp op, double p, UnaryOperator<Tensor> method) {}

  static final List<Case> CASES = List.of(new Case(UnaryOp.RELU, 0, Tensor::relu),
      new Case(UnaryOp.LEAKY_RELU, 0.1, x -> x.leakyRelu(0.1)),
      new Case(UnaryOp.ELU, 0.7, x -> x.elu(0.7)), new Case(UnaryOp.SIGMOID, 0, Tensor::sigmoid),
      new Case(UnaryOp.TANH, 0, Tensor::tanh));

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void valuesAndGradientsEqualTheComposedLayer(DType t) {
    Random r = new Random(9);
    Tensor z0 = Tensor.randn(r, 33, 17).mul(3).to(t);
    Tensor b0 = Tensor.randn(r, 17).to(t);
    Tensor g = Tensor.randn(r, 33, 17).to(t);
    for (Case c : CASES) {
      Tensor z1 = z0.detach().requiresGrad();
      Tensor b1 = b0.detach().requiresGrad();
      Tensor fused = Fused.biasActivation(z1, b1, c.op(), c.p());
      fused.backward(g);
      Tensor z2 = z0.detach().requiresGrad();
      Tensor b2 = b0.detach().requiresGrad();
      Tensor composed = c.method().apply(z2.add(b2));
      composed.backward(g);
      String what = c.op() + " in " + t;
      assertArrayEquals(composed.toDoubleArray(), fused.toDoubleArray(), what + ": values");
      assertArrayEquals(z2.grad().toDoubleArray(), z1.grad().toDoubleArray(), what + ": dz");
      assertArrayEquals(b2.grad().toDoubleArray(), b1.grad().toDoubleArray(), what + ": dbias");
    }
  }

  @Test
  void onlyActivationsWhoseDerivativeTheOutputGivesAreFused() {
    Tensor z = Tensor.zeros(2, 3);
    Tensor b = Tensor.zeros(3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Fused.biasActivation(z, b, UnaryOp.SOFTPLUS, 0));
    assertTrue(e.getMessage().startsWith("biasActivation: SOFTPLUS"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Fused.biasActivation(z, b, UnaryOp.LEAKY_RELU, -0.5));
    assertThrows(IllegalArgumentException.class,
        () -> Fused.biasActivation(z, Tensor.zeros(2), UnaryOp.RELU, 0));
    assertThrows(IllegalArgumentException.class,
        () -> Fused.biasActivation(z, b.to(DType.FLOAT64), UnaryOp.RELU, 0));
  }
}
