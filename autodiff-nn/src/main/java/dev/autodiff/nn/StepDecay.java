package dev.autodiff.nn;

/**
 * Multiplies the learning rate by {@code gamma} every {@code stepSize} steps: {@code lr(t) = lr0 *
 * gamma^floor(t / stepSize)}, as {@code torch.optim.lr_scheduler.StepLR}.
 *
 * <pre>
 * jshell&gt; Schedule s = new StepDecay(opt, 30, 0.1);   // 0.1 for 30 epochs, then 0.01, ...
 * </pre>
 */
public final class StepDecay extends Schedule {
  private final long stepSize;
  private final double gamma;

  /**
   * Decays by {@code gamma} every {@code stepSize} calls of {@link #step()}.
   *
   * @throws IllegalArgumentException if {@code optimizer} is null, {@code stepSize} is below 1 or
   *     {@code gamma} is not a finite number above 0
   */
  public StepDecay(Optimizer optimizer, long stepSize, double gamma) {
    super(optimizer);
    check(stepSize >= 1, "StepDecay", "stepSize must be at least 1", stepSize);
    check(gamma > 0 && gamma < Double.POSITIVE_INFINITY, "StepDecay",
        "gamma must be a finite number above 0", gamma);
    this.stepSize = stepSize;
    this.gamma = gamma;
  }

  /** Decays by 0.1 (PyTorch's default gamma) every {@code stepSize} steps. */
  public StepDecay(Optimizer optimizer, long stepSize) {
    this(optimizer, stepSize, 0.1);
  }

  @Override
  public double learningRateAt(long t) {
    check(t >= 0, "StepDecay", "t must be >= 0", t);
    return baseLearningRate() * Math.pow(gamma, Math.floorDiv(t, stepSize));
  }

  @Override
  public String toString() {
    return "StepDecay(stepSize=" + stepSize + ", gamma=" + gamma + ", t=" + stepCount() + ")";
  }
}
