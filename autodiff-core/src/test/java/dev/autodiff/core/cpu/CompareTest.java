package dev.autodiff.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The branch-free comparisons agree with Java's operators on every kind of value. */
class CompareTest {
  private static final float[] FLOATS = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE,
      -Float.MAX_VALUE, 3.5f, Math.nextUp(3.5f), Float.intBitsToFloat(0xffc00000)};
  private static final double[] DOUBLES = {0d, -0d, 1d, -1d, Double.NaN,
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -Double.MIN_VALUE,
      Double.MAX_VALUE, -Double.MAX_VALUE, 3.5d, Math.nextUp(3.5d),
      Double.longBitsToDouble(0xfff8000000000000L)};

  private static void check(float a, float b) {
    String at = a + " vs " + b;
    assertEquals(a > b ? 1f : 0f, Compare.gt(a, b), "gt " + at);
    assertEquals(a == b ? 1f : 0f, Compare.eq(a, b), "eq " + at);
    assertEquals(a >= b ? 1f : 0f, Compare.ge(a, b), "ge " + at);
  }

  private static void check(double a, double b) {
    String at = a + " vs " + b;
    assertEquals(a > b ? 1d : 0d, Compare.gt(a, b), "gt " + at);
    assertEquals(a == b ? 1d : 0d, Compare.eq(a, b), "eq " + at);
    assertEquals(a >= b ? 1d : 0d, Compare.ge(a, b), "ge " + at);
  }

  @Test
  void specialValuesCompareAsIeeeSays() {
    for (float a : FLOATS) {
      for (float b : FLOATS) {
        check(a, b);
      }
    }
    for (double a : DOUBLES) {
      for (double b : DOUBLES) {
        check(a, b);
      }
    }
  }

  @Test
  void randomBitPatternsCompareAsIeeeSays() {
    Random r = new Random(3);
    for (int i = 0; i < 300_000; i++) {
      check(Float.intBitsToFloat(r.nextInt()), Float.intBitsToFloat(r.nextInt()));
      check(Double.longBitsToDouble(r.nextLong()), Double.longBitsToDouble(r.nextLong()));
      float f = Float.intBitsToFloat(r.nextInt());
      check(f, f);
      check((float) r.nextGaussian(), (float) r.nextGaussian());
      check(r.nextGaussian(), r.nextGaussian());
    }
  }
}
