package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Calls that fail name what went wrong and leave parameters, gradients and state as they were. */
class FailedCallsTest {
  private static Tensor leaf(double... v) {
    return Tensor.of(v).requiresGrad();
  }

  @Test
  void aStepThatFailsOnALaterParameterHasMovedNoEarlierOne() {
    List<Function<List<Tensor>, Optimizer>> kinds = List.of(p -> new Adam(p, 0.1),
        p -> new SGD(p, 0.1).momentum(0.9), p -> new RMSprop(p, 0.1), p -> new AdaGrad(p, 0.1));
    for (var kind : kinds) {
      Tensor p = leaf(1, 2);
      Tensor q = leaf(1, 2);
      Optimizer opt = kind.apply(List.of(p, q));
      p.mul(p).add(q.mul(q)).sum().backward();
      q.grad().close();
      IllegalStateException e = assertThrows(IllegalStateException.class, opt::step);
      assertTrue(e.getMessage().contains("gradient of parameter 1"), e.getMessage());
      assertArrayEquals(new double[] {1, 2}, p.toDoubleArray(), 0.0, opt.toString());
      assertEquals(0, opt.state().size(), opt.toString());
    }
  }

  @Test
  void clippingWithAClosedParameterChangesNoGradient() {
    Tensor p = leaf(3, 4);
    Tensor q = leaf(3, 4);
    p.mul(p).add(q.mul(q)).sum().backward();
    q.close();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> GradClip.clipGradValue(List.of(p, q), 1));
    assertTrue(e.getMessage().startsWith("gradient clipping: parameter 1"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> GradClip.clipGradNorm(List.of(p, q), 1));
    assertArrayEquals(new double[] {6, 8}, p.grad().toDoubleArray(), 0.0);
  }

  @Test
  void labelsTooLargeToCountClassesAreReported() {
    Dataset d = new Dataset(Tensor.zeros(2, 1), Tensor.of(new long[] {0, 1L << 32}));
    IllegalStateException e = assertThrows(IllegalStateException.class, d::numClasses);
    assertTrue(e.getMessage().contains("4294967296"), e.getMessage());
  }

  @Test
  void aLossFunctionReturningNullIsNamed() {
    Layer m = MLP.of(3, 2);
    Trainer t = new Trainer(m, new SGD(m.parameters(), 0.1), (y, target) -> null).progress(null);
    DataLoader data =
        new DataLoader(new Dataset(Tensor.ones(2, 3), Tensor.of(new long[] {0, 1})), 2);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.trainEpoch(data));
    assertEquals("trainer: the loss function returned null", e.getMessage());
  }
}
