package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Device storages count their owners; an op holds (pins) its inputs' storages, so a close() on
 * another thread mid-op cannot free memory the op still uses (a device allocator would hand it to
 * the next tensor at once).
 */
class StoragePinningTest {
  /** A storage that claims to be device memory and counts its frees. */
  static final class FakeDeviceStorage extends Storage {
    int frees;

    FakeDeviceStorage() {
      super(DType.FLOAT32, 4);
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
      frees++;
    }
  }

  @Test
  void aFreedStorageCannotBeRetainedAgainNorFreedTwice() {
    FakeDeviceStorage s = new FakeDeviceStorage();
    assertTrue(s.tryRetain());
    assertTrue(s.tryRetain());
    s.release();
    assertEquals(0, s.frees);
    s.release();
    assertEquals(1, s.frees);
    assertFalse(s.tryRetain(), "the last owner let go: the memory is gone");
    s.release();
    assertEquals(1, s.frees, "no double free");
  }

  @Test
  void closingAPinnedTensorFreesItsStorageOnlyWhenTheOpLetsGo() {
    FakeDeviceStorage s = new FakeDeviceStorage();
    Tensor t = Tensor.wrap(Tensor.zeros(4), s, Shape.of(4), DType.FLOAT32);
    Storage held = t.pin("someOp");
    t.close(); // on "another thread", mid-op
    assertEquals(0, s.frees);
    Tensor.unpin(held);
    assertEquals(1, s.frees);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.pin("later"));
    assertTrue(e.getMessage().startsWith("later: tensor of shape [4] was closed"),
        e.getMessage());
  }

  @Test
  void aViewOfAFreedStorageIsRefused() {
    FakeDeviceStorage s = new FakeDeviceStorage();
    Tensor t = Tensor.wrap(Tensor.zeros(4), s, Shape.of(4), DType.FLOAT32);
    t.close();
    assertThrows(IllegalStateException.class,
        () -> Tensor.wrap(Tensor.zeros(4), s, Shape.of(2, 2), DType.FLOAT32));
  }
}
