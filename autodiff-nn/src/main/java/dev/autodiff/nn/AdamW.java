package dev.autodiff.nn;

import dev.autodiff.core.AdamStep;
import dev.autodiff.core.Tensor;
import java.util.List;
import java.util.Map;

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
public final class AdamW extends AbstractOptimizer {
  private double beta1 = 0.9;
  private double beta2 = 0.999;
  private double eps = 1e-8;
  private double weightDecay = 1e-2;
  private final Tensor[] expAvg;
  private final Tensor[] expAvgSq;

  /**
   * AdamW over {@code params} with learning rate {@code lr} and weight decay 0.01.
   *
   * @throws IllegalArgumentException if {@code params} is null, empty, has a null, repeated,
   *     closed or non-leaf tensor or one that does not require gradients, or {@code lr} is
   *     negative or not finite
   */
  public AdamW(List<Tensor> params, double lr) {
    super("AdamW", params, lr);
    expAvg = zeroBuffers();
    expAvgSq = zeroBuffers();
  }

  /** Sets the decay rates of the two moment averages, each in [0, 1); returns this. */
  public AdamW betas(double beta1, double beta2) {
    this.beta1 = unitOpen(name, "beta1", beta1);
    this.beta2 = unitOpen(name, "beta2", beta2);
    return this;
  }

  /** Sets the term added to the denominator for stability (default 1e-8); returns this. */
  public AdamW eps(double eps) {
    this.eps = nonNegative(name, "eps", eps);
    return this;
  }

  /** Sets the decoupled weight decay (default 0.01); returns this. */
  public AdamW weightDecay(double weightDecay) {
    this.weightDecay = nonNegative(name, "weight decay", weightDecay);
    return this;
  }

  /** The decay rate of the first moment. */
  public double beta1() {
    return beta1;
  }

  /** The decay rate of the second moment. */
  public double beta2() {
    return beta2;
  }

  /** The stability term of the denominator. */
  public double eps() {
    return eps;
  }

  /** The decoupled weight decay. */
  public double weightDecay() {
    return weightDecay;
  }

  @Override
  void update(int i, Tensor p, Tensor g, long t) {
    Adam.fusedStep(this, i, p, g, expAvg, expAvgSq,
        new AdamStep(learningRate(), beta1, beta2, eps, weightDecay, true, t));
  }

  @Override
  void addState(int i, String prefix, Map<String, Object> state) {
    state.put(prefix + "exp_avg", expAvg[i]);
    state.put(prefix + "exp_avg_sq", expAvgSq[i]);
  }

  @Override
  String options() {
    return ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ", weightDecay=" + weightDecay;
  }
}
