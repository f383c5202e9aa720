package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Forward values of every public tensor op and creation method, against hand-computed values or
 * float64 references computed here with plain Java arithmetic (never with the code under test).
 */
class ForwardValuesTest {

  private static final double F32_TOL = 2e-6;
  private static final double F64_TOL = 1e-12;

  // ---- helpers ------------------------------------------------------------------------------

  private static int[] dims(int... d) {
    return d;
  }

  /** Checks dtype, shape and values (relative tolerance by dtype; exact for int64). */
  static void assertTensor(Tensor t, DType dtype, int[] shape, double... expected) {
    assertEquals(dtype, t.dtype(), () -> "dtype of " + t);
    assertArrayEquals(shape, t.shape().toArray(), () -> "shape of " + t);
    assertValues(t, expected);
  }

  static void assertValues(Tensor t, double... expected) {
    if (t.dtype() == DType.INT64) {
      long[] actual = t.toLongArray();
      assertEquals(expected.length, actual.length, () -> "element count of " + t);
      for (int i = 0; i < expected.length; i++) {
        final int k = i;
        assertEquals((long) expected[i], actual[i], () -> "element " + k + " of " + t);
      }
      return;
    }
    double[] actual = t.toDoubleArray();
    assertEquals(expected.length, actual.length, () -> "element count of " + t);
    double tol = t.dtype() == DType.FLOAT64 ? F64_TOL : F32_TOL;
    for (int i = 0; i < expected.length; i++) {
      final int k = i;
      double e = expected[i];
      double a = actual[i];
      if (Double.isNaN(e)) {
        assertTrue(Double.isNaN(a), () -> "element " + k + " should be NaN in " + t);
      } else if (Double.isInfinite(e)) {
        assertEquals(e, a, () -> "element " + k + " of " + t);
      } else {
        assertEquals(e, a, tol * Math.max(1, Math.abs(e)), () -> "element " + k + " of " + t);
      }
    }
  }

