package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Float64 central-finite-difference checks of the VJP of every differentiable op, through the
 * public {@link Tensor} methods, and the broadcasting rules of gradients.
 */
class GradientTest {

  private static final double EPS = 1e-6;
  private static final double ATOL = 1e-5;
  private static final double RTOL = 1e-3;

  // ---- the checker --------------------------------------------------------------------------

  /** One gradient check: the op it exercises, the float64 inputs, the function of them. */
  record Case(String op, String what, double eps, double[][] data, int[][] shapes,
      Function<Tensor[], Tensor> f) {
  }

  /**
   * The VJP of f at x for cotangent g, recorded so that it can be differentiated again; under the
   * finite differences' noGrad, the same value from its textbook formula.
   */
  private static Tensor softmaxVjp(boolean log, Tensor x, Tensor g) {
    if (!Autograd.isGradEnabled()) {
      Tensor y = log ? x.logSoftmax(1) : x.softmax(1);
      return log ? g.sub(y.exp().mul(g.sum(1, true))) : y.mul(g.sub(g.mul(y).sum(1, true)));
    }
    Tensor y = log ? x.logSoftmax(1) : x.softmax(1);
    return Autograd.grad(List.of(y), List.of(g), List.of(x), true, true).get(0);
  }

  /** Inputs: alternating data arrays and shapes. */
  /**
   * relu's slope at x as its recorded backward computes it; under the finite differences' noGrad,
   * where nothing is recorded, the same values directly.
   */
  private static Tensor reluSlope(Tensor x) {
    if (!Autograd.isGradEnabled()) {
      return x.gt(0);
    }
    return Autograd.grad(List.of(x.relu().sum()), List.of(x), true).get(0);
  }

  private static Case check(String op, String what, Function<Tensor[], Tensor> f,
      Object... dataAndShapes) {
    return checkEps(op, what, EPS, f, dataAndShapes);
  }

  private static Case checkEps(String op, String what, double eps, Function<Tensor[], Tensor> f,
      Object... dataAndShapes) {
    int n = dataAndShapes.length / 2;
    double[][] data = new double[n][];
    int[][] shapes = new int[n][];
    for (int i = 0; i < n; i++) {
      data[i] = (double[]) dataAndShapes[2 * i];
      shapes[i] = (int[]) dataAndShapes[2 * i + 1];
    }
    return new Case(op, what, eps, data, shapes, f);
  }

  private static Tensor tensor64(double[] data, int[] shape) {
    if (shape.length == 0) {
      return Tensor.scalar(data[0], DType.FLOAT64);
    }
    return Tensor.of(data, shape);
  }

  private static double[] cotangent(int n) {
    Random r = new Random(1234);
    double[] u = new double[n];
    for (int i = 0; i < n; i++) {
      u[i] = r.nextGaussian();
    }
    return u;
  }

  /** sum(f(inputs) * u), computed without recording, the sum in plain Java. */
  private static double loss(Case c, double[][] data, double[] u) {
    try (var g = Autograd.noGrad()) {
      Tensor[] in = new Tensor[data.length];
      for (int i = 0; i < in.length; i++) {
        in[i] = tensor64(data[i], c.shapes()[i]);
      }
      double[] y = c.f().apply(in).toDoubleArray();
      double s = 0;
      for (int i = 0; i < y.length; i++) {
        s += y[i] * u[i];
      }
      return s;
    }
  }

  /** Compares grad() after backward of sum(f(x) * u) with central differences, per element. */
  static void gradcheck(Case c) {
    int n = c.data().length;
    Tensor[] leaves = new Tensor[n];
    for (int i = 0; i < n; i++) {
      leaves[i] = tensor64(c.data()[i], c.shapes()[i]).requiresGrad();
    }
    Tensor out = c.f().apply(leaves);
    assertTrue(out.dtype().isFloating(), c.op() + ": output must be floating");
    double[] u = cotangent((int) out.numel());
    Tensor ut = tensor64(u.length == 0 ? new double[] {0} : u, out.shape().toArray());
    out.mul(ut).sum().backward();

    for (int i = 0; i < n; i++) {
      Tensor g = leaves[i].grad();
      assertNotNull(g, c.op() + " (" + c.what() + "): input " + i + " got no gradient");
      assertArrayEquals(c.shapes()[i], g.shape().toArray(),
          c.op() + " (" + c.what() + "): gradient shape of input " + i);
      assertEquals(DType.FLOAT64, g.dtype(), c.op() + ": gradient dtype of input " + i);
      double[] analytic = g.toDoubleArray();
      List<String> bad = new ArrayList<>();
      for (int j = 0; j < c.data()[i].length; j++) {
        double[][] plus = copy(c.data());
        double[][] minus = copy(c.data());
        plus[i][j] += c.eps();
        minus[i][j] -= c.eps();
        double numeric = (loss(c, plus, u) - loss(c, minus, u)) / (2 * c.eps());
        if (!(Math.abs(analytic[j] - numeric) <= ATOL + RTOL * Math.abs(numeric))) {
          bad.add("d/dx" + i + "[" + j + "]: analytic " + analytic[j] + ", numeric " + numeric);
        }
      }
      if (!bad.isEmpty()) {
        fail(c.op() + " (" + c.what() + "): gradient of input " + i + " differs from central "
            + "differences at " + bad.size() + " of " + analytic.length + " elements: " + bad);
      }
    }
  }

