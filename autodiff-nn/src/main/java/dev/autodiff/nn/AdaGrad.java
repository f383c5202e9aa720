package dev.autodiff.nn;

import dev.autodiff.core.ParameterUpdates;
import dev.autodiff.core.RmspropStep;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * AdaGrad (Duchi et al.): scales each coordinate's step by the inverse root of its summed squared
 * gradients, with optional L2 weight decay and learning-rate decay: {@code torch.optim.Adagrad}'s
 * update. At step {@code t} with gradient {@code g}:
 *
 * <pre>
 * g = g + weightDecay * p                       (when weightDecay != 0)
 * s = s + g * g                                 (s starts at initialAccumulator)
 * p = p - lr / (1 + (t - 1) * lrDecay) * g / (sqrt(s) + eps)
 * </pre>
 *
 * <pre>
 * jshell&gt; Optimizer opt = new AdaGrad(model.parameters(), 0.1).initialAccumulator(0.1);
 * </pre>
 *
 * <p>Defaults as PyTorch's: lr decay 0, weight decay 0, initial accumulator 0, eps 1e-10.
 */
public final class AdaGrad extends AbstractOptimizer {
  private double eps = 1e-10;
  private double weightDecay;
  private double lrDecay;
  private double initialAccumulator;
  private final Tensor[] sum;

  /**
   * AdaGrad over {@code params} with learning rate {@code lr}.
   *
   * @throws IllegalArgumentException if {@code params} is null, empty, has a null, repeated,
   *     closed or non-leaf tensor, or {@code lr} is negative or not finite (a tensor that does
   *     not require gradients is accepted and left alone, as in PyTorch)
   */
  public AdaGrad(List<Tensor> params, double lr) {
    super("AdaGrad", params, lr);
    sum = zeroBuffers();
  }

  /** Sets the term added to the root of the sum (default 1e-10); returns this. */
  public AdaGrad eps(double eps) {
    this.eps = nonNegative(name, "eps", eps);
    return this;
  }

  /** Sets the L2 weight decay added to the gradient as {@code wd * p} (default 0); returns this. */
  public AdaGrad weightDecay(double weightDecay) {
    this.weightDecay = nonNegative(name, "weight decay", weightDecay);
    return this;
  }

  /** Sets the learning-rate decay (default 0): step t uses lr / (1 + (t-1) lrDecay); returns this. */
  public AdaGrad lrDecay(double lrDecay) {
    this.lrDecay = nonNegative(name, "lr decay", lrDecay);
    return this;
  }

  /**
   * Sets the value the sums of squared gradients start from (default 0); returns this.
   *
   * @throws IllegalStateException after the first step (the sums have started)
   */
  public AdaGrad initialAccumulator(double value) {
    nonNegative(name, "initial accumulator", value);
    if (started()) {
      throw new IllegalStateException(
          name + ": the initial accumulator must be set before the first step");
    }
    initialAccumulator = value;
    try (var scope = Tensors.scope()) {
      for (int i = 0; i < sum.length; i++) {
        live(sum[i], i, "sum").copyFrom(sum[i].fullLike(value));
      }
    }
    return this;
  }

  /**
   * Sets whether steps maximize the objective (default false): the update of the negated
   * gradient, as PyTorch's {@code maximize=True}; returns this.
   */
  public AdaGrad maximize(boolean maximize) {
    setMaximize(maximize);
    return this;
  }

  /** The term added to the root of the sum. */
  public double eps() {
    return eps;
  }

  /** The L2 weight decay. */
  public double weightDecay() {
    return weightDecay;
  }

  /** The learning-rate decay. */
  public double lrDecay() {
    return lrDecay;
  }

  /** The value the sums start from. */
  public double initialAccumulator() {
    return initialAccumulator;
  }

  @Override
  void update(int i, Tensor p, Tensor g, long t) {
    // One fused pass: AdaGrad is RMSprop's kernel with a plain sum of squares and no momentum.
    double clr = learningRate() / (1 + (t - 1) * lrDecay);
    Tensor s = live(sum[i], i, "sum");
    ParameterUpdates.rmsprop(p, g.to(p.dtype()), s, null, null,
        new RmspropStep(clr, 0, eps, weightDecay, 0, false, true));
  }

  @Override
  void addState(int i, String prefix, Map<String, Object> state) {
    state.put(prefix + "sum", sum[i]);
  }

  @Override
  Set<String> bufferNames() {
    return Set.of("sum");
  }

  @Override
  void restore(int i, Map<String, Tensor> values) {
    restoreBuffer(sum, i, "sum", values, initialAccumulator);
  }

  @Override
  String options() {
    return ", lrDecay=" + lrDecay + ", eps=" + eps + ", weightDecay=" + weightDecay
        + ", initialAccumulator=" + initialAccumulator;
  }
}
