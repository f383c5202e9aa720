package dev.autodiff.core;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Whole Jacobians and Hessians, one backward pass per output element (as PyTorch's {@code
 * torch.autograd.functional}): for checking small functions and for teaching, not for training.
 */
final class Jacobians {
  private Jacobians() {}

  static Tensor jacobian(Function<Tensor, Tensor> f, Tensor x) {
    Tensor.required("jacobian", "f", f);
    return Tensors.scoped(() -> {
      Tensor in = leaf("jacobian", x);
      return rows("jacobian", apply("jacobian", f, in), in);
    });
  }

  static Tensor hessian(Function<Tensor, Tensor> f, Tensor x) {
    Tensor.required("hessian", "f", f);
    return Tensors.scoped(() -> {
      Tensor in = leaf("hessian", x);
      Tensor y = apply("hessian", f, in);
      if (y.numel() != 1) {
        throw new IllegalArgumentException(
            "hessian: f must return one element, it returned shape " + y.shape());
      }
      return rows("hessian", Autograd.grad(y, in, true), in);
    });
  }

  /** A fresh leaf with {@code x}'s values, so the caller's tensor and its history stay alone. */
  private static Tensor leaf(String op, Tensor x) {
    Tensor.required(op, "x", x);
    if (!x.dtype().isFloating()) {
      throw new IllegalArgumentException(
          op + ": x must be float32 or float64 to differentiate, it is " + x.dtype());
    }
    return x.detach().requiresGrad();
  }

  private static Tensor apply(String op, Function<Tensor, Tensor> f, Tensor in) {
    Tensor y = f.apply(in);
    if (y == null) {
      throw new IllegalArgumentException(op + ": f returned null");
    }
    if (!y.dtype().isFloating()) {
      throw new IllegalArgumentException(op + ": f returned an " + y.dtype()
          + " tensor, which has no gradient; return float32 or float64");
    }
    return y;
  }

  /** d y[i...] / d in[j...] stacked in shape y.shape ++ in.shape: row i is the VJP with e_i. */
  private static Tensor rows(String op, Tensor y, Tensor in) {
    int[] dims = concat(y.shape().toArray(), in.shape().toArray());
    long m = y.numel();
    if (m > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(op + ": f's output " + y.shape() + " has too many "
          + "elements for one backward pass each");
    }
    if (m == 0 || in.numel() == 0) {
      return Tensor.zeros(in.dtype(), dims).to(in.device());
    }
    List<Tensor> rows = new ArrayList<>((int) m);
    double[] basis = new double[(int) m];
    for (int i = 0; i < m; i++) {
      basis[i] = 1;
      Tensor seed = Tensor.of(basis).reshape(y.shape().toArray()).to(y.dtype()).to(y.device());
      basis[i] = 0;
      // The tape stays until the last row; without createGraph the rows are constants.
      rows.add(Autograd.grad(List.of(y), List.of(seed), List.of(in), i < m - 1, false).get(0));
    }
    return Tensor.stack(rows, 0).reshape(dims);
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = new int[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