  private static double[][] copy(double[][] d) {
    double[][] c = new double[d.length][];
    for (int i = 0; i < d.length; i++) {
      c[i] = d[i].clone();
    }
    return c;
  }

  // ---- inputs -------------------------------------------------------------------------------

  private static int[] s(int... d) {
    return d;
  }

  private static int numel(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** Uniform in [lo, hi). */
  private static double[] uniform(long seed, double lo, double hi, int[] shape) {
    Random r = new Random(seed);
    double[] d = new double[numel(shape)];
    for (int i = 0; i < d.length; i++) {
      d[i] = lo + (hi - lo) * r.nextDouble();
    }
    return d;
  }

  /** Magnitude in [lo, hi), random sign: away from the kink at 0. */
  private static double[] away(long seed, double lo, double hi, int[] shape) {
    Random r = new Random(seed);
    double[] d = new double[numel(shape)];
    for (int i = 0; i < d.length; i++) {
      double m = lo + (hi - lo) * r.nextDouble();
      d[i] = r.nextBoolean() ? m : -m;
    }
    return d;
  }

  /** Distinct values, well apart, in a shuffled order: no ties for max/min. */
  private static double[] distinct(long seed, int[] shape) {
    int n = numel(shape);
    List<Double> v = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      v.add(-2 + 0.37 * i);
    }
    java.util.Collections.shuffle(v, new Random(seed));
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static Tensor longs(long[] d, int... shape) {
    return Tensor.of(d, shape);
  }

  private static boolean cudaAvailable() {
    try {
      Device.cuda();
      return true;
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  // ---- the cases: every differentiable op ---------------------------------------------------

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    int[] m23 = s(2, 3);

    // elementwise, one input
    c.add(check("neg", "[2,3]", x -> x[0].neg(), uniform(1, -2, 2, m23), m23));
    c.add(check("exp", "[2,3]", x -> x[0].exp(), uniform(2, -2, 2, m23), m23));
    c.add(check("sin", "[2,3]", x -> x[0].sin(), uniform(2, -4, 4, m23), m23));
    c.add(check("cos", "[2,3]", x -> x[0].cos(), uniform(3, -4, 4, m23), m23));
    c.add(check("log", "positive [2,3]", x -> x[0].log(), uniform(3, 0.5, 3, m23), m23));
    c.add(check("sqrt", "positive [2,3]", x -> x[0].sqrt(), uniform(4, 0.5, 3, m23), m23));
    c.add(check("abs", "away from 0", x -> x[0].abs(), away(5, 0.2, 2, m23), m23));
    c.add(check("sign", "x sign(x) away from 0", x -> x[0].mul(x[0].sign()),
        away(5, 0.2, 2, m23), m23));
    c.add(check("tanh", "[2,3]", x -> x[0].tanh(), uniform(6, -2, 2, m23), m23));
    c.add(check("sigmoid", "[2,3]", x -> x[0].sigmoid(), uniform(7, -3, 3, m23), m23));
    c.add(check("relu", "away from 0", x -> x[0].relu(), away(8, 0.1, 2, m23), m23));
    c.add(check("mask", "relu's recorded slope, times x, away from 0",
        x -> reluSlope(x[0]).mul(x[0]), away(8, 0.1, 2, m23), m23));
    c.add(check("leakyRelu", "alpha 0.1, away from 0", x -> x[0].leakyRelu(0.1),
        away(9, 0.1, 2, m23), m23));
    c.add(check("elu", "alpha 1.3, away from 0", x -> x[0].elu(1.3), away(10, 0.1, 2, m23), m23));
    c.add(check("softplus", "[2,3]", x -> x[0].softplus(), uniform(11, -3, 3, m23), m23));
    c.add(check("clamp", "[-0.5, 0.5], away from the bounds", x -> x[0].clamp(-0.5, 0.5),
        new double[] {-1.5, -0.7, -0.3, 0.1, 0.4, 0.9}, m23));
    c.add(check("powScalar", "x^2.5, positive", x -> x[0].pow(2.5), uniform(12, 0.5, 2, m23),
        m23));
    c.add(check("powScalar", "x^3, both signs", x -> x[0].pow(3), uniform(13, -2, 2, m23), m23));
    c.add(check("powScalar", "x^-1.5, positive", x -> x[0].pow(-1.5), uniform(14, 0.5, 2, m23),
        m23));
    c.add(check("addScalar", "(x + 1.5) x", x -> x[0].add(1.5).mul(x[0]),
        uniform(15, -2, 2, m23), m23));
    c.add(check("addScalar", "(x - 0.25) x", x -> x[0].sub(0.25).mul(x[0]),
        uniform(16, -2, 2, m23), m23));
    c.add(check("mulScalar", "(-2.5 x) x", x -> x[0].mul(-2.5).mul(x[0]), uniform(17, -2, 2, m23),
        m23));
    c.add(check("divScalar", "(x / 3) x", x -> x[0].div(3).mul(x[0]), uniform(18, -2, 2, m23),
        m23));

    // elementwise, two inputs (with broadcasting)
    c.add(check("add", "[2,3] + [2,3]", x -> x[0].add(x[1]), uniform(20, -1, 1, m23), m23,
        uniform(21, -1, 1, m23), m23));
    c.add(check("add", "[2,3] + [3]", x -> x[0].add(x[1]), uniform(22, -1, 1, m23), m23,
        uniform(23, -1, 1, s(3)), s(3)));
    c.add(check("add", "[2,3] + double", x -> x[0].add(1.5), uniform(24, -1, 1, m23), m23));
    c.add(check("sub", "[2,1] - [1,3]", x -> x[0].sub(x[1]), uniform(25, -1, 1, s(2, 1)),
        s(2, 1), uniform(26, -1, 1, s(1, 3)), s(1, 3)));
    c.add(check("sub", "[] - [2,3]", x -> x[0].sub(x[1]), new double[] {0.7}, s(),
        uniform(27, -1, 1, m23), m23));
    c.add(check("mul", "[2,3] * [2,3]", x -> x[0].mul(x[1]), uniform(28, -2, 2, m23), m23,
        uniform(29, -2, 2, m23), m23));
    c.add(check("mul", "[2,1] * [1,3]", x -> x[0].mul(x[1]), uniform(30, -2, 2, s(2, 1)),
        s(2, 1), uniform(31, -2, 2, s(1, 3)), s(1, 3)));
    c.add(check("mul", "x * x (fan-out)", x -> x[0].mul(x[0]), uniform(32, -2, 2, m23), m23));
    c.add(check("div", "[2,3] / [3], denominator away from 0", x -> x[0].div(x[1]),
        uniform(33, -2, 2, m23), m23, away(34, 0.5, 2, s(3)), s(3)));
    c.add(check("div", "[2,3] / double", x -> x[0].div(-2.5), uniform(35, -2, 2, m23), m23));
    c.add(check("pow", "positive [2,3] ^ [3]", x -> x[0].pow(x[1]), uniform(36, 0.5, 2, m23),
        m23, uniform(37, -1.5, 1.5, s(3)), s(3)));
    c.add(check("where", "cond [2,3], a [2,3], b [3]",
        x -> Tensor.where(Tensor.of(new double[] {1, 0, 1, 0, 0, 1}, 2, 3), x[0], x[1]),
        uniform(38, -1, 1, m23), m23, uniform(39, -1, 1, s(3)), s(3)));
    // Linear, so central differences are exact with a dyadic step on float32-exact inputs.
    c.add(checkEps("cast", "float64 -> float32", 1.0 / 1024, x -> x[0].to(DType.FLOAT32),
        new double[] {0.5, -1.25, 2.0, 0.375, -3.5, 1.0}, m23));
    c.add(check("toDevice", "cpu -> cuda -> cpu (needs a CUDA device)",
        x -> x[0].to(Device.cuda()).exp().to(Device.cpu()), uniform(40, -1, 1, m23), m23));

    // broadcasting and its inverse
    c.add(check("expand", "[3] -> [2,3]", x -> x[0].expand(2, 3), uniform(41, -1, 1, s(3)),
        s(3)));
    c.add(check("expand", "[2,1] -> [2,4]", x -> x[0].expand(-1, 4),
        uniform(42, -1, 1, s(2, 1)), s(2, 1)));
    c.add(check("sumTo", "[2,3] -> [3]", x -> x[0].sumTo(Shape.of(3)), uniform(43, -1, 1, m23),
        m23));
    c.add(check("sumTo", "[2,3] -> [2,1]", x -> x[0].sumTo(Shape.of(2, 1)),
        uniform(44, -1, 1, m23), m23));

    // reductions
    c.add(check("sum", "all", x -> x[0].sum(), uniform(45, -1, 1, m23), m23));
    c.add(check("sum", "axis 1 keepDims", x -> x[0].sum(1, true), uniform(46, -1, 1, m23), m23));
    c.add(check("sum", "axis -2", x -> x[0].sum(-2), uniform(47, -1, 1, m23), m23));
    c.add(check("sum", "mean along axis 0", x -> x[0].mean(0), uniform(48, -1, 1, m23), m23));
    c.add(check("max", "axis 1, no ties", x -> x[0].max(1), distinct(49, m23), m23));
    c.add(check("max", "axis -2 keepDims, no ties", x -> x[0].max(-2, true), distinct(50, m23),
        m23));
    c.add(check("maxAll", "max() of all, no ties", x -> x[0].max(), distinct(51, m23), m23));
    c.add(check("minAll", "min() of all, no ties", x -> x[0].min(), distinct(94, m23), m23));
    c.add(check("maxAll", "max() of a rank-3 tensor", x -> x[0].max(), distinct(95, s(2, 2, 2)),
        s(2, 2, 2)));
    c.add(check("min", "axis 1, no ties", x -> x[0].min(1), distinct(52, m23), m23));
    c.add(check("min", "axis 0 keepDims, no ties", x -> x[0].min(0, true), distinct(53, m23),
        m23));
    c.add(check("logSumExp", "axis 1", x -> x[0].logSumExp(1), uniform(54, -2, 2, m23), m23));
    c.add(check("logSumExp", "axis -2 keepDims", x -> x[0].logSumExp(-2, true),
        uniform(55, -2, 2, m23), m23));
    c.add(check("softmax", "axis -1", x -> x[0].softmax(-1), uniform(56, -2, 2, m23), m23));
    c.add(check("softmax", "axis 0", x -> x[0].softmax(0), uniform(57, -2, 2, m23), m23));
    c.add(check("logSoftmax", "axis 1", x -> x[0].logSoftmax(1), uniform(58, -2, 2, m23), m23));
    c.add(check("logSoftmax", "axis -2", x -> x[0].logSoftmax(-2), uniform(59, -2, 2, m23),
        m23));
    c.add(check("biasActivation", "tanh of z + bias",
        x -> Fused.biasActivation(x[0], x[1], UnaryOp.TANH, 0), uniform(100, -2, 2, m23), m23,
        uniform(101, -1, 1, s(3)), s(3)));
    c.add(check("biasActivation", "leaky relu of z + bias, away from the kink",
        x -> Fused.biasActivation(x[0], x[1], UnaryOp.LEAKY_RELU, 0.2),
        new double[] {0.5, -0.7, 1.2, -1.5, 0.9, -0.3}, m23,
        new double[] {0.1, -0.1, 0.2}, s(3)));
    // The fused VJPs, differentiated in the point (input 0) and the cotangent (input 1).
    c.add(check("softmaxBackward", "axis 1, point and cotangent",
        x -> softmaxVjp(false, x[0], x[1]), uniform(96, -2, 2, m23), m23,
        uniform(97, -1, 1, m23), m23));
    c.add(check("logSoftmaxBackward", "axis 1, point and cotangent",
        x -> softmaxVjp(true, x[0], x[1]), uniform(98, -2, 2, m23), m23,
        uniform(99, -1, 1, m23), m23));

    // linear algebra
    c.add(check("matmul", "[2,3] x [3,4]", x -> x[0].matmul(x[1]), uniform(60, -1, 1, m23), m23,
        uniform(61, -1, 1, s(3, 4)), s(3, 4)));
    c.add(check("matmul", "[3] x [3]", x -> x[0].matmul(x[1]), uniform(62, -1, 1, s(3)), s(3),
        uniform(63, -1, 1, s(3)), s(3)));
    c.add(check("matmul", "[3] x [3,2]", x -> x[0].matmul(x[1]), uniform(64, -1, 1, s(3)), s(3),
        uniform(65, -1, 1, s(3, 2)), s(3, 2)));
    c.add(check("matmul", "[2,3] x [3]", x -> x[0].matmul(x[1]), uniform(66, -1, 1, m23), m23,
        uniform(67, -1, 1, s(3)), s(3)));
    c.add(check("matmul", "[2,2,3] x [3,4] (broadcast batch)", x -> x[0].matmul(x[1]),
        uniform(68, -1, 1, s(2, 2, 3)), s(2, 2, 3), uniform(69, -1, 1, s(3, 4)), s(3, 4)));
    c.add(check("matmul", "[2,1,2,3] x [3,3,2]", x -> x[0].matmul(x[1]),
        uniform(70, -1, 1, s(2, 1, 2, 3)), s(2, 1, 2, 3), uniform(71, -1, 1, s(3, 3, 2)),
        s(3, 3, 2)));
    c.add(check("matmul", "A^T B through transpose()", x -> x[0].transpose().matmul(x[1]),
        uniform(72, -1, 1, s(3, 2)), s(3, 2), uniform(73, -1, 1, s(3, 4)), s(3, 4)));

    // layout
    c.add(check("reshape", "[2,3] -> [3,-1]", x -> x[0].reshape(3, -1), uniform(74, -1, 1, m23),
        m23));
    c.add(check("reshape", "unsqueeze/squeeze/flatten", x -> x[0].unsqueeze(0).flatten(),
        uniform(75, -1, 1, m23), m23));
    c.add(check("permute", "[2,3,4] permute(2,0,1)", x -> x[0].permute(2, 0, 1),
        uniform(76, -1, 1, s(2, 3, 4)), s(2, 3, 4)));
    c.add(check("permute", "transpose()", x -> x[0].transpose(), uniform(77, -1, 1, m23), m23));
    c.add(check("slice", "[3,4] axis 1 [1,3)", x -> x[0].slice(1, 1, 3),
        uniform(78, -1, 1, s(3, 4)), s(3, 4)));
    c.add(check("slice", "negative indices", x -> x[0].slice(0, -2, -1),
        uniform(79, -1, 1, s(3, 4)), s(3, 4)));
    c.add(check("slice", "bounds clamped to the axis", x -> x[0].slice(1, -9, 9).slice(0, 1, 9),
        uniform(79, -1, 1, s(3, 4)), s(3, 4)));
    c.add(check("pad", "[2,3] axis 1 at 1 of 5", x -> x[0].pad(1, 1, 5), uniform(80, -1, 1, m23),
        m23));
    c.add(check("concat", "[2,2] ++ [2,3] along 1", x -> Tensor.concat(1, x[0], x[1]),
        uniform(81, -1, 1, s(2, 2)), s(2, 2), uniform(82, -1, 1, m23), m23));
    c.add(check("concat", "three along 0", x -> Tensor.concat(0, x[0], x[1], x[0]),
        uniform(83, -1, 1, s(1, 3)), s(1, 3), uniform(84, -1, 1, m23), m23));
    c.add(check("concat", "stack along -1", x -> Tensor.stack(-1, x[0], x[1]),
        uniform(85, -1, 1, m23), m23, uniform(86, -1, 1, m23), m23));
    c.add(check("indexSelect", "rows 2, 0, 2 (repeated)",
        x -> x[0].indexSelect(0, longs(new long[] {2, 0, 2})), uniform(87, -1, 1, s(3, 2)),
        s(3, 2)));
    c.add(check("indexSelect", "axis -1", x -> x[0].indexSelect(-1, longs(new long[] {1, 1, 0})),
        uniform(88, -1, 1, s(2, 2)), s(2, 2)));
    c.add(check("indexAdd", "into [4,2] at 2, 0, 2",
        x -> x[0].indexAdd(0, longs(new long[] {2, 0, 2}), Shape.of(4, 2)),
        uniform(89, -1, 1, s(3, 2)), s(3, 2)));
    c.add(check("gather", "axis 1 with repeats",
        x -> x[0].gather(1, longs(new long[] {0, 2, 0, 1, 2, 2, 1, 0}, 2, 4)),
        uniform(90, -1, 1, m23), m23));
    c.add(check("gather", "axis 0", x -> x[0].gather(0, longs(new long[] {1, 0, 1}, 1, 3)),
        uniform(91, -1, 1, m23), m23));
    c.add(check("scatterAdd", "into [2,3] with repeats",
        x -> x[0].scatterAdd(1, longs(new long[] {0, 2, 0, 1, 2, 2, 1, 0}, 2, 4), Shape.of(2, 3)),
        uniform(92, -1, 1, s(2, 4)), s(2, 4)));
    return c;
  }

  @TestFactory
  Stream<DynamicTest> everyDifferentiableOpMatchesCentralDifferences() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(
        c.op() + " gradient matches central differences: " + c.what(), () -> {
          if (c.op().equals("toDevice")) {
            assumeTrue(cudaAvailable(), "no CUDA device: toDevice needs a second device");
          }
          gradcheck(c);
        }));
  }

