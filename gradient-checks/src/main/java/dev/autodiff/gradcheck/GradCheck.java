package dev.autodiff.gradcheck;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.Device;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * Checks analytic gradients (the tape's vector-Jacobian products) against central finite
 * differences computed in float64, as PyTorch's {@code gradcheck} does.
 *
 * <pre>{@code
 * Tensor x = Tensor.randn(0, 3, 4).to(DType.FLOAT64).requiresGrad();
 * GradCheck.gradCheck(in -> in[0].tanh().sum(1), x);          // throws GradCheckFailure if wrong
 * GradCheckReport r = GradCheck.defaults().atol(1e-4).check(in -> in[0].softmax(1), x);
 * }</pre>
 *
 * <p>The inputs that require gradients are differentiated, each as an input of its own: a tensor
 * passed twice counts as two inputs, and a tensor the function captures rather than reads from
 * its arguments is a constant. The numeric side feeds the function float64 CPU copies of the
 * inputs (a function that computes in float32 inside is differenced in float32, and needs looser
 * tolerances); the analytic side runs on the inputs as given (their device and dtype), so the same
 * check covers any backend. For up to {@link #fullJacobianOutputs} output elements the whole
 * Jacobian is compared, one VJP per output element, plus one VJP with a random cotangent (which
 * catches a VJP that is not linear in its cotangent); beyond that, random cotangents are used
 * (PyTorch's fast mode). For inputs with more than {@link #fullJacobianInputs} elements, the
 * numeric side projects each input onto random directions v and compares {@code <u, J v>} with
 * {@code <J^T u, v>}, as JAX's {@code check_vjp} does.
 *
 * <p>Instances are immutable; each setter returns a new configuration.
 */
public final class GradCheck {
  private final double eps;
  private final double atol;
  private final double rtol;
  private final String name;
  private final int fullJacobianOutputs;
  private final int fullJacobianInputs;
  private final int projections;
  private final long seed;

  private GradCheck(double eps, double atol, double rtol, String name, int fullJacobianOutputs,
      int fullJacobianInputs, int projections, long seed) {
    this.eps = eps;
    this.atol = atol;
    this.rtol = rtol;
    this.name = name;
    this.fullJacobianOutputs = fullJacobianOutputs;
    this.fullJacobianInputs = fullJacobianInputs;
    this.projections = projections;
    this.seed = seed;
  }

  /** PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3. */
  public static GradCheck defaults() {
    return new GradCheck(1e-6, 1e-5, 1e-3, "function", 256, 1024, 8, 0);
  }

  /** Checks {@code f} at {@code inputs} with the defaults; throws {@link GradCheckFailure}. */
  public static boolean gradCheck(TensorFunction f, Tensor... inputs) {
    defaults().check(f, inputs).assertPassed();
    return true;
  }

  /** Checks second derivatives of {@code f} with the defaults; throws {@link GradCheckFailure}. */
  public static boolean gradGradCheck(TensorFunction f, Tensor... inputs) {
    defaults().checkSecondOrder(f, inputs).assertPassed();
    return true;
  }

  /** The finite-difference step. */
  public GradCheck eps(double value) {
    positive("eps", value);
    return new GradCheck(value, atol, rtol, name, fullJacobianOutputs, fullJacobianInputs,
        projections, seed);
  }

  /** The absolute tolerance. */
  public GradCheck atol(double value) {
    nonNegative("atol", value);
    return new GradCheck(eps, value, rtol, name, fullJacobianOutputs, fullJacobianInputs,
        projections, seed);
  }

  /** The relative tolerance (relative to the numeric value). */
  public GradCheck rtol(double value) {
    nonNegative("rtol", value);
    return new GradCheck(eps, atol, value, name, fullJacobianOutputs, fullJacobianInputs,
        projections, seed);
  }

  /** The name failures report (an op's name, or what the function computes). */
  public GradCheck name(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("gradCheck: name must not be blank");
    }
    return new GradCheck(eps, atol, rtol, value, fullJacobianOutputs, fullJacobianInputs,
        projections, seed);
  }

  /** Outputs up to this many elements get the whole Jacobian; larger ones random cotangents. */
  public GradCheck fullJacobianOutputs(int value) {
    positive("fullJacobianOutputs", value);
    return new GradCheck(eps, atol, rtol, name, value, fullJacobianInputs, projections, seed);
  }

  /** Inputs up to this many elements in all are perturbed one element at a time. */
  public GradCheck fullJacobianInputs(int value) {
    positive("fullJacobianInputs", value);
    return new GradCheck(eps, atol, rtol, name, fullJacobianOutputs, value, projections, seed);
  }

  /** The number of random cotangents (and directions) beyond the full-Jacobian limits. */
  public GradCheck projections(int value) {
    positive("projections", value);
    return new GradCheck(eps, atol, rtol, name, fullJacobianOutputs, fullJacobianInputs, value,
        seed);
  }

  /** The seed of the random cotangents and directions. */
  public GradCheck seed(long value) {
    return new GradCheck(eps, atol, rtol, name, fullJacobianOutputs, fullJacobianInputs,
        projections, value);
  }

  private static void positive(String what, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(
          "gradCheck: " + what + " must be positive and finite, got " + v);
    }
  }

  private static void nonNegative(String what, double v) {
    if (!(v >= 0)) {
      throw new IllegalArgumentException("gradCheck: " + what + " must be >= 0, got " + v);
    }
  }

  // ---- first order ---------------------------------------------------------------------------

  /** Compares the analytic gradients of {@code f} at {@code inputs} with finite differences. */
  public GradCheckReport check(TensorFunction f, Tensor... inputs) {
    if (f == null) {
      throw new IllegalArgumentException("gradCheck: function must not be null");
    }
    Problem p = new Problem(inputs);
    try (var scope = Tensors.scope()) {
      return compare(f, p, null);
    }
  }

  /**
   * Compares the second derivatives of {@code f}: the gradient of {@code <J^T u, .>} for a fixed
   * random cotangent u, computed with {@code createGraph}, is itself checked against finite
   * differences of the first derivatives.
   */
  public GradCheckReport checkSecondOrder(TensorFunction f, Tensor... inputs) {
    if (f == null) {
      throw new IllegalArgumentException("gradGradCheck: function must not be null");
    }
    Problem p = new Problem(inputs);
    double[][] cotangent = new double[1][];
    TensorFunction firstDerivatives = in -> {
      Tensor out = checkedOutput("gradGradCheck", f.apply(in));
      if (cotangent[0] == null) {
        cotangent[0] = randomValues(new Random(seed ^ 0x5DEECE66DL), (int) out.numel());
      }
      Tensor u = shaped(cotangent[0], out.shape()).to(out.dtype()).to(out.device());
      List<Tensor> wrt = new ArrayList<>();
      for (int i : p.differentiated) {
        wrt.add(in[i]);
      }
      List<Tensor> grads = Autograd.grad(List.of(out), List.of(u), wrt, true, true);
      List<Tensor> flat = new ArrayList<>();
      for (Tensor g : grads) {
        flat.add(g.flatten());
      }
      return Tensor.concat(flat, 0);
    };
    try (var scope = Tensors.scope()) {
      return name(name + " (second order)").compare(firstDerivatives, p,
          k -> gradientElement(p, k));
    }
  }

  /**
   * Names element {@code k} of the first derivatives, all inputs' gradients flattened one after
   * another: "gradient of input i [index]".
   */
  private static String gradientElement(Problem p, int k) {
    for (int i : p.differentiated) {
      int n = p.values[i].length;
      if (k < n) {
        return "gradient of input " + i + " " + Arrays.toString(index(p.inputs[i].shape(), k));
      }
      k -= n;
    }
    return "gradient element " + k;
  }

  private static Tensor checkedOutput(String check, Tensor out) {
    if (out == null) {
      throw new IllegalArgumentException(check + ": the function returned null");
    }
    if (!out.dtype().isFloating()) {
      throw new IllegalArgumentException(
          check + ": the function's output is " + out.dtype() + "; it must be floating");
    }
    return out;
  }

  // ---- the comparison ------------------------------------------------------------------------

  /** The inputs, which of them are differentiated, and their float64 values. */
  private static final class Problem {
    final Tensor[] inputs;
    final int[] differentiated;
    final double[][] values;
    final int totalElements;

    Problem(Tensor[] inputs) {
      if (inputs == null || inputs.length == 0) {
        throw new IllegalArgumentException("gradCheck: needs at least one input");
      }
      this.inputs = inputs.clone();
      List<Integer> diff = new ArrayList<>();
      values = new double[inputs.length][];
      int total = 0;
      for (int i = 0; i < inputs.length; i++) {
        Tensor t = inputs[i];
        if (t == null) {
          throw new IllegalArgumentException("gradCheck: input " + i + " is null");
        }
        values[i] = t.toDoubleArray();
        if (t.isRequiresGrad() && t.dtype().isFloating()) {
          diff.add(i);
          total += values[i].length;
        }
      }
      if (diff.isEmpty()) {
        throw new IllegalArgumentException(
            "gradCheck: no input requires gradients; call requiresGrad() on those to check");
      }
      differentiated = diff.stream().mapToInt(Integer::intValue).toArray();
      totalElements = total;
    }

    String describe() {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < inputs.length; i++) {
        if (i > 0) {
          sb.append(", ");
        }
        Tensor t = inputs[i];
        sb.append(i).append(": ").append(t.shape()).append(' ').append(t.dtype());
        if (!t.device().isCpu()) {
          sb.append(" on ").append(t.device());
        }
        if (!t.isRequiresGrad()) {
          sb.append(" (constant)");
        }
      }
      return sb.toString();
    }
  }

  /**
   * The comparison; {@code outputLabel} names output element k in reports (null: its index in the
   * output's shape).
   */
  private GradCheckReport compare(TensorFunction f, Problem p, IntFunction<String> outputLabel) {
    // Fresh leaves for the differentiated inputs: each is an input of its own, as on the numeric
    // side, even where the caller passed one tensor twice or the function captures it.
    Tensor[] leaves = p.inputs.clone();
    for (int i : p.differentiated) {
      leaves[i] = p.inputs[i].detach().requiresGrad();
    }
    Tensor out = checkedOutput("gradCheck", f.apply(leaves));
    int nOut = (int) out.numel();
    Shape outShape = out.shape();
    IntFunction<String> label = outputLabel != null ? outputLabel
        : k -> Arrays.toString(index(outShape, k));
    Random rnd = new Random(seed);
    boolean fullOutputs = nOut <= fullJacobianOutputs;
    // The full Jacobian's unit cotangents, then one random one; or only random ones.
    int rows = fullOutputs ? nOut + (nOut > 0 ? 1 : 0) : projections;
    double[][] cotangents = new double[rows][];
    for (int r = 0; r < rows; r++) {
      cotangents[r] = fullOutputs && r < nOut ? unit(nOut, r) : randomValues(rnd, nOut);
    }
    IntFunction<String> row = r -> fullOutputs && r < nOut ? label.apply(r)
        : "random cotangent " + r;
    // Analytic: one VJP per cotangent, on the inputs' own device and dtype.
    double[][][] analytic = new double[rows][][]; // [row][differentiated input][element]
    for (int r = 0; r < rows; r++) {
      analytic[r] = vjp(out, cotangents[r], p, leaves);
    }
    Tally tally = new Tally();
    String settings;
    if (p.totalElements <= fullJacobianInputs) {
      // Numeric: one central difference per input element gives a column of the Jacobian.
      for (int d = 0; d < p.differentiated.length; d++) {
        int i = p.differentiated[d];
        double[] v = p.values[i];
        for (int e = 0; e < v.length; e++) {
          double keep = v[e];
          v[e] = keep + eps;
          double[] plus = evaluate(f, p, outShape);
          v[e] = keep - eps;
          double[] minus = evaluate(f, p, outShape);
          v[e] = keep;
          for (int r = 0; r < rows; r++) {
            double numeric = 0;
            for (int k = 0; k < nOut; k++) {
              numeric += cotangents[r][k] * (plus[k] - minus[k]) / (2 * eps);
            }
            tally.add(new Mismatch(i, index(p.inputs[i].shape(), e), row.apply(r),
                analytic[r][d][e], numeric), atol, rtol);
          }
        }
      }
      settings = (fullOutputs ? "full Jacobian and a random cotangent " : rows
          + " random cotangents x ") + nOut + " x " + p.totalElements;
    } else {
      // Numeric: central differences along random directions v, one input at a time (so that a
      // failure names its input); compare <u, J v> = <J^T u, v>.
      for (int q = 0; q < projections; q++) {
        for (int d = 0; d < p.differentiated.length; d++) {
          int i = p.differentiated[d];
          double[] dir = randomValues(rnd, p.values[i].length);
          double[] saved = p.values[i].clone();
          double[] plus = evaluate(f, shifted(p, i, saved, dir, eps), outShape);
          double[] minus = evaluate(f, shifted(p, i, saved, dir, -eps), outShape);
          System.arraycopy(saved, 0, p.values[i], 0, saved.length);
          for (int r = 0; r < rows; r++) {
            double numeric = 0;
            for (int k = 0; k < nOut; k++) {
              numeric += cotangents[r][k] * (plus[k] - minus[k]) / (2 * eps);
            }
            double an = 0;
            for (int e = 0; e < dir.length; e++) {
              an += analytic[r][d][e] * dir[e];
            }
            tally.add(new Mismatch(i, new int[0], row.apply(r) + " along direction " + q, an,
                numeric), atol, rtol);
          }
        }
      }
      settings = projections + " random directions per input";
    }
    settings = String.format(Locale.ROOT, "eps %.1g, atol %.1g, rtol %.1g, ", eps, atol, rtol)
        + settings;
    if (!out.isRequiresGrad() && tally.failures > 0) {
      settings += "; the output does not require gradients: was it computed inside noGrad(),"
          + " detached, or from tensors the function captured rather than its arguments?";
    }
    return new GradCheckReport(name, p.describe(), tally.worst, tally.failures, tally.kept,
        settings);
  }

  private static Problem shifted(Problem p, int i, double[] saved, double[] dir, double step) {
    for (int e = 0; e < saved.length; e++) {
      p.values[i][e] = saved[e] + step * dir[e];
    }
    return p;
  }

  /** J^T u for each differentiated input (its leaf in {@code leaves}), as float64 arrays. */
  private static double[][] vjp(Tensor out, double[] u, Problem p, Tensor[] leaves) {
    double[][] result = new double[p.differentiated.length][];
    if (!out.isRequiresGrad()) {
      for (int d = 0; d < result.length; d++) {
        result[d] = new double[p.values[p.differentiated[d]].length];
      }
      return result; // the output does not depend on the inputs: a zero Jacobian
    }
    Tensor seedTensor = shaped(u, out.shape()).to(out.dtype()).to(out.device());
    List<Tensor> wrt = new ArrayList<>();
    for (int i : p.differentiated) {
      wrt.add(leaves[i]);
    }
    List<Tensor> grads = Autograd.grad(List.of(out), List.of(seedTensor), wrt, true, false);
    for (int d = 0; d < result.length; d++) {
      Tensor g = grads.get(d);
      Tensor in = p.inputs[p.differentiated[d]];
      if (!g.shape().equals(in.shape())) {
        throw new GradCheckFailure(new GradCheckReport("gradient shape", p.describe(),
            Double.NaN, 1, List.of(), "input " + p.differentiated[d] + " of shape " + in.shape()
                + " got a gradient of shape " + g.shape()));
      }
      result[d] = g.toDoubleArray();
    }
    return result;
  }

  /** The function at the current float64 values, on the CPU, as a flat array. */
  private static double[] evaluate(TensorFunction f, Problem p, Shape outShape) {
    try (var scope = Tensors.scope()) {
      Tensor[] in = new Tensor[p.inputs.length];
      for (int i = 0; i < in.length; i++) {
        Tensor orig = p.inputs[i];
        if (orig.dtype().isFloating()) {
          in[i] = shaped(p.values[i], orig.shape());
          if (orig.isRequiresGrad()) {
            in[i].requiresGrad(); // a function may itself differentiate (second order)
          }
        } else {
          in[i] = orig.to(Device.cpu());
        }
      }
      Tensor out = f.apply(in);
      if (out == null || !out.shape().equals(outShape)) {
        throw new IllegalArgumentException("gradCheck: the function returned "
            + (out == null ? "null" : "shape " + out.shape()) + " at a perturbed point but shape "
            + outShape + " at the inputs; its output shape must not depend on the values");
      }
      return out.toDoubleArray();
    }
  }

  /** A float64 tensor of {@code shape} (rank 0 included) holding {@code values}. */
  static Tensor shaped(double[] values, Shape shape) {
    return Tensor.of(values).reshape(shape.toArray());
  }

  private static final class Tally {
    double worst;
    long failures;
    final List<Mismatch> kept = new ArrayList<>();

    void add(Mismatch m, double atol, double rtol) {
      double err = m.error();
      if (!(err <= atol + rtol * Math.abs(m.numeric()))) {
        failures++;
        if (kept.size() < GradCheckReport.KEPT) {
          kept.add(m);
        }
      }
      if (!(err <= worst)) {
        worst = err; // NaN sticks
      }
    }
  }

  private static double[] unit(int n, int at) {
    double[] u = new double[n];
    u[at] = 1;
    return u;
  }

  private static double[] randomValues(Random rnd, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextGaussian();
    }
    return v;
  }

  /** The multi-index of flat element {@code flat} in {@code shape}. */
  static int[] index(Shape shape, int flat) {
    int[] dims = shape.toArray();
    int[] idx = new int[dims.length];
    for (int d = dims.length - 1; d >= 0; d--) {
      idx[d] = dims[d] == 0 ? 0 : flat % dims[d];
      flat = dims[d] == 0 ? 0 : flat / dims[d];
    }
    return idx;
  }

  /** A short description of this configuration. */
  @Override
  public String toString() {
    return String.format(Locale.ROOT, "GradCheck[%s: eps %g, atol %g, rtol %g]", name, eps, atol,
        rtol);
  }
}
