package dev.autodiff.gradcheck;

import static dev.autodiff.gradcheck.TensorArbitraries.axes;
import static dev.autodiff.gradcheck.TensorArbitraries.nonEmptyShapes;
import static dev.autodiff.gradcheck.TensorArbitraries.shapes;
import static dev.autodiff.gradcheck.TensorArbitraries.tensors;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.DType;
import dev.autodiff.core.Fused;
import dev.autodiff.core.Device;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.UnaryOp;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;

/**
 * One property per differentiable op of the registry: at random points of its smooth domain, its
 * VJP matches central finite differences, each gradient has its input's shape, the VJP is linear
 * in the cotangent, and (for ops smooth there) second derivatives through {@code createGraph}
 * match finite differences of the first. {@link OpCoverageTest} proves none is missing.
 */
class OpPropertiesTest {
  static final int TRIES = 100;

  /** The device the ops run on: the CPU here, a GPU in {@link CudaOpPropertiesTest}. */
  Device device() {
    return Device.cpu();
  }

  /**
   * {@link OpLaws#verify} with the op run on {@link #device()}: the CPU inputs move there inside
   * the function and the result comes back, so gradients also flow through toDevice.
   */
  void verify(String op, boolean smooth, TensorFunction f, Tensor... inputs) {
    verify(GradCheck.defaults().name(op), smooth, f, inputs);
  }

  void verify(GradCheck check, boolean smooth, TensorFunction f, Tensor... inputs) {
    Device d = device();
    if (d.isCpu()) {
      OpLaws.verify(check, smooth, f, inputs);
      return;
    }
    OpLaws.verify(check, smooth, in -> {
      Tensor[] moved = new Tensor[in.length];
      for (int i = 0; i < in.length; i++) {
        moved[i] = in[i].to(d);
      }
      return f.apply(moved).to(Device.cpu());
    }, inputs);
  }

  // ---- arbitraries ---------------------------------------------------------------------------

  private static Arbitrary<Shape> small() {
    return shapes(0, 3, 0, 3);
  }

  private static Arbitrary<Shape> smallNonEmpty() {
    return nonEmptyShapes(1, 3, 3);
  }

  @Provide
  Arbitrary<Tensor> anyValues() {
    return tensors(small(), Domain.any());
  }

  @Provide
  Arbitrary<Tensor> positiveValues() {
    return tensors(small(), Domain.positive());
  }

  @Provide
  Arbitrary<Tensor> awayFromZero() {
    return tensors(small(), Domain.awayFromZero());
  }

  @Provide
  Arbitrary<Tensor> awayFromClampBounds() {
    return tensors(small(), Domain.any().avoiding(-0.5, 0.7));
  }

  @Provide
  Arbitrary<Tensor> distinctValues() {
    return tensors(nonEmptyShapes(0, 3, 3), Domain.distinct());
  }

  @Provide
  Arbitrary<Tensor[]> broadcastPair() {
    return TensorArbitraries.broadcastShapes(2, 3, 3).flatMap(b -> Combinators.combine(
        tensors(b.get(0), Domain.any()), tensors(b.get(1), Domain.any()))
        .as((x, y) -> new Tensor[] {x, y}));
  }

  @Provide
  Arbitrary<Tensor[]> broadcastPairPositiveDivisor() {
    return TensorArbitraries.broadcastShapes(2, 3, 3).flatMap(b -> Combinators.combine(
        tensors(b.get(0), Domain.any()), tensors(b.get(1), Domain.positive()))
        .as((x, y) -> new Tensor[] {x, y}));
  }

  @Provide
  Arbitrary<Tensor[]> broadcastPairPositiveBase() {
    return TensorArbitraries.broadcastShapes(2, 3, 3).flatMap(b -> Combinators.combine(
        tensors(b.get(0), Domain.positive()), tensors(b.get(1), Domain.any()))
        .as((x, y) -> new Tensor[] {x, y}));
  }

  @Provide
  Arbitrary<Tensor[]> whereTriple() {
    return TensorArbitraries.broadcastShapes(3, 3, 3).flatMap(b -> Combinators.combine(
        tensors(b.get(0), Domain.any()), tensors(b.get(1), Domain.any()),
        tensors(b.get(2), Domain.any()))
        .as((c, x, y) -> new Tensor[] {c.gt(0), x, y}));
  }

