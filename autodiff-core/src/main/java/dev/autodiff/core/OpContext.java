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
  /** While grad() runs this entry's VJP: which inputs lead to what it was asked for. */
  Autograd.Reach reach;
  boolean released;
  String releasedBy;
  int index;
  long seq;
  /** The tape that recorded this entry (each thread has its own, numbering from 0). */
  Tape tape;
  /** True when backward() keeps the output's gradient (Tensor.retainGrad()). */
  boolean retainsGrad;
  /** Bytes of the inputs and output this entry keeps alive, for the tape's leak warning. */
  long bytes;
  /** The storage versions of the inputs, then of the output, when the op was recorded. */
  int[] versions;

  private Tensor[] saved;
  private int[] savedVersions;
  private Map<String, Object> values;

  /** The shared, never-mutated context of unrecorded ops that have no settings. */
  static final OpContext NO_SETTINGS = new OpContext();

  OpContext() {}

  /** Saves tensors for the backward pass (replacing any saved before). */
  public void save(Tensor... tensors) {
    this.saved = tensors.clone();
    this.savedVersions = new int[saved.length];
    for (int i = 0; i < saved.length; i++) {
      savedVersions[i] = saved[i] == null ? -1 : saved[i].version();
    }
  }

  /** The tensors given to {@link #save}, in order. */
  public Tensor[] saved() {
    checkLive();
    if (saved == null) {
      return new Tensor[0];
    }
    Tensor[] all = new Tensor[saved.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = asRecorded(saved[i], savedVersions[i], "saved tensor " + i);
    }
    return all;
  }

  /** Saved tensor {@code i}. */
  public Tensor saved(int i) {
    checkLive();
    if (saved == null || i < 0 || i >= saved.length) {
      throw new IllegalArgumentException(
          name() + ": no saved tensor " + i + " (" + (saved == null ? 0 : saved.length) + " saved)");
    }
    return asRecorded(saved[i], savedVersions[i], "saved tensor " + i);
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
    checkInput(i);
    return asRecorded(inputs[i], versions == null ? -1 : versions[i], "input " + i);
  }

  private void checkInput(int i) {
    checkLive();
    if (i < 0 || i >= inputs.length) {
      throw new IllegalArgumentException(
          name() + ": no input " + i + " (the op has " + inputs.length + ")");
    }
  }

  /** The number of inputs. */
  public int inputCount() {
    checkLive();
    return inputs.length;
  }

  /** The op's output (available to backward). */
  public Tensor output() {
    checkLive();
    return asRecorded(output, versions == null ? -1 : versions[inputs.length], "its output");
  }

  /** True when input {@code i} needs a gradient; backward may return null for the others. */
  public boolean needsInputGrad(int i) {
    checkInput(i); // no stand-in for an input overwritten since: only whether it is tracked
    return inputs[i].tracked() && (reach == null || reach.leadsFrom(inputs[i]));
  }

  /** Notes the versions of the inputs and output as the op is recorded. */
  void noteVersions() {
    versions = new int[inputs.length + 1];
    for (int i = 0; i < inputs.length; i++) {
      versions[i] = inputs[i].version();
    }
    versions[inputs.length] = output.version();
  }

  /**
   * {@code t} if its values are still those the op was recorded with, else a stand-in whose
   * shape can be read but whose values cannot: a VJP that needs only the shape of an input
   * rewritten since still works, one that needs its values fails, as PyTorch's saved-tensor
   * check does, rather than compute a wrong gradient from the new values.
   */
  private Tensor asRecorded(Tensor t, int version, String what) {
    int now = t == null ? -1 : t.version();
    if (version < 0 || now < 0 || now == version) {
      return t; // a closed tensor fails as closed wherever it is read
    }
    return t.staleView(what + " (" + t.dtype() + " " + t.shape() + ") was modified in place"
        + " after " + name() + " was recorded (version " + now + ", recorded at " + version
        + "), by copyFrom, an optimizer step or a gradient accumulated into it, and the"
        + " gradient needs its values as they were: run backward before changing it, or the"
        + " forward pass again after");
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
    savedVersions = null;
    versions = null;
    values = null;
    inputs = null;
    output = null;
    reach = null;
    shape = null;
    ints = null;
  }
}
