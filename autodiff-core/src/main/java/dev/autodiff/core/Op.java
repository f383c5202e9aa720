package dev.autodiff.core;

import java.lang.ref.Reference;
/**
 * One differentiable operation, defined in one place: its name, its forward and its
 * vector-Jacobian product. Built-in ops live in {@link Ops}; users define their own with {@link
 * #define}, and those record on the tape exactly like built-in ones.
 *
 * <pre>{@code
 * Op cube = Op.define("cube",
 *     (ctx, x) -> x[0].pow(3),
 *     (ctx, gy) -> new Tensor[] {gy.mul(ctx.input(0).pow(2).mul(3))});
 * Tensor y = cube.apply(x);
 * }</pre>
 */
public final class Op {
  /** Computes the output from the inputs; may {@link OpContext#save} tensors for backward. */
  @FunctionalInterface
  public interface Forward {
    Tensor apply(OpContext ctx, Tensor[] inputs);
  }

  /**
   * Maps the output's cotangent to one cotangent per input (null where {@link
   * OpContext#needsInputGrad} is false), each of its input's shape, written with ordinary tensor
   * ops so that it is itself differentiable.
   */
  @FunctionalInterface
  public interface Backward {
    Tensor[] apply(OpContext ctx, Tensor gradOutput);
  }

  private final String name;
  private final Forward forward;
  private final Backward backward;
  private final boolean userDefined;

  private Op(String name, Forward forward, Backward backward, boolean userDefined) {
    this.name = name;
    this.forward = forward;
    this.backward = backward;
    this.userDefined = userDefined;
  }

