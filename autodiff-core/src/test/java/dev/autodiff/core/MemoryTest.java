package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.cpu.CpuBackend;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MemoryTest {

  /** A storage that pretends to hold device memory and counts how often it is freed. */
  static final class FakeNativeStorage extends Storage {
    final AtomicInteger freed;

    FakeNativeStorage(AtomicInteger freed) {
      super(DType.FLOAT32, 4);
      this.freed = freed;
    }

    @Override
    public Device device() {
      return Device.cpu();
    }

    @Override
    public boolean isNative() {
      return true;
    }

    @Override
    protected void free() {
      freed.incrementAndGet();
    }
  }

  private static Tensor nativeTensor(AtomicInteger freed) {
    Tensor like = Tensor.zeros(4);
    return Tensor.wrap(like, new FakeNativeStorage(freed), Shape.of(4), DType.FLOAT32);
  }

  @Test
  void closeFreesNativeStorageExactlyOnce() {
    AtomicInteger freed = new AtomicInteger();
    Tensor t = nativeTensor(freed);
    t.close();
    t.close();
    assertEquals(1, freed.get());
    assertTrue(t.isClosed());
  }

  @Test
  void nativeStorageSharedByViewsIsFreedWhenTheLastViewCloses() {
    AtomicInteger freed = new AtomicInteger();
    Tensor t = nativeTensor(freed);
    Tensor v = t.detach();
    t.close();
    assertEquals(0, freed.get());
    v.close();
    assertEquals(1, freed.get());
  }

  @Test
  void cleanerFreesNativeStorageOfAnUnreachableTensor() throws InterruptedException {
    AtomicInteger freed = new AtomicInteger();
    nativeTensor(freed); // dropped at once, never closed
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (freed.get() == 0 && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertEquals(1, freed.get());
  }

  @Test
  void scopeClosesNativeTensorsMadeInside() {
    AtomicInteger freed = new AtomicInteger();
    try (var s = Tensors.scope()) {
      nativeTensor(freed);
      nativeTensor(freed);
    }
    assertEquals(2, freed.get());
  }

  @Test
  void closedTensorUsedAgainThrowsIllegalState() {
    Tensor t = Tensor.of(new float[] {1, 2});
    t.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.mul(2));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertThrows(IllegalStateException.class, t::item);
    assertThrows(IllegalStateException.class, () -> Tensor.of(new float[] {1, 2}).add(t));
    assertTrue(t.toString().contains("closed"));
  }

  @Test
  void cudaWithoutTheCudaModuleFailsClearly() {
    IllegalStateException e = assertThrows(IllegalStateException.class, Device::cuda);
    assertTrue(e.getMessage().contains("autodiff-cuda"), e.getMessage());
  }

  @Test
  void cpuBackendIsTheDefault() {
    assertEquals("cpu", CpuBackend.INSTANCE.name());
    assertEquals(Device.cpu(), Tensor.zeros(2).device());
    assertEquals("cpu", Device.cpu().toString());
  }
}
