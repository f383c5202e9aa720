package dev.autodiff.cuda;

/**
 * The driver calls the {@link CachingAllocator} makes, behind an interface so that its
 * bookkeeping is tested without a GPU.
 */
interface DeviceMemory {
  /** A new allocation of exactly {@code bytes}, or null when the device is out of memory. */
  DeviceBlock allocate(long bytes);

  /** Returns a block to the driver. */
  void free(DeviceBlock block);

  /** Waits until the queued work is done, so that no kernel still uses memory about to be freed. */
  void synchronize();

  /** Free and total device memory in bytes, for messages. */
  long[] info();
}