  @Test
  void everyDifferentiableOpInTheRegistryHasAGradientCheck() {
    Set<String> covered = cases().stream().map(Case::op).collect(Collectors.toCollection(TreeSet::new));
    Set<String> registry = Ops.differentiable().stream().map(Op::name)
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> missing = new TreeSet<>(registry);
    missing.removeAll(covered);
    assertTrue(missing.isEmpty(), "differentiable ops without a gradient check: " + missing);
    Set<String> unknown = new TreeSet<>(covered);
    unknown.removeAll(registry);
    assertTrue(unknown.isEmpty(), "gradient checks for ops not in Ops.differentiable(): "
        + unknown);
  }

  @Test
  void nonDifferentiableOpsAreNotInTheDifferentiableList() {
    Set<String> names = Ops.differentiable().stream().map(Op::name).collect(Collectors.toSet());
    for (String n : List.of("gt", "lt", "ge", "le", "eq", "argmax", "oneHot")) {
      assertTrue(!names.contains(n), n + " must not be differentiable");
    }
  }

  // ---- broadcasting of gradients ------------------------------------------------------------

  private static final double[] SEED23 = {1, 2, 3, 4, 5, 6};

  @Test
  void broadcastAddSumsGradientOverExpandedAxes() {
    Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad();
    Tensor b = Tensor.of(new double[] {10, 20, 30}).requiresGrad();
    a.add(b).backward(Tensor.of(SEED23, 2, 3));
    assertArrayEquals(new int[] {3}, b.grad().shape().toArray());
    assertArrayEquals(new double[] {5, 7, 9}, b.grad().toDoubleArray(), 1e-12);
    assertArrayEquals(new int[] {2, 3}, a.grad().shape().toArray());
    assertArrayEquals(SEED23, a.grad().toDoubleArray(), 1e-12);
  }

