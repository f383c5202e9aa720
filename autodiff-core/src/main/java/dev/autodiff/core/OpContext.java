package dev.autodiff.core;

import java.util.HashMap;
import java.util.Map;

/**
 * What one application of an {@link Op} keeps for its VJP: the inputs, the output, tensors the
 * forward saved, and the op's settings. When the op is recorded this object is its tape entry.
 *
 * <p>A user-defined op's forward calls {@link #save} and {@link #put}; its backward reads them back
 * and asks {@link #needsInputGrad(int)} to skip work for inputs that need no gradient.
 */
public final class OpContext {
  // Settings of built-in ops, set before forward (cheaper than a map on the hot path).
  double p;
  double q;
  int axis;
  boolean keepDims;
  boolean transA;
  boolean transB;
  Shape shape;
  int[] ints;
  DType dtype;
  Device device;
  UnaryOp activation;

  // Tape bookkeeping.
  Op op;
  Tensor[] inputs;
  Tensor output;
  Tensor cotangent;
  boolean released;
  String releasedBy;
  int index;
  long seq;
  /** Bytes of the inputs and output this entry keeps alive, for the tape's leak warning. */
  long bytes;

  private Tensor[] saved;
  private Map<String, Object> values;

  /** The shared, never-mutated context of unrecorded ops that have no settings. */
  static final OpContext NO_SETTINGS = new OpContext();

  OpContext() {}

  /** Saves tensors for the backward pass (replacing any saved before). */
  public void save(Tensor... tensors) {
    this.saved = tensors.clone();
  }

  /** The tensors given to {@link #save}, in order. */
  public Tensor[] saved() {
    checkLive();
    return saved == null ? new Tensor[0] : saved.clone();
  }

  /** Saved tensor {@code i}. */
  public Tensor saved(int i) {
    checkLive();
    if (saved == null || i < 0 || i >= saved.length) {
      throw new IllegalArgumentException(
          name() + ": no saved tensor " + i + " (" + (saved == null ? 0 : saved.length) + " saved)");
    }
    return saved[i];
  }

  /** Keeps a non-tensor value (a constant, a flag) for the backward pass. */
  public void put(String key, Object value) {
    if (values == null) {
      values = new HashMap<>(4);
    }
    values.put(key, value);
  }

  /** A value kept with {@link #put}. */
  public <T> T get(String key, Class<T> type) {
    Object v = values == null ? null : values.get(key);
    if (v == null) {
      throw new IllegalArgumentException(name() + ": nothing was put under '" + key + "'");
    }
    if (!type.isInstance(v)) {
      throw new IllegalArgumentException(name() + ": '" + key + "' holds a "
          + v.getClass().getSimpleName() + ", not a " + type.getSimpleName());
    }
    return type.cast(v);
  }

  /** Input {@code i} of the op. */
  public Tensor input(int i) {
    checkLive();
    if (i < 0 || i >= inputs.length) {
      throw new IllegalArgumentException(
          name() + ": no input " + i + " (the op has " + inputs.length + ")");
    }
    return inputs[i];
  }

  /** The number of inputs. */
  public int inputCount() {
    checkLive();
    return inputs.length;
  }

  /** The op's output (available to backward). */
  public Tensor output() {
    checkLive();
    return output;
  }

  /** True when input {@code i} needs a gradient; backward may return null for the others. */
  public boolean needsInputGrad(int i) {
    return input(i).tracked();
  }

  String name() {
    return op == null ? "op" : op.name();
  }

  private void checkLive() {
    if (released) {
      throw spent();
    }
  }

  /** The error for a backward that reaches this entry after it was released. */
  IllegalStateException spent() {
    return new IllegalStateException(
        "backward: the tape entry of " + name() + " was released " + releasedBy);
  }

  void release(String why) {
    releasedBy = why;
    released = true;
    saved = null;
    values = null;
    inputs = null;
    output = null;
    cotangent = null;
    shape = null;
    ints = null;
  }
}
