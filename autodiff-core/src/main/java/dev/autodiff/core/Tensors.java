package dev.autodiff.core;

import java.util.ArrayList;
import java.util.function.Supplier;

/**
 * Deterministic lifetimes for tensors. A scope closes every tensor made inside it, and drops the
 * tape entries recorded inside it, when it closes (a tensor kept past its scope becomes a constant
 * there: its history ends with the scope):
 *
 * <pre>{@code
 * try (var step = Tensors.scope()) {
 *   Tensor loss = model.forward(x).sub(y).pow(2).mean();
 *   loss.backward();                 // parameters' grad() survive the scope
 * }                                  // this step's intermediates are freed here
 * }</pre>
 *
 * Gradients accumulated into leaves belong to the leaves, not to the scope; a tensor that must
 * outlive the scope is kept with {@link Tensor#keep()} (it moves to the enclosing scope).
 */
public final class Tensors {
  private Tensors() {}

  /** Opens a scope on this thread; close it with try-with-resources. */
  public static Scope scope() {
    ThreadState state = ThreadState.get();
    Scope s = new Scope(state, state.scope, state.tape.nextSeq());
    state.scope = s;
    return s;
  }

  /**
   * Runs {@code body} in a scope and returns its result, kept for the enclosing scope; everything
   * else the body made is freed. The result keeps its values, not its history: it is a constant
   * (see {@link Tensor#keep()}).
   */
  public static Tensor scoped(Supplier<Tensor> body) {
    Tensor.required("scoped", "body", body);
    try (Scope s = scope()) {
      Tensor result = body.get();
      if (result != null) {
        result.keep();
      }
      return result;
    }
  }

  /**
   * Takes {@code t} out of every scope, so that no scope closes it; returns it. For tensors that
   * belong to something longer-lived than any step: a model's parameters, an optimizer's state.
   */
  public static Tensor unscoped(Tensor t) {
    Tensor.required("unscoped", "tensor", t);
    disown(t);
    return t;
  }

  static void disown(Tensor t) {
    t.scope = null;
  }

  static void keep(Tensor t) {
    Scope s = t.scope;
    if (s == null) {
      return;
    }
    t.scope = null;
    if (s.parent != null && !s.parent.closed) {
      s.parent.adopt(t);
    }
  }

  /** The tensors and tape entries of one region of code; see {@link Tensors}. */
  public static final class Scope implements AutoCloseable {
    private final ThreadState state;
    private final Scope parent;
    private final long tapeStart;
    private final ArrayList<Tensor> owned = new ArrayList<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private Scope(ThreadState state, Scope parent, long tapeStart) {
      this.state = state;
      this.parent = parent;
      this.tapeStart = tapeStart;
    }

    void adopt(Tensor t) {
      t.scope = this;
      owned.add(t);
    }

    /** Moves {@code tensors} out of this scope to the enclosing one (or none). */
    public void keep(Tensor... tensors) {
      for (Tensor t : Tensor.required("keep", "tensors", tensors)) {
        Tensor.required("keep", "every tensor", t);
        if (t.scope == this) {
          Tensors.keep(t);
        }
      }
    }

    /** The number of tensors this scope will close. */
    public int size() {
      int n = 0;
      for (Tensor t : owned) {
        if (t.scope == this && !t.isClosed()) {
          n++;
        }
      }
      return n;
    }

    /**
     * Drops the tape entries recorded inside, closes the tensors made inside and not kept, and
     * closes any inner scope left open.
     */
    @Override
    public void close() {
      if (closed) {
        return;
      }
      if (Thread.currentThread() != thread) {
        throw new IllegalStateException("scope: must be closed on the thread that opened it");
      }
      while (state.scope != null && state.scope != this && state.scope.isInside(this)) {
        state.scope.close();
      }
      closed = true;
      state.tape.truncate(tapeStart);
      for (Tensor t : owned) {
        if (t.scope == this) {
          t.scope = null;
          t.close();
        }
      }
      owned.clear();
      state.scope = parent;
    }

    private boolean isInside(Scope outer) {
      for (Scope s = parent; s != null; s = s.parent) {
        if (s == outer) {
          return true;
        }
      }
      return false;
    }
  }
}
