package dev.autodiff.core;

import java.util.ArrayList;

/**
 * What belongs to one thread: its tape, whether recording is on, and its stack of open scopes.
 * One thread-local lookup gives all three, which keeps the per-op cost low.
 */
final class ThreadState {
  private static final ThreadLocal<ThreadState> CURRENT = ThreadLocal.withInitial(ThreadState::new);

  final Tape tape = new Tape();
  final Thread owner = Thread.currentThread();
  boolean gradEnabled = true;
  /** The open {@link Autograd#noGrad()} guards, oldest first. */
  final ArrayList<Autograd.NoGrad> noGrads = new ArrayList<>();
  /** The innermost open scope, or null. */
  Tensors.Scope scope;
  /** Backward passes under way (more than one: a custom op's VJP called grad or backward). */
  int passes;

  static ThreadState get() {
    return CURRENT.get();
  }
}
