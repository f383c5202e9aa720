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
 * CosineAnnealingLR), computed from {@code t} and the base rate, so they do not drift over long
 * runs. Like PyTorch's chainable schedulers, a schedule scales whatever change was made to the
 * optimizer's rate since its last {@code step()}: a rate set by hand (say, halved) carries on
 * from there, and two schedules on one optimizer multiply (an {@link ExponentialDecay} and a
 * {@link StepDecay} give {@code lr0 * gamma1^t * gamma2^floor(t / stepSize)}, as ExponentialLR
 * and StepLR together). Subclasses define {@link #learningRateAt(long)}.
 */
public abstract class Schedule {
  private final Optimizer optimizer;
  private final double baseLearningRate;
  private long t;
  /** The rate this schedule last gave the optimizer. */
  private double lastSet;
  /**
   * The product of the changes others made to the optimizer's rate between this schedule's steps:
   * exactly 1 while no one else touches it, so a lone schedule sets its closed form exactly.
   */
  private double scale = 1;

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
    this.lastSet = baseLearningRate;
  }

  /**
   * The learning rate after {@code t} calls of {@link #step()}.
   *
   * @throws IllegalArgumentException if {@code t} is negative
   */
  public abstract double learningRateAt(long t);

  /**
   * Advances {@code t} by one and sets the optimizer's learning rate to {@code lr(t)}, scaled by
   * any change made to it since this schedule's last step (see above). A step that fails (a rate
   * the optimizer rejects) changes nothing.
   */
  public final void step() {
    double current = optimizer.learningRate();
    double nextScale = scale;
    if (current != lastSet && lastSet != 0) {
      nextScale *= current / lastSet; // someone else changed the rate: carry their change on
    }
    double next = nextScale * learningRateAt(t + 1);
    optimizer.setLearningRate(next);
    t++;
    scale = nextScale;
    lastSet = optimizer.learningRate();
  }

  /**
   * The schedule's own rate for the current {@code t}, {@code learningRateAt(stepCount())}: what
   * the optimizer has unless its rate was changed by hand or by another schedule.
   */
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
