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
    Tensor[] all = {param, grad, m, v};
    String[] names = {"parameter", "gradient", "first moment", "second moment"};
    for (int i = 0; i < all.length; i++) {
      Tensor t = Tensor.required("adam", names[i], all[i]);
      t.checkOpen("adam");
      if (!t.shape().equals(param.shape()) || t.dtype() != param.dtype()
          || !t.device().equals(param.device())) {
        throw new IllegalArgumentException("adam: the " + names[i] + " is " + t.dtype() + " "
            + t.shape() + " on " + t.device() + " but the parameter is " + param.dtype() + " "
            + param.shape() + " on " + param.device());
      }
      if (i != 1 && !t.isLeaf()) {
        throw new IllegalStateException("adam: the " + names[i]
            + " is the recorded result of an op; only leaves are updated in place");
      }
    }
    if (!param.dtype().isFloating()) {
      throw new IllegalArgumentException("adam: parameters must be floating, got " + param.dtype());
    }
    param.backend().adamStep(param.storage(), grad.storage(), m.storage(), v.storage(), step);
  }
}
