package dev.autodiff.cuda;

/**
 * Counters of a device's caching allocator.
 *
 * @param driverAllocations calls to {@code cuMemAlloc} so far (flat in steady-state training)
 * @param driverFrees calls to {@code cuMemFree} so far
 * @param cacheHits allocations served from freed blocks without the driver
 * @param bytesInUse bytes of the blocks tensors hold now
 * @param bytesCached bytes of freed blocks kept for reuse
 * @param peakBytesInUse the most bytes in use at once
 */
public record MemoryStats(long driverAllocations, long driverFrees, long cacheHits,
    long bytesInUse, long bytesCached, long peakBytesInUse) {
  /** Bytes held from the driver: in use plus cached. */
  public long bytesReserved() {
    return bytesInUse + bytesCached;
  }
}
