package dev.autodiff.nn;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every optimizer shares: the checked parameter list, the learning rate, per-parameter step
 * counts, and a {@link #step()} that runs each update unrecorded inside its own scope (so the
 * update's temporaries are freed at once and nothing it makes lands in the caller's scope).
 */
abstract class AbstractOptimizer implements Optimizer {
  final String name;
  private final List<Tensor> params;
  private final long[] steps;
  private double lr;
  private boolean maximize;

  AbstractOptimizer(String name, List<Tensor> params, double lr) {
    this.name = name;
    this.params = checkParams(name, params);
    this.lr = nonNegative(name, "learning rate", lr);
    this.steps = new long[this.params.size()];
  }

  /** Updates parameter {@code i} from its gradient {@code g}; {@code t} is its 1-based step. */
  abstract void update(int i, Tensor p, Tensor g, long t);

  /** Adds parameter {@code i}'s buffers to {@code state} as {@code prefix + name}. */
  abstract void addState(int i, String prefix, Map<String, Object> state);

  /** Throws when the options, taken together, are inconsistent (checked at each step). */
  void checkOptions() {}

  @Override
  public final void zeroGrad() {
    for (Tensor p : params) {
      p.zeroGrad();
    }
  }

  @Override
  public final void step() {
    checkOptions();
    try (var noGrad = Autograd.noGrad(); var scope = Tensors.scope()) {
      for (int i = 0; i < params.size(); i++) {
        Tensor p = params.get(i);
        if (p.isClosed()) {
          throw new IllegalStateException(name + ": parameter " + i + " of shape " + p.shape()
              + " was closed (was it made inside a Tensors.scope() that has ended, or moved by "
              + "Layer.to(Device) after this optimizer was built?)");
        }
        if (!p.hasGrad()) {
          continue; // no backward reached it since zeroGrad(): PyTorch's grad of None
        }
        Tensor g = p.grad();
        if (g.isClosed()) {
          throw new IllegalStateException(
              name + ": the gradient of parameter " + i + " of shape " + p.shape() + " was closed");
        }
        steps[i]++;
        update(i, p, maximize ? g.neg() : g, steps[i]); // ascent: the update of -g
      }
    }
  }

  /** Sets whether steps go up the gradient (PyTorch's {@code maximize}). */
  final void setMaximize(boolean maximize) {
    this.maximize = maximize;
  }

  /** Whether steps maximize the objective: each update uses the negated gradient. */
  public final boolean maximize() {
    return maximize;
  }

  @Override
  public final double learningRate() {
    return lr;
  }

  @Override
  public final void setLearningRate(double lr) {
    this.lr = nonNegative(name, "learning rate", lr);
  }

  @Override
  public final List<Tensor> parameters() {
    return params;
  }

  @Override
  public final Map<String, Object> state() {
    Map<String, Object> state = new LinkedHashMap<>();
    for (int i = 0; i < params.size(); i++) {
      if (steps[i] == 0) {
        continue;
      }
      String prefix = i + ".";
      state.put(prefix + "step", steps[i]);
      addState(i, prefix, state);
    }
    return Collections.unmodifiableMap(state);
  }

  /** The number of steps that have updated parameter {@code i}. */
  final long steps(int i) {
    return steps[i];
  }

  /** True once any parameter has been updated. */
  final boolean started() {
    for (long s : steps) {
      if (s > 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * One zero buffer per parameter, of its shape, dtype and device. Made now, in the scope (if
   * any) the optimizer is built or configured in, and only ever overwritten in place by steps.
   */
  final Tensor[] zeroBuffers() {
    Tensor[] buffers = new Tensor[params.size()];
    for (int i = 0; i < buffers.length; i++) {
      buffers[i] = params.get(i).zerosLike();
    }
    return buffers;
  }

  /** {@code buffer}, or an IllegalStateException when a scope has closed it. */
  final Tensor live(Tensor buffer, int i, String what) {
    if (buffer.isClosed()) {
      throw new IllegalStateException(name + ": the " + what + " state of parameter " + i
          + " was closed by a Tensors.scope(); build and configure the optimizer outside the "
          + "scope of a training step (its state lives in the scope it was built in)");
    }
    return buffer;
  }

  @Override
  public String toString() {
    return name + "(lr=" + lr + options() + (maximize ? ", maximize=true" : "") + ", params="
        + params.size() + ")";
  }

  /** The options for {@link #toString()}, each as {@code ", key=value"}. */
  abstract String options();

  // ---- argument checks ----------------------------------------------------------------------

  private static List<Tensor> checkParams(String name, List<Tensor> params) {
    if (params == null) {
      throw new IllegalArgumentException(name + ": params must not be null");
    }
    if (params.isEmpty()) {
      throw new IllegalArgumentException(name + ": params is empty; give it the tensors to train "
          + "(for example model.parameters())");
    }
    IdentityHashMap<Tensor, Integer> seen = new IdentityHashMap<>();
    List<Tensor> checked = new ArrayList<>(params.size());
    for (int i = 0; i < params.size(); i++) {
      Tensor p = params.get(i);
      if (p == null) {
        throw new IllegalArgumentException(name + ": parameter " + i + " is null");
      }
      if (p.isClosed()) {
        throw new IllegalArgumentException(
            name + ": parameter " + i + " of shape " + p.shape() + " is closed");
      }
      if (!p.isLeaf()) {
        throw new IllegalArgumentException(name + ": parameter " + i + " of shape " + p.shape()
            + " is the result of an op; an optimizer updates leaves (parameters) in place");
      }
      // A frozen parameter (requiresGrad(false)) is accepted, as in PyTorch: it never has a
      // gradient, so step() leaves it alone.
      Integer before = seen.put(p, i);
      if (before != null) {
        throw new IllegalArgumentException(name + ": parameter " + i
            + " is the same tensor as parameter " + before + "; it would be updated twice");
      }
      checked.add(p);
    }
    return Collections.unmodifiableList(checked);
  }

  /** {@code value}, or an IllegalArgumentException unless it is finite and at least 0. */
  static double nonNegative(String name, String what, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(
          name + ": " + what + " must be a finite number >= 0, got " + value);
    }
    return value;
  }

  /** {@code value}, or an IllegalArgumentException unless {@code 0 <= value < 1}. */
  static double unitOpen(String name, String what, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new IllegalArgumentException(name + ": " + what + " must be in [0, 1), got " + value);
    }
    return value;
  }

  /** {@code value}, or an IllegalArgumentException unless {@code 0 <= value <= 1}. */
  static double unitClosed(String name, String what, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(name + ": " + what + " must be in [0, 1], got " + value);
    }
    return value;
  }
}
