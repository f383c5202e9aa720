package dev.autodiff.nn;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A piece of a model: a forward function with parameters and child layers. (Named {@code Layer},
 * not {@code Module}, so that it never clashes with {@code java.lang.Module}.)
 *
 * <p>A subclass registers its parameters and children in its constructor; {@link
 * #namedParameters()} then lists them in registration order with dotted names ({@code 0.weight},
 * {@code 0.bias}, ...), which is also the layout of a checkpoint.
 *
 * <p>A layer is built on the CPU; {@link #to(Device)} moves its parameters to another device
 * (say a GPU) by replacing them. A subclass therefore reads its parameters through {@link
 * #parameter(String)} when it uses them, rather than keeping them in fields of its own.
 */
public abstract class Layer {
  private final Map<String, Tensor> params = new LinkedHashMap<>();
  private final Map<String, Layer> children = new LinkedHashMap<>();
  private boolean training = true;

  /** Applies the layer. */
  public abstract Tensor forward(Tensor x);

  /**
   * {@code x}, checked: a layer's forward starts here, so that a null input is reported with
   * the layer's name rather than as a NullPointerException from inside it.
   *
   * @throws IllegalArgumentException if x is null
   */
  protected final Tensor input(Tensor x) {
    if (x == null) {
      throw new IllegalArgumentException(describe() + ": input is null");
    }
    return x;
  }

  /** Registers a parameter (a leaf that requires gradients) under {@code name}; returns it. */
  protected final Tensor parameter(String name, Tensor value) {
    checkName(name);
    if (!value.isLeaf()) {
      throw new IllegalArgumentException(
          "parameter " + name + ": must be a leaf tensor, not the result of an op");
    }
    value.requiresGrad();
    Tensors.unscoped(value); // the layer owns it, not the scope it was built in
    params.put(name, value);
    return value;
  }

  /**
   * The parameter this layer (not a child) registered under {@code name}: after {@link
   * #to(Device)}, the one on the new device.
   *
   * @throws IllegalArgumentException if this layer has no parameter of that name
   */
  protected final Tensor parameter(String name) {
    Tensor p = params.get(name);
    if (p == null) {
      throw new IllegalArgumentException(
          getClass().getSimpleName() + ": no parameter named '" + name + "'");
    }
    return p;
  }

  /** Registers a child layer under {@code name}; returns it. */
  protected final <L extends Layer> L child(String name, L layer) {
    checkName(name);
    if (layer == null) {
      throw new IllegalArgumentException("child " + name + ": layer must not be null");
    }
    if (((Layer) layer).contains(this)) { // (private members are not reached through L)
      throw new IllegalArgumentException("child " + name + ": " + layer.describe()
          + " is or contains " + describe() + "; a model cannot contain itself");
    }
    children.put(name, layer);
    return layer;
  }

  /** True when {@code other} is this layer or one of its descendants. */
  private boolean contains(Layer other) {
    if (this == other) {
      return true;
    }
    for (Layer c : children.values()) {
      if (c.contains(other)) {
        return true;
      }
    }
    return false;
  }

  private void checkName(String name) {
    if (name == null || name.isEmpty() || name.contains(".")) {
      throw new IllegalArgumentException("layer: invalid name '" + name + "' (non-empty, no dots)");
    }
    if (params.containsKey(name) || children.containsKey(name)) {
      throw new IllegalArgumentException("layer: '" + name + "' is registered twice");
    }
  }

  /** Every parameter, own ones first and then each child's, in registration order. */
  public final List<Tensor> parameters() {
    return new ArrayList<>(namedParameters().values());
  }

  /**
   * Every parameter by dotted name, in registration order. A parameter shared by several layers
   * (tied weights) appears once, under its first name, as in PyTorch.
   */
  public final Map<String, Tensor> namedParameters() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    collect("", out, Collections.newSetFromMap(new IdentityHashMap<>()));
    return Collections.unmodifiableMap(out);
  }

  private void collect(String prefix, Map<String, Tensor> out, Set<Tensor> seen) {
    for (Map.Entry<String, Tensor> e : params.entrySet()) {
      if (seen.add(e.getValue())) {
        out.put(prefix + e.getKey(), e.getValue());
      }
    }
    for (Map.Entry<String, Layer> e : children.entrySet()) {
      e.getValue().collect(prefix + e.getKey() + ".", out, seen);
    }
  }

  /** The child layers by name, in registration order. */
  public final Map<String, Layer> children() {
    return Collections.unmodifiableMap(children);
  }

  /** Switches this layer and its children to training behaviour (dropout on); returns this. */
  public Layer train() {
    setTraining(true);
    return this;
  }

  /** Switches this layer and its children to evaluation behaviour (dropout off); returns this. */
  public Layer eval() {
    setTraining(false);
    return this;
  }

  private void setTraining(boolean on) {
    training = on;
    for (Layer c : children.values()) {
      c.setTraining(on);
    }
  }

  /** True in training mode (the default). */
  public boolean isTraining() {
    return training;
  }

  /**
   * Moves every parameter of this layer and its children to {@code device} (e.g. {@code
   * Device.cuda()}), and returns this layer, as PyTorch's {@code module.to(device)}:
   *
   * <pre>{@code
   * Layer model = MLP.of(784, 256, 10).to(Device.cuda());
   * Optimizer opt = new Adam(model.parameters(), 1e-3);   // after moving: it holds the new tensors
   * }</pre>
   *
   * Each parameter not already on {@code device} is replaced by a copy there: a new leaf with the
   * same values, dtype and {@code requiresGrad}, without a gradient, owned by no scope; a
   * parameter shared by several layers stays shared. The old tensors (and their gradients) are
   * then closed, so that memory is freed at once and a stale reference (a tensor read from {@link
   * #parameters()} before the move, or an optimizer built before it) fails loudly instead of
   * training a copy. Build optimizers after moving. Nothing is changed when a copy fails.
   *
   * @throws IllegalArgumentException if {@code device} is null
   */
  public final Layer to(Device device) {
    if (device == null) {
      throw new IllegalArgumentException(getClass().getSimpleName() + " to: device is null");
    }
    return convert(p -> !p.device().equals(device), p -> p.to(device));
  }

  /**
   * Converts every parameter of this layer and its children to the floating {@code dtype}, and
   * returns this layer, as PyTorch's {@code module.double()}: float64 for exact comparisons and
   * gradient checks of a whole model. The parameters are replaced as by {@link #to(Device)}, with
   * the same rules (build optimizers after converting).
   *
   * @throws IllegalArgumentException if {@code dtype} is null or not floating
   */
  public final Layer to(DType dtype) {
    if (dtype == null || !dtype.isFloating()) {
      throw new IllegalArgumentException(getClass().getSimpleName() + " to: parameters must be"
          + " floating, got " + dtype);
    }
    return convert(p -> p.dtype() != dtype, p -> p.to(dtype));
  }

  /** Replaces each parameter that {@code needs} it by {@code convert}'s copy (see to(Device)). */
  private Layer convert(Predicate<Tensor> needs, UnaryOperator<Tensor> convert) {
    Map<Tensor, Tensor> moved = new IdentityHashMap<>();
    try (var g = Autograd.noGrad()) {
      copyTo(needs, convert, moved);
    } catch (RuntimeException | Error e) {
      for (Tensor copy : moved.values()) {
        copy.close();
      }
      throw e;
    }
    replace(moved);
    for (Tensor old : moved.keySet()) {
      Tensor grad = old.grad();
      if (grad != null) {
        grad.close();
      }
      old.close();
    }
    return this;
  }

  private void copyTo(Predicate<Tensor> needs, UnaryOperator<Tensor> convert,
      Map<Tensor, Tensor> moved) {
    for (Tensor p : params.values()) {
      if (needs.test(p) && !moved.containsKey(p)) {
        Tensor copy = convert.apply(p); // unrecorded (no grad), so a new leaf
        moved.put(p, copy);
        Tensors.unscoped(copy);
        copy.requiresGrad(p.isRequiresGrad());
      }
    }
    for (Layer c : children.values()) {
      c.copyTo(needs, convert, moved);
    }
  }

  private void replace(Map<Tensor, Tensor> moved) {
    params.replaceAll((name, p) -> moved.getOrDefault(p, p));
    for (Layer c : children.values()) {
      c.replace(moved);
    }
  }

  /** Clears the gradients of every parameter. */
  public void zeroGrad() {
    for (Tensor p : parameters()) {
      p.zeroGrad();
    }
  }

  /** The number of parameter elements. */
  public long parameterCount() {
    long n = 0;
    for (Tensor p : parameters()) {
      n += p.numel();
    }
    return n;
  }

  /**
   * Writes the parameters to {@code path} in the safetensors format, atomically (a temporary file,
   * then a rename).
   */
  public void save(Path path) throws IOException {
    Safetensors.save(namedParameters(), path);
  }

  /**
   * Reads parameters saved by {@link #save} into this layer's. The whole file is validated first:
   * a corrupt, truncated or mismatched file throws and leaves every parameter untouched.
   */
  public void load(Path path) throws IOException {
    Safetensors.loadInto(namedParameters(), path);
  }

  /** The layer's class name and its children, one per line. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(describe());
    if (!children.isEmpty()) {
      sb.append('(');
      for (Map.Entry<String, Layer> e : children.entrySet()) {
        sb.append("\n  (").append(e.getKey()).append("): ")
            .append(e.getValue().toString().replace("\n", "\n  "));
      }
      sb.append("\n)");
    }
    return sb.toString();
  }

  /** A one-line description of this layer alone, e.g. {@code Linear(784 -> 256)}. */
  protected String describe() {
    return getClass().getSimpleName();
  }
}
