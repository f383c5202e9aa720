package dev.autodiff.cuda;

import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Storage;
import jcuda.driver.CUdeviceptr;

/** A storage in device memory: one block of its context's caching allocator. */
final class CudaStorage extends Storage {
  private final CudaContext context;
  private volatile DeviceBlock block;

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
