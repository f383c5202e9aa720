package dev.autodiff.nn;

import dev.autodiff.core.ParameterUpdates;
import dev.autodiff.core.RmspropStep;
import dev.autodiff.core.Tensor;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RMSprop (Hinton): divides the gradient by a running root mean square of recent gradients, with
 * optional momentum, centering and L2 weight decay: {@code torch.optim.RMSprop}'s update. With
 * gradient {@code g}:
 *
 * <pre>
 * g = g + weightDecay * p                       (when weightDecay != 0)
 * v = alpha * v + (1 - alpha) * g * g
 * avg = sqrt(v) + eps,   or when centered: a = alpha * a + (1 - alpha) * g, avg = sqrt(v - a * a) + eps
 * b = momentum * b + g / avg,  p = p - lr * b   (when momentum > 0)
 * p = p - lr * g / avg                          (otherwise)
 * </pre>
 *
 * Note {@code eps} is added outside the square root, as in PyTorch (Keras adds it inside).
 *
 * <pre>
 * jshell&gt; Optimizer opt = new RMSprop(model.parameters(), 1e-3).alpha(0.9).momentum(0.9);
 * </pre>
 *
 * <p>Defaults as PyTorch's: alpha 0.99, eps 1e-8, momentum 0, weight decay 0, not centered.
 * Configure it right after building it: {@link #momentum(double)} and {@link #centered(boolean)}
 * allocate their buffers, which live in the scope the call is made in.
 */
public final class RMSprop extends AbstractOptimizer {
  private double alpha = 0.99;
  private double eps = 1e-8;
  private double momentum;
  private double weightDecay;
  private boolean centered;
  private final Tensor[] squareAvg;
  private Tensor[] gradAvg;
  private Tensor[] momentumBuffer;

  /**
   * RMSprop over {@code params} with learning rate {@code lr}.
   *
   * @throws IllegalArgumentException if {@code params} is null, empty, has a null, repeated,
   *     closed or non-leaf tensor, or {@code lr} is negative or not finite (a tensor that does
   *     not require gradients is accepted and left alone, as in PyTorch)
   */
  public RMSprop(List<Tensor> params, double lr) {
    super("RMSprop", params, lr);
    squareAvg = zeroBuffers();
  }

  /** Sets the smoothing constant of the squared-gradient average, in [0, 1]; returns this. */
  public RMSprop alpha(double alpha) {
    this.alpha = unitClosed(name, "alpha", alpha);
    return this;
  }

  /** Sets the term added to the root mean square (default 1e-8); returns this. */
  public RMSprop eps(double eps) {
    this.eps = nonNegative(name, "eps", eps);
    return this;
  }

  /** Sets the momentum factor (default 0), allocating the momentum buffers; returns this. */
  public RMSprop momentum(double momentum) {
    this.momentum = nonNegative(name, "momentum", momentum);
    if (momentum > 0 && momentumBuffer == null) {
      momentumBuffer = zeroBuffers();
    }
    return this;
  }

  /** Sets the L2 weight decay added to the gradient as {@code wd * p} (default 0); returns this. */
  public RMSprop weightDecay(double weightDecay) {
    this.weightDecay = nonNegative(name, "weight decay", weightDecay);
    return this;
  }

  /**
   * Normalizes by an estimate of the gradient's variance instead of its second moment (default
   * off), allocating the gradient-average buffers; returns this.
   */
  public RMSprop centered(boolean centered) {
    this.centered = centered;
    if (centered && gradAvg == null) {
      gradAvg = zeroBuffers();
    }
    return this;
  }

  /** The smoothing constant. */
  public double alpha() {
    return alpha;
  }

  /** The term added to the root mean square. */
  public double eps() {
    return eps;
  }

  /** The momentum factor. */
  public double momentum() {
    return momentum;
  }

  /** The L2 weight decay. */
  public double weightDecay() {
    return weightDecay;
  }

  /**
   * Sets whether steps maximize the objective (default false): the update of the negated
   * gradient, as PyTorch's {@code maximize=True}; returns this.
   */
  public RMSprop maximize(boolean maximize) {
    setMaximize(maximize);
    return this;
  }

  /** True when centered. */
  public boolean centered() {
    return centered;
  }

  @Override
  void update(int i, Tensor p, Tensor g, long t) {
    // One fused pass (ParameterUpdates.rmsprop), in torch.optim's order of operations.
    Tensor v = live(squareAvg[i], i, "square_avg");
    Tensor a = centered ? live(gradAvg[i], i, "grad_avg") : null;
    Tensor b = momentum > 0 ? live(momentumBuffer[i], i, "momentum_buffer") : null;
    ParameterUpdates.rmsprop(p, g.to(p.dtype()), v, a, b, new RmspropStep(learningRate(), alpha,
        eps, weightDecay, momentum > 0 ? momentum : 0, centered, false));
  }

  @Override
  void addState(int i, String prefix, Map<String, Object> state) {
    state.put(prefix + "square_avg", squareAvg[i]);
    if (momentumBuffer != null) {
      state.put(prefix + "momentum_buffer", momentumBuffer[i]);
    }
    if (gradAvg != null) {
      state.put(prefix + "grad_avg", gradAvg[i]);
    }
  }

  @Override
  Set<String> bufferNames() {
    Set<String> names = new LinkedHashSet<>(List.of("square_avg"));
    if (momentumBuffer != null) {
      names.add("momentum_buffer");
    }
    if (gradAvg != null) {
      names.add("grad_avg");
    }
    return names;
  }

  @Override
  void restore(int i, Map<String, Tensor> values) {
    restoreBuffer(squareAvg, i, "square_avg", values, 0);
    if (momentumBuffer != null) {
      restoreBuffer(momentumBuffer, i, "momentum_buffer", values, 0);
    }
    if (gradAvg != null) {
      restoreBuffer(gradAvg, i, "grad_avg", values, 0);
    }
  }

  @Override
  String options() {
    return ", alpha=" + alpha + ", eps=" + eps + ", momentum=" + momentum + ", weightDecay="
        + weightDecay + ", centered=" + centered;
  }
}