  /** A tensor and the larger shape it broadcasts to. */
  @Provide
  Arbitrary<Object[]> broadcastOperand() {
    return TensorArbitraries.broadcastShapes(1, 3, 3).flatMap(b ->
        tensors(b.get(0), Domain.any()).map(x -> new Object[] {x, b.result()}));
  }

  /** A tensor and an axis of it. */
  @Provide
  Arbitrary<Object[]> tensorAndAxis() {
    return tensorAndAxis(Domain.any());
  }

  @Provide
  Arbitrary<Object[]> distinctTensorAndAxis() {
    return tensorAndAxis(Domain.distinct());
  }

  private static Arbitrary<Object[]> tensorAndAxis(Domain domain) {
    return smallNonEmpty().flatMap(s -> Combinators.combine(tensors(s, domain), axes(s),
        Arbitraries.of(true, false)).as((x, axis, keep) -> new Object[] {x, axis, keep}));
  }

  @Provide
  Arbitrary<Tensor[]> matmulOperands() {
    // Batch axes that broadcast, and either operand possibly a vector.
    return Combinators.combine(TensorArbitraries.broadcastShapes(2, 2, 2),
            Arbitraries.integers().between(1, 3).list().ofSize(3),
            Arbitraries.of(true, false).list().ofSize(2))
        .flatAs((batch, mkn, vectors) -> {
          int m = mkn.get(0);
          int k = mkn.get(1);
          int n = mkn.get(2);
          Shape a = vectors.get(0) ? Shape.of(k) : append(batch.get(0), m, k);
          Shape b = vectors.get(1) ? Shape.of(k) : append(batch.get(1), k, n);
          return Combinators.combine(tensors(a, Domain.any()), tensors(b, Domain.any()))
              .as((x, y) -> new Tensor[] {x, y});
        });
  }

  private static Shape append(Shape batch, int rows, int cols) {
    int[] d = java.util.Arrays.copyOf(batch.toArray(), batch.rank() + 2);
    d[batch.rank()] = rows;
    d[batch.rank() + 1] = cols;
    return Shape.of(d);
  }

  @Provide
  Arbitrary<Object[]> permutation() {
    return smallNonEmpty().flatMap(s -> {
      List<Integer> axes = new ArrayList<>();
      for (int i = 0; i < s.rank(); i++) {
        axes.add(i);
      }
      return Combinators.combine(tensors(s, Domain.any()), Arbitraries.shuffle(axes))
          .as((x, order) -> new Object[] {x, order.stream().mapToInt(Integer::intValue).toArray()});
    });
  }

  /** A tensor, an axis, and a range [from, to) of it. */
  @Provide
  Arbitrary<Object[]> sliceCase() {
    return smallNonEmpty().flatMap(s -> axes(s).flatMap(axis -> {
      int n = s.size(axis);
      return Combinators.combine(tensors(s, Domain.any()),
          Arbitraries.integers().between(0, n), Arbitraries.integers().between(0, n))
          .as((x, i, j) -> new Object[] {x, axis, Math.min(i, j), Math.max(i, j)});
    }));
  }

  /** A tensor, an axis, where to place it and the padded size. */
  @Provide
  Arbitrary<Object[]> padCase() {
    return smallNonEmpty().flatMap(s -> axes(s).flatMap(axis -> Combinators.combine(
        tensors(s, Domain.any()), Arbitraries.integers().between(0, 2),
        Arbitraries.integers().between(0, 2))
        .as((x, before, after) -> new Object[] {x, axis, before,
            s.size(axis) + before + after})));
  }

  /** Two or three tensors that agree on every axis but one, and that axis. */
  @Provide
  Arbitrary<Object[]> concatCase() {
    return smallNonEmpty().flatMap(s -> axes(s).flatMap(axis -> Arbitraries.integers()
        .between(0, 3).list().ofMinSize(2).ofMaxSize(3).flatMap(sizes -> {
          List<Arbitrary<Tensor>> parts = new ArrayList<>();
          int a = axis < 0 ? axis + s.rank() : axis;
          for (int size : sizes) {
            parts.add(tensors(s.with(a, size), Domain.any()));
          }
          return Combinators.combine(parts).as(list -> new Object[] {list, axis});
        })));
  }

