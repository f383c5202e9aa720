package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
  @TempDir Path dir;

  /** An IDX file: magic, big-endian sizes, then the bytes. */
  static byte[] idx(int magic, int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian default
    b.putInt(magic);
    for (int d : dims) {
      b.putInt(d);
    }
    return b.put(data).array();
  }

  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  /** Two 2x3 images with pixel values 0, 1, ..., 10 and 255. */
  static byte[] images() {
    byte[] px = new byte[12];
    for (int i = 0; i < 11; i++) {
      px[i] = (byte) i;
    }
    px[11] = (byte) 255;
    return idx(Idx.IMAGES_MAGIC, new int[] {2, 2, 3}, px);
  }

  static byte[] labels() {
    return idx(Idx.LABELS_MAGIC, new int[] {2}, new byte[] {9, (byte) 200});
  }

  private Path file(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private static void checkImages(Tensor t) {
    assertEquals(Shape.of(2, 2, 3), t.shape());
    assertEquals(DType.FLOAT32, t.dtype());
    assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255}, t.toFloatArray());
  }

  @Test
  void readsPlainImagesAndLabels() throws IOException {
    checkImages(Idx.readImages(file("img", images())));
    Tensor y = Idx.readLabels(file("lab", labels()));
    assertEquals(DType.INT64, y.dtype());
    assertArrayEquals(new long[] {9, 200}, y.toLongArray(), "labels are unsigned bytes");
  }

  @Test
  void readsGzippedFilesWhateverTheirName() throws IOException {
    checkImages(Idx.readImages(file("img.gz", gzip(images()))));
    checkImages(Idx.readImages(file("img-no-suffix", gzip(images()))));
    assertArrayEquals(new long[] {9, 200},
        Idx.readLabels(file("lab.gz", gzip(labels()))).toLongArray());
  }

  @Test
  void wrongMagicNumberIsReported() throws IOException {
    Path lab = file("lab", labels());
    IOException e = assertThrows(IOException.class, () -> Idx.readImages(lab));
    assertTrue(e.getMessage().contains("0x00000801") && e.getMessage().contains("0x00000803"),
        e.getMessage());
    assertTrue(e.getMessage().contains(lab.toString()), e.getMessage());
    Path junk = file("junk", "not an idx file at all".getBytes());
    e = assertThrows(IOException.class, () -> Idx.readLabels(junk));
    assertTrue(e.getMessage().contains("magic number"), e.getMessage());
  }

  @Test
  void truncatedFilesAreReported() throws IOException {
    byte[] full = images();
    Path cut = file("cut", Arrays.copyOf(full, full.length - 5));
    IOException e = assertThrows(IOException.class, () -> Idx.readImages(cut));
    assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("need 12"),
        e.getMessage());
    Path header = file("header", Arrays.copyOf(full, 6));
    e = assertThrows(IOException.class, () -> Idx.readImages(header));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    Path gzCut = file("cut.gz", gzip(Arrays.copyOf(full, full.length - 5)));
    e = assertThrows(IOException.class, () -> Idx.readImages(gzCut));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    byte[] gz = gzip(full);
    Path gzBroken = file("broken.gz", Arrays.copyOf(gz, gz.length / 2));
    e = assertThrows(IOException.class, () -> Idx.readImages(gzBroken));
    assertTrue(e.getMessage().contains("gzip") || e.getMessage().contains("truncated"),
        e.getMessage());
    for (int at = 1; at < gz.length; at++) { // in the header, the data and the trailer
      Path gzCutAt = file("cut-anywhere.gz", Arrays.copyOf(gz, at));
      e = assertThrows(IOException.class, () -> Idx.readImages(gzCutAt));
      assertFalse(e.getMessage().contains("null"), e.getMessage());
    }
  }

  @Test
  void hugeSizesAreRejectedWithoutAllocating() throws IOException {
    Path p = file("huge", idx(Idx.IMAGES_MAGIC, new int[] {60000, 60000, 60000}, new byte[4]));
    IOException e = assertThrows(IOException.class, () -> Idx.readImages(p));
    assertTrue(e.getMessage().contains("60000"), e.getMessage());
    Path gz = file("huge.gz", gzip(idx(Idx.IMAGES_MAGIC, new int[] {1000, 1000, 1000},
        new byte[4])));
    e = assertThrows(IOException.class, () -> Idx.readImages(gz));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void trailingBytesAreReported() throws IOException {
    byte[] full = images();
    Path p = file("long", Arrays.copyOf(full, full.length + 3));
    IOException e = assertThrows(IOException.class, () -> Idx.readImages(p));
    assertTrue(e.getMessage().contains("after"), e.getMessage());
  }

  @Test
  void missingFileIsReported() {
    assertThrows(NoSuchFileException.class, () -> Idx.readImages(dir.resolve("absent")));
  }

  @Test
  void fashionMnistLayoutLoadsScaledImagesFromADirectory() throws IOException {
    assertFalse(Datasets.hasFashionMnist(dir));
    file("train-images-idx3-ubyte.gz", gzip(images()));
    file("train-labels-idx1-ubyte", idx(Idx.LABELS_MAGIC, new int[] {2}, new byte[] {1, 2}));
    file("t10k-images-idx3-ubyte", images());
    IOException e = assertThrows(IOException.class, () -> Datasets.fashionMnist(dir));
    assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte"), e.getMessage());
    file("t10k-labels-idx1-ubyte.gz", gzip(idx(Idx.LABELS_MAGIC, new int[] {2},
        new byte[] {3, 4})));
    assertTrue(Datasets.hasFashionMnist(dir));
    Datasets.Split s = Datasets.fashionMnist(dir);
    assertEquals(Shape.of(2, 2, 3), s.train().x().shape());
    assertEquals(1f, s.train().x().toFloatArray()[11], 1e-6f);
    assertEquals(10 / 255f, s.test().x().toFloatArray()[10], 1e-6f);
    // Divided, not multiplied by 1/255: the correctly rounded floats torchvision's ToTensor gives.
    float[] train = s.train().x().toFloatArray();
    for (int i = 0; i < train.length; i++) {
      assertEquals(Math.round(train[i] * 255) / 255f, train[i], 0f, "pixel " + i);
    }
    assertArrayEquals(new long[] {1, 2}, s.train().y().toLongArray());
    assertArrayEquals(new long[] {3, 4}, s.test().y().toLongArray());
  }

  @Test
  void mismatchedImageAndLabelCountsAreReported() throws IOException {
    file("train-images-idx3-ubyte", images());
    file("train-labels-idx1-ubyte", idx(Idx.LABELS_MAGIC, new int[] {3}, new byte[3]));
    file("t10k-images-idx3-ubyte", images());
    file("t10k-labels-idx1-ubyte", labels());
    IOException e = assertThrows(IOException.class, () -> Datasets.fashionMnist(dir));
    assertTrue(e.getMessage().contains("2 images") && e.getMessage().contains("3 labels"),
        e.getMessage());
  }
}
