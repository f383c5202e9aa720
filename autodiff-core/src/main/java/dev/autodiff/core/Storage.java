package dev.autodiff.core;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend's raw, contiguous buffer of elements. Tensors that are views of one another (reshape,
 * detach) share a storage; it counts its owners and is freed when the last one lets go.
 */
public abstract class Storage {
  private final DType dtype;
  private final long size;
  private final AtomicInteger owners = new AtomicInteger(0);

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

  final void retain() {
    owners.incrementAndGet();
  }

  final void release() {
    if (owners.decrementAndGet() == 0) {
      free();
    }
  }
}
