package dev.autodiff.nn;

import java.util.Random;

/**
 * Generates the embedded dataset: 28x28 grey images of the ten seven-segment digits, each drawn
 * with a random size, position, slant and stroke width, sometimes with one segment missing, plus
 * pixel noise. Deterministic for a seed ({@link Random}'s algorithm is fixed by its spec).
 */
final class Glyphs {
  static final int SIDE = 28;

  /** Segment endpoints in a unit box (x right, y down): a b c d e f g. */
  private static final double[][] SEGMENTS = {
    {0, 0, 1, 0}, // a: top
    {1, 0, 1, 0.5}, // b: upper right
    {1, 0.5, 1, 1}, // c: lower right
    {0, 1, 1, 1}, // d: bottom
    {0, 0.5, 0, 1}, // e: lower left
    {0, 0, 0, 0.5}, // f: upper left
    {0, 0.5, 1, 0.5}, // g: middle
  };

  /** Which segments (bit i = segment i, a..g) each digit lights. */
  private static final int[] DIGITS = {
    0b0111111, // 0: abcdef
    0b0000110, // 1: bc
    0b1011011, // 2: abdeg
    0b1001111, // 3: abcdg
    0b1100110, // 4: bcfg
    0b1101101, // 5: acdfg
    0b1111101, // 6: acdefg
    0b0000111, // 7: abc
    0b1111111, // 8: abcdefg
    0b1101111, // 9: abcdfg
  };

  private Glyphs() {}

  /**
   * Fills {@code pixels} ({@code n * 28 * 28}, values in [0, 1]) and {@code labels} (balanced, in
   * cycling order 0..9) with {@code n} samples drawn from {@code random}.
   */
  static void generate(Random random, float[] pixels, long[] labels) {
    int n = labels.length;
    double[] seg = new double[4 * SEGMENTS.length];
    for (int s = 0; s < n; s++) {
      int digit = s % 10;
      labels[s] = digit;
      int mask = DIGITS[digit];
      if (Integer.bitCount(mask) > 3 && random.nextDouble() < 0.1) {
        int drop;
        do {
          drop = random.nextInt(SEGMENTS.length);
        } while ((mask & (1 << drop)) == 0);
        mask &= ~(1 << drop);
      }
      double w = 8 + 6 * random.nextDouble();
      double h = 14 + 6 * random.nextDouble();
      double cx = SIDE / 2.0 + 6 * (random.nextDouble() - 0.5);
      double cy = SIDE / 2.0 + 5 * (random.nextDouble() - 0.5);
      double slant = 0.5 * (random.nextDouble() - 0.5);
      double half = 0.9 + 0.9 * random.nextDouble();
      int k = 0;
      for (int i = 0; i < SEGMENTS.length; i++) {
        if ((mask & (1 << i)) == 0) {
          continue;
        }
        double[] e = SEGMENTS[i];
        for (int p = 0; p < 4; p += 2) {
          double u = e[p];
          double v = e[p + 1];
          seg[k++] = cx + (u - 0.5) * w + slant * (0.5 - v) * h;
          seg[k++] = cy + (v - 0.5) * h;
        }
      }
      int base = s * SIDE * SIDE;
      for (int py = 0; py < SIDE; py++) {
        for (int px = 0; px < SIDE; px++) {
          double x = px + 0.5;
          double y = py + 0.5;
          double d = Double.MAX_VALUE;
          for (int j = 0; j < k; j += 4) {
            d = Math.min(d, distance(x, y, seg[j], seg[j + 1], seg[j + 2], seg[j + 3]));
          }
          double ink = Math.min(1, Math.max(0, half + 0.5 - d));
          double v = ink + 0.1 * random.nextGaussian();
          pixels[base + py * SIDE + px] = (float) Math.min(1, Math.max(0, v));
        }
      }
    }
  }

  /** The distance from (x, y) to the segment from (x0, y0) to (x1, y1). */
  private static double distance(double x, double y, double x0, double y0, double x1,
      double y1) {
    double dx = x1 - x0;
    double dy = y1 - y0;
    double len2 = dx * dx + dy * dy;
    double t = len2 == 0 ? 0 : ((x - x0) * dx + (y - y0) * dy) / len2;
    t = Math.max(0, Math.min(1, t));
    double ex = x0 + t * dx - x;
    double ey = y0 + t * dy - y;
    return Math.sqrt(ex * ex + ey * ey);
  }
}