  /** A tensor, an axis and an int64 index along it (repeats included). */
  @Provide
  Arbitrary<Object[]> indexSelectCase() {
    return smallNonEmpty().flatMap(s -> axes(s).flatMap(axis -> Combinators.combine(
        tensors(s, Domain.any()),
        Arbitraries.longs().between(0, s.size(axis) - 1).array(long[].class).ofMinSize(0)
            .ofMaxSize(4))
        .as((x, idx) -> new Object[] {x, axis, Tensor.of(idx)})));
  }

  /** A tensor, an axis and an int64 index of its shape but along that axis. */
  @Provide
  Arbitrary<Object[]> gatherCase() {
    return smallNonEmpty().flatMap(s -> axes(s).flatMap(axis -> {
      int a = axis < 0 ? axis + s.rank() : axis;
      return Arbitraries.integers().between(1, 3).flatMap(m -> {
        Shape is = s.with(a, m);
        return Combinators.combine(tensors(s, Domain.any()),
            Arbitraries.longs().between(0, s.size(a) - 1).array(long[].class)
                .ofSize((int) is.numel()))
            .as((x, idx) -> new Object[] {x, axis, Tensor.of(idx, is.toArray())});
      });
    }));
  }

  // ---- elementwise, one input ----------------------------------------------------------------

  @Property(tries = TRIES)
  @Covers("neg")
  void negMatchesFiniteDifferences(@ForAll("anyValues") Tensor x) {
    verify("neg", true, in -> in[0].neg(), x);
  }

  @Property(tries = TRIES)
  @Covers("exp")
  void expMatchesFiniteDifferences(@ForAll("anyValues") Tensor x) {
    verify("exp", true, in -> in[0].exp(), x);
  }

  @Property(tries = TRIES)
  @Covers("sin")
  void sinMatchesFiniteDifferences(@ForAll("anyValues") Tensor x) {
    verify("sin", true, in -> in[0].sin(), x);
  }

  @Property(tries = TRIES)
  @Covers("cos")
  void cosMatchesFiniteDifferences(@ForAll("anyValues") Tensor x) {
    verify("cos", true, in -> in[0].cos(), x);
  }

  @Property(tries = TRIES)
  @Covers("log")
  void logMatchesFiniteDifferences(@ForAll("positiveValues") Tensor x) {
    verify("log", true, in -> in[0].log(), x);
  }

  @Property(tries = TRIES)
  @Covers("sqrt")
  void sqrtMatchesFiniteDifferences(@ForAll("positiveValues") Tensor x) {
    verify("sqrt", true, in -> in[0].sqrt(), x);
  }

  @Property(tries = TRIES)
  @Covers("abs")
  void absMatchesFiniteDifferencesAwayFromZero(@ForAll("awayFromZero") Tensor x) {
    verify("abs", true, in -> in[0].abs(), x);
  }

  @Property(tries = TRIES)
  @Covers("sign")
  void signHasAZeroGradientAwayFromZero(@ForAll("awayFromZero") Tensor x) {
    verify("sign", true, in -> in[0].mul(in[0].sign()), x); // |x|: only the left factor counts
  }

  @Property(tries = TRIES)
  @Covers("tanh")
  void tanhMatchesFiniteDifferences(@ForAll("anyValues") Tensor x) {
    verify("tanh", true, in -> in[0].tanh(), x);
  }

  @Property(tries = TRIES)
  @Covers("sigmoid")
  void sigmoidMatchesFiniteDifferences(@ForAll("anyValues") Tensor x) {
    verify("sigmoid", true, in -> in[0].sigmoid(), x);
  }

  @Property(tries = TRIES)
  @Covers("relu")
  void reluMatchesFiniteDifferencesAwayFromZero(@ForAll("awayFromZero") Tensor x) {
    verify("relu", true, in -> in[0].relu(), x);
  }

  @Property(tries = TRIES)
  @Covers("leakyRelu")
  void leakyReluMatchesFiniteDifferencesAwayFromZero(@ForAll("awayFromZero") Tensor x,
      @ForAll @DoubleRange(min = 0.01, max = 0.5) double alpha) {
    verify("leakyRelu", true, in -> in[0].leakyRelu(alpha), x);
  }

