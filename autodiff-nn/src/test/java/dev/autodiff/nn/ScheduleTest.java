package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Schedules against torch.optim.lr_scheduler (see torch-reference/make_reference.py). */
class ScheduleTest {
  private static double maxRelDiff;

  @AfterAll
  static void report() {
    System.out.println("ScheduleTest: max relative difference from PyTorch " + maxRelDiff);
  }

  private static Optimizer sgd(double lr) {
    return new SGD(List.of(Tensor.of(new double[] {0}).requiresGrad()), lr);
  }

  private static Schedule make(String kind, Optimizer opt, String[] args) {
    switch (kind) {
      case "StepDecay":
        return new StepDecay(opt, Long.parseLong(args[0]), Double.parseDouble(args[1]));
      case "ExponentialDecay":
        return new ExponentialDecay(opt, Double.parseDouble(args[0]));
      case "InverseTimeDecay":
        return new InverseTimeDecay(opt, Double.parseDouble(args[0]));
      case "CosineDecay":
        return new CosineDecay(opt, Long.parseLong(args[0]), Double.parseDouble(args[1]));
      default:
        throw new IllegalStateException("unknown schedule " + kind);
    }
  }

  @TestFactory
  Stream<DynamicTest> ratesMatchTorchLrScheduler() throws IOException {
    List<String> lines = OptimizerTest.lines("/torch-reference/schedules.txt");
    List<DynamicTest> tests = new ArrayList<>();
    List<String> kinds = new ArrayList<>();
    for (int i = 0; i < lines.size(); i += 2) {
      String[] head = lines.get(i).split(" ");
      String[] lrs = lines.get(i + 1).split(" ");
      assertEquals("schedule", head[0]);
      assertEquals("lrs", lrs[0]);
      kinds.add(head[2]);
      tests.add(DynamicTest.dynamicTest(head[1], () -> {
        Optimizer opt = sgd(Double.parseDouble(head[3]));
        String[] args = java.util.Arrays.copyOfRange(head, 4, head.length);
        Schedule s = make(head[2], opt, args);
        double[] expected = OptimizerTest.numbers(lrs, 1);
        assertEquals(expected[0], opt.learningRate());
        for (int t = 0; t < expected.length; t++) {
          if (t > 0) {
            s.step();
          }
          assertEquals(t, s.stepCount());
          assertClose(expected[t], opt.learningRate(), head[1] + " t=" + t);
          assertEquals(opt.learningRate(), s.learningRate());
          assertEquals(s.learningRateAt(t), s.learningRate());
        }
      }));
    }
    assertTrue(kinds.containsAll(
        List.of("StepDecay", "ExponentialDecay", "InverseTimeDecay", "CosineDecay")));
    return tests.stream();
  }

  private static void assertClose(double expected, double actual, String what) {
    double d = Math.abs(expected - actual);
    double rel = d / Math.max(Math.abs(expected), 1e-300);
    synchronized (ScheduleTest.class) {
      maxRelDiff = Math.max(maxRelDiff, expected == 0 ? 0 : rel);
    }
    assertTrue(d <= 1e-12 * Math.abs(expected) + 1e-17,
        () -> what + ": expected " + expected + ", got " + actual);
  }

  @Test
  void closedFormsGiveTheDocumentedRates() {
    assertEquals(0.1 * 0.5 * 0.5, new StepDecay(sgd(0.1), 3, 0.5).learningRateAt(7), 1e-17);
    assertThrows(IllegalArgumentException.class,
        () -> new StepDecay(sgd(0.1), 2, 0.5).learningRateAt(-3));
    assertThrows(IllegalArgumentException.class,
        () -> new CosineDecay(sgd(0.1), 5).learningRateAt(-1));
    assertEquals(0.1 * 0.01, new StepDecay(sgd(0.1), 10).learningRateAt(29), 1e-17);
    assertEquals(0.1 * Math.pow(0.9, 5), new ExponentialDecay(sgd(0.1), 0.9).learningRateAt(5),
        1e-17);
    assertEquals(0.1 / (1 + 0.5 * 4), new InverseTimeDecay(sgd(0.1), 0.5).learningRateAt(4),
        1e-17);
    CosineDecay cosine = new CosineDecay(sgd(0.1), 10, 0.01);
    assertEquals(0.1, cosine.learningRateAt(0), 1e-17);
    assertEquals(0.055, cosine.learningRateAt(5), 1e-15);
    assertEquals(0.01, cosine.learningRateAt(10), 1e-17);
    assertEquals(cosine.learningRateAt(9), cosine.learningRateAt(11), 1e-15); // rises again
  }

  @Test
  void theRateChangesOnlyWhenTheUserSteps() {
    Optimizer opt = sgd(1.0);
    Schedule perEpoch = new ExponentialDecay(opt, 0.5);
    Tensor w = opt.parameters().get(0);
    for (int epoch = 0; epoch < 3; epoch++) {
      for (int batch = 0; batch < 4; batch++) {
        opt.zeroGrad();
        w.sum().backward();
        opt.step();
        assertEquals(Math.pow(0.5, epoch), opt.learningRate(), "constant within an epoch");
      }
      perEpoch.step();
    }
    assertEquals(0.125, opt.learningRate());
    // w moved by 4 steps of each rate: 4 * (1 + 0.5 + 0.25)
    assertEquals(-7.0, w.item(), 1e-15);
  }

