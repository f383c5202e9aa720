package dev.autodiff.nn;

import dev.autodiff.core.AdamStep;
import dev.autodiff.core.ParameterUpdates;
import dev.autodiff.core.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma and Ba) with bias-corrected moments and optional L2 weight decay added to the
 * gradient: {@code torch.optim.Adam}'s update (without amsgrad). At step {@code t} with gradient
 * {@code g}:
 *
 * <pre>
 * g = g + weightDecay * p                       (when weightDecay != 0)
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g * g
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * For weight decay decoupled from the gradient use {@link AdamW}.
 *
 * <pre>
 * jshell&gt; Optimizer opt = new Adam(model.parameters(), 1e-3).betas(0.9, 0.98).eps(1e-9);
 * </pre>
 *
 * <p>Defaults as PyTorch's: betas (0.9, 0.999), eps 1e-8, weight decay 0. The moment buffers are
 * allocated when the optimizer is built.
 */
public final class Adam extends AbstractOptimizer {
  private double beta1 = 0.9;
  private double beta2 = 0.999;
  private double eps = 1e-8;
  private double weightDecay;
  private final Tensor[] expAvg;
  private final Tensor[] expAvgSq;

  /**
   * Adam over {@code params} with learning rate {@code lr}.
   *
   * @throws IllegalArgumentException if {@code params} is null, empty, has a null, repeated,
   *     closed or non-leaf tensor or one that does not require gradients, or {@code lr} is
   *     negative or not finite
   */
  public Adam(List<Tensor> params, double lr) {
    super("Adam", params, lr);
    expAvg = zeroBuffers();
    expAvgSq = zeroBuffers();
  }

  /** Sets the decay rates of the two moment averages, each in [0, 1); returns this. */
  public Adam betas(double beta1, double beta2) {
    this.beta1 = unitOpen(name, "beta1", beta1);
    this.beta2 = unitOpen(name, "beta2", beta2);
    return this;
  }

  /** Sets the term added to the denominator for stability (default 1e-8); returns this. */
  public Adam eps(double eps) {
    this.eps = nonNegative(name, "eps", eps);
    return this;
  }

  /** Sets the L2 weight decay added to the gradient as {@code wd * p} (default 0); returns this. */
  public Adam weightDecay(double weightDecay) {
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

  /** The L2 weight decay. */
  public double weightDecay() {
    return weightDecay;
  }

  @Override
  void update(int i, Tensor p, Tensor g, long t) {
    fusedStep(this, i, p, g, expAvg, expAvgSq,
        new AdamStep(learningRate(), beta1, beta2, eps, weightDecay, false, t));
  }

  /**
   * The Adam update shared with {@link AdamW}: both moments of parameter {@code i} and the
   * parameter itself, in place and in one pass, in torch.optim's order of operations.
   */
  static void fusedStep(AbstractOptimizer opt, int i, Tensor p, Tensor g, Tensor[] expAvg,
      Tensor[] expAvgSq, AdamStep step) {
    Tensor m = opt.live(expAvg[i], i, "exp_avg");
    Tensor v = opt.live(expAvgSq[i], i, "exp_avg_sq");
    ParameterUpdates.adam(p, g.to(p.dtype()), m, v, step);
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