  @Property(tries = TRIES)
  @Covers("elu")
  void eluMatchesFiniteDifferencesAwayFromZero(@ForAll("awayFromZero") Tensor x,
      @ForAll @DoubleRange(min = 0.1, max = 2) double alpha) {
    verify("elu", true, in -> in[0].elu(alpha), x);
  }

  @Property(tries = TRIES)
  @Covers("softplus")
  void softplusMatchesFiniteDifferences(@ForAll("anyValues") Tensor x) {
    verify("softplus", true, in -> in[0].softplus(), x);
  }

  @Property(tries = TRIES)
  @Covers("clamp")
  void clampMatchesFiniteDifferencesAwayFromItsBounds(@ForAll("awayFromClampBounds") Tensor x) {
    verify("clamp", true, in -> in[0].clamp(-0.5, 0.7), x);
  }

  @Property(tries = TRIES)
  @Covers("powScalar")
  void powScalarMatchesFiniteDifferences(@ForAll("positiveValues") Tensor x,
      @ForAll @DoubleRange(min = -2, max = 3) double p) {
    verify("powScalar", true, in -> in[0].pow(p), x);
  }

  @Property(tries = TRIES)
  @Covers("mask")
  void reluSlopeHasDerivativeZeroAwayFromZero(@ForAll("awayFromZero") Tensor x) {
    // relu's recorded VJP is the upstream gradient times a mask of x: as a function of x, the
    // mask's derivative is 0, and it must stay a function of x (not a constant) to be checked
    verify("mask", false, in -> Autograd.grad(List.of(in[0].relu().mul(in[0]).sum()),
        List.of(in[0]), true).get(0), x);
  }

  @Property(tries = TRIES)
  @Covers("addScalar")
  void addAndSubtractAConstantMatchFiniteDifferences(@ForAll("anyValues") Tensor x,
      @ForAll @DoubleRange(min = -3, max = 3) double c) {
    verify("addScalar", true, in -> in[0].add(c).mul(in[0]), x);
    verify("addScalar", true, in -> in[0].sub(c).mul(in[0]), x);
  }

  @Property(tries = TRIES)
  @Covers("mulScalar")
  void mulByAConstantMatchesFiniteDifferences(@ForAll("anyValues") Tensor x,
      @ForAll @DoubleRange(min = -3, max = 3) double c) {
    verify("mulScalar", true, in -> in[0].mul(c).mul(in[0]), x);
  }

  @Property(tries = TRIES)
  @Covers("divScalar")
  void divByAConstantMatchesFiniteDifferences(@ForAll("anyValues") Tensor x,
      @ForAll @DoubleRange(min = 0.25, max = 3) double c) {
    verify("divScalar", true, in -> in[0].div(c).mul(in[0]), x);
    verify("divScalar", true, in -> in[0].div(-c).mul(in[0]), x);
  }

  @Property(tries = TRIES)
  @Covers("cast")
  void castMatchesFiniteDifferencesOnFloat32Grid(
      @ForAll("float32Grid") Tensor x) {
    // A float64 step of 1e-6 is lost when rounded to float32: step by 2^-10 on values float32
    // holds exactly, so the finite differences are exact.
    GradCheck check = GradCheck.defaults().name("cast").eps(1.0 / 1024);
    verify(check, true, in -> in[0].to(DType.FLOAT32).mul(in[0].to(DType.FLOAT32)), x);
  }

  @Provide
  Arbitrary<Tensor> float32Grid() {
    return smallNonEmpty().flatMap(s -> Arbitraries.integers().between(-64, 64)
        .array(int[].class).ofSize((int) s.numel()).map(k -> {
          double[] v = new double[k.length];
          for (int i = 0; i < k.length; i++) {
            v[i] = k[i] / 32.0;
          }
          return GradCheck.shaped(v, s);
        }));
  }

  @Property(tries = 1)
  @Covers("toDevice")
  void toDeviceSendsGradientsBackToTheSourceDevice(@ForAll("anyValues") Tensor x) {
    Device cuda;
    try {
      cuda = Device.cuda();
    } catch (IllegalStateException e) {
      assumeTrue(false, "no CUDA device here: " + e.getMessage());
      return;
    }
    verify("toDevice", true, in -> in[0].to(cuda).tanh().to(Device.cpu()), x);
  }

