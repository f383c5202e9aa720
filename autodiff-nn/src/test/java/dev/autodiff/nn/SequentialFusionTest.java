package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.autodiff.core.DType;
import dev.autodiff.core.Tensor;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sequential fuses a Linear layer's bias add with the activation after it; the outputs and every
 * gradient equal those of running the layers one by one, bit for bit.
 */
class SequentialFusionTest {
  static final List<Supplier<Layer>> ACTIVATIONS = List.of(ReLU::new, Sigmoid::new, Tanh::new,
      LeakyReLU::new, () -> new LeakyReLU(-0.2), ELU::new, Softplus::new);

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void fusedLayersGiveTheUnfusedNumbers(DType t) {
    for (Supplier<Layer> act : ACTIVATIONS) {
      Sequential fused = MLP.of(new Random(3), act, 6, 9, 7, 4);
      Sequential plain = MLP.of(new Random(3), act, 6, 9, 7, 4);
      // float32 parameters: a float64 input promotes the product, and the layers run unfused.
      Tensor x = Tensor.randn(new Random(4), 5, 6).mul(2).to(t);
      Tensor yf = fused.forward(x);
      Tensor yp = x;
      for (Layer l : plain.layers()) {
        yp = l.forward(yp);
      }
      String what = act.get().getClass().getSimpleName();
      assertArrayEquals(yp.toDoubleArray(), yf.toDoubleArray(), what + ": outputs");
      yf.sum().backward();
      yp.sum().backward();
      for (int i = 0; i < fused.parameters().size(); i++) {
        assertArrayEquals(plain.parameters().get(i).grad().toDoubleArray(),
            fused.parameters().get(i).grad().toDoubleArray(), what + ": gradient " + i);
      }
    }
  }
}
