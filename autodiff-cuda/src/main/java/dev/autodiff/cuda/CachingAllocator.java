package dev.autodiff.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Device memory in size classes, with freed blocks kept for reuse: {@code cuMemAlloc} and {@code
 * cuMemFree} are slow, and {@code cuMemFree} synchronizes the device, so a training loop that
 * allocates the same sizes every step reaches the driver only in its first step.
 *
 * <p>Sizes round up to a class: multiples of 512 bytes up to 4 KiB, then eight classes per power
 * of two, so a block wastes at most an eighth of its size. A block is reused only for its own
 * class, without splitting. Blocks go back to the cache, never to the driver, when tensors are
 * freed (this may run on the Cleaner's thread); work already queued on the one stream that still
 * reads a block is ordered before any later use of it. When the driver is out of memory the cache
 * is released and the allocation retried; if that fails too, the garbage collector gets a chance
 * to find tensors nobody closed but nobody uses any more (their Cleaner gives their blocks back),
 * and the allocation is tried a last time.
 */
final class CachingAllocator {
  static final long MIN_BLOCK = 512;

  private final DeviceMemory memory;
  private final String device;
  private final Map<Long, ArrayDeque<DeviceBlock>> cache = new HashMap<>();
  private long driverAllocations;
  private long driverFrees;
  private long cacheHits;
  private long bytesInUse;
  private long bytesCached;
  private long peakBytesInUse;

  CachingAllocator(DeviceMemory memory, String device) {
    this.memory = memory;
    this.device = device;
  }

  /** The size class of a request: the size of the block that serves it. */
  static long sizeClass(long bytes) {
    if (bytes <= 4096) {
      return Math.max(MIN_BLOCK, (bytes + MIN_BLOCK - 1) / MIN_BLOCK * MIN_BLOCK);
    }
    long step = Long.highestOneBit(bytes - 1) / 8; // eight classes per power of two
    return (bytes + step - 1) / step * step;
  }

  /**
   * A block of at least {@code bytes}.
   *
   * @throws IllegalStateException when the device is out of memory even with the cache released
   */
  DeviceBlock allocate(long bytes) {
    long size = sizeClass(bytes);
    synchronized (this) {
      ArrayDeque<DeviceBlock> free = cache.get(size);
      if (free != null && !free.isEmpty()) {
        DeviceBlock b = free.pop();
        cacheHits++;
        bytesCached -= size;
        inUse(size);
        return b;
      }
    }
    DeviceBlock b = memory.allocate(size);
    if (b == null) {
      releaseCache();
      b = memory.allocate(size);
    }
    if (b == null) {
      collectUnreachableTensors();
      releaseCache();
      b = memory.allocate(size);
    }
    if (b == null) {
      long[] info = memory.info();
      throw new IllegalStateException(String.format(
          "%s is out of memory: %d bytes (%.1f MiB) requested, %.1f MiB in use by tensors,"
              + " %.1f MiB free of %.1f MiB; close tensors you no longer need, or use scopes",
          device, bytes, mib(bytes), mib(bytesInUse()), mib(info[0]), mib(info[1])));
    }
    synchronized (this) {
      driverAllocations++;
      inUse(size);
    }
    return b;
  }

  /**
   * Runs the garbage collector and waits while the Cleaner gives back the blocks of tensors it
   * found unreachable: until the count in use has fallen and then stayed put for 30 ms, or for
   * half a second when nothing is given back (the allocation is about to fail anyway).
   */
  private void collectUnreachableTensors() {
    long last = bytesInUse();
    boolean fell = false;
    System.gc();
    for (int quiet = 0, polls = 0; !(fell && quiet >= 3) && polls < 50; polls++) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long now = bytesInUse();
      fell |= now < last;
      quiet = now < last ? 0 : quiet + 1;
      last = now;
    }
  }

  private void inUse(long size) {
    bytesInUse += size;
    peakBytesInUse = Math.max(peakBytesInUse, bytesInUse);
  }

  /** Returns a block to the cache. */
  synchronized void release(DeviceBlock block) {
    bytesInUse -= block.bytes;
    bytesCached += block.bytes;
    cache.computeIfAbsent(block.bytes, k -> new ArrayDeque<>()).push(block);
  }

  /** Gives every cached block back to the driver, after the queued work is done. */
  void releaseCache() {
    ArrayDeque<DeviceBlock> all = new ArrayDeque<>();
    synchronized (this) {
      for (ArrayDeque<DeviceBlock> q : cache.values()) {
        all.addAll(q);
      }
      cache.clear();
      bytesCached = 0;
      driverFrees += all.size();
    }
    if (!all.isEmpty()) {
      memory.synchronize();
      for (DeviceBlock b : all) {
        memory.free(b);
      }
    }
  }

  synchronized long bytesInUse() {
    return bytesInUse;
  }

  synchronized MemoryStats stats() {
    return new MemoryStats(driverAllocations, driverFrees, cacheHits, bytesInUse, bytesCached,
        peakBytesInUse);
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }
}