  // ---- elementwise, two or three broadcast inputs -------------------------------------------

  @Property(tries = TRIES)
  @Covers("add")
  void broadcastAddMatchesFiniteDifferences(@ForAll("broadcastPair") Tensor[] xy) {
    verify("add", true, in -> in[0].add(in[1]), xy);
  }

  @Property(tries = TRIES)
  @Covers("sub")
  void broadcastSubMatchesFiniteDifferences(@ForAll("broadcastPair") Tensor[] xy) {
    verify("sub", true, in -> in[0].sub(in[1]), xy);
  }

  @Property(tries = TRIES)
  @Covers("mul")
  void broadcastMulMatchesFiniteDifferences(@ForAll("broadcastPair") Tensor[] xy) {
    verify("mul", true, in -> in[0].mul(in[1]), xy);
  }

  @Property(tries = TRIES)
  @Covers("div")
  void broadcastDivMatchesFiniteDifferences(
      @ForAll("broadcastPairPositiveDivisor") Tensor[] xy) {
    verify("div", true, in -> in[0].div(in[1]), xy);
  }

  @Property(tries = TRIES)
  @Covers("pow")
  void broadcastPowMatchesFiniteDifferences(@ForAll("broadcastPairPositiveBase") Tensor[] xy) {
    verify("pow", true, in -> in[0].pow(in[1]), xy);
  }

  @Property(tries = TRIES)
  @Covers("where")
  void whereSendsGradientsToTheChosenOperand(@ForAll("whereTriple") Tensor[] cxy) {
    verify("where", true, in -> Tensor.where(in[0], in[1], in[2]), cxy);
  }

  // ---- broadcasting and reductions -----------------------------------------------------------

  @Property(tries = TRIES)
  @Covers("expand")
  void expandSumsGradientsBack(@ForAll("broadcastOperand") Object[] c) {
    Shape target = (Shape) c[1];
    verify("expand", true, in -> in[0].expand(target.toArray()), (Tensor) c[0]);
  }

  @Property(tries = TRIES)
  @Covers("sumTo")
  void sumToExpandsGradientsBack(@ForAll("broadcastOperand") Object[] c) {
    Tensor small = (Tensor) c[0];
    Shape target = (Shape) c[1];
    Tensor x = Tensor.randn(3, target.toArray()).to(DType.FLOAT64);
    verify("sumTo", true, in -> in[0].sumTo(small.shape()), x);
  }

  @Property(tries = TRIES)
  @Covers("sum")
  void sumAlongAnAxisMatchesFiniteDifferences(@ForAll("tensorAndAxis") Object[] c) {
    int axis = (Integer) c[1];
    boolean keep = (Boolean) c[2];
    verify("sum", true, in -> in[0].sum(axis, keep), (Tensor) c[0]);
  }

  @Property(tries = TRIES)
  @Covers("max")
  void maxAlongAnAxisMatchesFiniteDifferencesWithoutTies(
      @ForAll("distinctTensorAndAxis") Object[] c) {
    int axis = (Integer) c[1];
    boolean keep = (Boolean) c[2];
    verify("max", true, in -> in[0].max(axis, keep), (Tensor) c[0]);
  }

  @Property(tries = TRIES)
  @Covers("min")
  void minAlongAnAxisMatchesFiniteDifferencesWithoutTies(
      @ForAll("distinctTensorAndAxis") Object[] c) {
    int axis = (Integer) c[1];
    boolean keep = (Boolean) c[2];
    verify("min", true, in -> in[0].min(axis, keep), (Tensor) c[0]);
  }

  @Property(tries = TRIES)
  @Covers("maxAll")
  void maxOfAllMatchesFiniteDifferencesWithoutTies(@ForAll("distinctValues") Tensor x) {
    verify("maxAll", true, in -> in[0].max(), x);
  }

  @Property(tries = TRIES)
  @Covers("minAll")
  void minOfAllMatchesFiniteDifferencesWithoutTies(@ForAll("distinctValues") Tensor x) {
    verify("minAll", true, in -> in[0].min(), x);
  }

