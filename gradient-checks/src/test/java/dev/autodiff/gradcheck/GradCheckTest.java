package dev.autodiff.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Op;
import dev.autodiff.core.Tensor;
import org.junit.jupiter.api.Test;

class GradCheckTest {
  /** x^2 with a VJP that is off by 1%: a bug finite differences must catch. */
  private static final Op SLIGHTLY_WRONG_SQUARE = Op.define("slightlyWrongSquare",
      (ctx, in) -> in[0].mul(in[0]),
      (ctx, g) -> new Tensor[] {g.mul(ctx.input(0)).mul(2.02)});

  /** x^2 whose VJP is right but detached: first derivatives pass, second ones must not. */
  private static final Op DETACHED_SQUARE = Op.define("detachedSquare",
      (ctx, in) -> in[0].mul(in[0]),
      (ctx, g) -> new Tensor[] {g.mul(ctx.input(0).detach()).mul(2)});

  private static Tensor x64(double... v) {
    return Tensor.of(v).requiresGrad();
  }

  @Test
  void correctGradientsPass() {
    GradCheckReport r = GradCheck.defaults().check(in -> in[0].tanh().mul(in[1]).sum(1),
        Tensor.randn(1, 3, 4).to(DType.FLOAT64).requiresGrad(),
        Tensor.randn(2, 4).to(DType.FLOAT64).requiresGrad());
    assertTrue(r.passed(), r.toString());
    assertTrue(r.worstError() < 1e-6, r.toString());
    assertTrue(GradCheck.gradCheck(in -> in[0].exp(), x64(0.5, -1)));
  }

  @Test
  void wrongVjpFailsWithAReadableReport() {
    GradCheckReport r = GradCheck.defaults().name("slightlyWrongSquare")
        .check(in -> SLIGHTLY_WRONG_SQUARE.apply(in[0]), x64(1, 2, 3));
    assertFalse(r.passed());
    assertEquals(6, r.failures()); // three Jacobian entries, and each along a random cotangent
    Mismatch m = r.mismatches().get(2);
    assertEquals(0, m.input());
    assertEquals(1, m.element()[0]);
    assertEquals(2.02 * 2, m.analytic(), 1e-12); // 1.01 times the true 2x at x = 2
    assertEquals(4.0, m.numeric(), 1e-6);
    String text = r.toString();
    assertTrue(text.contains("slightlyWrongSquare") && text.contains("FAILED")
        && text.contains("element [1]") && text.contains("analytic") && text.contains("numeric"),
        text);
    GradCheckFailure f = assertThrows(GradCheckFailure.class, r::assertPassed);
    assertTrue(f.getMessage().contains("worst error"), f.getMessage());
  }

  @Test
  void randomCotangentsCatchAWrongVjpOfALargeOutput() {
    GradCheckReport r = GradCheck.defaults().fullJacobianOutputs(4)
        .check(in -> SLIGHTLY_WRONG_SQUARE.apply(in[0]), x64(1, 2, 3, 4, 5, 6, 7, 8));
    assertFalse(r.passed());
    assertTrue(r.toString().contains("random cotangents"), r.toString());
    assertTrue(GradCheck.defaults().fullJacobianOutputs(4)
        .check(in -> in[0].mul(in[0]), x64(1, 2, 3, 4, 5, 6, 7, 8)).passed());
  }

  @Test
  void randomDirectionsCatchAWrongVjpOfALargeInput() {
    Tensor x = Tensor.randn(3, 40).to(DType.FLOAT64).requiresGrad();
    GradCheck check = GradCheck.defaults().fullJacobianInputs(10);
    GradCheckReport wrong = check.check(in -> SLIGHTLY_WRONG_SQUARE.apply(in[0]).sum(), x);
    assertFalse(wrong.passed());
    assertTrue(wrong.toString().contains("random directions"), wrong.toString());
    assertTrue(check.check(in -> in[0].mul(in[0]).sum(), x).passed());
  }

  @Test
  void secondOrderCheckCatchesADetachedVjp() {
    Tensor x = x64(0.5, -1.5);
    assertTrue(GradCheck.defaults().check(in -> DETACHED_SQUARE.apply(in[0]), x).passed());
    GradCheckReport r = GradCheck.defaults().checkSecondOrder(
        in -> DETACHED_SQUARE.apply(in[0]), x);
    assertFalse(r.passed());
    assertTrue(r.toString().contains("second order"), r.toString());
    assertTrue(GradCheck.gradGradCheck(in -> in[0].mul(in[0]).mul(in[0]), x));
  }

  @Test
  void float32InputsAreCheckedAgainstFloat64Differences() {
    Tensor x = Tensor.randn(4, 2, 3).requiresGrad();
    GradCheckReport r = GradCheck.defaults().atol(1e-4).rtol(1e-2)
        .check(in -> in[0].sigmoid().sum(0), x);
    assertTrue(r.passed(), r.toString());
    assertTrue(r.toString().contains("float32"), r.toString());
  }

