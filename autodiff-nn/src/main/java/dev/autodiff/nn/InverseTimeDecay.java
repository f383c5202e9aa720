package dev.autodiff.nn;

/**
 * The 1/t schedule: {@code lr(t) = lr0 / (1 + decay * t)} (the classic step size of stochastic
 * approximation; PyTorch has no class for it, its LambdaLR with that factor gives the same rates).
 *
 * <pre>
 * jshell&gt; Schedule s = new InverseTimeDecay(opt, 0.01);
 * </pre>
 */
public final class InverseTimeDecay extends Schedule {
  private final double decay;

  /**
   * Decays as {@code 1 / (1 + decay * t)}.
   *
   * @throws IllegalArgumentException if {@code optimizer} is null or {@code decay} is negative,
   *     NaN or infinite
   */
  public InverseTimeDecay(Optimizer optimizer, double decay) {
    super(optimizer);
    check(decay >= 0 && decay < Double.POSITIVE_INFINITY, "InverseTimeDecay",
        "decay must be a finite number >= 0", decay);
    this.decay = decay;
  }

  @Override
  public double learningRateAt(long t) {
    check(t >= 0, "InverseTimeDecay", "t must be >= 0", t);
    return baseLearningRate() / (1 + decay * t);
  }

  @Override
  public String toString() {
    return "InverseTimeDecay(decay=" + decay + ", t=" + stepCount() + ")";
  }
}
