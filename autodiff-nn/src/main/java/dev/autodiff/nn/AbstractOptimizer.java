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
import java.util.Set;

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

  /** The names of the buffers {@link #state()} may list per parameter, as configured now. */
  abstract Set<String> bufferNames();

  /** Whether a parameter's state may lack buffer {@code name} after a step (SGD's momentum). */
  boolean optionalBuffer(String name) {
    return false;
  }

  /**
   * Sets parameter {@code i}'s buffers from {@code values} (checked: each of {@link
   * #bufferNames()}, of the parameter's shape, dtype and device), and those it lacks back to their
   * values before any step.
   */
  abstract void restore(int i, Map<String, Tensor> values);

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
    checkLive(); // all of it first: a step that fails has moved no parameter
    try (var noGrad = Autograd.noGrad(); var scope = Tensors.scope()) {
      for (int i = 0; i < params.size(); i++) {
        Tensor p = params.get(i);
        if (!p.hasGrad()) {
          continue; // no backward reached it since zeroGrad(): PyTorch's grad of None
        }
        Tensor g = p.grad();
        steps[i]++;
        update(i, p, maximize ? g.neg() : g, steps[i]); // ascent: the update of -g
      }
    }
  }

  /**
   * Throws if a parameter or a gradient that the step would use has been closed. Buffers need no
   * pass of their own: each kind is made at once, in one scope, so a closed one is found by the
   * first update (through live()) before that update writes anything.
   */
  private void checkLive() {
    for (int i = 0; i < params.size(); i++) {
      Tensor p = params.get(i);
      if (p.isClosed()) {
        throw new IllegalStateException(name + ": parameter " + i + " of shape " + p.shape()
            + " was closed (was it made inside a Tensors.scope() that has ended, or replaced by "
            + "Layer.to(Device) or Layer.to(DType) after this optimizer was built?)");
      }
      if (!p.hasGrad()) {
        continue;
      }
      if (p.grad().isClosed()) {
        throw new IllegalStateException(
            name + ": the gradient of parameter " + i + " of shape " + p.shape() + " was closed");
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

  @Override
  public final void loadState(Map<String, ?> state) {
    if (state == null) {
      throw new IllegalArgumentException(name + ": loadState: state is null");
    }
    int n = params.size();
    long[] newSteps = new long[n];
    List<Map<String, Tensor>> values = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      values.add(new LinkedHashMap<>());
    }
    Set<String> names = bufferNames();
    for (Map.Entry<String, ?> e : state.entrySet()) {
      String key = e.getKey();
      int i = indexOf(key, n);
      String what = key.substring(key.indexOf('.') + 1);
      if (what.equals("step")) {
        newSteps[i] = stepCount(key, e.getValue());
      } else if (names.contains(what)) {
        values.get(i).put(what, buffer(key, e.getValue(), params.get(i)));
      } else {
        throw new IllegalArgumentException(name + ": loadState: '" + key + "' is not part of "
            + "this optimizer's state; each parameter has step and " + names);
      }
    }
    for (int i = 0; i < n; i++) {
      if (newSteps[i] == 0 && !values.get(i).isEmpty()) {
        throw new IllegalArgumentException(name + ": loadState: buffers " + values.get(i)
            .keySet() + " of parameter " + i + " come without a step count above 0 ('" + i
            + ".step')");
      }
      for (String b : names) {
        if (newSteps[i] > 0 && !values.get(i).containsKey(b) && !optionalBuffer(b)) {
          throw new IllegalArgumentException(name + ": loadState: '" + i + "." + b
              + "' is missing (parameter " + i + " has a step count, so it needs every buffer "
              + "of " + names + ")");
        }
      }
    }
    // Everything checked: now overwrite, so that a rejected state changes nothing.
    try (var noGrad = Autograd.noGrad(); var scope = Tensors.scope()) {
      for (int i = 0; i < n; i++) {
        Tensor p = params.get(i);
        Map<String, Tensor> moved = new LinkedHashMap<>();
        values.get(i).forEach((b, v) -> moved.put(b, v.to(p.device()).to(p.dtype())));
        steps[i] = newSteps[i];
        restore(i, moved);
      }
    }
  }

  /** The parameter index {@code key} ("index.name") starts with; throws unless it is below n. */
  private int indexOf(String key, int n) {
    int dot = key == null ? -1 : key.indexOf('.');
    int i = -1;
    if (dot > 0) {
      try {
        i = Integer.parseInt(key.substring(0, dot));
      } catch (NumberFormatException e) {
        i = -1;
      }
    }
    if (i < 0 || i >= n) {
      throw new IllegalArgumentException(name + ": loadState: key '" + key + "' is not "
          + "'<index>.<name>' with a parameter index from 0 to " + (n - 1));
    }
    return i;
  }

  private long stepCount(String key, Object v) {
    double d = Double.NaN;
    if (v instanceof Long || v instanceof Integer) {
      d = ((Number) v).longValue();
    } else if (v instanceof Tensor && !((Tensor) v).isClosed() && ((Tensor) v).numel() == 1) {
      d = ((Tensor) v).item();
    }
    if (!(d >= 0 && d == Math.rint(d) && d < 0x1p62)) {
      throw new IllegalArgumentException(name + ": loadState: '" + key + "' must be a step count "
          + "(a Long, or a one-element tensor, >= 0), got " + describe(v));
    }
    return (long) d;
  }

  private Tensor buffer(String key, Object v, Tensor param) {
    if (!(v instanceof Tensor) || ((Tensor) v).isClosed()
        || !((Tensor) v).shape().equals(param.shape()) || !((Tensor) v).dtype().isFloating()) {
      throw new IllegalArgumentException(name + ": loadState: '" + key + "' must be an open "
          + "float tensor of its parameter's shape " + param.shape() + ", got " + describe(v));
    }
    return (Tensor) v;
  }

  private static String describe(Object v) {
    if (v instanceof Tensor) {
      Tensor t = (Tensor) v;
      return t.isClosed() ? "a closed tensor" : "a " + t.dtype() + " tensor of shape " + t.shape();
    }
    return v == null ? "null" : v.getClass().getSimpleName() + " " + v;
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

  /** Sets {@code buffers[i]} to {@code values}' entry {@code what}, or to {@code initial}. */
  final void restoreBuffer(Tensor[] buffers, int i, String what, Map<String, Tensor> values,
      double initial) {
    Tensor b = live(buffers[i], i, what);
    Tensor v = values.get(what);
    b.copyFrom(v != null ? v : b.fullLike(initial));
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
