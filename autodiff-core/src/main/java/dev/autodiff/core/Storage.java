package dev.autodiff.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A backend's raw, contiguous buffer of elements. Tensors that are views of one another (reshape,
 * detach) share a storage. A native storage (device memory) counts its owners and is freed when the
 * last one lets go; a heap storage is left to the garbage collector.
 */
public abstract class Storage {
  private final DType dtype;
  private final long size;
  private static final VarHandle OWNERS;

  static {
    try {
      OWNERS = MethodHandles.lookup().findVarHandle(Storage.class, "owners", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused") // accessed through OWNERS
  private volatile int owners;

  /**
   * In-place writes to these elements so far (copyFrom, optimizer updates, gradients accumulated
   * or zeroed), PyTorch's version counter: a tape entry notes the versions of the tensors its VJP
   * may read, and a backward that reads one rewritten since fails rather than use the new values.
   * Views share the storage, so they share the count.
   */
  private int version;

  protected Storage(DType dtype, long size) {
    this.dtype = dtype;
    this.size = size;
  }

  /** Element type. */
  public final DType dtype() {
    return dtype;
  }

  /** Number of elements. */
  public final long size() {
    return size;
  }

  /** The number of in-place writes to these elements so far. */
  final int version() {
    return version;
  }

  /** Counts one in-place write. */
  final void modified() {
    version++;
  }

  /** The device this storage lives on. */
  public abstract Device device();

  /**
   * True when the storage holds memory the garbage collector does not see (device memory): such
   * tensors register a {@link java.lang.ref.Cleaner} as a safety net.
   */
  public boolean isNative() {
    return false;
  }

  /** Releases the memory; called once, when the last owner lets go. */
  protected abstract void free();

  /**
   * Takes one more ownership, unless the last owner has let go already (then false: the memory
   * is freed, or about to be). Owners count up from 0; -1 marks a freed storage for good.
   */
  final boolean tryRetain() {
    for (;;) {
      int n = (int) OWNERS.getVolatile(this);
      if (n < 0) {
        return false;
      }
      if (OWNERS.compareAndSet(this, n, n + 1)) {
        return true;
      }
    }
  }

  /** Lets go of one ownership; the last one frees the memory. */
  final void release() {
    for (;;) {
      int n = (int) OWNERS.getVolatile(this);
      if (n <= 0) {
        return; // freed already, or never owned: nothing to let go
      }
      int next = n == 1 ? -1 : n - 1;
      if (OWNERS.compareAndSet(this, n, next)) {
        if (next < 0) {
          free();
        }
        return;
      }
    }
  }
}
