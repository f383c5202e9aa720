package dev.autodiff.cuda;

import static dev.autodiff.cuda.Gpu.assertMatches;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Fused;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.UnaryOp;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every backend primitive on the GPU against the CPU backend, in float32 and float64, with the
 * awkward cases (NaN, infinities, ties, broadcasting of every kind, empty tensors) included.
 * Skipped, with the reason, where no CUDA device is usable.
 */
class CudaOpsTest {
  static Tensor data(long seed, DType t, int... shape) {
    return Tensor.randn(new Random(seed), shape).mul(2).to(t);
  }

  /** f on the CPU and on the GPU, compared. */
  static void same(String what, UnaryOperator<Tensor> f, Tensor x) {
    Device gpu = Gpu.device();
    assertMatches(f.apply(x), f.apply(x.to(gpu)), what);
  }

  interface Binary {
    Tensor apply(Tensor a, Tensor b);
  }

  static void same(String what, Binary f, Tensor a, Tensor b) {
    Device gpu = Gpu.device();
    assertMatches(f.apply(a, b), f.apply(a.to(gpu), b.to(gpu)), what);
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void unaryOpsMatchTheCpu(DType t) {
    Tensor x = data(1, t, 7, 33);
    Tensor special = Tensor.of(new double[] {Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, -0.0, 0.0, 1e-30, -1e30, 88, -88, 710, 19.5, 20.5, 1, -1})
        .to(t);
    for (Tensor in : List.of(x, special)) {
      same("neg", Tensor::neg, in);
      same("exp", Tensor::exp, in);
      same("log", v -> v.abs().log(), in);
      same("sqrt", v -> v.abs().sqrt(), in);
      same("abs", Tensor::abs, in);
      same("sign", Tensor::sign, in);
      same("tanh", Tensor::tanh, in);
      same("sigmoid", Tensor::sigmoid, in);
      same("sin", Tensor::sin, in);
      same("cos", Tensor::cos, in);
      same("relu", Tensor::relu, in);
      same("leakyRelu", v -> v.leakyRelu(0.1), in);
      same("elu", v -> v.elu(0.7), in);
      same("softplus", Tensor::softplus, in);
      same("clamp", v -> v.clamp(-0.5, 0.7), in);
      same("clamp, min above max", v -> v.clamp(0.7, -0.5), in);
      same("pow 2", v -> v.pow(2), in);
      same("pow 3", v -> v.pow(3), in);
      same("pow 0.5", v -> v.abs().pow(0.5), in);
      for (double e : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -0.0}) {
        same("pow " + e, v -> v.pow(e), in); // C's pow: 1^NaN and (-1)^inf are 1
      }
      double[] values = in.toDoubleArray();
      double[] reversed = new double[values.length];
      for (int i = 0; i < values.length; i++) {
        reversed[i] = values[values.length - 1 - i];
      }
      Tensor exponents = Tensor.of(reversed).to(t).reshape(in.shape().toArray());
      same("pow by tensor", (a, b) -> a.pow(b), in, exponents); // NaN and inf pairs too
      Tensor g = data(40, t, (int) in.numel()).reshape(in.shape().toArray());
      for (UnaryOperator<Tensor> f : List.<UnaryOperator<Tensor>>of(Tensor::relu,
          v -> v.leakyRelu(0.1), v -> v.elu(0.7), Tensor::sigmoid, Tensor::tanh,
          Tensor::softplus)) {
        same("fused activation VJP", v -> vjp(f, v, g), in);
      }
    }
  }

