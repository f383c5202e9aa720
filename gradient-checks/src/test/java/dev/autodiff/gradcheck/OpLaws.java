package dev.autodiff.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.DType;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** The laws every differentiable op's VJP must obey, checked at one point. */
final class OpLaws {
  private OpLaws() {}

  /** First-order check, gradient shapes and linearity; second-order check when {@code smooth}. */
  static void verify(String op, boolean smooth, TensorFunction f, Tensor... inputs) {
    verify(GradCheck.defaults().name(op), smooth, f, inputs);
  }

  static void verify(GradCheck check, boolean smooth, TensorFunction f, Tensor... inputs) {
    for (Tensor t : inputs) {
      if (t.dtype().isFloating()) {
        t.requiresGrad();
      }
    }
    check.check(f, inputs).assertPassed();
    try (var scope = Tensors.scope()) {
      gradientShapesMatchAndVjpIsLinear(f, inputs);
    }
    if (smooth) {
      check.checkSecondOrder(f, inputs).assertPassed();
    }
  }

  private static void gradientShapesMatchAndVjpIsLinear(TensorFunction f, Tensor[] inputs) {
    List<Tensor> wrt = new ArrayList<>();
    for (Tensor t : inputs) {
      if (t.isRequiresGrad()) {
        wrt.add(t);
      }
    }
    Tensor out = f.apply(inputs);
    if (!out.isRequiresGrad()) {
      return; // constant in its inputs (e.g. an empty tensor): nothing to propagate
    }
    Random rnd = new Random(1);
    Tensor u = Tensor.randn(rnd, out.shape().toArray()).to(out.dtype());
    Tensor v = Tensor.randn(rnd, out.shape().toArray()).to(out.dtype());
    double a = 2.5;
    double b = -1.25;
    List<Tensor> gu = Autograd.grad(List.of(out), List.of(u), wrt, true, false);
    List<Tensor> gv = Autograd.grad(List.of(out), List.of(v), wrt, true, false);
    List<Tensor> gw = Autograd.grad(List.of(out), List.of(u.mul(a).add(v.mul(b))), wrt, true,
        false);
    for (int i = 0; i < wrt.size(); i++) {
      assertEquals(wrt.get(i).shape(), gu.get(i).shape(),
          "the gradient of input " + i + " must have the input's shape");
      // float32 gradients round differently for each cotangent; float64 ones barely at all.
      boolean single = out.dtype() == DType.FLOAT32 || gw.get(i).dtype() == DType.FLOAT32;
      double tol = single ? 1e-5 : 1e-9;
      double[] lhs = gw.get(i).toDoubleArray();
      double[] x = gu.get(i).toDoubleArray();
      double[] y = gv.get(i).toDoubleArray();
      for (int e = 0; e < lhs.length; e++) {
        double rhs = a * x[e] + b * y[e];
        assertEquals(rhs, lhs[e], tol * (1 + Math.abs(rhs)),
            "VJP is not linear in the cotangent at input " + i + " element " + e);
      }
    }
  }
}