  @Test
  void constantInputsAreNotDifferentiatedAndIntegerInputsPassThrough() {
    Tensor x = Tensor.randn(5, 3, 4).to(DType.FLOAT64).requiresGrad();
    Tensor labels = Tensor.of(new long[] {0, 3, 1});
    Tensor constant = Tensor.randn(6, 4).to(DType.FLOAT64);
    GradCheckReport r = GradCheck.defaults().check(
        in -> in[0].mul(in[2]).logSoftmax(1).gather(1, in[1].unsqueeze(1)).sum(),
        x, labels, constant);
    assertTrue(r.passed(), r.toString());
    assertTrue(r.toString().contains("(constant)"), r.toString());
  }

  @Test
  void badConfigurationAndInputsAreRejectedClearly() {
    assertThrows(IllegalArgumentException.class, () -> GradCheck.defaults().eps(0));
    assertThrows(IllegalArgumentException.class, () -> GradCheck.defaults().atol(-1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GradCheck.defaults().check(in -> in[0].exp(), Tensor.of(new double[] {1})));
    assertTrue(e.getMessage().contains("requires"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GradCheck.defaults().check(null, x64(1)));
    assertThrows(IllegalArgumentException.class,
        () -> GradCheck.defaults().check(in -> in[0].argmax(), x64(1, 2)));
  }

  @Test
  void aVjpThatIsNotLinearInItsCotangentFailsInFullJacobianMode() {
    // Right for cotangents of 0 and 1, the full Jacobian's, wrong for any negative one.
    Op absOfCotangent = Op.define("absOfCotangent", (c, in) -> in[0].mul(in[0]),
        (c, g) -> new Tensor[] {g.abs().mul(c.input(0)).mul(2)});
    GradCheckReport r = GradCheck.defaults().check(in -> absOfCotangent.apply(in[0]),
        x64(0.3, -1.2, 0.8));
    assertFalse(r.passed(), r.toString());
    assertTrue(r.mismatches().get(0).output().startsWith("random cotangent"), r.toString());
  }

  @Test
  void aTensorPassedTwiceOrCapturedIsDifferentiatedPerArgument() {
    Tensor y = x64(0.3, -1.2, 0.8);
    assertTrue(GradCheck.defaults().check(in -> in[0].mul(in[1]), y, y).passed());
    GradCheckReport captured = GradCheck.defaults().check(in -> in[0].mul(y), y);
    assertTrue(captured.passed(), captured.toString()); // y captured is a constant on both sides
  }

  @Test
  void failuresAlongRandomDirectionsNameTheirInput() {
    Tensor a = Tensor.randn(3, 40).to(DType.FLOAT64).requiresGrad();
    Tensor b = Tensor.randn(4, 40).to(DType.FLOAT64).requiresGrad();
    GradCheckReport r = GradCheck.defaults().fullJacobianInputs(10)
        .check(in -> in[0].add(SLIGHTLY_WRONG_SQUARE.apply(in[1])).sum(), a, b);
    assertFalse(r.passed());
    for (Mismatch m : r.mismatches()) {
      assertEquals(1, m.input(), r.toString()); // input 0's gradient is right
    }
  }

  @Test
  void secondOrderReportsNameTheGradientElement() {
    GradCheckReport r = GradCheck.defaults().checkSecondOrder(
        in -> DETACHED_SQUARE.apply(in[0]).mul(in[1]), x64(0.5, -1.5), x64(2, 3));
    assertFalse(r.passed());
    assertTrue(r.mismatches().get(0).output().startsWith("gradient of input 0 [0]"),
        r.toString());
  }

  @Test
  void outputsThatChangeShapeOrAreNotFloatingAreRejectedInBothOrders() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GradCheck.defaults().check(
            in -> in[0].sum().item() > 1.5 ? in[0].sum() : in[0], x64(0.5, 1)));
    assertTrue(e.getMessage().contains("shape"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> GradCheck.defaults().checkSecondOrder(in -> null, x64(1, 2)));
    assertThrows(IllegalArgumentException.class,
        () -> GradCheck.defaults().checkSecondOrder(in -> in[0].argmax(), x64(1, 2)));
    assertThrows(IllegalArgumentException.class,
        () -> GradCheck.defaults().eps(Double.POSITIVE_INFINITY));
  }

  @Test
  void aFailureOfAnOutputWithoutHistorySaysSo() {
    GradCheckReport r = GradCheck.defaults().check(in -> in[0].detach().mul(2), x64(1, 2));
    assertFalse(r.passed());
    assertTrue(r.toString().contains("does not require gradients"), r.toString());
  }

  @Test
  void theInputsGradAndTheTapeAreLeftAsTheyWere() {
    Tensor x = x64(1, 2);
    GradCheck.gradCheck(in -> in[0].exp().sum(), x);
    GradCheck.gradGradCheck(in -> in[0].exp().sum(), x);
    assertEquals(null, x.grad());
  }
}