  @Test
  void int64UnaryOpsMatchTheCpu() {
    Tensor x = Tensor.of(new long[] {-5, 0, 3, Long.MAX_VALUE, -7});
    same("neg", Tensor::neg, x);
    same("abs", Tensor::abs, x);
    same("sign", Tensor::sign, x);
    same("relu", Tensor::relu, x);
    same("clamp", v -> v.clamp(-2, 2), x);
    Tensor big = Tensor.of(new long[] {(1L << 60) + 1, -(1L << 60) - 3, 7});
    same("clamp beyond 2^53", v -> v.clamp(-(1L << 60), 1e300), big);
    same("clamp, min above max", v -> v.clamp(3, -3), big);
    same("add", v -> v.add(5), big);
    same("sub", v -> v.sub(-5), big);
    same("mul", v -> v.mul(-3), big);
    Tensor bases = Tensor.of(new long[] {2, 3, -1, -1, 1, 0, 7, -2});
    Tensor powers = Tensor.of(new long[] {3, -1, -3, -2, -5, 0, 30, 63});
    same("int64 pow", Tensor::pow, bases, powers);
    same("int64 pow, a rank-0 power", Tensor::pow, bases, Tensor.scalar(5, DType.INT64));
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void arithmeticWithAConstantMatchesTheCpu(DType t) {
    double[] v = {-0.0, 0.0, 1.5, -2.25, 3e38, Double.NaN, Double.POSITIVE_INFINITY, 1e-40, 7};
    Tensor x = Tensor.of(v).to(t);
    Tensor onGpu = x.to(Gpu.device());
    for (double c : new double[] {0.0, -0.0, 0.1, -3, 1e-30, Double.POSITIVE_INFINITY}) {
      // IEEE arithmetic, rounded once: equal to the bit, signed zeros included
      sameBits("add " + c, x.add(c), onGpu.add(c));
      sameBits("sub " + c, x.sub(c), onGpu.sub(c));
      sameBits("mul " + c, x.mul(c), onGpu.mul(c));
      sameBits("div " + c, x.div(c), onGpu.div(c));
    }
  }

  private static void sameBits(String what, Tensor cpu, Tensor gpu) {
    assertEquals(cpu.dtype(), gpu.dtype(), what);
    assertArrayEquals(Arrays.stream(cpu.toDoubleArray()).mapToLong(Double::doubleToLongBits)
        .toArray(), Arrays.stream(gpu.toDoubleArray()).mapToLong(Double::doubleToLongBits)
        .toArray(), what);
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64", "INT64"})
  void binaryOpsBroadcastLikeTheCpu(DType t) {
    int[][][] shapes = {
        {{4, 5}, {4, 5}}, {{4, 5}, {}}, {{}, {4, 5}}, {{4, 5}, {5}}, {{4, 1}, {1, 5}},
        {{2, 1, 3, 1}, {4, 1, 6}}, {{3, 1, 5}, {3, 4, 5}}, {{0, 3}, {3}}, {{1}, {2, 3}}};
    for (int[][] s : shapes) {
      Tensor a = data(2, DType.FLOAT64, s[0]).to(t);
      Tensor b = data(3, DType.FLOAT64, s[1]).to(t);
      String at = " of " + a.shape() + " and " + b.shape();
      same("add" + at, Tensor::add, a, b);
      same("sub" + at, Tensor::sub, a, b);
      same("mul" + at, Tensor::mul, a, b);
      same("gt" + at, Tensor::gt, a, b);
      same("lt" + at, Tensor::lt, a, b);
      same("ge" + at, Tensor::ge, a, b);
      same("le" + at, Tensor::le, a, b);
      same("eq" + at, Tensor::eq, a, a.add(b.mul(0)));
      if (t != DType.INT64) {
        same("div" + at, Tensor::div, a, b);
        same("pow" + at, (x, y) -> x.abs().pow(y), a, b);
      }
    }
  }

  @Test
  void comparisonsFollowIeeeForNanAndSignedZero() {
    Tensor a = Tensor.of(new double[] {Double.NaN, 0.0, -0.0, 1, Double.NaN});
    Tensor b = Tensor.of(new double[] {1, -0.0, 0.0, Double.NaN, Double.NaN});
    for (DType t : List.of(DType.FLOAT32, DType.FLOAT64)) {
      same("gt", Tensor::gt, a.to(t), b.to(t));
      same("ge", Tensor::ge, a.to(t), b.to(t));
      same("eq", Tensor::eq, a.to(t), b.to(t));
      same("lt", Tensor::lt, a.to(t), b.to(t));
    }
  }

  @Test
  void whereExpandAndCastsMatchTheCpu() {
    Tensor c = data(4, DType.FLOAT64, 3, 1).gt(0);
    Tensor a = data(5, DType.FLOAT32, 1, 4);
    Tensor b = data(6, DType.FLOAT32, 3, 4);
    Device gpu = Gpu.device();
    assertMatches(Tensor.where(c, a, b), Tensor.where(c.to(gpu), a.to(gpu), b.to(gpu)), "where");
    same("expand", v -> v.expand(2, 3, 4), a);
    Tensor mixed = Tensor.of(new double[] {Double.NaN, 1e20, -1e20, 2.7, -2.7, 0.5});
    for (DType from : DType.values()) {
      for (DType to : DType.values()) {
        Tensor src = from == DType.INT64 ? Tensor.of(new long[] {-3, 0, 1L << 40}) : mixed.to(from);
        same("cast " + from + " to " + to, v -> v.to(to), src);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void reductionsAlongEveryAxisMatchTheCpu(DType t) {
    for (int[] shape : new int[][] {{5}, {3, 4}, {2, 3, 5}, {1, 2000}, {3000, 3}, {4, 1, 70}}) {
      Tensor x = data(7, t, shape);
      for (int axis = 0; axis < shape.length; axis++) {
        int ax = axis;
        String at = " over axis " + ax + " of " + x.shape();
        same("sum" + at, v -> v.sum(ax), x);
        same("mean" + at, v -> v.mean(ax), x);
        same("max" + at, v -> v.max(ax), x);
        same("min" + at, v -> v.min(ax), x);
        same("argmax" + at, v -> v.argmax(ax), x);
        same("argmin" + at, v -> v.argmin(ax), x);
        same("logSumExp" + at, v -> v.logSumExp(ax), x);
        same("softmax" + at, v -> v.softmax(ax), x);
        same("logSoftmax" + at, v -> v.logSoftmax(ax), x);
        Tensor g = data(8, t, shape);
        same("softmax backward" + at, v -> vjp(w -> w.softmax(ax), v, g), x);
        same("logSoftmax backward" + at, v -> vjp(w -> w.logSoftmax(ax), v, g), x);
      }
      same("sum all of " + x.shape(), Tensor::sum, x);
    }
  }

  @Test
  void longRowsReducedInChunksMatchTheCpu() {
    // Long enough that each row is cut into chunks (Geometry.rowSplits), with the extremes, ties,
    // NaNs and infinities placed in different chunks: the fold must keep the first of a tie.
    int n = 100_003;
    assertTrue(Geometry.rowSplits(1, n, 4) > 1 && Geometry.rowSplits(3, n, 4) > 1);
    double[] v = data(9, DType.FLOAT64, 3, n).toDoubleArray();
    v[20_000] = 9;
    v[90_000] = 9; // a tie in a later chunk: argmax 20000
    v[n + 70_000] = Double.NaN;
    v[n + 30_000] = -9;
    v[n + 99_000] = -9;
    v[n + 95_000] = Double.NaN; // first NaN at 70000
    v[2 * n + n - 1] = Double.POSITIVE_INFINITY;
    Tensor rows = Tensor.of(v, 3, n);
    Tensor allMinusInf = Tensor.full(Double.NEGATIVE_INFINITY, 1, n);
    for (DType t : List.of(DType.FLOAT32, DType.FLOAT64)) {
      for (Tensor x : List.of(rows.to(t), rows.slice(0, 0, 1).to(t), allMinusInf.to(t))) {
        String of = " of " + x.shape();
        same("sum" + of, w -> w.sum(1), x);
        same("max" + of, w -> w.max(1), x);
        same("min" + of, w -> w.min(1), x);
        same("argmax" + of, w -> w.argmax(1), x);
        same("argmin" + of, w -> w.argmin(1), x);
        same("logSumExp" + of, w -> w.logSumExp(1), x);
        same("sum all" + of, Tensor::sum, x.abs().neg().exp());
      }
    }
    long[] longs = new long[n];
    for (int i = 0; i < n; i++) {
      longs[i] = (i % 7 == 0 ? 1L << 40 : -i) + 1;
    }
    longs[77_777] = Long.MAX_VALUE;
    same("int64 sum of a long row", Tensor::sum, Tensor.of(longs));
    same("int64 argmax of a long row", w -> w.argmax(0), Tensor.of(longs));
    same("int64 min of a long row", w -> w.min(0), Tensor.of(longs));
  }

  /** The VJP of f at x for cotangent g, on x's device. */
  static Tensor vjp(UnaryOperator<Tensor> f, Tensor x, Tensor g) {
    Tensor leaf = x.detach().requiresGrad();
    return Autograd.grad(List.of(f.apply(leaf)), List.of(g.to(x.device())), List.of(leaf), false,
        false).get(0);
  }

  @Test
  void reductionsKeepNanTiesAndInfinitiesAsTheCpuDoes() {
    Tensor ties = Tensor.of(new double[] {1, 3, 3, 0, 3, 1, -2, -2, 5, 1, 1, 1}, 3, 4);
    Tensor nan = Tensor.of(new double[] {1, Double.NaN, 7, Double.NaN, 2, 9}, 2, 3);
    Tensor inf = Tensor.of(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY, 1, 2, 3}, 2, 3);
    for (DType t : List.of(DType.FLOAT32, DType.FLOAT64)) {
      for (Tensor x : List.of(ties.to(t), nan.to(t), inf.to(t))) {
        for (int axis = 0; axis < 2; axis++) {
          int ax = axis;
          same("argmax " + ax + " of " + x, v -> v.argmax(ax), x);
          same("argmin " + ax + " of " + x, v -> v.argmin(ax), x);
          same("max " + ax + " of " + x, v -> v.max(ax), x);
          same("logSumExp " + ax + " of " + x, v -> v.logSumExp(ax), x);
        }
      }
    }
    Tensor longs = Tensor.of(new long[] {4, -1, 4, 9, 9, 0}, 2, 3);
    same("int64 sum", v -> v.sum(1), longs);
    same("int64 max", v -> v.max(0), longs);
    same("int64 argmax", v -> v.argmax(1), longs);
  }

  /** Runs {@code body} with our matmul kernels only, the vendor BLAS (if any) set aside. */
  static void withOurMatmul(Runnable body) {
    boolean was = CudaBackend.useBlas;
    CudaBackend.useBlas = false;
    try {
      body.run();
    } finally {
      CudaBackend.useBlas = was;
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void productsWiderThanAGridAreLaunchedInSlabsOfColumns(DType t) {
    // A grid holds 65535 column tiles; here 2, so 300 columns take three or more launches.
    int was = CudaBackend.maxColumnTiles;
    CudaBackend.maxColumnTiles = 2;
    try {
      withOurMatmul(() -> {
        Device gpu = Gpu.device();
        Tensor a = data(40, t, 2, 3, 5);
        Tensor b = data(41, t, 5, 300);
        for (boolean ta : new boolean[] {false, true}) {
          for (boolean tb : new boolean[] {false, true}) {
            Tensor x = ta ? a.transpose() : a;
            Tensor y = tb ? b.transpose() : b;
            assertMatches(Tensor.matmul(x, ta, y, tb), Tensor.matmul(x.to(gpu), ta, y.to(gpu),
                tb), "slabs " + ta + " " + tb);
          }
        }
        assertMatches(a.matmul(b), a.to(gpu).matmul(b.to(gpu)), "batched, slabs");
      });
    } finally {
      CudaBackend.maxColumnTiles = was;
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void matmulMatchesTheCpuForEveryFlagShapeAndBatch(DType t) {
    matmulCases(t); // through cuBLAS where it is chosen
    withOurMatmul(() -> matmulCases(t));
  }

  private static void matmulCases(DType t) {
    int[][] mkn = {{1, 1, 1}, {3, 5, 2}, {17, 33, 65}, {64, 64, 64}, {130, 70, 129},
        {257, 3, 200}, {5, 0, 4}};
    for (int[] s : mkn) {
      int m = s[0];
      int k = s[1];
      int n = s[2];
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          Tensor a = data(8, t, ta ? new int[] {k, m} : new int[] {m, k});
          Tensor b = data(9, t, tb ? new int[] {n, k} : new int[] {k, n});
          Device gpu = Gpu.device();
          assertMatches(Tensor.matmul(a, ta, b, tb), Tensor.matmul(a.to(gpu), ta, b.to(gpu), tb),
              "matmul " + m + "x" + k + "x" + n + " transA " + ta + " transB " + tb);
        }
      }
    }
    for (int[] s : new int[][] {{256, 256, 256}, {512, 64, 1024}, {1024, 36, 516}}) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          Tensor a = data(33, t, ta ? new int[] {s[1], s[0]} : new int[] {s[0], s[1]});
          Tensor b = data(34, t, tb ? new int[] {s[2], s[1]} : new int[] {s[1], s[2]});
          Device gpu = Gpu.device();
          assertMatches(Tensor.matmul(a, ta, b, tb), Tensor.matmul(a.to(gpu), ta, b.to(gpu), tb),
              "large matmul " + java.util.Arrays.toString(s) + " transA " + ta + " transB " + tb);
        }
      }
    }
    same("stack times matrix", Tensor::matmul, data(10, t, 3, 5, 7), data(11, t, 7, 4));
    same("batched", Tensor::matmul, data(12, t, 3, 5, 7), data(13, t, 3, 7, 4));
    same("broadcast batches", Tensor::matmul, data(14, t, 2, 1, 5, 7), data(15, t, 1, 3, 7, 4));
    same("matrix times stack", Tensor::matmul, data(16, t, 5, 7), data(17, t, 3, 7, 4));
    same("vector", Tensor::matmul, data(18, t, 7), data(19, t, 7, 4));
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void productsWithFewOutputTilesSplitKAndMatchTheCpu(DType t) {
    withOurMatmul(() -> {
      Device gpu = Gpu.device();
      // {m, k, n, slices with the emulator's 4 SMs}: a classifier's last layer, a dot product,
      // MNIST-like, k cut in two (200 / 3 is no whole number), and k that no slicing fits
      // (130 / 2 is no multiple of four: one pass).
      for (int[] s : new int[][] {{128, 2048, 10, 4}, {1, 256, 1, 4}, {100, 784, 120, 4},
          {16, 200, 24, 2}, {3, 130, 5, 1}}) {
        assertEquals(s[3], MatmulPlan.kSlices(s[0], s[2], s[1], 4), "slices on 4 SMs");
        for (boolean ta : new boolean[] {false, true}) {
          for (boolean tb : new boolean[] {false, true}) {
            // Scaled so that float32's rounding over k = 2048 stays inside the 1e-4 tolerance.
            Tensor a = data(43, t, ta ? new int[] {s[1], s[0]} : new int[] {s[0], s[1]}).mul(0.1);
            Tensor b = data(44, t, tb ? new int[] {s[2], s[1]} : new int[] {s[1], s[2]}).mul(0.1);
            assertMatches(Tensor.matmul(a, ta, b, tb), Tensor.matmul(a.to(gpu), ta, b.to(gpu),
                tb), "split-k " + Arrays.toString(s) + " transA " + ta + " transB " + tb);
          }
        }
      }
    });
  }

  @Test
  void theFloat4MatmulKernelsGiveThePlainKernelsBits() {
    withOurMatmul(CudaOpsTest::float4AgainstPlain);
  }

  private static void float4AgainstPlain() {
    Device gpu = Gpu.device();
    // 128-wide tiles (and so the float4 kernels) once they fill half the multiprocessors: these
    // shapes reach them on GPUs up to 144 multiprocessors, with ragged M and N edges, and K both
    // a multiple of the warp-tiled kernel's slab of 16 and not.
    for (int[] s : new int[][] {{1024, 512, 2048}, {2048, 36, 1028}, {1000, 36, 1028},
        {1100, 64, 1300}, {1028, 20, 900}}) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          Tensor a = data(35, DType.FLOAT32, ta ? new int[] {s[1], s[0]} : new int[] {s[0], s[1]})
              .to(gpu);
          Tensor b = data(36, DType.FLOAT32, tb ? new int[] {s[2], s[1]} : new int[] {s[1], s[2]})
              .to(gpu);
          String at = Arrays.toString(s) + " transA " + ta + " transB " + tb;
          float[] plain = withVectorKernel(null, () -> Tensor.matmul(a, ta, b, tb));
          for (String kernel : new String[] {"matmul_f32_128v", "matmul_f32_128w"}) {
            assertArrayEquals(plain,
                withVectorKernel(kernel, () -> Tensor.matmul(a, ta, b, tb)), kernel + " " + at);
          }
        }
      }
    }
  }

  /** The product's values with {@code kernel} for float4-ready operands (null: none). */
  private static float[] withVectorKernel(String kernel, Supplier<Tensor> product) {
    String was = CudaBackend.vectorKernel;
    try {
      CudaBackend.vectorKernel = kernel;
      return product.get().toFloatArray();
    } finally {
      CudaBackend.vectorKernel = was;
    }
  }

  @Test
  void theWarpTiledKernelRunsBatchesAndSplitsOfK() {
    withOurMatmul(() -> {
      String was = CudaBackend.vectorKernel;
      try {
        CudaBackend.vectorKernel = "matmul_f32_128w";
        batchedFloat4();
        // A single product with few output tiles: k is split into slices (kSlices), each a
        // launch of the warp-tiled kernel into the workspace.
        same("split k, [16,2048] x [2048,16]", Tensor::matmul,
            data(43, DType.FLOAT32, 16, 2048), data(44, DType.FLOAT32, 2048, 16));
      } finally {
        CudaBackend.vectorKernel = was;
      }
    });
  }

  @Test
  void batchedFloat4ProductsMatchTheCpu() {
    withOurMatmul(CudaOpsTest::batchedFloat4);
  }

  private static void batchedFloat4() {
    same("batched 8 x [512,64] x [64,512]", Tensor::matmul, data(37, DType.FLOAT32, 8, 512, 64),
        data(38, DType.FLOAT32, 8, 64, 512));
    same("broadcast [8,512,64] x [64,516]", Tensor::matmul, data(39, DType.FLOAT32, 8, 512, 64),
        data(40, DType.FLOAT32, 64, 516));
    same("one matrix times a stack", Tensor::matmul, data(41, DType.FLOAT32, 512, 64),
        data(42, DType.FLOAT32, 8, 64, 516));
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64", "INT64"})
  void layoutOpsMatchTheCpu(DType t) {
    Tensor x = data(20, DType.FLOAT64, 3, 4, 5).to(t);
    same("transpose", Tensor::transpose, x);
    same("transpose big", Tensor::transpose, data(21, DType.FLOAT64, 2, 70, 45).to(t));
    same("permute", v -> v.permute(2, 0, 1), x);
    same("permute 1 0 2", v -> v.permute(1, 0, 2), x);
    for (int axis = 0; axis < 3; axis++) {
      int ax = axis;
      same("slice " + ax, v -> v.slice(ax, 1, 3), x);
      same("pad " + ax, v -> v.pad(ax, 2, x.size(ax) + 3), x);
      same("concat " + ax, v -> Tensor.concat(ax, v, v.slice(ax, 0, 2), v), x);
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64", "INT64"})
  void indexingMatchesTheCpu(DType t) {
    Tensor x = data(22, DType.FLOAT64, 4, 5, 3).to(t);
    Tensor idx = Tensor.of(new long[] {3, 0, 3, 1});
    Device gpu = Gpu.device();
    for (int axis = 0; axis < 3; axis++) {
      Tensor i = axis == 2 ? Tensor.of(new long[] {2, 0, 2}) : idx;
      assertMatches(x.indexSelect(axis, i), x.to(gpu).indexSelect(axis, i.to(gpu)),
          "indexSelect " + axis);
      Tensor src = x.indexSelect(axis, i);
      assertMatches(src.indexAdd(axis, i, x.shape()),
          src.to(gpu).indexAdd(axis, i.to(gpu), x.shape()), "indexAdd " + axis);
    }
    Tensor gi = Tensor.of(new long[] {0, 4, 4, 1, 2, 3, 0, 0}, 4, 2, 1).expand(4, 2, 3);
    assertMatches(x.gather(1, gi), x.to(gpu).gather(1, gi.to(gpu)), "gather");
    Tensor corner = Tensor.of(new long[] {4, 0, 2, 2}, 2, 2, 1); // smaller on axes 0 and 2
    assertMatches(x.gather(1, corner), x.to(gpu).gather(1, corner.to(gpu)), "gather, smaller");
    Tensor g = x.gather(1, gi);
    assertMatches(g.scatterAdd(1, gi, x.shape()), g.to(gpu).scatterAdd(1, gi.to(gpu), x.shape()),
        "scatterAdd");
    Tensor labels = Tensor.of(new long[] {2, 0, 4, 4});
    assertMatches(labels.oneHot(5), labels.to(gpu).oneHot(5), "oneHot");
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void fusedCrossEntropyMatchesTheCpu(DType t) {
    Device gpu = Gpu.device();
    for (int[] s : new int[][] {{7, 5}, {3, 1000}, {300, 10}, {1, 1}}) {
      Tensor x = data(30, t, s).mul(10);
      long[] l = new Random(31).longs(s[0], 0, s[1]).toArray();
      Tensor labels = Tensor.of(l);
      assertMatches(Fused.crossEntropy(x, labels),
          Fused.crossEntropy(x.to(gpu), labels.to(gpu)), "cross-entropy " + x.shape());
      Tensor perRow = data(32, t, s[0]);
      assertMatches(Fused.crossEntropyBackward(x, labels, perRow),
          Fused.crossEntropyBackward(x.to(gpu), labels.to(gpu), perRow.to(gpu)),
          "cross-entropy backward " + x.shape());
      Tensor one = Tensor.scalar(0.25, t);
      assertMatches(Fused.crossEntropyBackward(x, labels, one),
          Fused.crossEntropyBackward(x.to(gpu), labels.to(gpu), one.to(gpu)),
          "cross-entropy backward, one scale, " + x.shape());
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void fusedBiasActivationAndItsGradientsMatchTheCpu(DType t) {
    Tensor z = data(41, t, 65, 33);
    Tensor b = data(42, t, 33);
    Tensor g = data(43, t, 65, 33);
    for (UnaryOp act : List.of(UnaryOp.RELU, UnaryOp.LEAKY_RELU, UnaryOp.ELU, UnaryOp.SIGMOID,
        UnaryOp.TANH)) {
      same("biasActivation " + act, v -> Fused.biasActivation(v, b.to(v.device()), act, 0.2), z);
      same("biasActivation " + act + " dz",
          v -> vjp(w -> Fused.biasActivation(w, b.to(w.device()), act, 0.2), v, g), z);
      same("biasActivation " + act + " dbias",
          v -> vjp(w -> Fused.biasActivation(z.to(w.device()), w, act, 0.2), v, g), b);
    }
  }

  @Test
  void closingATensorWhileAnotherThreadUsesItNeverGivesWrongValues() throws Exception {
    // The op holds its inputs' device memory: a racing close() makes it fail as closed, or
    // lets it finish with the right values, but never lets it read a newer tensor's memory.
    Device gpu = Gpu.device();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      int wrong = 0;
      for (int round = 0; round < 150; round++) {
        Tensor x = Tensor.full(1.0, 100, 100).to(gpu);
        java.util.concurrent.Future<Double> sum = pool.submit(() -> x.mul(1).sum().item());
        x.close();
        Tensor other = Tensor.full(7.0, 100, 100).to(gpu);
        try {
          double v = sum.get();
          wrong += v == 10_000.0 ? 0 : 1;
        } catch (java.util.concurrent.ExecutionException e) {
          assertTrue(e.getCause() instanceof IllegalStateException, e.getCause().toString());
          assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
        }
        other.close();
      }
      assertEquals(0, wrong, "sums that read another tensor's memory");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void layoutsOfManyUnmergeableAxesMatchTheCpu() {
    // nine axes that do not merge: a full reversal, a broadcast against alternating size-1 axes
    int[] nine = {2, 3, 2, 3, 2, 3, 2, 2, 3};
    Tensor x = data(50, DType.FLOAT64, nine);
    same("9-axis permute", v -> v.permute(8, 7, 6, 5, 4, 3, 2, 1, 0), x);
    Tensor y = data(51, DType.FLOAT64, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1);
    Tensor z = data(52, DType.FLOAT64, 1, 3, 1, 3, 1, 3, 1, 3, 1, 3);
    same("10-axis broadcast", Tensor::mul, y, z);
    same("its backward", (a, b) -> vjp(v -> v.mul(b), a, a.mul(b).onesLike()), y, z);
  }

  @Test
  void outOfRangeIndicesFailAsOnTheCpu() {
    Device gpu = Gpu.device();
    Tensor x = Tensor.ones(3, 4).to(gpu);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> x.indexSelect(0, Tensor.of(new long[] {0, 7}).to(gpu)));
    assertEquals("indexSelect: index 7 at position 1 is out of range for an axis of size 3", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Tensor.of(new long[] {-1}).to(gpu).oneHot(3));
    assertThrows(IllegalArgumentException.class,
        () -> x.gather(1, Tensor.of(new long[] {4, 0, 0}, 3, 1).to(gpu)));
    IllegalArgumentException ce = assertThrows(IllegalArgumentException.class,
        () -> Fused.crossEntropy(x, Tensor.of(new long[] {0, 4, 1}).to(gpu)));
    assertEquals("crossEntropy: index 4 at position 1 is out of range for an axis of size 4", ce.getMessage());
    // The device still works after the failures.
    assertEquals(12.0, x.sum().item());
  }

  @Test
  void emptyAndScalarTensorsWork() {
    same("empty sum", v -> v.sum(0), Tensor.zeros(0, 3));
    same("empty relu", Tensor::relu, Tensor.zeros(0));
    same("scalar", v -> v.mul(3).add(1), Tensor.scalar(2.5));
    same("empty matmul", Tensor::matmul, Tensor.zeros(0, 3), Tensor.zeros(3, 2));
    same("empty batch matmul", Tensor::matmul, Tensor.zeros(0, 3, 4), Tensor.zeros(4, 5));
    same("empty permute", v -> v.permute(2, 0, 1), Tensor.zeros(2, 0, 3));
  }

  @Test
  void transfersRoundTripLargeArraysThroughTheStagingBuffer() {
    Device gpu = Gpu.device();
    int n = CudaContext.STAGING_BYTES / 4 * 2 + 12345; // three chunks
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = i * 0.5f;
    }
    Tensor x = Tensor.of(f).to(gpu);
    float[] back = x.toFloatArray();
    assertEquals(f.length, back.length);
    assertTrue(java.util.Arrays.equals(f, back));
    assertEquals(Device.cpu(), x.to(Device.cpu()).device());
  }

  @Test
  void mixingDevicesFailsClearly() {
    Device gpu = Gpu.device();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Tensor.ones(2).add(Tensor.ones(2).to(gpu)));
    assertTrue(e.getMessage().contains("different devices"), e.getMessage());
  }
}
