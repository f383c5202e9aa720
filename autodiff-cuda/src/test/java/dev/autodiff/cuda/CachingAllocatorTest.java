package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The allocator's bookkeeping against a fake device with a fixed capacity. */
class CachingAllocatorTest {
  /** A device of {@code capacity} bytes that records every call. */
  static final class FakeMemory implements DeviceMemory {
    final long capacity;
    long used;
    long nextAddress = 0x10000;
    int allocations;
    int frees;
    int synchronizations;
    final List<String> calls = new ArrayList<>();
    final Set<Long> live = new HashSet<>();

    FakeMemory(long capacity) {
      this.capacity = capacity;
    }

    @Override
    public DeviceBlock allocate(long bytes) {
      calls.add("alloc " + bytes);
      if (used + bytes > capacity) {
        return null;
      }
      used += bytes;
      allocations++;
      long address = nextAddress;
      nextAddress += bytes;
      live.add(address);
      return new DeviceBlock(address, bytes, null);
    }

    @Override
    public void free(DeviceBlock block) {
      calls.add("free " + block.bytes);
      assertTrue(live.remove(block.address), "a block is freed once");
      used -= block.bytes;
      frees++;
    }

    @Override
    public void synchronize() {
      calls.add("sync");
      synchronizations++;
    }

    @Override
    public long[] info() {
      return new long[] {capacity - used, capacity};
    }
  }

  @Test
  void sizeClassesRoundUpByAtMostAnEighth() {
    assertEquals(512, CachingAllocator.sizeClass(1));
    assertEquals(512, CachingAllocator.sizeClass(512));
    assertEquals(1024, CachingAllocator.sizeClass(513));
    assertEquals(4096, CachingAllocator.sizeClass(4096));
    for (long bytes = 1; bytes < 1L << 34; bytes = bytes * 3 / 2 + 7) {
      long c = CachingAllocator.sizeClass(bytes);
      assertTrue(c >= bytes, "class " + c + " holds " + bytes);
      assertTrue(c <= Math.max(512, bytes + bytes / 8 + 512), "class " + c + " of " + bytes);
      assertEquals(c, CachingAllocator.sizeClass(c), "a class is its own class");
    }
  }

  @Test
  void freedBlocksAreReusedForTheSameSizeClass() {
    FakeMemory mem = new FakeMemory(1 << 20);
    CachingAllocator a = new CachingAllocator(mem, "fake:0");
    DeviceBlock x = a.allocate(1000);
    a.release(x);
    DeviceBlock y = a.allocate(900); // same 1024-byte class
    assertSame(x, y);
    DeviceBlock z = a.allocate(5000); // another class: a new block
    assertNotSame(x, z);
    MemoryStats s = a.stats();
    assertEquals(2, s.driverAllocations());
    assertEquals(1, s.cacheHits());
    assertEquals(1024 + CachingAllocator.sizeClass(5000), s.bytesInUse());
    assertEquals(0, s.bytesCached());
  }

  @Test
  void aRepeatedTrainingStepAllocatesFromTheDriverOnlyOnce() {
    FakeMemory mem = new FakeMemory(1L << 30);
    CachingAllocator a = new CachingAllocator(mem, "fake:0");
    long[] sizes = {784 * 256 * 4, 256 * 4, 128 * 784 * 4, 128 * 256 * 4, 128 * 10 * 4, 4, 8};
    for (int step = 0; step < 50; step++) {
      List<DeviceBlock> live = new ArrayList<>();
      for (long s : sizes) {
        live.add(a.allocate(s));
        live.add(a.allocate(s)); // activations and their gradients
      }
      live.forEach(a::release);
      if (step == 0) {
        assertEquals(2 * sizes.length, a.stats().driverAllocations());
      }
    }
    assertEquals(2 * sizes.length, a.stats().driverAllocations(), "no cuMemAlloc after step 1");
    assertEquals(0, a.stats().bytesInUse());
  }

  @Test
  void outOfMemoryReleasesTheCacheAndRetries() {
    FakeMemory mem = new FakeMemory(8192);
    CachingAllocator a = new CachingAllocator(mem, "fake:0");
    a.release(a.allocate(4096));
    a.release(a.allocate(2048));
    mem.calls.clear();
    DeviceBlock big = a.allocate(6000); // 6144 bytes: fits only once the cache is gone
    assertEquals(6144, big.bytes);
    assertEquals(List.of("alloc 6144", "sync"), mem.calls.subList(0, 2),
        "the cache is freed only after the stream's queued work is done");
    assertEquals(Set.of("free 4096", "free 2048"), Set.copyOf(mem.calls.subList(2, 4)));
    assertEquals("alloc 6144", mem.calls.get(4));
    MemoryStats s = a.stats();
    assertEquals(2, s.driverFrees());
    assertEquals(0, s.bytesCached());
    assertEquals(6144, s.bytesInUse());
  }

  @Test
  void outOfMemoryAfterReleasingTheCacheNamesTheSizes() {
    FakeMemory mem = new FakeMemory(4096);
    CachingAllocator a = new CachingAllocator(mem, "fake:0");
    a.allocate(4096);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.allocate(1 << 20));
    assertTrue(e.getMessage().startsWith("fake:0 is out of memory: 1048576 bytes (1.0 MiB)"),
        e.getMessage());
    assertEquals(4096, a.stats().bytesInUse(), "a failed allocation changes nothing");
  }

  @Test
  void blocksOfUnreachableHoldersAreCollectedBeforeGivingUp() {
    FakeMemory mem = new FakeMemory(8192);
    CachingAllocator a = new CachingAllocator(mem, "fake:0");
    // A holder nobody closes nor references, as a tensor dropped without close(): only its
    // Cleaner gives its block back, once the garbage collector has found it.
    java.lang.ref.Cleaner cleaner = java.lang.ref.Cleaner.create();
    DeviceBlock held = a.allocate(8192);
    cleaner.register(new Object(), () -> a.release(held));
    DeviceBlock next = a.allocate(8192); // fits only once the holder is collected
    assertEquals(8192, next.bytes);
    assertEquals(8192, a.stats().bytesInUse());
  }

  @Test
  void peakAndReservedBytesFollowTheBlocks() {
    FakeMemory mem = new FakeMemory(1 << 20);
    CachingAllocator a = new CachingAllocator(mem, "fake:0");
    DeviceBlock x = a.allocate(2048);
    DeviceBlock y = a.allocate(2048);
    a.release(x);
    a.release(y);
    MemoryStats s = a.stats();
    assertEquals(4096, s.peakBytesInUse());
    assertEquals(4096, s.bytesReserved());
    a.releaseCache();
    assertEquals(0, a.stats().bytesReserved());
    assertEquals(0, mem.used);
    assertEquals(1, mem.synchronizations);
  }
}