  private static double[] map(double[] x, DoubleUnaryOperator f) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = f.applyAsDouble(x[i]);
    }
    return y;
  }

  private static float[] toFloats(double[] x) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (float) x[i];
    }
    return y;
  }

  /** Values rounded to float32 first, as a float32 tensor holds them. */
  private static double[] asFloat32(double[] x) {
    return map(x, v -> (float) v);
  }

  private static double[] matmulRef(double[] a, double[] b, int m, int k, int n) {
    double[] c = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          s += a[i * k + p] * b[p * n + j];
        }
        c[i * n + j] = s;
      }
    }
    return c;
  }

  private static double[] seq(int n, double start, double step) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = start + i * step;
    }
    return d;
  }

  private static double softplusRef(double x) {
    return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  }

  private static double sigmoidRef(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  private static final double[] X = {-2.5, -1.0, -0.25, 0.0, 0.5, 1.0, 3.0};
  private static final double[] POSITIVE = {0.1, 0.5, 1.0, 2.0, 7.5, 100.0};

  /** Applies {@code op} to float64 and float32 tensors of {@code xs}, against {@code ref}. */
  private static void checkUnary(UnaryOperator<Tensor> op, DoubleUnaryOperator ref, double[] xs) {
    Tensor x64 = Tensor.of(xs, 1, xs.length);
    assertTensor(op.apply(x64), DType.FLOAT64, dims(1, xs.length), map(xs, ref));
    double[] rounded = asFloat32(xs);
    Tensor x32 = Tensor.of(toFloats(xs), 1, xs.length);
    assertTensor(op.apply(x32), DType.FLOAT32, dims(1, xs.length), map(rounded, ref));
  }

  // ---- creation -----------------------------------------------------------------------------

  @Test
  void ofFloatArrayWithoutShapeIsOneDimensionalFloat32() {
    Tensor t = Tensor.of(new float[] {1.5f, -2f, 3f});
    assertTensor(t, DType.FLOAT32, dims(3), 1.5, -2, 3);
  }

  @Test
  void ofArraysWithShapeKeepRowMajorOrderAndDtypeOfTheArray() {
    assertTensor(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), DType.FLOAT32, dims(2, 3),
        1, 2, 3, 4, 5, 6);
    assertTensor(Tensor.of(new double[] {0.1, 0.2, 0.3, 0.4}, 2, 2), DType.FLOAT64, dims(2, 2),
        0.1, 0.2, 0.3, 0.4);
    assertTensor(Tensor.of(new long[] {7, -8, 9}), DType.INT64, dims(3), 7, -8, 9);
    assertTensor(Tensor.of(new long[] {1, 2, 3, 4, 5, 6}, 3, 1, 2), DType.INT64, dims(3, 1, 2),
        1, 2, 3, 4, 5, 6);
    assertTensor(Tensor.of(new double[] {1, 2}), DType.FLOAT64, dims(2), 1, 2);
  }

  @Test
  void ofCopiesTheDataSoLaterWritesToTheArrayDoNotShow() {
    double[] d = {1, 2, 3};
    Tensor t = Tensor.of(d);
    d[0] = 100;
    assertTensor(t, DType.FLOAT64, dims(3), 1, 2, 3);
  }

  @Test
  void ofFloat64KeepsDoublePrecision() {
    double v = 1 + 1e-12;
    assertEquals(v, Tensor.of(new double[] {v}).item(), 0.0);
  }

  @Test
  void scalarIsRankZeroFloat32UnlessADtypeIsGiven() {
    Tensor s = Tensor.scalar(2.5);
    assertTensor(s, DType.FLOAT32, dims(), 2.5);
    assertEquals(0, s.shape().rank());
    assertEquals(2.5, s.item());
    assertTensor(Tensor.scalar(1 + 1e-12, DType.FLOAT64), DType.FLOAT64, dims(), 1 + 1e-12);
    assertTensor(Tensor.scalar(3, DType.INT64), DType.INT64, dims(), 3);
  }

  @Test
  void zerosOnesAndFullFillTheShape() {
    assertTensor(Tensor.zeros(2, 3), DType.FLOAT32, dims(2, 3), 0, 0, 0, 0, 0, 0);
    assertTensor(Tensor.zeros(DType.FLOAT64, 2), DType.FLOAT64, dims(2), 0, 0);
    assertTensor(Tensor.zeros(DType.INT64, 1, 2), DType.INT64, dims(1, 2), 0, 0);
    assertTensor(Tensor.ones(3), DType.FLOAT32, dims(3), 1, 1, 1);
    assertTensor(Tensor.ones(DType.INT64, 2), DType.INT64, dims(2), 1, 1);
    assertTensor(Tensor.ones(DType.FLOAT64, 1, 1), DType.FLOAT64, dims(1, 1), 1);
    assertTensor(Tensor.full(7.5, 2, 2), DType.FLOAT32, dims(2, 2), 7.5, 7.5, 7.5, 7.5);
    assertTensor(Tensor.full(-3, DType.INT64, 3), DType.INT64, dims(3), -3, -3, -3);
    assertTensor(Tensor.full(0.1, DType.FLOAT64, 2), DType.FLOAT64, dims(2), 0.1, 0.1);
    assertTensor(Tensor.zeros(), DType.FLOAT32, dims(), 0);
  }

  @Test
  void eyeIsTheIdentityMatrix() {
    assertTensor(Tensor.eye(3), DType.FLOAT32, dims(3, 3), 1, 0, 0, 0, 1, 0, 0, 0, 1);
    assertTensor(Tensor.eye(2, DType.FLOAT64), DType.FLOAT64, dims(2, 2), 1, 0, 0, 1);
    assertTensor(Tensor.eye(1), DType.FLOAT32, dims(1, 1), 1);
  }

  @Test
  void arangeOfIntsIsInt64AndOfDoublesIsFloat32() {
    assertTensor(Tensor.arange(4), DType.INT64, dims(4), 0, 1, 2, 3);
    assertTensor(Tensor.arange(2, 5), DType.INT64, dims(3), 2, 3, 4);
    assertTensor(Tensor.arange(-2, 1), DType.INT64, dims(3), -2, -1, 0);
    assertTensor(Tensor.arange(0, 1, 0.25), DType.FLOAT32, dims(4), 0, 0.25, 0.5, 0.75);
    assertTensor(Tensor.arange(1, 0, -0.5), DType.FLOAT32, dims(2), 1, 0.5);
    assertTensor(Tensor.arange(0, 1.1, 0.5), DType.FLOAT32, dims(3), 0, 0.5, 1.0);
    assertTensor(Tensor.arange(0), DType.INT64, dims(0));
  }

  @Test
  void randAndRandnAreReproducibleWithTheSameSeed() {
    assertArrayEquals(Tensor.rand(42, 3, 4).toFloatArray(), Tensor.rand(42, 3, 4).toFloatArray());
    assertArrayEquals(Tensor.randn(42, 3, 4).toFloatArray(),
        Tensor.randn(42, 3, 4).toFloatArray());
    assertArrayEquals(Tensor.rand(new Random(7), 5).toFloatArray(),
        Tensor.rand(new Random(7), 5).toFloatArray());
    assertArrayEquals(Tensor.randn(new Random(7), 5).toFloatArray(),
        Tensor.randn(new Random(7), 5).toFloatArray());
    assertFalse(Arrays.equals(Tensor.rand(1, 16).toFloatArray(), Tensor.rand(2, 16).toFloatArray()));
    assertFalse(
        Arrays.equals(Tensor.randn(1, 16).toFloatArray(), Tensor.randn(2, 16).toFloatArray()));
  }

  @Test
  void randDrawsFloat32UniformInUnitInterval() {
    Tensor r = Tensor.rand(3, 100, 100);
    assertEquals(DType.FLOAT32, r.dtype());
    assertArrayEquals(dims(100, 100), r.shape().toArray());
    double sum = 0;
    for (float v : r.toFloatArray()) {
      assertTrue(v >= 0 && v < 1, "rand value out of [0, 1): " + v);
      sum += v;
    }
    assertEquals(0.5, sum / 10_000, 0.02);
  }

  @Test
  void randnDrawsFloat32StandardNormal() {
    Tensor r = Tensor.randn(new Random(5), 20_000);
    assertEquals(DType.FLOAT32, r.dtype());
    double sum = 0;
    double sq = 0;
    for (float v : r.toFloatArray()) {
      sum += v;
      sq += (double) v * v;
    }
    double mean = sum / 20_000;
    double var = sq / 20_000 - mean * mean;
    assertEquals(0, mean, 0.03);
    assertEquals(1, Math.sqrt(var), 0.03);
  }

  @Test
  void zerosLikeAndOnesLikeKeepShapeAndDtype() {
    Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2);
    assertTensor(x.zerosLike(), DType.FLOAT64, dims(3, 2), 0, 0, 0, 0, 0, 0);
    assertTensor(x.onesLike(), DType.FLOAT64, dims(3, 2), 1, 1, 1, 1, 1, 1);
    Tensor l = Tensor.of(new long[] {4, 5});
    assertTensor(Tensor.zerosLike(l), DType.INT64, dims(2), 0, 0);
    assertTensor(Tensor.onesLike(l), DType.INT64, dims(2), 1, 1);
    assertTensor(Tensor.onesLike(Tensor.scalar(9)), DType.FLOAT32, dims(), 1);
  }

  // ---- elementwise, one input ---------------------------------------------------------------

  @Test
  void negExpAbsTanhSigmoidMatchJavaMath() {
    checkUnary(Tensor::neg, v -> -v, X);
    checkUnary(Tensor::exp, Math::exp, X);
    checkUnary(Tensor::abs, Math::abs, X);
    checkUnary(Tensor::tanh, Math::tanh, X);
    checkUnary(Tensor::sigmoid, ForwardValuesTest::sigmoidRef, X);
    checkUnary(Tensor::sin, Math::sin, X);
    checkUnary(Tensor::cos, Math::cos, X);
  }

  @Test
  void logAndSqrtMatchJavaMathInsideTheirDomain() {
    checkUnary(Tensor::log, Math::log, POSITIVE);
    checkUnary(Tensor::sqrt, Math::sqrt, POSITIVE);
  }

  @Test
  void logAndSqrtFollowIeeeOutsideTheirDomain() {
    Tensor x = Tensor.of(new double[] {0, -1});
    assertTensor(x.log(), DType.FLOAT64, dims(2), Double.NEGATIVE_INFINITY, Double.NaN);
    assertTensor(x.sqrt(), DType.FLOAT64, dims(2), 0, Double.NaN);
  }

  @Test
  void reluLeakyReluEluSoftplusMatchTheirDefinitions() {
    checkUnary(Tensor::relu, v -> Math.max(v, 0), X);
    checkUnary(t -> t.leakyRelu(0.1), v -> v > 0 ? v : 0.1 * v, X);
    checkUnary(t -> t.leakyRelu(0.01), v -> v > 0 ? v : 0.01 * v, X);
    checkUnary(t -> t.elu(1.0), v -> v > 0 ? v : Math.expm1(v), X);
    checkUnary(t -> t.elu(1.5), v -> v > 0 ? v : 1.5 * Math.expm1(v), X);
    checkUnary(Tensor::softplus, ForwardValuesTest::softplusRef, X);
  }

  @Test
  void softplusSigmoidAndTanhStayFiniteForLargeInputs() {
    Tensor x = Tensor.of(new double[] {-1000, -100, 100, 1000});
    assertTensor(x.softplus(), DType.FLOAT64, dims(4), 0, Math.exp(-100), 100, 1000);
    assertTensor(x.sigmoid(), DType.FLOAT64, dims(4), 0, sigmoidRef(-100), 1, 1);
    assertTensor(x.tanh(), DType.FLOAT64, dims(4), -1, -1, 1, 1);
    Tensor f = Tensor.of(new float[] {-1000, 1000});
    assertTensor(f.softplus(), DType.FLOAT32, dims(2), 0, 1000);
    assertTensor(f.sigmoid(), DType.FLOAT32, dims(2), 0, 1);
  }

  @Test
  void clampLimitsToTheBounds() {
    checkUnary(t -> t.clamp(-1, 0.75), v -> Math.min(Math.max(v, -1), 0.75), X);
    assertTensor(Tensor.of(new long[] {-5, 0, 5}).clamp(-2, 2), DType.INT64, dims(3), -2, 0, 2);
  }

  @Test
  void clampWithMinAboveMaxGivesMaxEverywhere() {
    // As PyTorch: min(max(x, lo), hi) with lo > hi is hi, and no element is inside the bounds.
    Tensor x = Tensor.of(new double[] {-1, 1.5, 3}).requiresGrad();
    Tensor y = x.clamp(2, 1);
    assertTensor(y, DType.FLOAT64, dims(3), 1, 1, 1);
    y.sum().backward();
    assertTensor(x.grad(), DType.FLOAT64, dims(3), 0, 0, 0);
    assertTensor(Tensor.of(new long[] {-5, 5}).clamp(3, -3), DType.INT64, dims(2), -3, -3);
    // a bound int64 cannot hold makes it float32, as torch's clamp(0, inf) on int64
    assertTensor(Tensor.of(new long[] {-5, 5}).clamp(0, Double.POSITIVE_INFINITY),
        DType.FLOAT32, dims(2), 0, 5);
  }

  @Test
  void signGivesMinusOneZeroOrOne() {
    checkUnary(Tensor::sign, Math::signum, X);
    assertTensor(Tensor.of(new long[] {-4, 0, 9}).sign(), DType.INT64, dims(3), -1, 0, 1);
  }

  @Test
  void powWithADoubleExponentMatchesMathPow() {
    checkUnary(t -> t.pow(2), v -> v * v, X);
    checkUnary(t -> t.pow(3), v -> v * v * v, X);
    checkUnary(t -> t.pow(0.5), Math::sqrt, POSITIVE);
    checkUnary(t -> t.pow(-1.5), v -> Math.pow(v, -1.5), POSITIVE);
    checkUnary(t -> t.pow(0), v -> 1, X);
  }

  @Test
  void powWithATensorExponentBroadcasts() {
    Tensor base = Tensor.of(new double[] {1, 2, 3, 4, 9, 0.5}, 2, 3);
    Tensor exp = Tensor.of(new double[] {2, 0.5, -1});
    assertTensor(base.pow(exp), DType.FLOAT64, dims(2, 3),
        1, Math.sqrt(2), 1.0 / 3, 16, 3, 2);
  }

  @Test
  void int64NegAndAbsStayInt64() {
    Tensor l = Tensor.of(new long[] {-3, 0, 4});
    assertTensor(l.neg(), DType.INT64, dims(3), 3, 0, -4);
    assertTensor(l.abs(), DType.INT64, dims(3), 3, 0, 4);
  }

  @Test
  void int64ExpLogSqrtGiveFloat32() {
    Tensor l = Tensor.of(new long[] {1, 4});
    assertTensor(l.exp(), DType.FLOAT32, dims(2), Math.E, Math.exp(4));
    assertTensor(l.log(), DType.FLOAT32, dims(2), 0, Math.log(4));
    assertTensor(l.sqrt(), DType.FLOAT32, dims(2), 1, 2);
  }

  // ---- elementwise, two inputs --------------------------------------------------------------

  private static final double[] A = {1, -2, 3, 4, 5, -6};
  private static final double[] B = {0.5, -4, 2};

  private static double[] rowwise(double[] a, double[] b, java.util.function.DoubleBinaryOperator f) {
    double[] c = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      c[i] = f.applyAsDouble(a[i], b[i % b.length]);
    }
    return c;
  }

  @Test
  void arithmeticWithATensorBroadcastsARowOverEveryRow() {
    Tensor a = Tensor.of(A, 2, 3);
    Tensor b = Tensor.of(B);
    assertTensor(a.add(b), DType.FLOAT64, dims(2, 3), rowwise(A, B, (x, y) -> x + y));
    assertTensor(a.sub(b), DType.FLOAT64, dims(2, 3), rowwise(A, B, (x, y) -> x - y));
    assertTensor(a.mul(b), DType.FLOAT64, dims(2, 3), rowwise(A, B, (x, y) -> x * y));
    assertTensor(a.div(b), DType.FLOAT64, dims(2, 3), rowwise(A, B, (x, y) -> x / y));
  }

  @Test
  void arithmeticBroadcastsTheSmallerOperandOnTheLeftToo() {
    Tensor a = Tensor.of(A, 2, 3);
    Tensor b = Tensor.of(B);
    assertTensor(b.sub(a), DType.FLOAT64, dims(2, 3), rowwise(A, B, (x, y) -> y - x));
    assertTensor(b.div(a), DType.FLOAT64, dims(2, 3), rowwise(A, B, (x, y) -> y / x));
  }

  @Test
  void columnPlusRowBroadcastsToAnOuterSum() {
    Tensor col = Tensor.of(new double[] {10, 20}, 2, 1);
    Tensor row = Tensor.of(new double[] {1, 2, 3}, 1, 3);
    assertTensor(col.add(row), DType.FLOAT64, dims(2, 3), 11, 12, 13, 21, 22, 23);
    assertTensor(col.mul(row), DType.FLOAT64, dims(2, 3), 10, 20, 30, 20, 40, 60);
    assertTensor(row.sub(col), DType.FLOAT64, dims(2, 3), -9, -8, -7, -19, -18, -17);
  }

  @Test
  void rankZeroTensorBroadcastsToEveryElement() {
    Tensor a = Tensor.of(A, 2, 3);
    Tensor s = Tensor.scalar(2, DType.FLOAT64);
    assertTensor(a.mul(s), DType.FLOAT64, dims(2, 3), map(A, v -> 2 * v));
    assertTensor(s.sub(a), DType.FLOAT64, dims(2, 3), map(A, v -> 2 - v));
    assertTensor(s.add(s), DType.FLOAT64, dims(), 4);
    Tensor three = Tensor.of(new double[] {1, 2, 3}, 1, 1, 3);
    assertTensor(three.add(Tensor.of(new double[] {5}, 1)), DType.FLOAT64, dims(1, 1, 3),
        6, 7, 8);
  }

  @Test
  void arithmeticWithADoubleOperand() {
    Tensor a = Tensor.of(A, 2, 3);
    assertTensor(a.add(2), DType.FLOAT64, dims(2, 3), map(A, v -> v + 2));
    assertTensor(a.sub(0.5), DType.FLOAT64, dims(2, 3), map(A, v -> v - 0.5));
    assertTensor(a.mul(-1.5), DType.FLOAT64, dims(2, 3), map(A, v -> v * -1.5));
    assertTensor(a.div(4), DType.FLOAT64, dims(2, 3), map(A, v -> v / 4));
    Tensor f = Tensor.of(toFloats(A), 2, 3);
    assertTensor(f.add(0.25), DType.FLOAT32, dims(2, 3), map(A, v -> v + 0.25));
    assertTensor(f.div(3), DType.FLOAT32, dims(2, 3), map(A, v -> v / 3));
  }

  @Test
  void comparisonsWithATensorGiveOneOrZero() {
    Tensor a = Tensor.of(new double[] {1, 2, 3});
    Tensor b = Tensor.of(new double[] {3, 2, 1});
    assertValues(a.gt(b), 0, 0, 1);
    assertValues(a.lt(b), 1, 0, 0);
    assertValues(a.ge(b), 0, 1, 1);
    assertValues(a.le(b), 1, 1, 0);
    assertValues(a.eq(b), 0, 1, 0);
    assertArrayEquals(dims(3), a.gt(b).shape().toArray());
  }

  @Test
  void comparisonsWithADoubleGiveOneOrZero() {
    Tensor a = Tensor.of(new float[] {1, 2, 3});
    assertValues(a.gt(2), 0, 0, 1);
    assertValues(a.lt(2), 1, 0, 0);
    assertValues(a.ge(2), 0, 1, 1);
    assertValues(a.le(2), 1, 1, 0);
    assertValues(a.eq(2), 0, 1, 0);
  }

  @Test
  void comparisonsBroadcast() {
    Tensor col = Tensor.of(new double[] {1, 2}, 2, 1);
    Tensor row = Tensor.of(new double[] {0, 1, 2});
    Tensor m = col.gt(row);
    assertArrayEquals(dims(2, 3), m.shape().toArray());
    assertValues(m, 1, 0, 0, 1, 1, 0);
    assertValues(col.eq(row), 0, 1, 0, 0, 0, 1);
  }

  @Test
  void wherePicksFromAWhereTheConditionHoldsAndBroadcasts() {
    Tensor a = Tensor.of(A, 2, 3);
    Tensor cond = Tensor.of(new double[] {1, 0, 1});
    Tensor b = Tensor.of(new double[] {-100});
    assertTensor(Tensor.where(cond, a, b), DType.FLOAT64, dims(2, 3), 1, -100, 3, 4, -100, -6);
    assertTensor(a.where(cond, b), DType.FLOAT64, dims(2, 3), 1, -100, 3, 4, -100, -6);
    Tensor relu = Tensor.where(a.gt(0), a, a.zerosLike());
    assertTensor(relu, DType.FLOAT64, dims(2, 3), map(A, v -> Math.max(v, 0)));
  }

  // ---- dtype promotion ----------------------------------------------------------------------

  @Test
  void float32WithFloat64PromotesToFloat64() {
    Tensor f = Tensor.of(new float[] {1, 2});
    Tensor d = Tensor.of(new double[] {0.5, 1e-10});
    assertTensor(f.add(d), DType.FLOAT64, dims(2), 1.5, 2 + 1e-10);
    assertTensor(d.add(f), DType.FLOAT64, dims(2), 1.5, 2 + 1e-10);
    assertTensor(f.mul(d), DType.FLOAT64, dims(2), 0.5, 2e-10);
    assertEquals(DType.FLOAT64, f.sub(d).dtype());
    assertEquals(DType.FLOAT64, f.div(d).dtype());
    assertEquals(DType.FLOAT64, f.pow(d).dtype());
  }

  @Test
  void doubleOperandKeepsTheTensorsDtype() {
    Tensor f = Tensor.of(new float[] {1, 2});
    assertTensor(f.mul(2.5), DType.FLOAT32, dims(2), 2.5, 5);
    assertEquals(DType.FLOAT32, f.add(0.1).dtype());
    assertEquals(DType.FLOAT32, f.pow(2.0).dtype());
    assertEquals(DType.FLOAT64, Tensor.of(new double[] {1}).mul(2.5).dtype());
  }

  @Test
  void int64WithAnIntegralDoubleStaysInt64() {
    Tensor l = Tensor.of(new long[] {1, 2, 3});
    assertTensor(l.add(1), DType.INT64, dims(3), 2, 3, 4);
    assertTensor(l.mul(3), DType.INT64, dims(3), 3, 6, 9);
    assertTensor(l.sub(5), DType.INT64, dims(3), -4, -3, -2);
    assertTensor(l.add(Tensor.of(new long[] {10, 20, 30})), DType.INT64, dims(3), 11, 22, 33);
  }

  @Test
  void arithmeticWithAConstantIsIeeeArithmeticSignedZerosIncluded() {
    Tensor negZero = Tensor.of(new double[] {-0.0});
    assertEquals(Double.doubleToRawLongBits(-0.0), bits(negZero.add(-0.0)));
    assertEquals(Double.doubleToRawLongBits(-0.0), bits(negZero.sub(0.0)));
    assertEquals(Double.doubleToRawLongBits(0.0), bits(negZero.add(0.0)));
    assertEquals(Double.doubleToRawLongBits(-0.0), bits(Tensor.of(new double[] {2}).mul(-0.0)));
    assertEquals(Double.doubleToRawLongBits(-0.0), bits(Tensor.of(new double[] {2}).div(-1e300)
        .mul(1e-300)));
    // float32 operands: the constant is rounded to float32 first, as a float32 tensor would be
    Tensor f = Tensor.of(new float[] {1, 3, 1e-3f});
    float[] got = f.div(3).toFloatArray();
    assertEquals(1f / 3f, got[0]);
    assertEquals(1f, got[1]);
    assertEquals(1e-3f / 3f, got[2]);
    assertEquals(0.1f * 3f, f.mul(0.1).toFloatArray()[1]);
  }

  private static long bits(Tensor oneElement) {
    return Double.doubleToRawLongBits(oneElement.item());
  }

  @Test
  void int64ArithmeticWithAConstantIsExactBeyondTwoToThe53() {
    long big = (1L << 60) + 1;
    Tensor l = Tensor.of(new long[] {big, -big});
    assertArrayEquals(new long[] {big + 2, -big + 2}, l.add(2).toLongArray());
    assertArrayEquals(new long[] {big - 2, -big - 2}, l.sub(2).toLongArray());
    assertArrayEquals(new long[] {big * 3, -big * 3}, l.mul(3).toLongArray());
    assertArrayEquals(new long[] {1L << 52, -(1L << 52)},
        l.clamp(-(1L << 52), 1L << 52).toLongArray());
    assertEquals(DType.FLOAT32, l.clamp(-(1L << 59), 0).dtype()); // past 2^53, as add's
  }

  @Test
  void int64WithAFractionalDoubleGivesFloat32() {
    Tensor l = Tensor.of(new long[] {1, 2});
    assertTensor(l.add(1.5), DType.FLOAT32, dims(2), 2.5, 3.5);
  }

  @Test
  void int64WithAFloatTensorGivesTheFloatType() {
    Tensor l = Tensor.of(new long[] {1, 2});
    assertTensor(l.add(Tensor.of(new float[] {0.5f, 0.5f})), DType.FLOAT32, dims(2), 1.5, 2.5);
    assertTensor(l.mul(Tensor.of(new double[] {0.1, 0.1})), DType.FLOAT64, dims(2), 0.1, 0.2);
  }

  @Test
  void int64DivisionIsTrueDivisionToFloat32() {
    Tensor l = Tensor.of(new long[] {1, 2, 3});
    assertTensor(l.div(2), DType.FLOAT32, dims(3), 0.5, 1, 1.5);
    assertTensor(l.div(Tensor.of(new long[] {2, 4, 4})), DType.FLOAT32, dims(3), 0.5, 0.5, 0.75);
    assertTensor(l.div(Tensor.of(new double[] {4, 4, 4})), DType.FLOAT64, dims(3),
        0.25, 0.5, 0.75);
  }

  @Test
  void aRank0OperandDecidesTheDtypeOnlyFromAHigherCategory() {
    // PyTorch's result_type: a rank-0 tensor beside one with axes counts like a scalar.
    Tensor f = Tensor.of(new float[] {1, 2});
    Tensor l = Tensor.of(new long[] {1, 2});
    Tensor d0 = Tensor.scalar(0.5, DType.FLOAT64);
    assertTensor(f.add(d0), DType.FLOAT32, dims(2), 1.5, 2.5);
    assertTensor(d0.add(f), DType.FLOAT32, dims(2), 1.5, 2.5);
    assertTensor(f.div(d0), DType.FLOAT32, dims(2), 2, 4);
    assertTensor(d0.pow(f), DType.FLOAT32, dims(2), 0.5, 0.25);
    assertTensor(Tensor.where(Tensor.of(new float[] {1, 0}), f, d0), DType.FLOAT32, dims(2),
        1, 0.5);
    assertTensor(l.add(d0), DType.FLOAT64, dims(2), 1.5, 2.5);
    assertTensor(l.mul(Tensor.scalar(2)), DType.FLOAT32, dims(2), 2, 4);
    assertTensor(f.mul(Tensor.scalar(3, DType.INT64)), DType.FLOAT32, dims(2), 3, 6);
    assertTensor(l.mul(Tensor.scalar(3, DType.INT64)), DType.INT64, dims(2), 3, 6);
    assertTensor(l.div(Tensor.scalar(4, DType.INT64)), DType.FLOAT32, dims(2), 0.25, 0.5);
    assertTensor(l.div(d0), DType.FLOAT64, dims(2), 2, 4);
    assertEquals(DType.FLOAT64, d0.add(Tensor.scalar(1)).dtype()); // both rank 0: promoted
  }

  @Test
  void aRank0Float64OperandGetsAFloat64Gradient() {
    Tensor w = Tensor.of(new float[] {1, 2, 3}).requiresGrad();
    Tensor s = Tensor.scalar(2, DType.FLOAT64).requiresGrad();
    Tensor y = w.mul(s);
    assertEquals(DType.FLOAT32, y.dtype());
    y.sum().backward();
    assertTensor(s.grad(), DType.FLOAT64, dims(), 6);
    assertTensor(w.grad(), DType.FLOAT32, dims(3), 2, 2, 2);
  }

  @Test
  void int64ToAWholePowerStaysInt64() {
    Tensor l = Tensor.of(new long[] {-3, 0, 2, 7});
    assertTensor(l.pow(2), DType.INT64, dims(4), 9, 0, 4, 49);
    assertTensor(l.pow(3), DType.INT64, dims(4), -27, 0, 8, 343);
    assertTensor(l.pow(0), DType.INT64, dims(4), 1, 1, 1, 1);
    assertTensor(l.pow(1), DType.INT64, dims(4), -3, 0, 2, 7);
    assertTensor(Tensor.of(new long[] {2}).pow(62), DType.INT64, dims(1), 0x1p62);
    assertTensor(l.pow(0.5), DType.FLOAT32, dims(4), Double.NaN, 0, Math.sqrt(2), Math.sqrt(7));
    assertThrows(IllegalArgumentException.class, () -> l.pow(-1));
  }

  @Test
  void int64ToAnInt64TensorPowerStaysInt64AndWrapsAsPyTorch() {
    // torch 2.13: tensor([2,3,-1,-1,1,0,7,-2]) ** tensor([3,-1,-3,-2,-5,0,30,63])
    Tensor a = Tensor.of(new long[] {2, 3, -1, -1, 1, 0, 7, -2});
    Tensor b = Tensor.of(new long[] {3, -1, -3, -2, -5, 0, 30, 63});
    Tensor p = a.pow(b);
    assertEquals(DType.INT64, p.dtype());
    assertArrayEquals(new long[] {8, 0, -1, 1, 1, 1, 1576789505350337489L, Long.MIN_VALUE},
        p.toLongArray());
    assertArrayEquals(new long[] {8, 27},
        Tensor.of(new long[] {2, 3}).pow(Tensor.scalar(3, DType.INT64)).toLongArray());
    assertArrayEquals(new long[] {1, 3, 9},
        Tensor.scalar(3, DType.INT64).pow(Tensor.of(new long[] {0, 1, 2})).toLongArray());
    assertEquals(DType.FLOAT32, a.pow(Tensor.scalar(0.5)).dtype());
  }

  @Test
  void toConvertsBetweenDtypes() {
    Tensor f = Tensor.of(new float[] {1.5f, -2.5f});
    assertTensor(f.to(DType.FLOAT64), DType.FLOAT64, dims(2), 1.5, -2.5);
    assertTensor(f.to(DType.INT64), DType.INT64, dims(2), 1, -2);
    assertTensor(Tensor.of(new long[] {3}).to(DType.FLOAT32), DType.FLOAT32, dims(1), 3);
    assertEquals(Device.cpu(), f.to(Device.cpu()).device());
  }

  // ---- matmul -------------------------------------------------------------------------------

  private static final double[] M23 = {1, 2, 3, 4, 5, 6};
  private static final double[] M34 = {1, -1, 0, 2, 0.5, 3, -2, 1, 4, 0, 1, -3};

  @Test
  void matmulOfTwoVectorsIsTheirDotProductAsRankZero() {
    Tensor y = Tensor.of(new double[] {1, 2, 3}).matmul(Tensor.of(new double[] {4, 5, 6}));
    assertTensor(y, DType.FLOAT64, dims(), 32);
  }

  @Test
  void matmulOfVectorAndMatrixTreatsTheVectorAsARow() {
    Tensor y = Tensor.of(new double[] {1, 2}).matmul(Tensor.of(M23, 2, 3));
    assertTensor(y, DType.FLOAT64, dims(3), 9, 12, 15);
  }

  @Test
  void matmulOfMatrixAndVectorTreatsTheVectorAsAColumn() {
    Tensor y = Tensor.of(M23, 2, 3).matmul(Tensor.of(new double[] {1, 0, -1}));
    assertTensor(y, DType.FLOAT64, dims(2), -2, -2);
  }

  @Test
  void matmulOfTwoMatrices() {
    Tensor y = Tensor.of(M23, 2, 3).matmul(Tensor.of(M34, 3, 4));
    assertTensor(y, DType.FLOAT64, dims(2, 4), matmulRef(M23, M34, 2, 3, 4));
    Tensor f = Tensor.of(toFloats(M23), 2, 3).matmul(Tensor.of(toFloats(M34), 3, 4));
    assertTensor(f, DType.FLOAT32, dims(2, 4), matmulRef(M23, M34, 2, 3, 4));
  }

  @Test
  void matmulOfLargerMatricesMatchesAReferenceLoop() {
    Random r = new Random(11);
    int m = 37;
    int k = 53;
    int n = 29;
    double[] a = new double[m * k];
    double[] b = new double[k * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextGaussian();
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = r.nextGaussian();
    }
    Tensor y = Tensor.of(a, m, k).matmul(Tensor.of(b, k, n));
    double[] ref = matmulRef(a, b, m, k, n);
    double[] got = y.toDoubleArray();
    for (int i = 0; i < ref.length; i++) {
      assertEquals(ref[i], got[i], 1e-10);
    }
  }

  @Test
  void matmulKeepsFloat64Precision() {
    double e = 1e-10;
    Tensor a = Tensor.of(new double[] {1 + e, 1, 1, 1}, 2, 2);
    Tensor b = Tensor.of(new double[] {1, 0, 0, 1 + e}, 2, 2);
    assertTensor(a.matmul(b), DType.FLOAT64, dims(2, 2), 1 + e, 1 + e, 1, 1 + e);
    assertEquals(1 + e, a.matmul(b).toDoubleArray()[0], 1e-15);
  }

  @Test
  void batchedMatmulBroadcastsAMatrixOverTheBatch() {
    double[] a = seq(12, -3, 0.5); // [2, 2, 3]
    Tensor y = Tensor.of(a, 2, 2, 3).matmul(Tensor.of(M34, 3, 4));
    double[] ref = new double[16];
    for (int bi = 0; bi < 2; bi++) {
      double[] r = matmulRef(Arrays.copyOfRange(a, bi * 6, bi * 6 + 6), M34, 2, 3, 4);
      System.arraycopy(r, 0, ref, bi * 8, 8);
    }
    assertTensor(y, DType.FLOAT64, dims(2, 2, 4), ref);
  }

  @Test
  void batchedMatmulBroadcastsTheLeftMatrixOverTheBatch() {
    double[] b = seq(24, -5, 0.5); // [2, 3, 4]
    Tensor y = Tensor.of(M23, 2, 3).matmul(Tensor.of(b, 2, 3, 4));
    double[] ref = new double[16];
    for (int bi = 0; bi < 2; bi++) {
      double[] r = matmulRef(M23, Arrays.copyOfRange(b, bi * 12, bi * 12 + 12), 2, 3, 4);
      System.arraycopy(r, 0, ref, bi * 8, 8);
    }
    assertTensor(y, DType.FLOAT64, dims(2, 2, 4), ref);
  }

  @Test
  void batchedMatmulBroadcastsSizeOneBatchAxes() {
    double[] a = seq(12, -1, 0.25); // [2, 1, 2, 3]
    double[] b = seq(18, 2, -0.5); // [3, 3, 2]
    Tensor y = Tensor.of(a, 2, 1, 2, 3).matmul(Tensor.of(b, 3, 3, 2));
    double[] ref = new double[2 * 3 * 2 * 2];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        double[] r = matmulRef(Arrays.copyOfRange(a, i * 6, i * 6 + 6),
            Arrays.copyOfRange(b, j * 6, j * 6 + 6), 2, 3, 2);
        System.arraycopy(r, 0, ref, (i * 3 + j) * 4, 4);
      }
    }
    assertTensor(y, DType.FLOAT64, dims(2, 3, 2, 2), ref);
  }

  @Test
  void matmulOfVectorAndBatchDropsTheVectorAxis() {
    double[] b = seq(24, -5, 0.5); // [2, 3, 4]
    double[] v = {1, -1, 2};
    Tensor y = Tensor.of(v).matmul(Tensor.of(b, 2, 3, 4));
    double[] ref = new double[8];
    for (int bi = 0; bi < 2; bi++) {
      double[] r = matmulRef(v, Arrays.copyOfRange(b, bi * 12, bi * 12 + 12), 1, 3, 4);
      System.arraycopy(r, 0, ref, bi * 4, 4);
    }
    assertTensor(y, DType.FLOAT64, dims(2, 4), ref);
  }

  // ---- layout -------------------------------------------------------------------------------

  private static final double[] T234 = seq(24, 0, 1);

  private static double at(double[] d, int[] shape, int... idx) {
    int off = 0;
    for (int i = 0; i < shape.length; i++) {
      off = off * shape[i] + idx[i];
    }
    return d[off];
  }

  @Test
  void transposeSwapsTheLastTwoAxes() {
    assertTensor(Tensor.of(M23, 2, 3).transpose(), DType.FLOAT64, dims(3, 2), 1, 4, 2, 5, 3, 6);
    Tensor t = Tensor.of(T234, 2, 3, 4).transpose();
    double[] ref = new double[24];
    int p = 0;
    for (int i = 0; i < 2; i++) {
      for (int k = 0; k < 4; k++) {
        for (int j = 0; j < 3; j++) {
          ref[p++] = at(T234, dims(2, 3, 4), i, j, k);
        }
      }
    }
    assertTensor(t, DType.FLOAT64, dims(2, 4, 3), ref);
  }

  @Test
  void transposeOfTwoAxesIncludingNegativeOnes() {
    double[] ref = new double[24];
    int p = 0;
    for (int k = 0; k < 4; k++) {
      for (int j = 0; j < 3; j++) {
        for (int i = 0; i < 2; i++) {
          ref[p++] = at(T234, dims(2, 3, 4), i, j, k);
        }
      }
    }
    Tensor x = Tensor.of(T234, 2, 3, 4);
    assertTensor(x.transpose(0, 2), DType.FLOAT64, dims(4, 3, 2), ref);
    assertTensor(x.transpose(-1, -3), DType.FLOAT64, dims(4, 3, 2), ref);
    assertTensor(x.transpose(1, 1), DType.FLOAT64, dims(2, 3, 4), T234);
  }

  @Test
  void permuteReordersAxes() {
    // result axis i is input axis order[i]: permute(2, 0, 1) gives [4, 2, 3]
    double[] ref = new double[24];
    int p = 0;
    for (int k = 0; k < 4; k++) {
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 3; j++) {
          ref[p++] = at(T234, dims(2, 3, 4), i, j, k);
        }
      }
    }
    Tensor x = Tensor.of(T234, 2, 3, 4);
    assertTensor(x.permute(2, 0, 1), DType.FLOAT64, dims(4, 2, 3), ref);
    assertTensor(x.permute(-1, 0, 1), DType.FLOAT64, dims(4, 2, 3), ref);
  }

  @Test
  void reshapeKeepsRowMajorOrderAndInfersMinusOne() {
    Tensor x = Tensor.of(M23, 2, 3);
    assertTensor(x.reshape(3, 2), DType.FLOAT64, dims(3, 2), M23);
    assertTensor(x.reshape(-1, 2), DType.FLOAT64, dims(3, 2), M23);
    assertTensor(x.reshape(1, -1), DType.FLOAT64, dims(1, 6), M23);
    assertTensor(x.reshape(-1), DType.FLOAT64, dims(6), M23);
    assertTensor(x.reshape(3, 1, -1), DType.FLOAT64, dims(3, 1, 2), M23);
    assertTensor(Tensor.of(new double[] {5}).reshape(), DType.FLOAT64, dims(), 5);
    // a transposed tensor reshapes by its logical (row-major) order
    assertTensor(x.transpose().reshape(-1), DType.FLOAT64, dims(6), 1, 4, 2, 5, 3, 6);
  }

  @Test
  void flattenMergesAxes() {
    Tensor x = Tensor.of(T234, 2, 3, 4);
    assertTensor(x.flatten(), DType.FLOAT64, dims(24), T234);
    assertTensor(x.flatten(1, 2), DType.FLOAT64, dims(2, 12), T234);
    assertTensor(x.flatten(0, 1), DType.FLOAT64, dims(6, 4), T234);
    assertTensor(Tensor.scalar(3).flatten(), DType.FLOAT32, dims(1), 3);
  }

  @Test
  void unsqueezeAndSqueezeAddAndRemoveSizeOneAxes() {
    Tensor x = Tensor.of(M23, 2, 3);
    assertTensor(x.unsqueeze(0), DType.FLOAT64, dims(1, 2, 3), M23);
    assertTensor(x.unsqueeze(1), DType.FLOAT64, dims(2, 1, 3), M23);
    assertTensor(x.unsqueeze(-1), DType.FLOAT64, dims(2, 3, 1), M23);
    assertTensor(x.unsqueeze(2), DType.FLOAT64, dims(2, 3, 1), M23);
    Tensor y = Tensor.of(M23, 1, 2, 1, 3, 1);
    assertTensor(y.squeeze(), DType.FLOAT64, dims(2, 3), M23);
    assertTensor(y.squeeze(0), DType.FLOAT64, dims(2, 1, 3, 1), M23);
    assertTensor(y.squeeze(-1), DType.FLOAT64, dims(1, 2, 1, 3), M23);
    assertTensor(y.squeeze(1), DType.FLOAT64, dims(1, 2, 1, 3, 1), M23);
    assertTensor(Tensor.of(new double[] {4}, 1, 1).squeeze(), DType.FLOAT64, dims(), 4);
  }

  @Test
  void expandBroadcastsSizeOneAndLeadingAxes() {
    Tensor col = Tensor.of(new double[] {1, 2}, 2, 1);
    assertTensor(col.expand(2, 3), DType.FLOAT64, dims(2, 3), 1, 1, 1, 2, 2, 2);
    assertTensor(col.expand(-1, 3), DType.FLOAT64, dims(2, 3), 1, 1, 1, 2, 2, 2);
    Tensor row = Tensor.of(new double[] {1, 2, 3});
    assertTensor(row.expand(2, 3), DType.FLOAT64, dims(2, 3), 1, 2, 3, 1, 2, 3);
    assertTensor(row.expand(2, 1, 3), DType.FLOAT64, dims(2, 1, 3), 1, 2, 3, 1, 2, 3);
    assertTensor(Tensor.scalar(7, DType.FLOAT64).expand(2, 2), DType.FLOAT64, dims(2, 2),
        7, 7, 7, 7);
  }

  @Test
  void sliceTakesARangeAlongAnAxisWithNegativeIndices() {
    Tensor x = Tensor.of(seq(8, 0, 1), 2, 4);
    assertTensor(x.slice(1, 1, 3), DType.FLOAT64, dims(2, 2), 1, 2, 5, 6);
    assertTensor(x.slice(-1, -3, -1), DType.FLOAT64, dims(2, 2), 1, 2, 5, 6);
    assertTensor(x.slice(0, 1, 2), DType.FLOAT64, dims(1, 4), 4, 5, 6, 7);
    assertTensor(x.slice(0, -1, 2), DType.FLOAT64, dims(1, 4), 4, 5, 6, 7);
    assertTensor(x.slice(1, 0, 4), DType.FLOAT64, dims(2, 4), seq(8, 0, 1));
    assertTensor(x.slice(1, 2, 2), DType.FLOAT64, dims(2, 0));
  }

  @Test
  void sliceClampsBoundsPastEitherEndAsPythonSlicingDoes() {
    Tensor x = Tensor.of(seq(8, 0, 1), 2, 4);            // torch: x[:, 1:100], x[:, -100:2]
    assertTensor(x.slice(1, 1, 100), DType.FLOAT64, dims(2, 3), 1, 2, 3, 5, 6, 7);
    assertTensor(x.slice(1, -100, 2), DType.FLOAT64, dims(2, 2), 0, 1, 4, 5);
    assertTensor(x.slice(0, 5, 9), DType.FLOAT64, dims(0, 4));
    assertTensor(x.slice(1, 3, 1), DType.FLOAT64, dims(2, 0));
    assertTensor(x.slice(1, Integer.MIN_VALUE, Integer.MAX_VALUE), DType.FLOAT64, dims(2, 4),
        seq(8, 0, 1));
  }

  @Test
  void concatJoinsAlongAnExistingAxis() {
    Tensor a = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
    Tensor b = Tensor.of(new double[] {5, 6, 7, 8, 9, 10}, 2, 3);
    assertTensor(Tensor.concat(List.of(a, b), 1), DType.FLOAT64, dims(2, 5),
        1, 2, 5, 6, 7, 3, 4, 8, 9, 10);
    assertTensor(Tensor.concat(-1, a, b), DType.FLOAT64, dims(2, 5),
        1, 2, 5, 6, 7, 3, 4, 8, 9, 10);
    Tensor c = Tensor.of(new double[] {9, 9}, 1, 2);
    assertTensor(Tensor.concat(0, a, c, a), DType.FLOAT64, dims(5, 2),
        1, 2, 3, 4, 9, 9, 1, 2, 3, 4);
  }

  @Test
  void concatPromotesMixedDtypes() {
    Tensor a = Tensor.of(new float[] {1});
    Tensor b = Tensor.of(new double[] {0.1});
    assertTensor(Tensor.concat(0, a, b), DType.FLOAT64, dims(2), 1, 0.1);
  }

  @Test
  void stackJoinsAlongANewAxis() {
    Tensor a = Tensor.of(new double[] {1, 2, 3});
    Tensor b = Tensor.of(new double[] {4, 5, 6});
    assertTensor(Tensor.stack(List.of(a, b), 0), DType.FLOAT64, dims(2, 3), 1, 2, 3, 4, 5, 6);
    assertTensor(Tensor.stack(1, a, b), DType.FLOAT64, dims(3, 2), 1, 4, 2, 5, 3, 6);
    assertTensor(Tensor.stack(-1, a, b), DType.FLOAT64, dims(3, 2), 1, 4, 2, 5, 3, 6);
    Tensor s = Tensor.scalar(1, DType.FLOAT64);
    assertTensor(Tensor.stack(0, s, s.mul(2)), DType.FLOAT64, dims(2), 1, 2);
  }

  @Test
  void gatherPicksAlongAnAxisByIndex() {
    Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
    Tensor idx = Tensor.of(new long[] {0, 0, 1, 0}, 2, 2);
    assertTensor(x.gather(1, idx), DType.FLOAT64, dims(2, 2), 1, 1, 4, 3);
    assertTensor(x.gather(-1, idx), DType.FLOAT64, dims(2, 2), 1, 1, 4, 3);
    assertTensor(x.gather(0, idx), DType.FLOAT64, dims(2, 2), 1, 2, 3, 2);
    Tensor y = Tensor.of(M23, 2, 3);
    Tensor picks = Tensor.of(new long[] {2, 0, 2, 1}, 2, 2);
    assertTensor(y.gather(1, picks), DType.FLOAT64, dims(2, 2), 3, 1, 6, 5);
    Tensor labels = Tensor.of(new long[] {2, 1}, 2, 1);
    assertTensor(y.gather(1, labels), DType.FLOAT64, dims(2, 1), 3, 5);
  }

  @Test
  void gatherTakesAnIndexSmallerOnTheOtherAxes() {
    // PyTorch reads only the part of the input the index covers on the other axes.
    Tensor y = Tensor.of(M23, 2, 3).requiresGrad();
    Tensor first = Tensor.of(new long[] {2, 0}, 1, 2);
    Tensor g = y.gather(1, first);
    assertTensor(g, DType.FLOAT64, dims(1, 2), 3, 1);
    assertTensor(y.gather(0, Tensor.of(new long[] {1}, 1, 1)), DType.FLOAT64, dims(1, 1), 4);
    g.mul(Tensor.of(new double[] {10, 20}, 1, 2)).sum().backward();
    assertTensor(y.grad(), DType.FLOAT64, dims(2, 3), 20, 0, 10, 0, 0, 0);
    assertThrows(IllegalArgumentException.class,
        () -> y.gather(1, Tensor.zeros(DType.INT64, 3, 1))); // larger on axis 0
    assertTensor(Tensor.zeros(2, 2).gather(0, Tensor.zeros(DType.INT64, 0, 3)), DType.FLOAT32,
        dims(0, 3)); // an empty index may be larger elsewhere, as torch's
  }

  @Test
  void indexSelectTakesWholeSlicesInIndexOrder() {
    Tensor x = Tensor.of(seq(6, 1, 1), 3, 2);
    assertTensor(x.indexSelect(0, Tensor.of(new long[] {2, 0})), DType.FLOAT64, dims(2, 2),
        5, 6, 1, 2);
    assertTensor(x.indexSelect(0, Tensor.of(new long[] {1, 1, 1})), DType.FLOAT64, dims(3, 2),
        3, 4, 3, 4, 3, 4);
    assertTensor(x.indexSelect(1, Tensor.of(new long[] {1})), DType.FLOAT64, dims(3, 1), 2, 4, 6);
    assertTensor(x.indexSelect(-1, Tensor.of(new long[] {1, 0})), DType.FLOAT64, dims(3, 2),
        2, 1, 4, 3, 6, 5);
  }

  @Test
  void floatingArangeAndLinspaceGivePyTorchsValues() {
    assertTensor(Tensor.arange(4.0), DType.FLOAT32, dims(4), 0, 1, 2, 3);
    assertTensor(Tensor.arange(1.0, 3.5), DType.FLOAT32, dims(3), 1, 2, 3);
    assertTensor(Tensor.linspace(-1, 1, 5), DType.FLOAT32, dims(5), -1, -0.5, 0, 0.5, 1);
    // torch.linspace(0, 1, 7).tolist(), float32 values
    assertArrayEquals(new float[] {0.0f, 0.1666666716337204f, 0.3333333432674408f, 0.5f,
        0.6666666269302368f, 0.8333333134651184f, 1.0f}, Tensor.linspace(0, 1, 7).toFloatArray());
    assertTensor(Tensor.linspace(0, 1, 1), DType.FLOAT32, dims(1), 0);
    assertTensor(Tensor.linspace(0, 1, 0), DType.FLOAT32, dims(0));
    assertThrows(IllegalArgumentException.class, () -> Tensor.linspace(0, 1, -1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Tensor.linspace(0, 1, Integer.MAX_VALUE)); // not an OutOfMemoryError
    assertTrue(e.getMessage().startsWith("linspace"), e.getMessage());
  }

  @Test
  void oneHotMakesRowsOfClasses() {
    Tensor h = Tensor.of(new long[] {0, 2, 1}).oneHot(3);
    assertEquals(DType.INT64, h.dtype()); // torch.nn.functional.one_hot's dtype
    assertArrayEquals(dims(3, 3), h.shape().toArray());
    assertValues(h, 1, 0, 0, 0, 0, 1, 0, 1, 0);
    Tensor h2 = Tensor.of(new long[] {3, 0, 1, 3}, 2, 2).oneHot(4);
    assertArrayEquals(dims(2, 2, 4), h2.shape().toArray());
    assertValues(h2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1);
  }

  // ---- reductions ---------------------------------------------------------------------------

  private static final double[] R = {1, 5, -2, 7, 0, 3}; // [2, 3]

  @Test
  void sumOfAllElementsIsRankZero() {
    Tensor x = Tensor.of(R, 2, 3);
    assertTensor(x.sum(), DType.FLOAT64, dims(), 14);
    assertTensor(Tensor.of(toFloats(R), 2, 3).sum(), DType.FLOAT32, dims(), 14);
    assertTensor(Tensor.of(new long[] {1, 2, 3}).sum(), DType.INT64, dims(), 6);
    assertTensor(Tensor.scalar(4).sum(), DType.FLOAT32, dims(), 4);
  }

  @Test
  void sumAlongAxesWithAndWithoutKeepDims() {
    Tensor x = Tensor.of(R, 2, 3);
    assertTensor(x.sum(0), DType.FLOAT64, dims(3), 8, 5, 1);
    assertTensor(x.sum(1), DType.FLOAT64, dims(2), 4, 10);
    assertTensor(x.sum(1, true), DType.FLOAT64, dims(2, 1), 4, 10);
    assertTensor(x.sum(-1), DType.FLOAT64, dims(2), 4, 10);
    assertTensor(x.sum(-2, true), DType.FLOAT64, dims(1, 3), 8, 5, 1);
    assertTensor(x.sum(0, false), DType.FLOAT64, dims(3), 8, 5, 1);
  }

  @Test
  void sumAlongTheMiddleAxisOfARankThreeTensor() {
    Tensor x = Tensor.of(T234, 2, 3, 4);
    double[] ref = new double[8];
    for (int i = 0; i < 2; i++) {
      for (int k = 0; k < 4; k++) {
        for (int j = 0; j < 3; j++) {
          ref[i * 4 + k] += at(T234, dims(2, 3, 4), i, j, k);
        }
      }
    }
    assertTensor(x.sum(1), DType.FLOAT64, dims(2, 4), ref);
    assertTensor(x.sum(-2, true), DType.FLOAT64, dims(2, 1, 4), ref);
  }

  @Test
  void sumOfAManyElementTensorIsAccurate() {
    int n = 100_000;
    double[] d = new double[n];
    double ref = 0;
    Random r = new Random(3);
    for (int i = 0; i < n; i++) {
      d[i] = r.nextDouble();
      ref += d[i];
    }
    assertEquals(ref, Tensor.of(d).sum().item(), 1e-8);
    assertEquals(ref, Tensor.of(toFloats(d)).sum().item(), ref * 1e-5);
  }

  @Test
  void meanOfAllAndAlongAxes() {
    Tensor x = Tensor.of(R, 2, 3);
    assertTensor(x.mean(), DType.FLOAT64, dims(), 14.0 / 6);
    assertTensor(x.mean(0), DType.FLOAT64, dims(3), 4, 2.5, 0.5);
    assertTensor(x.mean(-1), DType.FLOAT64, dims(2), 4.0 / 3, 10.0 / 3);
    assertTensor(x.mean(1, true), DType.FLOAT64, dims(2, 1), 4.0 / 3, 10.0 / 3);
    assertTensor(Tensor.of(toFloats(R), 2, 3).mean(), DType.FLOAT32, dims(), 14.0 / 6);
  }

  @Test
  void meanOfAnEmptyTensorIsNaN() {
    // As NumPy and PyTorch: the mean of no elements is 0/0.
    assertTrue(Double.isNaN(Tensor.of(new double[0]).mean().item()));
  }

  @Test
  void maxAndMinReturnValuesAlongAxes() {
    Tensor x = Tensor.of(R, 2, 3);
    assertTensor(x.max(), DType.FLOAT64, dims(), 7);
    assertTensor(x.max(1), DType.FLOAT64, dims(2), 5, 7);
    assertTensor(x.max(-1), DType.FLOAT64, dims(2), 5, 7);
    assertTensor(x.max(0, true), DType.FLOAT64, dims(1, 3), 7, 5, 3);
    assertTensor(x.min(), DType.FLOAT64, dims(), -2);
    assertTensor(x.min(1), DType.FLOAT64, dims(2), -2, 0);
    assertTensor(x.min(-2), DType.FLOAT64, dims(3), 1, 0, -2);
    assertTensor(x.min(1, true), DType.FLOAT64, dims(2, 1), -2, 0);
    assertTensor(Tensor.of(toFloats(R), 2, 3).max(1), DType.FLOAT32, dims(2), 5, 7);
    assertTensor(Tensor.of(new long[] {3, -9, 4}).max(), DType.INT64, dims(), 4);
  }

  @Test
  void maxOfAllNegativeValuesIsNotZero() {
    assertTensor(Tensor.of(new double[] {-3, -1, -2}).max(), DType.FLOAT64, dims(), -1);
    assertTensor(Tensor.of(new double[] {3, 1, 2}).min(), DType.FLOAT64, dims(), 1);
  }

  @Test
  void argmaxGivesInt64IndicesOfTheFirstLargest() {
    Tensor x = Tensor.of(R, 2, 3);
    assertTensor(x.argmax(1), DType.INT64, dims(2), 1, 0);
    assertTensor(x.argmax(-1), DType.INT64, dims(2), 1, 0);
    assertTensor(x.argmax(-2), DType.INT64, dims(3), 1, 0, 1);
    assertTensor(x.argmax(1, true), DType.INT64, dims(2, 1), 1, 0);
    assertTensor(x.argmax(), DType.INT64, dims(), 3);
    assertTensor(Tensor.of(new double[] {3, 3, 1}).argmax(0), DType.INT64, dims(), 0);
    assertTensor(Tensor.of(new double[] {-5, -1, -1}).argmax(0), DType.INT64, dims(), 1);
  }

  private static double[] logSumExpRows(double[] x, int rows, int cols) {
    double[] out = new double[rows];
    for (int i = 0; i < rows; i++) {
      double m = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < cols; j++) {
        m = Math.max(m, x[i * cols + j]);
      }
      double s = 0;
      for (int j = 0; j < cols; j++) {
        s += Math.exp(x[i * cols + j] - m);
      }
      out[i] = m + Math.log(s);
    }
    return out;
  }

  private static double[] transpose(double[] x, int rows, int cols) {
    double[] t = new double[x.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = x[i * cols + j];
      }
    }
    return t;
  }

  private static double[] softmaxRows(double[] x, int rows, int cols, boolean log) {
    double[] lse = logSumExpRows(x, rows, cols);
    double[] y = new double[x.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double v = x[i * cols + j] - lse[i];
        y[i * cols + j] = log ? v : Math.exp(v);
      }
    }
    return y;
  }

  @Test
  void logSumExpAlongAxes() {
    Tensor x = Tensor.of(R, 2, 3);
    assertTensor(x.logSumExp(1), DType.FLOAT64, dims(2), logSumExpRows(R, 2, 3));
    assertTensor(x.logSumExp(-1), DType.FLOAT64, dims(2), logSumExpRows(R, 2, 3));
    assertTensor(x.logSumExp(-1, true), DType.FLOAT64, dims(2, 1), logSumExpRows(R, 2, 3));
    assertTensor(x.logSumExp(0), DType.FLOAT64, dims(3), logSumExpRows(transpose(R, 2, 3), 3, 2));
    assertTensor(x.logSumExp(-2, true), DType.FLOAT64, dims(1, 3),
        logSumExpRows(transpose(R, 2, 3), 3, 2));
    assertTensor(Tensor.of(toFloats(R), 2, 3).logSumExp(1), DType.FLOAT32, dims(2),
        logSumExpRows(R, 2, 3));
  }

  @Test
  void logSumExpOverAnEmptyAxisIsMinusInfinity() {
    Tensor z = Tensor.zeros(DType.FLOAT64, 2, 0).requiresGrad();
    Tensor lse = z.logSumExp(1);
    double inf = Double.NEGATIVE_INFINITY;
    assertTensor(lse, DType.FLOAT64, dims(2), inf, inf);
    assertTensor(z.logSumExp(1, true), DType.FLOAT64, dims(2, 1), inf, inf);
    assertTensor(Tensor.zeros(0, 3).logSumExp(0), DType.FLOAT32, dims(3), inf, inf, inf);
    lse.sum().backward();
    assertTensor(z.grad(), DType.FLOAT64, dims(2, 0));
  }

  @Test
  void axisZeroOrMinusOneOfARank0TensorIsItsOneImplicitAxis() {
    // PyTorch lets axis arguments see a rank-0 tensor as one axis of size 1.
    Tensor s = Tensor.scalar(3, DType.FLOAT64).requiresGrad();
    assertTensor(s.sum(0), DType.FLOAT64, dims(), 3);
    assertTensor(s.sum(-1, true), DType.FLOAT64, dims(), 3);
    assertTensor(s.mean(0), DType.FLOAT64, dims(), 3);
    assertTensor(s.max(-1), DType.FLOAT64, dims(), 3);
    assertTensor(s.min(0, true), DType.FLOAT64, dims(), 3);
    assertTensor(s.argmax(0), DType.INT64, dims(), 0);
    assertTensor(s.logSumExp(0), DType.FLOAT64, dims(), 3);
    assertTensor(s.softmax(0), DType.FLOAT64, dims(), 1);
    assertTensor(s.logSoftmax(-1), DType.FLOAT64, dims(), 0);
    assertTensor(s.squeeze(0), DType.FLOAT64, dims(), 3);
    assertTensor(s.transpose(0, -1), DType.FLOAT64, dims(), 3);
    assertTensor(s.gather(0, Tensor.scalar(0, DType.INT64)), DType.FLOAT64, dims(), 3);
    s.mul(2).sum(0).backward();
    assertTensor(s.grad(), DType.FLOAT64, dims(), 2);
    assertTensor(s.gather(0, Tensor.of(new long[] {0, 0})), DType.FLOAT64, dims(2), 3, 3);
    assertTensor(s.indexSelect(0, Tensor.of(new long[] {0})), DType.FLOAT64, dims(), 3);
    assertTensor(s.indexSelect(-1, Tensor.scalar(0, DType.INT64)), DType.FLOAT64, dims(), 3);
    assertThrows(IllegalArgumentException.class, () -> s.sum(1));
    assertThrows(IllegalArgumentException.class, () -> s.softmax(-2));
  }

  @Test
  void softmaxAndLogSoftmaxAlongAxesKeepTheShape() {
    Tensor x = Tensor.of(R, 2, 3);
    assertTensor(x.softmax(1), DType.FLOAT64, dims(2, 3), softmaxRows(R, 2, 3, false));
    assertTensor(x.softmax(-1), DType.FLOAT64, dims(2, 3), softmaxRows(R, 2, 3, false));
    assertTensor(x.softmax(0), DType.FLOAT64, dims(2, 3),
        transpose(softmaxRows(transpose(R, 2, 3), 3, 2, false), 3, 2));
    assertTensor(x.logSoftmax(-1), DType.FLOAT64, dims(2, 3), softmaxRows(R, 2, 3, true));
    assertTensor(x.logSoftmax(-2), DType.FLOAT64, dims(2, 3),
        transpose(softmaxRows(transpose(R, 2, 3), 3, 2, true), 3, 2));
    assertTensor(Tensor.of(toFloats(R), 2, 3).softmax(-1), DType.FLOAT32, dims(2, 3),
        softmaxRows(R, 2, 3, false));
  }

  @Test
  void softmaxAlongTheMiddleAxisOfARankThreeTensor() {
    double[] x = seq(24, -3, 0.3);
    Tensor y = Tensor.of(x, 2, 3, 4).softmax(1);
    double[] ref = new double[24];
    int[] s = dims(2, 3, 4);
    for (int i = 0; i < 2; i++) {
      for (int k = 0; k < 4; k++) {
        double z = 0;
        for (int j = 0; j < 3; j++) {
          z += Math.exp(at(x, s, i, j, k));
        }
        for (int j = 0; j < 3; j++) {
          ref[(i * 3 + j) * 4 + k] = Math.exp(at(x, s, i, j, k)) / z;
        }
      }
    }
    assertTensor(y, DType.FLOAT64, dims(2, 3, 4), ref);
  }

  // ---- stability ----------------------------------------------------------------------------

  @Test
  void softmaxOfLogitsOfMagnitudeThousandIsFiniteAndCorrect() {
    Tensor x = Tensor.of(new double[] {1000, 0, -1000});
    assertTensor(x.softmax(0), DType.FLOAT64, dims(3), 1, 0, 0);
    assertTensor(x.logSoftmax(0), DType.FLOAT64, dims(3), 0, -1000, -2000);
    assertTensor(x.logSumExp(0), DType.FLOAT64, dims(), 1000);
    Tensor f = Tensor.of(new float[] {1000, 0, -1000});
    assertTensor(f.softmax(0), DType.FLOAT32, dims(3), 1, 0, 0);
    assertTensor(f.logSoftmax(0), DType.FLOAT32, dims(3), 0, -1000, -2000);
    assertTensor(f.logSumExp(0), DType.FLOAT32, dims(), 1000);
  }

  @Test
  void softmaxOfTiedLargeLogitsAlongRowsIsFiniteAndCorrect() {
    double l2 = Math.log(2);
    Tensor x = Tensor.of(new double[] {1000, 1000, -1000, -1000, -1000, -1000}, 2, 3);
    assertTensor(x.softmax(-1), DType.FLOAT64, dims(2, 3),
        0.5, 0.5, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3);
    assertTensor(x.logSoftmax(-1), DType.FLOAT64, dims(2, 3),
        -l2, -l2, -2000 - l2, -Math.log(3), -Math.log(3), -Math.log(3));
    assertTensor(x.logSumExp(-1), DType.FLOAT64, dims(2), 1000 + l2, -1000 + Math.log(3));
  }

  @Test
  void gradientsOfSoftmaxFamilyAtLargeLogitsAreFiniteAndCorrect() {
    double[] logits = {1000, 1000, -1000};
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      Tensor g = Tensor.of(new double[] {1, 2, 3}).to(dt);

      Tensor x = Tensor.of(logits).to(dt).requiresGrad();
      x.logSumExp(0).backward();
      assertTensor(x.grad(), dt, dims(3), 0.5, 0.5, 0);

      Tensor y = Tensor.of(logits).to(dt).requiresGrad();
      y.softmax(0).backward(g);
      // y (g - sum(g y)) with softmax [0.5, 0.5, 0]: sum(g y) = 1.5
      assertTensor(y.grad(), dt, dims(3), -0.25, 0.25, 0);

      Tensor z = Tensor.of(logits).to(dt).requiresGrad();
      z.logSoftmax(0).backward(g);
      // g - softmax * sum(g) = [1, 2, 3] - [3, 3, 0]
      assertTensor(z.grad(), dt, dims(3), -2, -1, 3);
    }
  }

  @Test
  void gradientOfLogSumExpOfThousandAndMinusThousandIsOneHot() {
    Tensor x = Tensor.of(new double[] {1000, 0, -1000}).requiresGrad();
    x.logSumExp(0).backward();
    assertTensor(x.grad(), DType.FLOAT64, dims(3), 1, 0, 0);
    Tensor y = Tensor.of(new double[] {1000, 0, -1000}).requiresGrad();
    y.logSoftmax(0).sum().backward();
    assertTensor(y.grad(), DType.FLOAT64, dims(3), -2, 1, 1);
  }

  // ---- reading ------------------------------------------------------------------------------

  @Test
  void itemReadsAnyOneElementTensor() {
    assertEquals(2.5, Tensor.scalar(2.5).item());
    assertEquals(-4, Tensor.of(new double[] {-4}, 1, 1).item());
    assertEquals(9, Tensor.of(new long[] {9}).item());
    assertEquals(0.1, Tensor.of(new double[] {0.1}, 1, 1, 1).item(), 0.0);
  }

  @Test
  void toArraysConvertInRowMajorOrder() {
    Tensor x = Tensor.of(new double[] {1.5, -1.75, 3, 4}, 2, 2);
    assertArrayEquals(new float[] {1.5f, -1.75f, 3, 4}, x.toFloatArray());
    assertArrayEquals(new double[] {1.5, -1.75, 3, 4}, x.toDoubleArray());
    assertArrayEquals(new long[] {1, -1, 3, 4}, x.toLongArray());
    Tensor l = Tensor.of(new long[] {5, -6});
    assertArrayEquals(new long[] {5, -6}, l.toLongArray());
    assertArrayEquals(new double[] {5, -6}, l.toDoubleArray());
    assertArrayEquals(new float[] {5, -6}, l.toFloatArray());
    assertArrayEquals(new double[] {1, 3, 2, 4},
        Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).transpose().toDoubleArray());
  }

  @Test
  void toArraysReturnCopiesTheCallerMayChange() {
    Tensor x = Tensor.of(new double[] {1, 2});
    x.toDoubleArray()[0] = 100;
    x.toFloatArray()[0] = 100;
    assertEquals(1, x.toDoubleArray()[0]);
  }

  @Test
  void shapeDtypeAndDeviceDescribeTheTensor() {
    Tensor x = Tensor.of(new float[6], 2, 3);
    assertEquals(Shape.of(2, 3), x.shape());
    assertEquals(DType.FLOAT32, x.dtype());
    assertEquals(Device.cpu(), x.device());
    assertEquals("cpu", x.device().toString());
    assertEquals(2, x.rank());
    assertEquals(6, x.numel());
    assertEquals(3, x.size(-1));
    assertEquals("float32", DType.FLOAT32.toString());
    assertEquals("float64", DType.FLOAT64.toString());
    assertEquals("int64", DType.INT64.toString());
  }

  @Test
  void shapeApiReportsRankSizesAndElementCount() {
    Shape s = Shape.of(2, 3);
    assertEquals(2, s.rank());
    assertEquals(2, s.size(0));
    assertEquals(3, s.size(1));
    assertEquals(3, s.size(-1));
    assertEquals(2, s.size(-2));
    assertEquals(6L, s.numel());
    assertArrayEquals(dims(2, 3), s.toArray());
    assertEquals(0, Shape.of().rank());
    assertEquals(1L, Shape.of().numel());
    assertEquals(0L, Shape.of(2, 0, 3).numel());
  }

  @Test
  void shapeIsImmutableAndComparedByValue() {
    int[] d = {2, 3};
    Shape s = Shape.of(d);
    d[0] = 9;
    assertEquals(2, s.size(0));
    s.toArray()[1] = 9;
    assertEquals(3, s.size(1));
    assertEquals(Shape.of(2, 3), s);
    assertEquals(Shape.of(2, 3).hashCode(), s.hashCode());
    assertNotEquals(Shape.of(3, 2), s);
    assertNotEquals(Shape.of(2, 3, 1), s);
    Tensor x = Tensor.of(new float[6], 2, 3);
    x.shape().toArray()[0] = 5;
    assertEquals(Shape.of(2, 3), x.shape());
  }

  @Test
  void shapePrintsLikeAList() {
    assertEquals("[2, 3]", Shape.of(2, 3).toString());
    assertEquals("[]", Shape.of().toString());
    assertEquals("[5]", Shape.of(5).toString());
    assertEquals("[2, 3]", Tensor.zeros(2, 3).shape().toString());
  }

  // ---- toString -----------------------------------------------------------------------------

  @Test
  void toStringPrintsValuesLikeNumPyWithShapeAndDtype() {
    String s = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).toString();
    assertTrue(s.contains("[[1., 2., 3.],"), s);
    assertTrue(s.contains("[4., 5., 6.]]"), s);
    assertTrue(s.contains("[2, 3]"), s);
    assertTrue(s.contains("float32"), s);
  }

  @Test
  void toStringOfFloat64AndInt64AndScalars() {
    String d = Tensor.of(new double[] {0.5, 1.25, -3}).toString();
    assertTrue(d.contains("0.5"), d);
    assertTrue(d.contains("1.25"), d);
    assertTrue(d.contains("-3."), d);
    assertTrue(d.contains("float64"), d);
    assertTrue(d.contains("[3]"), d);
    String l = Tensor.of(new long[] {1, 2, 3}).toString();
    assertTrue(l.contains("[1, 2, 3]"), l);
    assertTrue(l.contains("int64"), l);
    String s = Tensor.scalar(3).toString();
    assertTrue(s.contains("3."), s);
    assertTrue(s.contains("[]"), s);
  }

  @Test
  void toStringOfAnEmptyTensorWithLongOtherAxesPrintsNoCells() {
    assertEquals("tensor([], shape=[1048576, 1048576, 0], dtype=float32)",
        Tensor.zeros(1 << 20, 1 << 20, 0).toString());
    assertEquals("tensor([], shape=[0, 3], dtype=int64)",
        Tensor.zeros(0, 3).to(DType.INT64).toString());
  }

  @Test
  void toStringOfALargeTensorIsTruncatedWithEllipsis() {
    // NumPy pads integers to one width ("[   0,    1, ..."), so compare with spaces collapsed
    String s = Tensor.arange(2000).toString().replaceAll("\\s+", " ");
    assertTrue(s.contains("..."), s);
    assertTrue(s.contains("0, 1, 2"), s);
    assertTrue(s.contains("1997, 1998, 1999"), s);
    assertFalse(s.contains("1000"), s);
    assertTrue(s.contains("[2000]"), s);
    assertTrue(s.length() < 300, "too long: " + s.length());
    String m = Tensor.zeros(40, 50).toString();
    assertTrue(m.contains("..."), m);
    assertTrue(m.length() < 1000, "too long: " + m.length());
  }

  @Test
  void toStringOfASmallTensorIsNotTruncated() {
    String s = Tensor.arange(10).toString();
    assertFalse(s.contains("..."), s);
    assertTrue(s.contains("0, 1, 2, 3, 4, 5, 6, 7, 8, 9"), s);
  }
}
