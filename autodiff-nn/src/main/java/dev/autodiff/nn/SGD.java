package dev.autodiff.nn;

import dev.autodiff.core.ParameterUpdates;
import dev.autodiff.core.SgdStep;
import dev.autodiff.core.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum, dampening and (L2) weight
 * decay: {@code torch.optim.SGD}'s update, step for step. With gradient {@code g}:
 *
 * <pre>
 * g = g + weightDecay * p                       (when weightDecay != 0)
 * b = g on the first step, else b = momentum * b + (1 - dampening) * g   (when momentum != 0)
 * g = nesterov ? g + momentum * b : b
 * p = p - lr * g
 * </pre>
 *
 * <pre>
 * jshell&gt; Optimizer opt = new SGD(model.parameters(), 0.1).momentum(0.9).nesterov(true).weightDecay(1e-4);
 * </pre>
 *
 * <p>Configure it right after building it: {@link #momentum(double)} allocates the momentum
 * buffers, which live in the scope the call is made in. Nesterov momentum needs a momentum above 0
 * and no dampening; {@link #step()} checks that.
 */
public final class SGD extends AbstractOptimizer {
  private double momentum;
  private double dampening;
  private boolean nesterov;
  private double weightDecay;
  private Tensor[] buffers;
  private final boolean[] bufferStarted;

  /**
   * Plain SGD over {@code params} with learning rate {@code lr}.
   *
   * @throws IllegalArgumentException if {@code params} is null, empty, has a null, repeated,
   *     closed or non-leaf tensor, or {@code lr} is negative or not finite (a tensor that does
   *     not require gradients is accepted and left alone, as in PyTorch)
   */
  public SGD(List<Tensor> params, double lr) {
    super("SGD", params, lr);
    bufferStarted = new boolean[parameters().size()];
  }

  /** Sets the momentum factor (default 0: none), allocating the momentum buffers; returns this. */
  public SGD momentum(double momentum) {
    this.momentum = nonNegative(name, "momentum", momentum);
    if (momentum != 0 && buffers == null) {
      buffers = zeroBuffers();
    }
    return this;
  }

  /** Sets the dampening of the momentum (default 0), in [0, 1]; returns this. */
  public SGD dampening(double dampening) {
    this.dampening = unitClosed(name, "dampening", dampening);
    return this;
  }

  /** Turns Nesterov momentum on or off (default off); returns this. */
  public SGD nesterov(boolean nesterov) {
    this.nesterov = nesterov;
    return this;
  }

  /** Sets the L2 weight decay (default 0), added to the gradient as {@code wd * p}; returns this. */
  public SGD weightDecay(double weightDecay) {
    this.weightDecay = nonNegative(name, "weight decay", weightDecay);
    return this;
  }

  /**
   * Sets whether steps maximize the objective (default false): the update of the negated
   * gradient, as PyTorch's {@code maximize=True}; returns this.
   */
  public SGD maximize(boolean maximize) {
    setMaximize(maximize);
    return this;
  }

  /** The momentum factor. */
  public double momentum() {
    return momentum;
  }

  /** The dampening of the momentum. */
  public double dampening() {
    return dampening;
  }

  /** True when Nesterov momentum is on. */
  public boolean nesterov() {
    return nesterov;
  }

  /** The L2 weight decay. */
  public double weightDecay() {
    return weightDecay;
  }

  @Override
  void checkOptions() {
    if (nesterov && (momentum <= 0 || dampening != 0)) {
      throw new IllegalStateException("SGD: Nesterov momentum needs momentum > 0 and dampening 0, "
          + "got momentum " + momentum + " and dampening " + dampening);
    }
  }

  @Override
  void update(int i, Tensor p, Tensor g, long t) {
    // One fused pass (ParameterUpdates.sgd), in torch.optim's order of operations.
    Tensor b = momentum != 0 ? live(buffers[i], i, "momentum_buffer") : null;
    boolean first = momentum != 0 && !bufferStarted[i];
    ParameterUpdates.sgd(p, g.to(p.dtype()), b,
        new SgdStep(learningRate(), momentum, dampening, weightDecay, nesterov, first));
    if (momentum != 0) {
      bufferStarted[i] = true;
    }
  }

  @Override
  void addState(int i, String prefix, Map<String, Object> state) {
    if (buffers != null && bufferStarted[i]) {
      state.put(prefix + "momentum_buffer", buffers[i]);
    }
  }

  @Override
  Set<String> bufferNames() {
    return buffers == null ? Set.of() : Set.of("momentum_buffer");
  }

  /** Absent until a step with momentum has started it, as in torch.optim. */
  @Override
  boolean optionalBuffer(String name) {
    return true;
  }

  @Override
  void restore(int i, Map<String, Tensor> values) {
    if (buffers != null) {
      restoreBuffer(buffers, i, "momentum_buffer", values, 0);
      bufferStarted[i] = values.containsKey("momentum_buffer");
    }
  }

  @Override
  String options() {
    return ", momentum=" + momentum + ", dampening=" + dampening + ", nesterov=" + nesterov
        + ", weightDecay=" + weightDecay;
  }
}
