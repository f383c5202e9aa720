package dev.autodiff.nn;

/**
 * Cosine annealing from the base rate down to {@code minLearningRate} over {@code period} steps:
 * {@code lr(t) = min + (lr0 - min) * (1 + cos(pi * t / period)) / 2}, as {@code
 * torch.optim.lr_scheduler.CosineAnnealingLR} (without restarts). As there, the formula is not
 * clamped: past {@code t = period} the rate rises again along the cosine, so make the period the
 * length of training.
 *
 * <pre>
 * jshell&gt; Schedule s = new CosineDecay(opt, 100);   // call s.step() once per epoch for 100 epochs
 * </pre>
 */
public final class CosineDecay extends Schedule {
  private final long period;
  private final double minLearningRate;

  /**
   * Anneals to {@code minLearningRate} (PyTorch's {@code eta_min}) over {@code period} (its {@code
   * T_max}) calls of {@link #step()}.
   *
   * @throws IllegalArgumentException if {@code optimizer} is null, {@code period} is below 1, or
   *     {@code minLearningRate} is negative, NaN or infinite
   */
  public CosineDecay(Optimizer optimizer, long period, double minLearningRate) {
    super(optimizer);
    check(period >= 1, "CosineDecay", "period must be at least 1", period);
    check(minLearningRate >= 0 && minLearningRate < Double.POSITIVE_INFINITY, "CosineDecay",
        "minLearningRate must be a finite number >= 0", minLearningRate);
    this.period = period;
    this.minLearningRate = minLearningRate;
  }

  /** Anneals to 0 over {@code period} calls of {@link #step()}. */
  public CosineDecay(Optimizer optimizer, long period) {
    this(optimizer, period, 0.0);
  }

  @Override
  public double learningRateAt(long t) {
    check(t >= 0, "CosineDecay", "t must be >= 0", t);
    return minLearningRate
        + (baseLearningRate() - minLearningRate) * (1 + Math.cos(Math.PI * t / period)) / 2;
  }

  @Override
  public String toString() {
    return "CosineDecay(period=" + period + ", min=" + minLearningRate + ", t=" + stepCount() + ")";
  }
}
