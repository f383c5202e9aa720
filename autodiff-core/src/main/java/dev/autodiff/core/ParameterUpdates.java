package dev.autodiff.core;

/**
 * Fused, in-place optimizer updates: one pass over a parameter and its state instead of a dozen
 * tensor ops (each of which would read and write the whole parameter). Optimizers call these
 * outside the tape; the tensors must be leaves of one shape, dtype and device.
 */
public final class ParameterUpdates {
  private ParameterUpdates() {}

  /** One Adam or AdamW step of {@code param} from {@code grad}, updating moments m and v. */
  public static void adam(Tensor param, Tensor grad, Tensor m, Tensor v, AdamStep step) {
    Tensor.required("adam", "step", step);
    check("adam", new Tensor[] {param, grad, m, v},
        new String[] {"parameter", "gradient", "first moment", "second moment"});
    param.backend().adamStep(param.storage(), grad.storage(), m.storage(), v.storage(), null,
        step);
    modified(param, m, v);
  }

  /**
   * One AMSGrad step (Adam or AdamW): as {@link #adam(Tensor, Tensor, Tensor, Tensor, AdamStep)},
   * and {@code vMax} keeps the running maximum of v, which divides the step instead of v.
   */
  public static void amsgrad(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor vMax,
      AdamStep step) {
    Tensor.required("adam", "step", step);
    check("adam", new Tensor[] {param, grad, m, v, vMax}, new String[] {"parameter", "gradient",
        "first moment", "second moment", "maximum second moment"});
    param.backend().adamStep(param.storage(), grad.storage(), m.storage(), v.storage(),
        vMax.storage(), step);
    modified(param, m, v, vMax);
  }

  /**
   * One SGD step of {@code param} from {@code grad}, updating the momentum buffer (null when the
   * step has no momentum).
   */
  public static void sgd(Tensor param, Tensor grad, Tensor buffer, SgdStep step) {
    Tensor.required("sgd", "step", step);
    if (step.momentum() != 0) {
      check("sgd", new Tensor[] {param, grad, Tensor.required("sgd", "momentum buffer", buffer)},
          new String[] {"parameter", "gradient", "momentum buffer"});
      param.backend().sgdStep(param.storage(), grad.storage(), buffer.storage(), step);
      modified(param, buffer);
    } else {
      check("sgd", new Tensor[] {param, grad}, new String[] {"parameter", "gradient"});
      param.backend().sgdStep(param.storage(), grad.storage(), null, step);
      modified(param);
    }
  }

  /**
   * One RMSprop or AdaGrad step of {@code param} from {@code grad}, updating the squared average
   * and, when the step uses them, the centered mean and the momentum buffer (null otherwise).
   */
  public static void rmsprop(Tensor param, Tensor grad, Tensor squareAvg, Tensor gradAvg,
      Tensor buffer, RmspropStep step) {
    String op = "rmsprop";
    Tensor.required(op, "step", step);
    check(op, new Tensor[] {param, grad, squareAvg}, new String[] {"parameter", "gradient",
        "squared average"});
    if (step.centered()) {
      check(op, new Tensor[] {param, grad, Tensor.required(op, "mean gradient", gradAvg)},
          new String[] {"parameter", "gradient", "mean gradient"});
    }
    if (step.momentum() != 0) {
      check(op, new Tensor[] {param, grad, Tensor.required(op, "momentum buffer", buffer)},
          new String[] {"parameter", "gradient", "momentum buffer"});
    }
    param.backend().rmspropStep(param.storage(), grad.storage(), squareAvg.storage(),
        step.centered() ? gradAvg.storage() : null,
        step.momentum() != 0 ? buffer.storage() : null, step);
    modified(param, squareAvg, step.centered() ? gradAvg : null,
        step.momentum() != 0 ? buffer : null);
  }

  /** Counts an in-place write to each tensor given (nulls skipped): see {@code Storage.version}. */
  private static void modified(Tensor... written) {
    for (Tensor t : written) {
      if (t != null) {
        t.storage().modified();
      }
    }
  }

  /** Same shape, dtype and device as the parameter (the first); everything but the gradient a leaf. */
  private static void check(String op, Tensor[] all, String[] names) {
    Tensor param = Tensor.required(op, names[0], all[0]);
    if (!param.dtype().isFloating()) {
      throw new IllegalArgumentException(op + ": parameters must be floating, got "
          + param.dtype());
    }
    for (int i = 0; i < all.length; i++) {
      Tensor t = Tensor.required(op, names[i], all[i]);
      t.checkOpen(op);
      if (!t.shape().equals(param.shape()) || t.dtype() != param.dtype()
          || !t.device().equals(param.device())) {
        throw new IllegalArgumentException(op + ": the " + names[i] + " is " + t.dtype() + " "
            + t.shape() + " on " + t.device() + " but the parameter is " + param.dtype() + " "
            + param.shape() + " on " + param.device());
      }
      if (i != 1 && !t.isLeaf()) {
        throw new IllegalStateException(op + ": the " + names[i]
            + " is the recorded result of an op; only leaves are updated in place");
      }
    }
  }
}
