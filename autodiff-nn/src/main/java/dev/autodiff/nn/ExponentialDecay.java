package dev.autodiff.nn;

/**
 * Multiplies the learning rate by {@code gamma} at every step: {@code lr(t) = lr0 * gamma^t}, as
 * {@code torch.optim.lr_scheduler.ExponentialLR}.
 *
 * <pre>
 * jshell&gt; Schedule s = new ExponentialDecay(opt, 0.95);
 * </pre>
 */
public final class ExponentialDecay extends Schedule {
  private final double gamma;

  /**
   * Decays by {@code gamma} at every call of {@link #step()}.
   *
   * @throws IllegalArgumentException if {@code optimizer} is null or {@code gamma} is not a finite
   *     number above 0
   */
  public ExponentialDecay(Optimizer optimizer, double gamma) {
    super(optimizer);
    check(gamma > 0 && gamma < Double.POSITIVE_INFINITY, "ExponentialDecay",
        "gamma must be a finite number above 0", gamma);
    this.gamma = gamma;
  }

  @Override
  public double learningRateAt(long t) {
    check(t >= 0, "ExponentialDecay", "t must be >= 0", t);
    return baseLearningRate() * Math.pow(gamma, t);
  }

  @Override
  public String toString() {
    return "ExponentialDecay(gamma=" + gamma + ", t=" + stepCount() + ")";
  }
}
