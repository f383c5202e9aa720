package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Large tensors take the kernels' multi-threaded paths; these compare them with plain loops in
 * double precision, so a wrong chunk boundary shows up as a wrong element.
 */
class ParallelKernelsTest {
  private static final int ROWS = 300;
  private static final int COLS = 1001; // odd, so chunks do not align with rows

  private static double[] random(long seed, int n) {
    Random r = new Random(seed);
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = r.nextGaussian();
    }
    return d;
  }

  @Test
  void largeBroadcastAddMatchesPlainLoop() {
    double[] a = random(1, ROWS * COLS);
    double[] b = random(2, COLS);
    double[] expected = new double[a.length];
    for (int i = 0; i < ROWS; i++) {
      for (int j = 0; j < COLS; j++) {
        expected[i * COLS + j] = a[i * COLS + j] + b[j];
      }
    }
    Tensor y = Tensor.of(a, ROWS, COLS).add(Tensor.of(b, COLS));
    assertArrayEquals(expected, y.toDoubleArray(), 0);
    Tensor yf = Tensor.of(a, ROWS, COLS).to(DType.FLOAT32).add(Tensor.of(b, COLS).to(DType.FLOAT32));
    assertArrayEquals(expected, yf.toDoubleArray(), 1e-5);
  }

  @Test
  void largeElementwiseOpsMatchPlainLoops() {
    double[] a = random(3, ROWS * COLS);
    Tensor x = Tensor.of(a, ROWS, COLS);
    double[] tanh = x.tanh().toDoubleArray();
    double[] scaled = x.mul(3).toDoubleArray();
    double[] prod = x.mul(x).toDoubleArray();
    for (int i = 0; i < a.length; i++) {
      assertEquals(Math.tanh(a[i]), tanh[i], 0, "tanh at " + i);
      assertEquals(a[i] * 3, scaled[i], 0, "mul(3) at " + i);
      assertEquals(a[i] * a[i], prod[i], 0, "mul at " + i);
    }
  }

  @Test
  void largeReductionsAlongEachAxisMatchPlainLoops() {
    double[] a = random(4, ROWS * COLS);
    Tensor x = Tensor.of(a, ROWS, COLS);
    double[] colSums = new double[COLS];
    double[] rowMax = new double[ROWS];
    java.util.Arrays.fill(rowMax, Double.NEGATIVE_INFINITY);
    for (int i = 0; i < ROWS; i++) {
      for (int j = 0; j < COLS; j++) {
        colSums[j] += a[i * COLS + j];
        rowMax[i] = Math.max(rowMax[i], a[i * COLS + j]);
      }
    }
    assertArrayEquals(colSums, x.sum(0).toDoubleArray(), 1e-9);
    assertArrayEquals(rowMax, x.max(1).toDoubleArray(), 0);
  }

  @Test
  void largeSoftmaxRowsSumToOneAndMatchPlainLoop() {
    double[] a = random(5, ROWS * COLS);
    double[] y = Tensor.of(a, ROWS, COLS).softmax(1).toDoubleArray();
    for (int i = 0; i < ROWS; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < COLS; j++) {
        max = Math.max(max, a[i * COLS + j]);
      }
      double s = 0;
      for (int j = 0; j < COLS; j++) {
        s += Math.exp(a[i * COLS + j] - max);
      }
      double total = 0;
      for (int j = 0; j < COLS; j++) {
        assertEquals(Math.exp(a[i * COLS + j] - max) / s, y[i * COLS + j], 1e-15);
        total += y[i * COLS + j];
      }
      assertEquals(1.0, total, 1e-12);
    }
  }

  @Test
  void largeMatmulMatchesPlainLoopInBothDtypes() {
    int m = 130;
    int k = 257;
    int n = 129;
    double[] a = random(6, m * k);
    double[] b = random(7, k * n);
    double[] expected = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int p = 0; p < k; p++) {
        for (int j = 0; j < n; j++) {
          expected[i * n + j] += a[i * k + p] * b[p * n + j];
        }
      }
    }
    assertArrayEquals(expected, Tensor.of(a, m, k).matmul(Tensor.of(b, k, n)).toDoubleArray(),
        1e-10);
    Tensor af = Tensor.of(a, m, k).to(DType.FLOAT32);
    Tensor bf = Tensor.of(b, k, n).to(DType.FLOAT32);
    assertArrayEquals(expected, af.matmul(bf).toDoubleArray(), 1e-3);
  }
}