  @Property(tries = TRIES)
  @Covers("logSumExp")
  void logSumExpMatchesFiniteDifferences(@ForAll("tensorAndAxis") Object[] c) {
    int axis = (Integer) c[1];
    boolean keep = (Boolean) c[2];
    verify("logSumExp", true, in -> in[0].logSumExp(axis, keep), (Tensor) c[0]);
  }

  @Property(tries = TRIES)
  @Covers("softmax")
  void softmaxMatchesFiniteDifferences(@ForAll("tensorAndAxis") Object[] c) {
    int axis = (Integer) c[1];
    verify("softmax", true, in -> in[0].softmax(axis), (Tensor) c[0]);
  }

  @Property(tries = TRIES)
  @Covers("logSoftmax")
  void logSoftmaxMatchesFiniteDifferences(@ForAll("tensorAndAxis") Object[] c) {
    int axis = (Integer) c[1];
    verify("logSoftmax", true, in -> in[0].logSoftmax(axis), (Tensor) c[0]);
  }

  /** A [rows, cols] input, a [cols] bias, and one of the fusable activations. */
  @Provide
  Arbitrary<Object[]> biasActivationCase() {
    return Combinators.combine(Arbitraries.integers().between(1, 3),
        Arbitraries.integers().between(1, 3),
        Arbitraries.of(UnaryOp.RELU, UnaryOp.LEAKY_RELU, UnaryOp.ELU, UnaryOp.SIGMOID,
            UnaryOp.TANH)).flatAs((rows, cols, act) -> {
              // The kinked activations are checked away from their kink, as relu's property is.
              Domain d = act == UnaryOp.SIGMOID || act == UnaryOp.TANH ? Domain.any()
                  : Domain.awayFromZero();
              return Combinators.combine(tensors(Shape.of(rows, cols), d),
                  tensors(Shape.of(cols), Domain.any().avoiding(-0.05, 0.05)))
                  .as((z, b) -> new Object[] {z, b, act});
            });
  }

  @Property(tries = TRIES)
  @Covers("biasActivation")
  void biasActivationMatchesFiniteDifferencesInInputAndBias(
      @ForAll("biasActivationCase") Object[] c) {
    UnaryOp act = (UnaryOp) c[2];
    Tensor z = (Tensor) c[0];
    Tensor b = (Tensor) c[1];
    // z + b must stay away from the kink too: shift z by -b, then the sum is z's own value.
    Tensor shifted = z.sub(b).detach();
    verify("biasActivation", true, in -> Fused.biasActivation(in[0], in[1], act, 0.2), shifted,
        b);
  }

  /** A point, a cotangent of its shape, and an axis. */
  @Provide
  Arbitrary<Object[]> pointCotangentAndAxis() {
    return smallNonEmpty().flatMap(s -> Combinators.combine(tensors(s, Domain.any()),
        tensors(s, Domain.any()), axes(s)).as((x, g, axis) -> new Object[] {x, g, axis}));
  }

  /** The VJP of f at x for cotangent g, recorded (createGraph) so that it can be differentiated. */
  private static Tensor recordedVjp(java.util.function.UnaryOperator<Tensor> f, Tensor x,
      Tensor g) {
    return Autograd.grad(List.of(f.apply(x)), List.of(g), List.of(x), true, true).get(0);
  }

  @Property(tries = TRIES)
  @Covers("softmaxBackward")
  void softmaxBackwardMatchesFiniteDifferencesInPointAndCotangent(
      @ForAll("pointCotangentAndAxis") Object[] c) {
    int axis = (Integer) c[2];
    verify("softmaxBackward", true, in -> recordedVjp(x -> x.softmax(axis), in[0], in[1]),
        (Tensor) c[0], (Tensor) c[1]);
  }

  @Property(tries = TRIES)
  @Covers("logSoftmaxBackward")
  void logSoftmaxBackwardMatchesFiniteDifferencesInPointAndCotangent(
      @ForAll("pointCotangentAndAxis") Object[] c) {
    int axis = (Integer) c[2];
    verify("logSoftmaxBackward", true, in -> recordedVjp(x -> x.logSoftmax(axis), in[0], in[1]),
        (Tensor) c[0], (Tensor) c[1]);
  }

