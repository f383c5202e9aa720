package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** Resuming from a saved optimizer gives exactly the steps of an uninterrupted run. */
class OptimizerStateTest {
  @TempDir
  Path dir;

  private static final Map<String, Function<List<Tensor>, Optimizer>> KINDS = Map.of(
      "Adam amsgrad", p -> new Adam(p, 0.05).amsgrad(true).weightDecay(0.01),
      "AdamW", p -> new AdamW(p, 0.05),
      "SGD nesterov", p -> new SGD(p, 0.1).momentum(0.9).nesterov(true),
      "SGD dampened", p -> new SGD(p, 0.1).momentum(0.8).dampening(0.3),
      "RMSprop centered momentum", p -> new RMSprop(p, 0.01).centered(true).momentum(0.5),
      "AdaGrad", p -> new AdaGrad(p, 0.1).initialAccumulator(0.2).lrDecay(0.01));

  private static Layer model() {
    return model(7);
  }

  private static Layer model(long seed) {
    return MLP.of(new Random(seed), ReLU::new, 3, 5, 2).to(DType.FLOAT64);
  }

  /** A step on a fixed batch; the second parameter (a bias) gets no gradient on odd steps. */
  private static void train(Layer m, Optimizer opt, int steps, int from) {
    Tensor x = Tensor.randn(new Random(1), 4, 3).to(DType.FLOAT64);
    for (int s = from; s < from + steps; s++) {
      try (var scope = Tensors.scope()) {
        opt.zeroGrad();
        Tensor out = m.forward(x.mul(1 + 0.1 * s));
        out.pow(2).mean().backward();
        if (s % 2 == 1) {
          m.parameters().get(1).zeroGrad(); // as if unused this step: skipped, state kept
        }
        opt.step();
      }
    }
  }

  private static double[] flat(Layer m) {
    return m.parameters().stream().flatMapToDouble(p -> Arrays.stream(p.toDoubleArray()))
        .toArray();
  }

  @TestFactory
  Stream<DynamicTest> resumedTrainingEqualsUninterruptedTraining() {
    return KINDS.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(kind -> DynamicTest.dynamicTest(kind.getKey(), () -> {
      Layer straight = model();
      Optimizer a = kind.getValue().apply(straight.parameters());
      train(straight, a, 10, 0);

      Layer first = model();
      Optimizer b = kind.getValue().apply(first.parameters());
      train(first, b, 5, 0);
      first.save(dir.resolve("m.safetensors"));
      b.save(dir.resolve("o.safetensors"));

      Layer resumed = model(99); // different weights, overwritten by load
      Optimizer c = kind.getValue().apply(resumed.parameters());
      resumed.load(dir.resolve("m.safetensors"));
      c.load(dir.resolve("o.safetensors"));
      assertEquals(b.state().keySet(), c.state().keySet());
      train(resumed, c, 5, 5);
      assertArrayEquals(flat(straight), flat(resumed), 0.0, kind.getKey());
      assertEquals(a.state().keySet(), c.state().keySet());
        }));
  }

  @Test
  void theLearningRateIsRestored() throws IOException {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    Optimizer opt = new SGD(List.of(w), 0.1);
    new ExponentialDecay(opt, 0.5).step();
    opt.save(dir.resolve("o.safetensors"));
    Optimizer fresh = new SGD(List.of(w), 0.1);
    fresh.load(dir.resolve("o.safetensors"));
    assertEquals(0.05, fresh.learningRate());
  }

  @Test
  void loadStateTakesWhatStateGives() {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    Adam a = new Adam(List.of(w), 0.1);
    w.mul(w).sum().backward();
    a.step();
    Tensor v = Tensor.of(new double[] {3, 4}).requiresGrad();
    Adam b = new Adam(List.of(v), 0.1);
    b.loadState(a.state());
    assertEquals(1L, b.state().get("0.step"));
    assertArrayEquals(((Tensor) a.state().get("0.exp_avg")).toDoubleArray(),
        ((Tensor) b.state().get("0.exp_avg")).toDoubleArray(), 0.0);
    b.loadState(Map.of()); // back to no state at all
    assertEquals(Map.of(), b.state());
  }

  @Test
  void badStateIsRejectedAndChangesNothing() {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    Adam opt = new Adam(List.of(w), 0.1);
    w.mul(w).sum().backward();
    opt.step();
    Map<String, Object> before = new LinkedHashMap<>(opt.state());
    double[] m = ((Tensor) before.get("0.exp_avg")).toDoubleArray();
    Tensor good = Tensor.of(new double[] {9, 9});
    List<Map<String, Object>> bad = List.of(
        Map.of("0.step", 3L, "0.exp_avg", good, "0.momentum_buffer", good),   // unknown buffer
        Map.of("1.step", 3L),                                                 // no parameter 1
        Map.of("x.step", 3L),                                                 // not an index
        Map.of("0.step", 3L, "0.exp_avg", good),                              // exp_avg_sq missing
        Map.of("0.step", 3L, "0.exp_avg", good, "0.exp_avg_sq", Tensor.zeros(3)), // wrong shape
        Map.of("0.step", -1L),                                                // negative count
        Map.of("0.step", 2.5),                                                // not a count
        Map.of("0.exp_avg", good, "0.exp_avg_sq", good));                     // no step
    for (Map<String, Object> state : bad) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> opt.loadState(state));
      assertTrue(e.getMessage().startsWith("Adam: loadState: "), e.getMessage());
      assertEquals(before.keySet(), opt.state().keySet());
      assertEquals(1L, opt.state().get("0.step"));
      assertArrayEquals(m, ((Tensor) opt.state().get("0.exp_avg")).toDoubleArray(), 0.0);
    }
  }

  @Test
  void aFileFromAnotherOptimizerIsRefused() throws IOException {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    new SGD(List.of(w), 0.1).momentum(0.9).save(dir.resolve("sgd.safetensors"));
    Adam adam = new Adam(List.of(w), 0.1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> adam.load(dir.resolve("sgd.safetensors")));
    assertTrue(e.getMessage().contains("SGD"), e.getMessage());
    Tensor v = Tensor.zeros(2).requiresGrad();
    e = assertThrows(IllegalArgumentException.class,
        () -> new SGD(List.of(w, v), 0.1).load(dir.resolve("sgd.safetensors")));
    assertTrue(e.getMessage().contains("1 parameters"), e.getMessage());
    new Linear(2, 2).save(dir.resolve("layer.safetensors"));
    e = assertThrows(IllegalArgumentException.class,
        () -> adam.load(dir.resolve("layer.safetensors")));
    assertTrue(e.getMessage().contains("no optimizer state"), e.getMessage());
    Files.write(dir.resolve("junk.safetensors"), new byte[] {1, 2, 3});
    assertThrows(IOException.class, () -> adam.load(dir.resolve("junk.safetensors")));
    assertEquals(0.1, adam.learningRate());
  }
}