  @Test
  void theBaseIsTheRateWhenTheScheduleIsMade() {
    Optimizer opt = sgd(0.3);
    Schedule s = new InverseTimeDecay(opt, 1.0);
    assertEquals(0.3, s.baseLearningRate());
    assertSame(opt, s.optimizer());
    s.step();
    assertEquals(0.15, opt.learningRate());
  }

  @Test
  void aRateSetByHandCarriesOnScaledAsInPyTorch() {
    // torch: ExponentialLR(gamma=0.5) from 0.1, lr set to 1.0 after one step: 0.05, 0.5, 0.25.
    Optimizer opt = sgd(0.1);
    Schedule s = new ExponentialDecay(opt, 0.5);
    s.step();
    assertEquals(0.05, opt.learningRate(), 1e-17);
    opt.setLearningRate(1.0);
    s.step();
    assertEquals(0.5, opt.learningRate(), 1e-16);
    s.step();
    assertEquals(0.25, opt.learningRate(), 1e-16);
    assertEquals(0.0125, s.learningRate(), 1e-17); // the schedule's own rate
  }

  @Test
  void twoSchedulesOnOneOptimizerMultiplyAsPyTorchsChainedSchedulers() {
    // torch: ExponentialLR(0.9) and StepLR(3, 0.5) on SGD(lr=0.1), both stepped each iteration.
    double[] torch = {0.09000000000000001, 0.08100000000000002, 0.03645000000000001,
        0.03280500000000001, 0.02952450000000001, 0.013286025000000005, 0.011957422500000005,
        0.010761680250000006};
    Optimizer opt = sgd(0.1);
    Schedule exp = new ExponentialDecay(opt, 0.9);
    Schedule step = new StepDecay(opt, 3, 0.5);
    for (double want : torch) {
      exp.step();
      step.step();
      assertEquals(want, opt.learningRate(), 1e-15 * want);
    }
  }

  @Test
  void aLoneScheduleSetsItsClosedFormExactly() {
    Optimizer opt = sgd(0.1);
    Schedule s = new CosineDecay(opt, 1000, 0.001);
    for (int t = 1; t <= 1000; t++) {
      s.step();
      assertEquals(s.learningRateAt(t), opt.learningRate(), 0.0);
    }
  }

  @Test
  void aFailedStepChangesNothing() {
    Optimizer opt = sgd(0.1);
    Schedule s = new ExponentialDecay(opt, 10);
    int ok = 0;
    IllegalArgumentException e = null;
    for (int i = 0; i < 400 && e == null; i++) {
      try {
        s.step();
        ok++;
      } catch (IllegalArgumentException thrown) {
        e = thrown;
      }
    }
    assertTrue(e != null && e.getMessage().contains("learning rate"), String.valueOf(e));
    double lr = opt.learningRate();
    assertEquals(ok, s.stepCount());
    assertThrows(IllegalArgumentException.class, s::step);
    assertEquals(ok, s.stepCount());
    assertEquals(lr, opt.learningRate());
  }

  @Test
  void aScheduleDrivesAnyOptimizer() {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    for (Optimizer opt : List.of(new Adam(List.of(w), 0.1), new AdamW(List.of(w), 0.1),
        new RMSprop(List.of(w), 0.1), new AdaGrad(List.of(w), 0.1), new SGD(List.of(w), 0.1))) {
      Schedule s = new StepDecay(opt, 1, 0.5);
      s.step();
      s.step();
      assertEquals(0.025, opt.learningRate(), 1e-17, opt.toString());
    }
  }

  private static void assertRejected(String schedule, String value, Runnable build) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run);
    assertTrue(e.getMessage().startsWith(schedule + ":"), e.getMessage());
    assertTrue(e.getMessage().contains(value), e.getMessage() + " should name " + value);
  }

  @Test
  void badArgumentsAreRejectedNamingTheValue() {
    Optimizer opt = sgd(0.1);
    assertRejected("StepDecay", "optimizer is null", () -> new StepDecay(null, 1));
    assertRejected("StepDecay", "0", () -> new StepDecay(opt, 0, 0.5));
    assertRejected("StepDecay", "-0.5", () -> new StepDecay(opt, 2, -0.5));
    assertRejected("ExponentialDecay", "0.0", () -> new ExponentialDecay(opt, 0));
    assertRejected("ExponentialDecay", "NaN", () -> new ExponentialDecay(opt, Double.NaN));
    assertRejected("InverseTimeDecay", "-1.0", () -> new InverseTimeDecay(opt, -1));
    assertRejected("CosineDecay", "0", () -> new CosineDecay(opt, 0));
    assertRejected("CosineDecay", "-0.01", () -> new CosineDecay(opt, 10, -0.01));
    assertRejected("CosineDecay", "optimizer is null", () -> new CosineDecay(null, 10));
  }
}
