package dev.autodiff.nn;

import dev.autodiff.core.Tensor;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): {@code torch.optim.AdamW}'s update.
 * The parameter first shrinks by {@code p = p * (1 - lr * weightDecay)}, then takes {@link Adam}'s
 * step on the plain gradient (the decay never enters the moment averages).
 *
 * <pre>
 * jshell&gt; Optimizer opt = new AdamW(model.parameters(), 1e-3).weightDecay(0.05);
 * </pre>
 *
 * <p>Defaults as PyTorch's: betas (0.9, 0.999), eps 1e-8, and weight decay 0.01 (not 0 as in
 * Adam).
 */
public final class AdamW extends AdamFamily<AdamW> {
  /**
   * AdamW over {@code params} with learning rate {@code lr} and weight decay 0.01.
   *
   * @throws IllegalArgumentException if {@code params} is null, empty, has a null, repeated,
   *     closed or non-leaf tensor, or {@code lr} is negative or not finite (a tensor that does
   *     not require gradients is accepted and left alone, as in PyTorch)
   */
  public AdamW(List<Tensor> params, double lr) {
    super("AdamW", params, lr, true, 1e-2);
  }
}
