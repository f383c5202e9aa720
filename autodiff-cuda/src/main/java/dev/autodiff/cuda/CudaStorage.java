package dev.autodiff.cuda;

import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Storage;
import jcuda.driver.CUdeviceptr;

/** A storage in device memory: one block of its context's caching allocator. */
final class CudaStorage extends Storage {
  private final CudaContext context;
  private volatile DeviceBlock block;
  /**
   * Bounds that hold every value, where known (int64 storages uploaded from the host, argmax
   * results, indices a check has passed, and what is copied from them): an index check that they
   * settle needs no read-back, so the host does not wait for the stream. Every in-place write
   * replaces or forgets them.
   */
  private volatile ValueRange range;

  CudaStorage(CudaContext context, DType dtype, long size, DeviceBlock block) {
    super(dtype, size);
    this.context = context;
    this.block = block;
  }

  CudaContext context() {
    return context;
  }

  /** The device address of element 0 (kernels take raw addresses). */
  long address() {
    return block().address;
  }

  /** JCuda's handle, for copies. */
  CUdeviceptr pointer() {
    return block().pointer;
  }

  /** The known bounds of the values, or null. */
  ValueRange range() {
    return range;
  }

  /** Records bounds that hold every value (null: unknown); returns this storage. */
  CudaStorage range(ValueRange r) {
    range = r;
    return this;
  }

  long bytes() {
    return size() * dtype().byteSize();
  }

  private DeviceBlock block() {
    DeviceBlock b = block;
    if (b == null) {
      throw new IllegalStateException("storage was freed: its tensor has been closed");
    }
    return b;
  }

  @Override
  public Device device() {
    return context.device();
  }

  @Override
  public boolean isNative() {
    return true;
  }

  /** Frees a temporary the backend made and no tensor owns. */
  void dispose() {
    free();
  }

  @Override
  protected void free() {
    DeviceBlock b;
    synchronized (this) {
      b = block;
      block = null;
    }
    if (b != null) {
      context.allocator().release(b);
    }
  }
}
