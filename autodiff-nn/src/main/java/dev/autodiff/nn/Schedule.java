package dev.autodiff.nn;

/**
 * A learning-rate schedule: a function {@code lr(t)} of the number of times {@link #step()} has
 * been called, which each {@code step()} writes into the optimizer with {@link
 * Optimizer#setLearningRate(double)}. Call {@code step()} after every optimizer step, or after
 * every epoch: the schedule only counts calls. {@code lr(0)} is the optimizer's learning rate when
 * the schedule was made (its base rate).
 *
 * <pre>
 * jshell&gt; Optimizer opt = new SGD(model.parameters(), 0.1).momentum(0.9);
 * jshell&gt; Schedule schedule = new CosineDecay(opt, epochs);
 * jshell&gt; for (int e = 0; e &lt; epochs; e++) { trainOneEpoch(opt); schedule.step(); }
 * </pre>
 *
 * <p>Rates follow the closed forms of torch.optim.lr_scheduler (StepLR, ExponentialLR,
 * CosineAnnealingLR): the rate depends only on {@code t} and the base rate, so a rate set on the
 * optimizer by hand lasts until the next {@code step()}. Subclasses define {@link
 * #learningRateAt(long)}.
 */
public abstract class Schedule {
  private final Optimizer optimizer;
  private final double baseLearningRate;
  private long t;

  /**
   * A schedule for {@code optimizer}, starting at {@code t = 0} from its current learning rate.
   *
   * @throws IllegalArgumentException if {@code optimizer} is null
   */
  protected Schedule(Optimizer optimizer) {
    if (optimizer == null) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": optimizer is null");
    }
    this.optimizer = optimizer;
    this.baseLearningRate = optimizer.learningRate();
  }

  /**
   * The learning rate after {@code t} calls of {@link #step()}.
   *
   * @throws IllegalArgumentException if {@code t} is negative
   */
  public abstract double learningRateAt(long t);

  /** Advances {@code t} by one and sets the optimizer's learning rate to {@code lr(t)}. */
  public final void step() {
    t++;
    optimizer.setLearningRate(learningRateAt(t));
  }

  /** The learning rate for the current {@code t}: {@code learningRateAt(stepCount())}. */
  public final double learningRate() {
    return learningRateAt(t);
  }

  /** How many times {@link #step()} has been called ({@code t}). */
  public final long stepCount() {
    return t;
  }

  /** The optimizer's learning rate when this schedule was made: {@code lr(0)}. */
  public final double baseLearningRate() {
    return baseLearningRate;
  }

  /** The optimizer whose learning rate this schedule sets. */
  public final Optimizer optimizer() {
    return optimizer;
  }

  /** An IllegalArgumentException naming the schedule, unless {@code ok}. */
  static void check(boolean ok, String schedule, String what, Object value) {
    if (!ok) {
      throw new IllegalArgumentException(schedule + ": " + what + ", got " + value);
    }
  }
}