  @Test
  void broadcastAddOfSumGivesColumnCounts() {
    Tensor a = Tensor.of(new double[6], 2, 3).requiresGrad();
    Tensor b = Tensor.of(new double[3]).requiresGrad();
    a.add(b).sum().backward();
    assertArrayEquals(new double[] {2, 2, 2}, b.grad().toDoubleArray(), 0);
  }

  @Test
  void outerBroadcastMulSumsEachFactorsGradientOverTheOtherAxis() {
    double[] av = {2, -1};
    double[] bv = {1, 3, -2};
    Tensor a = Tensor.of(av, 2, 1).requiresGrad();
    Tensor b = Tensor.of(bv, 1, 3).requiresGrad();
    a.mul(b).backward(Tensor.of(SEED23, 2, 3));
    double[] ga = new double[2];
    double[] gb = new double[3];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        ga[i] += SEED23[i * 3 + j] * bv[j];
        gb[j] += SEED23[i * 3 + j] * av[i];
      }
    }
    assertArrayEquals(new int[] {2, 1}, a.grad().shape().toArray());
    assertArrayEquals(new int[] {1, 3}, b.grad().shape().toArray());
    assertArrayEquals(ga, a.grad().toDoubleArray(), 1e-12);
    assertArrayEquals(gb, b.grad().toDoubleArray(), 1e-12);
  }

  @Test
  void scalarOperandGradientIsTheSumOfTheCotangent() {
    Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad();
    Tensor s = Tensor.scalar(2, DType.FLOAT64).requiresGrad();
    a.mul(s).backward(Tensor.of(SEED23, 2, 3));
    assertEquals(0, s.grad().shape().rank());
    assertEquals(1 + 4 + 9 + 16 + 25 + 36, s.grad().item(), 1e-12);
  }

  @Test
  void expandGradientSumsOverTheExpandedAxes() {
    Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad();
    x.expand(2, 3).backward(Tensor.of(SEED23, 2, 3));
    assertArrayEquals(new int[] {3}, x.grad().shape().toArray());
    assertArrayEquals(new double[] {5, 7, 9}, x.grad().toDoubleArray(), 1e-12);
    Tensor col = Tensor.of(new double[] {1, 2}, 2, 1).requiresGrad();
    col.expand(2, 3).backward(Tensor.of(SEED23, 2, 3));
    assertArrayEquals(new double[] {6, 15}, col.grad().toDoubleArray(), 1e-12);
  }

  @Test
  void sumToGradientExpandsBack() {
    Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad();
    Tensor y = x.sumTo(Shape.of(1, 3));
    assertArrayEquals(new double[] {5, 7, 9}, y.toDoubleArray(), 1e-12);
    y.backward(Tensor.of(new double[] {1, -1, 2}, 1, 3));
    assertArrayEquals(new double[] {1, -1, 2, 1, -1, 2}, x.grad().toDoubleArray(), 1e-12);
  }

  @Test
  void matmulWithABroadcastBatchOperandSumsItsGradientOverTheBatch() {
    int batch = 3;
    double[] a = new double[batch * 2 * 3];
    double[] w = new double[3 * 4];
    double[] g = new double[batch * 2 * 4];
    Random r = new Random(17);
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextGaussian();
    }
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextGaussian();
    }
    for (int i = 0; i < g.length; i++) {
      g[i] = r.nextGaussian();
    }
    Tensor at = Tensor.of(a, batch, 2, 3).requiresGrad();
    Tensor wt = Tensor.of(w, 3, 4).requiresGrad();
    at.matmul(wt).backward(Tensor.of(g, batch, 2, 4));
    // dW = sum over the batch of A_b^T G_b; dA_b = G_b W^T
    double[] gw = new double[12];
    double[] ga = new double[a.length];
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 3; k++) {
          for (int j = 0; j < 4; j++) {
            gw[k * 4 + j] += a[b * 6 + i * 3 + k] * g[b * 8 + i * 4 + j];
            ga[b * 6 + i * 3 + k] += g[b * 8 + i * 4 + j] * w[k * 4 + j];
          }
        }
      }
    }
    assertArrayEquals(new int[] {3, 4}, wt.grad().shape().toArray());
    assertArrayEquals(gw, wt.grad().toDoubleArray(), 1e-12);
    assertArrayEquals(new int[] {batch, 2, 3}, at.grad().shape().toArray());
    assertArrayEquals(ga, at.grad().toDoubleArray(), 1e-12);
  }

  @Test
  void float32MixedWithFloat64GetsAFloat32Gradient() {
    Tensor f = Tensor.of(new float[] {1, 2}).requiresGrad();
    Tensor d = Tensor.of(new double[] {3, 4}).requiresGrad();
    f.mul(d).sum().backward();
    assertEquals(DType.FLOAT32, f.grad().dtype());
    assertEquals(DType.FLOAT64, d.grad().dtype());
    assertArrayEquals(new double[] {3, 4}, f.grad().toDoubleArray(), 0);
    assertArrayEquals(new double[] {1, 2}, d.grad().toDoubleArray(), 0);
  }

  // ---- the design's example and accumulation ------------------------------------------------

  @Test
  void designExampleGivesDocumentedGradients() {
    Tensor a = Tensor.scalar(3.0).requiresGrad();
    Tensor b = Tensor.scalar(2.0).requiresGrad();
    Tensor c = Tensor.scalar(5.0).requiresGrad();
    Tensor j = a.mul(b).add(c).mul(2);
    assertEquals(22, j.item(), 0);
    j.backward();
    assertEquals(4, a.grad().item(), 0);
    assertEquals(6, b.grad().item(), 0);
    assertEquals(2, c.grad().item(), 0);
  }

  @Test
  void gradientsAccumulateAcrossBackwardsUntilZeroGrad() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    assertArrayEquals(new double[] {6, 6}, x.grad().toDoubleArray(), 0);
    x.zeroGrad();
    assertArrayEquals(new double[] {0, 0}, x.grad().toDoubleArray(), 0);
    x.mul(x).sum().backward();
    assertArrayEquals(new double[] {2, 4}, x.grad().toDoubleArray(), 0);
  }

  @Test
  void maxAlongAnAxisGivesTheGradientToTheFirstMaximalElementOnTies() {
    Tensor x = Tensor.of(new double[] {1, 3, 3, 0}).requiresGrad();
    x.max(0).backward();
    assertArrayEquals(new double[] {0, 1, 0, 0}, x.grad().toDoubleArray(), 0);
    Tensor y = Tensor.of(new double[] {2, -1, -1, 5}).requiresGrad();
    y.min(0).backward();
    assertArrayEquals(new double[] {0, 1, 0, 0}, y.grad().toDoubleArray(), 0);
  }

  @Test
  void maxAndMinOfAllElementsShareTheGradientEvenlyAmongTies() {
    // As PyTorch's max()/min() without a dim (evenly_distribute_backward).
    Tensor x = Tensor.of(new double[] {1, 3, 3, 0}).requiresGrad();
    x.max().backward();
    assertArrayEquals(new double[] {0, 0.5, 0.5, 0}, x.grad().toDoubleArray(), 1e-15);
    Tensor y = Tensor.of(new double[] {-1, 2, -1, -1}, 2, 2).requiresGrad();
    y.min().backward();
    assertArrayEquals(new double[] {1.0 / 3, 0, 1.0 / 3, 1.0 / 3}, y.grad().toDoubleArray(),
        1e-15);
  }

  @Test
  void reluAbsAndClampGradientsAtTheirKinksFollowPyTorch() {
    Tensor x = Tensor.of(new double[] {0, 0, 0}).requiresGrad();
    x.relu().sum().backward();
    assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray(), 0);
    Tensor y = Tensor.of(new double[] {0}).requiresGrad();
    y.abs().sum().backward();
    assertArrayEquals(new double[] {0}, y.grad().toDoubleArray(), 0);
    // PyTorch's clamp passes the gradient at the bounds themselves (min <= x <= max)
    Tensor z = Tensor.of(new double[] {-1, 1, 2}).requiresGrad();
    z.clamp(-1, 1).sum().backward();
    assertArrayEquals(new double[] {1, 1, 0}, z.grad().toDoubleArray(), 0);
  }

  @Test
  void piecewiseLinearGradientsStayConnectedToTheirInputWithZeroDerivative() {
    // torch: the create_graph gradient of relu, leaky relu and abs requires grad, and a
    // backward through it gives zeros (not an error about a constant); clamp's does not
    List<java.util.function.UnaryOperator<Tensor>> fs = List.of(Tensor::relu,
        t -> t.leakyRelu(0.1), Tensor::abs);
    for (int k = 0; k < fs.size(); k++) {
      Tensor x = Tensor.of(new double[] {0.5, -2, 3}).requiresGrad();
      Tensor slope = Autograd.grad(List.of(fs.get(k).apply(x).sum()), List.of(x), true).get(0);
      assertTrue(slope.isRequiresGrad(), "function " + k);
      slope.sum().backward();
      assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray(), 0, "function " + k);
    }
    Tensor x = Tensor.of(new double[] {0.5, 3}).requiresGrad();
    assertFalse(Autograd.grad(List.of(x.clamp(0, 1).sum()), List.of(x), true).get(0)
        .isRequiresGrad());
  }

  @Test
  void reluAndClampSelectTheUpstreamGradientSoInfinityGivesZeroOutside() {
    // torch: [0, inf] and [0, 0]; a mask multiplied in would give 0 * inf = NaN
    Tensor x = Tensor.of(new double[] {-1, 5}).requiresGrad();
    x.relu().mul(Double.POSITIVE_INFINITY).sum().backward();
    assertArrayEquals(new double[] {0, Double.POSITIVE_INFINITY}, x.grad().toDoubleArray(), 0);
    Tensor y = Tensor.of(new double[] {-1, 5}).requiresGrad();
    y.clamp(0, 1).mul(Double.POSITIVE_INFINITY).sum().backward();
    assertArrayEquals(new double[] {0, 0}, y.grad().toDoubleArray(), 0);
    Tensor z = Tensor.of(new double[] {-1, 5}).requiresGrad(); // recorded: the composed VJP
    Tensor slope = Autograd.grad(List.of(z.relu().mul(Double.POSITIVE_INFINITY).sum()),
        List.of(z), true).get(0);
    assertArrayEquals(new double[] {0, Double.POSITIVE_INFINITY}, slope.toDoubleArray(), 0);
  }

  @Test
  void softplusSecondDerivativeAtItsThresholdIsZeroAsInPyTorch() {
    Tensor x = Tensor.of(new double[] {19.9, 20, 20.1}).requiresGrad();
    Tensor slope = Autograd.grad(List.of(x.softplus().sum()), List.of(x), true).get(0);
    double s20 = 1 / (1 + Math.exp(-20));
    assertArrayEquals(new double[] {1 / (1 + Math.exp(-19.9)), s20, 1}, slope.toDoubleArray(),
        1e-16);
    Tensor curvature = Autograd.grad(List.of(slope.sum()), List.of(x), false).get(0);
    double s = 1 / (1 + Math.exp(-19.9));
    assertArrayEquals(new double[] {s * (1 - s), 0, 0}, curvature.toDoubleArray(), 1e-20);
  }

  @Test
  void signAndActivationSlopesAtNanAndZerosFollowPyTorch() {
    // torch 2.13 at [nan, -0.0, 0.0]: sign 0 0 0; relu' 1 0 0; elu(0.5)' 1 .5 .5; abs' 0 0 0;
    // leaky_relu(0.1)' .1 .1 .1
    double[] at = {Double.NaN, -0.0, 0.0};
    assertArrayEquals(new double[] {0, 0, 0}, Tensor.of(at).sign().toDoubleArray(), 0);
    List<java.util.function.UnaryOperator<Tensor>> fs = List.of(Tensor::relu,
        t -> t.elu(0.5), Tensor::abs, t -> t.leakyRelu(0.1));
    double[][] want = {{1, 0, 0}, {1, 0.5, 0.5}, {0, 0, 0}, {0.1, 0.1, 0.1}};
    for (int k = 0; k < fs.size(); k++) {
      for (boolean recorded : new boolean[] {false, true}) { // fused, then the composed VJP
        Tensor x = Tensor.of(at).requiresGrad();
        Tensor slope = Autograd.grad(List.of(fs.get(k).apply(x).sum()), List.of(x), recorded)
            .get(0);
        assertArrayEquals(want[k], slope.toDoubleArray(), 1e-15, "function " + k + ", "
            + (recorded ? "recorded" : "fused"));
      }
    }
  }

  @Test
  void eluSecondDerivativeAtZeroIsZeroAsInPyTorch() {
    // torch: elu(x, 0.5) at [0, -1, 1] has slopes [0.5, 0.5/e, 1] and curvatures [0, 0.5/e, 0]
    Tensor x = Tensor.of(new double[] {0, -1, 1}).requiresGrad();
    Tensor slope = Autograd.grad(List.of(x.elu(0.5).sum()), List.of(x), true).get(0);
    assertArrayEquals(new double[] {0.5, 0.5 / Math.E, 1}, slope.toDoubleArray(), 1e-15);
    Tensor curvature = Autograd.grad(List.of(slope.sum()), List.of(x), false).get(0);
    assertArrayEquals(new double[] {0, 0.5 / Math.E, 0}, curvature.toDoubleArray(), 1e-15);
  }
}