  // ---- linear algebra and layout -------------------------------------------------------------

  @Property(tries = TRIES)
  @Covers("matmul")
  void matmulOfVectorsMatricesAndBroadcastBatchesMatchesFiniteDifferences(
      @ForAll("matmulOperands") Tensor[] ab) {
    // Second order exercises the transposed-flag matmuls of the VJPs.
    verify("matmul", true, in -> in[0].matmul(in[1]), ab);
  }

  @Property(tries = TRIES)
  @Covers("reshape")
  void reshapeMatchesFiniteDifferences(@ForAll("anyValues") Tensor x) {
    int[] reversed = new int[x.rank()];
    for (int i = 0; i < reversed.length; i++) {
      reversed[i] = x.size(x.rank() - 1 - i);
    }
    verify("reshape", true, in -> in[0].reshape(reversed).flatten(), x);
  }

  @Property(tries = TRIES)
  @Covers("permute")
  void permuteMatchesFiniteDifferences(@ForAll("permutation") Object[] c) {
    int[] order = (int[]) c[1];
    verify("permute", true, in -> in[0].permute(order).mul(in[0].permute(order)),
        (Tensor) c[0]);
  }

  @Property(tries = TRIES)
  @Covers("slice")
  void sliceMatchesFiniteDifferences(@ForAll("sliceCase") Object[] c) {
    int axis = (Integer) c[1];
    int from = (Integer) c[2];
    int to = (Integer) c[3];
    verify("slice", true, in -> in[0].slice(axis, from, to).mul(2), (Tensor) c[0]);
  }

  @Property(tries = TRIES)
  @Covers("pad")
  void padMatchesFiniteDifferences(@ForAll("padCase") Object[] c) {
    int axis = (Integer) c[1];
    int from = (Integer) c[2];
    int total = (Integer) c[3];
    verify("pad", true, in -> in[0].pad(axis, from, total), (Tensor) c[0]);
  }

  @Property(tries = TRIES)
  @Covers("concat")
  void concatMatchesFiniteDifferences(@ForAll("concatCase") Object[] c) {
    @SuppressWarnings("unchecked")
    List<Tensor> parts = (List<Tensor>) c[0];
    int axis = (Integer) c[1];
    verify("concat", true, in -> Tensor.concat(List.of(in), axis),
        parts.toArray(new Tensor[0]));
  }

  @Property(tries = TRIES)
  @Covers("indexSelect")
  void indexSelectAddsGradientsOfRepeatedIndices(@ForAll("indexSelectCase") Object[] c) {
    int axis = (Integer) c[1];
    verify("indexSelect", true, in -> in[0].indexSelect(axis, in[1]), (Tensor) c[0],
        (Tensor) c[2]);
  }

  @Property(tries = TRIES)
  @Covers("indexAdd")
  void indexAddMatchesFiniteDifferences(@ForAll("indexSelectCase") Object[] c) {
    Tensor x = (Tensor) c[0];
    int axis = (Integer) c[1];
    Tensor idx = (Tensor) c[2];
    int a = axis < 0 ? axis + x.rank() : axis;
    Shape srcShape = x.shape().with(a, (int) idx.numel());
    Tensor src = Tensor.randn(5, srcShape.toArray()).to(DType.FLOAT64);
    verify("indexAdd", true, in -> in[0].indexAdd(axis, in[1], x.shape()), src, idx);
  }

  @Property(tries = TRIES)
  @Covers("gather")
  void gatherMatchesFiniteDifferences(@ForAll("gatherCase") Object[] c) {
    int axis = (Integer) c[1];
    verify("gather", true, in -> in[0].gather(axis, in[1]), (Tensor) c[0],
        (Tensor) c[2]);
  }

  @Property(tries = TRIES)
  @Covers("scatterAdd")
  void scatterAddMatchesFiniteDifferences(@ForAll("gatherCase") Object[] c) {
    Tensor x = (Tensor) c[0];
    int axis = (Integer) c[1];
    Tensor idx = (Tensor) c[2];
    Tensor src = Tensor.randn(6, idx.shape().toArray()).to(DType.FLOAT64);
    verify("scatterAdd", true, in -> in[0].scatterAdd(axis, in[1], x.shape()), src, idx);
  }
}
