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
 * <p>The inputs that require gradients are differentiated. The numeric side always runs on CPU
 * copies in float64; the analytic side runs on the inputs as given (their device and dtype), so
 * the same check covers any backend. For up to {@link #fullJacobianOutputs} output elements the
 * whole Jacobian is compared, one VJP per output element; beyond that, random cotangents are used
 * (PyTorch's fast mode). For inputs with more than {@link #fullJacobianInputs} elements, the
 * numeric side projects onto random directions v and compares {@code <u, J v>} with {@code <J^T u,
 * v>}, as JAX's {@code check_vjp} does.
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
    if (!(v > 0)) {
      throw new IllegalArgumentException("gradCheck: " + what + " must be positive, got " + v);
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
      return compare(f, p);
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
      Tensor out = f.apply(in);
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
      return name(name + " (second order)").compare(firstDerivatives, p);
    }
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

  private GradCheckReport compare(TensorFunction f, Problem p) {
    Tensor out = f.apply(p.inputs);
    if (out == null) {
      throw new IllegalArgumentException("gradCheck: the function returned null");
    }
    if (!out.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "gradCheck: the function's output is " + out.dtype() + "; it must be floating");
    }
    int nOut = (int) out.numel();
    Shape outShape = out.shape();
    Random rnd = new Random(seed);
    boolean fullOutputs = nOut <= fullJacobianOutputs;
    int rows = fullOutputs ? nOut : projections;
    double[][] cotangents = new double[rows][];
    for (int r = 0; r < rows; r++) {
      cotangents[r] = fullOutputs ? unit(nOut, r) : randomValues(rnd, nOut);
    }
    // Analytic: one VJP per cotangent, on the inputs' own device and dtype.
    double[][][] analytic = new double[rows][][]; // [row][differentiated input][element]
    for (int r = 0; r < rows; r++) {
      analytic[r] = vjp(out, cotangents[r], p);
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
          double[] plus = evaluate(f, p);
          v[e] = keep - eps;
          double[] minus = evaluate(f, p);
          v[e] = keep;
          for (int r = 0; r < rows; r++) {
            double numeric = 0;
            for (int k = 0; k < nOut; k++) {
              numeric += cotangents[r][k] * (plus[k] - minus[k]) / (2 * eps);
            }
            tally.add(new Mismatch(i, index(p.inputs[i].shape(), e),
                fullOutputs ? Arrays.toString(index(outShape, r)) : "projection " + r,
                analytic[r][d][e], numeric), atol, rtol);
          }
        }
      }
      settings = (fullOutputs ? "full Jacobian " : rows + " random cotangents x ")
          + nOut + " x " + p.totalElements;
    } else {
      // Numeric: central differences along random directions v; compare <u, J v> = <J^T u, v>.
      for (int q = 0; q < projections; q++) {
        double[][] dir = new double[p.inputs.length][];
        double[][] saved = new double[p.inputs.length][];
        for (int i : p.differentiated) {
          dir[i] = randomValues(rnd, p.values[i].length);
          saved[i] = p.values[i].clone();
        }
        double[] plus = evaluate(f, shifted(p, saved, dir, eps));
        double[] minus = evaluate(f, shifted(p, saved, dir, -eps));
        for (int i : p.differentiated) {
          System.arraycopy(saved[i], 0, p.values[i], 0, saved[i].length);
        }
        for (int r = 0; r < rows; r++) {
          double numeric = 0;
          for (int k = 0; k < nOut; k++) {
            numeric += cotangents[r][k] * (plus[k] - minus[k]) / (2 * eps);
          }
          double an = 0;
          for (int d = 0; d < p.differentiated.length; d++) {
            int i = p.differentiated[d];
            for (int e = 0; e < dir[i].length; e++) {
              an += analytic[r][d][e] * dir[i][e];
            }
          }
          tally.add(new Mismatch(-1, new int[0], (fullOutputs ? "element "
              + Arrays.toString(index(outShape, r)) : "projection " + r) + " along direction "
              + q, an, numeric), atol, rtol);
        }
      }
      settings = projections + " random directions";
    }
    settings = String.format(Locale.ROOT, "eps %.1g, atol %.1g, rtol %.1g, ", eps, atol, rtol)
        + settings;
    return new GradCheckReport(name, p.describe(), tally.worst, tally.failures, tally.kept,
        settings);
  }

  private static Problem shifted(Problem p, double[][] saved, double[][] dir, double step) {
    for (int i : p.differentiated) {
      for (int e = 0; e < saved[i].length; e++) {
        p.values[i][e] = saved[i][e] + step * dir[i][e];
      }
    }
    return p;
  }

  /** J^T u for each differentiated input, as float64 arrays. */
  private static double[][] vjp(Tensor out, double[] u, Problem p) {
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
      wrt.add(p.inputs[i]);
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
  private static double[] evaluate(TensorFunction f, Problem p) {
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
