package dev.autodiff.nn;

import dev.autodiff.core.Tensor;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: a big-endian magic number ({@code
 * 0x00000803} for unsigned-byte images {@code [N, rows, cols]}, {@code 0x00000801} for
 * unsigned-byte labels {@code [N]}), the big-endian sizes, then the bytes. Plain and gzipped files
 * are both read (gzip is recognised by its first bytes, not the file name).
 *
 * <p>A wrong magic number, a truncated file or trailing bytes give an {@link IOException} that
 * names the file and the fault; sizes are checked before anything large is allocated.
 */
public final class Idx {
  /** Magic number of an unsigned-byte rank-3 IDX file (images). */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic number of an unsigned-byte rank-1 IDX file (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  private Idx() {}

  /** Reads unsigned-byte images as a float32 tensor {@code [N, rows, cols]} of values 0 to 255. */
  public static Tensor readImages(Path path) throws IOException {
    return readImages(path, 1f);
  }

  /**
   * Reads unsigned-byte images divided by {@code divisor} (no intermediate 0..255 tensor). A
   * division, not a product with 1 / divisor: the correctly rounded value, as torchvision's
   * {@code ToTensor} gives.
   */
  static Tensor readImages(Path path, float divisor) throws IOException {
    Raw raw = read(path, IMAGES_MAGIC, "images");
    float[] v = new float[raw.data.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = (raw.data[i] & 0xFF) / divisor;
    }
    return Tensor.of(v, raw.dims);
  }

  /** Reads unsigned-byte labels as an int64 tensor {@code [N]}. */
  public static Tensor readLabels(Path path) throws IOException {
    Raw raw = read(path, LABELS_MAGIC, "labels");
    long[] v = new long[raw.data.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = raw.data[i] & 0xFF;
    }
    return Tensor.of(v, raw.dims);
  }

  /** The sizes and unsigned bytes of one IDX file. */
  private static final class Raw {
    final int[] dims;
    final byte[] data;

    Raw(int[] dims, byte[] data) {
      this.dims = dims;
      this.data = data;
    }
  }

  private static IOException bad(Path path, String what) {
    return new IOException("idx: " + path + ": " + what);
  }

  private static Raw read(Path path, int magic, String kind) throws IOException {
    if (path == null) {
      throw new IllegalArgumentException("idx: path must not be null");
    }
    if (!Files.isRegularFile(path)) {
      throw new java.nio.file.NoSuchFileException(path.toString(), null,
          "idx: no such " + kind + " file");
    }
    boolean gzip;
    try (InputStream probe = Files.newInputStream(path)) {
      gzip = probe.read() == 0x1f && probe.read() == 0x8b;
    }
    long fileSize = Files.size(path);
    try (InputStream raw = Files.newInputStream(path);
        InputStream in = new BufferedInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw,
            1 << 16)) {
      int found = readInt(in, path, "the magic number");
      if (found != magic) {
        throw bad(path, String.format("magic number 0x%08X is not 0x%08X (IDX unsigned-byte %s)"
            + "%s", found, magic, kind, found == IMAGES_MAGIC || found == LABELS_MAGIC
            ? "; images and labels swapped?" : ""));
      }
      int rank = magic & 0xFF;
      int[] dims = new int[rank];
      long numel = 1;
      for (int i = 0; i < rank; i++) {
        dims[i] = readInt(in, path, "size " + i);
        if (dims[i] < 0) {
          throw bad(path, "size " + i + " is " + Integer.toUnsignedString(dims[i])
              + ", too large");
        }
        numel *= dims[i];
        if (numel > Integer.MAX_VALUE - 8) {
          throw bad(path, "sizes " + Arrays.toString(Arrays.copyOf(dims, i + 1))
              + " describe more than " + (Integer.MAX_VALUE - 8) + " bytes");
        }
      }
      long header = 4 + 4L * rank;
      if (!gzip && fileSize < header + numel) {
        throw bad(path, "truncated: sizes " + Arrays.toString(dims) + " need " + numel
            + " data bytes but the file has " + (fileSize - header));
      }
      byte[] data = in.readNBytes((int) numel); // grows as it reads: never trusts the header
      if (data.length < numel) {
        throw bad(path, "truncated: sizes " + Arrays.toString(dims) + " need " + numel
            + " data bytes but the file has " + data.length);
      }
      if (in.read() >= 0) {
        throw bad(path, "has bytes after the " + numel + " that sizes " + Arrays.toString(dims)
            + " describe");
      }
      return new Raw(dims, data);
    } catch (EOFException | ZipException e) {
      throw bad(path, "truncated or corrupt gzip stream"
          + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
    }
  }

  private static int readInt(InputStream in, Path path, String what) throws IOException {
    byte[] b = in.readNBytes(4);
    if (b.length < 4) {
      throw bad(path, "truncated: the file ends inside " + what + " of the header");
    }
    return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
  }
}
