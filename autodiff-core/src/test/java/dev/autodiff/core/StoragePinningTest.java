package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Device storages count their owners; an op holds (pins) its inputs' storages, so a close() on
 * another thread mid-op cannot free memory the op still uses (a device allocator would hand it to
 * the next tensor at once).
 */
class StoragePinningTest {
  @Test
  void aFreedStorageCannotBeRetainedAgainNorFreedTwice() {
    AtomicInteger frees = new AtomicInteger();
    Storage s = new MemoryTest.FakeNativeStorage(frees);
    assertTrue(s.tryRetain());
    assertTrue(s.tryRetain());
    s.release();
    assertEquals(0, frees.get());
    s.release();
    assertEquals(1, frees.get());
    assertFalse(s.tryRetain(), "the last owner let go: the memory is gone");
    s.release();
    assertEquals(1, frees.get(), "no double free");
  }

  @Test
  void closingAPinnedTensorFreesItsStorageOnlyWhenTheOpLetsGo() {
    AtomicInteger frees = new AtomicInteger();
    Storage s = new MemoryTest.FakeNativeStorage(frees);
    Tensor t = Tensor.wrap(Tensor.zeros(4), s, Shape.of(4), DType.FLOAT32);
    Storage held = t.pin("someOp");
    t.close(); // on "another thread", mid-op
    assertEquals(0, frees.get());
    Tensor.unpin(held);
    assertEquals(1, frees.get());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.pin("later"));
    assertTrue(e.getMessage().startsWith("later: tensor of shape [4] was closed"),
        e.getMessage());
  }

  @Test
  void aViewOfAFreedStorageIsRefused() {
    AtomicInteger frees = new AtomicInteger();
    Storage s = new MemoryTest.FakeNativeStorage(frees);
    Tensor t = Tensor.wrap(Tensor.zeros(4), s, Shape.of(4), DType.FLOAT32);
    t.close();
    assertThrows(IllegalStateException.class,
        () -> Tensor.wrap(Tensor.zeros(4), s, Shape.of(2, 2), DType.FLOAT32));
  }
}