  /**
   * A user-defined differentiable op, like {@code torch.autograd.Function}: the forward runs with
   * recording off, and one tape entry stands for the whole op. As in PyTorch, a tensor computed
   * inside forward carries no history: for correct second derivatives, write the backward in terms
   * of {@link OpContext#input} and {@link OpContext#output}, which keep theirs.
   */
  public static Op define(String name, Forward forward, Backward backward) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("define: an op needs a name");
    }
    Tensor.required(name, "forward", forward);
    Tensor.required(name, "backward", backward);
    return new Op(name, forward, backward, true);
  }

  static Op builtin(String name, Forward forward, Backward backward) {
    return new Op(name, forward, backward, false);
  }

  static Op nonDifferentiable(String name, Forward forward) {
    return new Op(name, forward, null, false);
  }

  /** The op's name, as its errors report it (a gradient check is labelled by its own name()). */
  public String name() {
    return name;
  }

  /** False for ops whose outputs never carry gradients (comparisons, argmax, oneHot). */
  public boolean isDifferentiable() {
    return backward != null;
  }

  /**
   * Applies a user-defined op to the inputs, recording it when an input needs gradients. Built-in
   * ops are applied through their {@link Tensor} methods, which validate shapes and settings.
   */
  public Tensor apply(Tensor... inputs) {
    if (!userDefined) {
      throw new UnsupportedOperationException("the built-in op " + name
          + " is applied through its Tensor method, which checks its shapes and settings");
    }
    if (inputs == null || inputs.length == 0) {
      throw new IllegalArgumentException(name + ": needs at least one input");
    }
    for (int i = 0; i < inputs.length; i++) {
      if (inputs[i] == null) {
        throw new IllegalArgumentException(name + ": input " + i + " is null");
      }
    }
    return run(new OpContext(), inputs.clone());
  }

  /**
   * Runs the forward and records an entry when needed. {@code ctx} carries the op's settings; it
   * may be null for an op without settings, and is then made only when the op is recorded, so an
   * unrecorded op (inference, backward without createGraph) allocates no context.
   */
  Tensor run(OpContext ctx, Tensor... inputs) {
    Storage[] held = pin(inputs);
    try {
      return runPinned(ctx, inputs);
    } finally {
      unpinAll(held);
    }
  }

  /**
   * Holds the inputs' device storages for the op (heap storages need no holding): closing an
   * input on another thread mid-op then cannot free memory the op's kernels still use. Null when
   * none is native.
   */
  private Storage[] pin(Tensor[] inputs) {
    Storage[] held = null;
    try {
      for (int i = 0; i < inputs.length; i++) {
        Storage s = inputs[i].pin(name);
        if (s.isNative()) {
          if (held == null) {
            held = new Storage[inputs.length];
          }
          held[i] = s;
        }
      }
    } catch (RuntimeException e) {
      unpinAll(held);
      throw e;
    }
    return held;
  }

  private static void unpinAll(Storage[] held) {
    if (held != null) {
      for (Storage s : held) {
        if (s != null) {
          Tensor.unpin(s);
        }
      }
    }
  }

  private Tensor runPinned(OpContext ctx, Tensor[] inputs) {
    boolean tracked = false;
    for (Tensor t : inputs) {
      tracked |= t.tracked();
    }
    ThreadState state = ThreadState.get();
    boolean record = tracked && backward != null && state.gradEnabled;
    OpContext c = ctx != null ? ctx : record ? new OpContext() : OpContext.NO_SETTINGS;
    Tensor out;
    if (userDefined) {
      c.inputs = inputs;
      out = runUserForward(c, inputs, state);
    } else {
      try {
        out = forward.apply(c, inputs);
      } finally {
        // The backend holds only storages: an input unreachable as a Tensor mid-kernel could have
        // its device memory freed by the Cleaner while the kernel still reads it.
        Reference.reachabilityFence(inputs);
      }
    }
    if (record) {
      c.inputs = inputs;
      c.op = this;
      c.output = out;
      c.noteVersions();
      out.node = c;
      state.tape.record(c);
    }
    if (backward != null) {
      noteMissingHistory(out, inputs, record, tracked, state);
    }
    return out;
  }

  /**
   * Passes on why a result of a differentiable op has no (or partial) history, so that grad() of
   * it fails as backward() does rather than give zeros, and warns once where a recorded op takes
   * an input whose history a scope cut. Kept apart from runPinned, the hot path, on purpose.
   */
  private void noteMissingHistory(Tensor out, Tensor[] inputs, boolean record, boolean tracked,
      ThreadState state) {
    boolean unrecorded = false;
    boolean historyReleased = false;
    for (Tensor t : inputs) {
      unrecorded |= t.unrecorded;
      historyReleased |= t.historyReleased;
      if (record && t.historyReleased) {
        state.tape.warnHistoryCut(name, t);
      }
    }
    if (!record) {
      out.unrecorded = tracked || unrecorded;
      out.historyReleased = historyReleased;
    }
  }

  private Tensor runUserForward(OpContext ctx, Tensor[] inputs, ThreadState state) {
    boolean was = state.gradEnabled;
    state.gradEnabled = false;
    Tensor out;
    try {
      out = forward.apply(ctx, inputs);
    } finally {
      state.gradEnabled = was;
    }
    if (out == null) {
      throw new IllegalStateException(name + ": forward returned null");
    }
    boolean isInput = false;
    for (Tensor t : inputs) {
      isInput |= t == out;
    }
    if (isInput || out.node != null || out.requiresGrad) {
      out = out.alias(); // the op's output must be a fresh node, never an input itself
    }
    return out;
  }

  /** Runs the VJP and checks that it gave one gradient of the right shape per input. */
  Tensor[] vjp(OpContext ctx, Tensor gradOutput) {
    Tensor[] grads = backward.apply(ctx, gradOutput);
    if (grads == null || grads.length != ctx.inputs.length) {
      throw new IllegalStateException(name + ": backward returned "
          + (grads == null ? "null" : grads.length + " gradients") + " for "
          + ctx.inputs.length + " inputs");
    }
    for (int i = 0; i < grads.length; i++) {
      Tensor g = grads[i];
      Tensor in = ctx.inputs[i];
      if (g == null || !in.tracked()) {
        grads[i] = null;
        continue;
      }
      if (!g.shape().equals(in.shape())) {
        throw new IllegalStateException(name + ": backward returned a gradient of shape "
            + g.shape() + " for input " + i + " of shape " + in.shape());
      }
      if (g.dtype() != in.dtype()) {
        grads[i] = g.to(in.dtype());
      }
    }
    return grads;
  }

  @Override
  public String toString() {
    return name;
  }
}
