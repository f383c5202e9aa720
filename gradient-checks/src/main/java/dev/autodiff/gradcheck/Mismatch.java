package dev.autodiff.gradcheck;

import java.util.Arrays;
import java.util.Locale;

/**
 * One Jacobian entry (or one random projection of it) where the analytic and numeric derivatives
 * disagree beyond {@code atol + rtol * |numeric|}.
 *
 * @param input which input of the function
 * @param element the element of that input, as a multi-index (empty along a random direction)
 * @param output the output element, or a description of the random cotangent used
 * @param analytic the value backward computed
 * @param numeric the central finite difference in float64
 */
public record Mismatch(int input, int[] element, String output, double analytic, double numeric) {
  /** |analytic - numeric|. */
  public double error() {
    return Math.abs(analytic - numeric);
  }

  @Override
  public String toString() {
    String where = element.length == 0 ? "" : " element " + Arrays.toString(element);
    return String.format(Locale.ROOT,
        "input %d%s, output %s: analytic %.10g, numeric %.10g, error %.3g",
        input, where, output, analytic, numeric, error());
  }
}
