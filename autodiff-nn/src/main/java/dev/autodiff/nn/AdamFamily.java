package dev.autodiff.nn;

import dev.autodiff.core.AdamStep;
import dev.autodiff.core.ParameterUpdates;
import dev.autodiff.core.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@link Adam} and {@link AdamW} share: the options, the two moment buffers per parameter,
 * and the fused in-place step; they differ only in how weight decay enters. The self type {@code
 * T} lets the fluent setters return the concrete optimizer.
 */
abstract class AdamFamily<T extends AdamFamily<T>> extends AbstractOptimizer {
  private final boolean decoupled;
  private double beta1 = 0.9;
  private double beta2 = 0.999;
  private double eps = 1e-8;
  private double weightDecay;
  private final Tensor[] expAvg;
  private final Tensor[] expAvgSq;
  /** AMSGrad's running maxima of expAvgSq, or null without AMSGrad. */
  private Tensor[] maxExpAvgSq;

  AdamFamily(String name, List<Tensor> params, double lr, boolean decoupled,
      double weightDecay) {
    super(name, params, lr);
    this.decoupled = decoupled;
    this.weightDecay = weightDecay;
    expAvg = zeroBuffers();
    expAvgSq = zeroBuffers();
  }

  @SuppressWarnings("unchecked")
  private T self() {
    return (T) this;
  }

  /** Sets the decay rates of the two moment averages, each in [0, 1); returns this. */
  public T betas(double beta1, double beta2) {
    this.beta1 = unitOpen(name, "beta1", beta1);
    this.beta2 = unitOpen(name, "beta2", beta2);
    return self();
  }

  /** Sets the term added to the denominator for stability (default 1e-8); returns this. */
  public T eps(double eps) {
    this.eps = nonNegative(name, "eps", eps);
    return self();
  }

  /**
   * Sets the weight decay: added to the gradient as {@code wd * p} by {@link Adam}, applied to the
   * parameter as {@code p * (1 - lr * wd)} by {@link AdamW}; returns this.
   */
  public T weightDecay(double weightDecay) {
    this.weightDecay = nonNegative(name, "weight decay", weightDecay);
    return self();
  }

  /**
   * Turns AMSGrad on or off (default off): the step is divided by the largest second moment so
   * far instead of the current one, as torch.optim's {@code amsgrad=True}. Turning it on makes
   * the maxima buffers ({@code max_exp_avg_sq} in {@link #state()}), starting from zeros; returns
   * this.
   */
  public T amsgrad(boolean amsgrad) {
    if (amsgrad && maxExpAvgSq == null) {
      maxExpAvgSq = zeroBuffers();
    } else if (!amsgrad) {
      maxExpAvgSq = null;
    }
    return self();
  }

  /**
   * Sets whether steps maximize the objective (default false): the update of the negated
   * gradient, as PyTorch's {@code maximize=True}; returns this.
   */
  public T maximize(boolean maximize) {
    setMaximize(maximize);
    return self();
  }

  /** Whether AMSGrad is on. */
  public boolean amsgrad() {
    return maxExpAvgSq != null;
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

  /** The weight decay. */
  public double weightDecay() {
    return weightDecay;
  }

  /** Both moments of parameter {@code i} and the parameter itself, in place and in one pass. */
  @Override
  final void update(int i, Tensor p, Tensor g, long t) {
    Tensor m = live(expAvg[i], i, "exp_avg");
    Tensor v = live(expAvgSq[i], i, "exp_avg_sq");
    AdamStep step = new AdamStep(learningRate(), beta1, beta2, eps, weightDecay, decoupled, t);
    if (maxExpAvgSq == null) {
      ParameterUpdates.adam(p, g.to(p.dtype()), m, v, step);
    } else {
      Tensor vMax = live(maxExpAvgSq[i], i, "max_exp_avg_sq");
      ParameterUpdates.amsgrad(p, g.to(p.dtype()), m, v, vMax, step);
    }
  }

  @Override
  final void addState(int i, String prefix, Map<String, Object> state) {
    state.put(prefix + "exp_avg", expAvg[i]);
    state.put(prefix + "exp_avg_sq", expAvgSq[i]);
    if (maxExpAvgSq != null) {
      state.put(prefix + "max_exp_avg_sq", maxExpAvgSq[i]);
    }
  }

  @Override
  final Set<String> bufferNames() {
    return maxExpAvgSq == null ? Set.of("exp_avg", "exp_avg_sq")
        : Set.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq");
  }

  @Override
  final void restore(int i, Map<String, Tensor> values) {
    restoreBuffer(expAvg, i, "exp_avg", values, 0);
    restoreBuffer(expAvgSq, i, "exp_avg_sq", values, 0);
    if (maxExpAvgSq != null) {
      restoreBuffer(maxExpAvgSq, i, "max_exp_avg_sq", values, 0);
    }
  }

  @Override
  final String options() {
    return ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ", weightDecay=" + weightDecay
        + (amsgrad() ? ", amsgrad=true" : "");
  }
}
