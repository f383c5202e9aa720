package dev.autodiff.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * One allocation of device memory, as the driver returned it: its address, its size in bytes, and
 * JCuda's handle for calls that take one (null under a fake {@link DeviceMemory}).
 */
final class DeviceBlock {
  final long address;
  final long bytes;
  final CUdeviceptr pointer;

  DeviceBlock(long address, long bytes, CUdeviceptr pointer) {
    this.address = address;
    this.bytes = bytes;
    this.pointer = pointer;
  }
}
