package dev.autodiff.nn;

import dev.autodiff.core.Tensor;
import java.util.List;

/**
 * Adam (Kingma and Ba) with bias-corrected moments and optional L2 weight decay added to the
 * gradient: {@code torch.optim.Adam}'s update. At step {@code t} with gradient {@code g}:
 *
 * <pre>
 * g = g + weightDecay * p                       (when weightDecay != 0)
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g * g
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * With {@link #amsgrad(boolean) amsgrad(true)} the running maximum of v takes v's place in the
 * last line. For weight decay decoupled from the gradient use {@link AdamW}.
 *
 * <pre>
 * jshell&gt; Optimizer opt = new Adam(model.parameters(), 1e-3).betas(0.9, 0.98).eps(1e-9);
 * </pre>
 *
 * <p>Defaults as PyTorch's: betas (0.9, 0.999), eps 1e-8, weight decay 0. The moment buffers are
 * allocated when the optimizer is built.
 */
public final class Adam extends AdamFamily<Adam> {
  /**
   * Adam over {@code params} with learning rate {@code lr}.
   *
   * @throws IllegalArgumentException if {@code params} is null, empty, has a null, repeated,
   *     closed or non-leaf tensor, or {@code lr} is negative or not finite (a tensor that does
   *     not require gradients is accepted and left alone, as in PyTorch)
   */
  public Adam(List<Tensor> params, double lr) {
    super("Adam", params, lr, false, 0);
  }
}
