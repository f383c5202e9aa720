package dev.autodiff.nn;

import dev.autodiff.core.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Ready-made datasets: Fashion-MNIST read from its IDX files, and an embedded generated set that
 * needs no files, for demos and tests on machines without data installed.
 */
public final class Datasets {
  /** Where Debian's {@code dataset-fashion-mnist} package installs the IDX files. */
  public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** Fashion-MNIST's class names, by label. */
  public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser",
      "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  /** The seed of {@link #embedded()}. */
  public static final long EMBEDDED_SEED = 20240601L;

  static final int EMBEDDED_TRAIN = 6000;
  static final int EMBEDDED_TEST = 1000;

  private static final String[] FASHION_FILES = {"train-images-idx3-ubyte",
    "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

  private Datasets() {}

  /**
   * A training and a test set.
   *
   * @param train the samples to learn from
   * @param test held-out samples to measure accuracy on
   */
  public record Split(Dataset train, Dataset test) {
    /** Checks that both are present. */
    public Split {
      if (train == null || test == null) {
        throw new IllegalArgumentException("split: train and test must not be null");
      }
    }
  }

  /** True when {@code dir} holds the four Fashion-MNIST IDX files (plain or gzipped). */
  public static boolean hasFashionMnist(Path dir) {
    if (dir == null || !Files.isDirectory(dir)) {
      return false;
    }
    for (String f : FASHION_FILES) {
      if (find(dir, f) == null) {
        return false;
      }
    }
    return true;
  }

  /**
   * Fashion-MNIST from {@code dir}, which holds {@code train-images-idx3-ubyte}, {@code
   * train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte},
   * each optionally with {@code .gz}: 60,000 training and 10,000 test images as float32 {@code [N,
   * 28, 28]} scaled to [0, 1], labels int64 0..9 (see {@link #FASHION_MNIST_CLASSES}).
   */
  public static Split fashionMnist(Path dir) throws IOException {
    return idxSplit(dir, "fashion-mnist");
  }

  /** MNIST-layout IDX files in {@code dir} (the file names Fashion-MNIST shares with MNIST). */
  static Split idxSplit(Path dir, String what) throws IOException {
    if (dir == null) {
      throw new IllegalArgumentException(what + ": directory must not be null");
    }
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, what + ": not a directory");
    }
    Path[] files = new Path[FASHION_FILES.length];
    for (int i = 0; i < files.length; i++) {
      files[i] = find(dir, FASHION_FILES[i]);
      if (files[i] == null) {
        throw new NoSuchFileException(dir.resolve(FASHION_FILES[i]).toString(), null,
            what + ": missing " + FASHION_FILES[i] + "[.gz] in " + dir + " (expected "
                + String.join(", ", FASHION_FILES) + ", each optionally .gz)");
      }
    }
    return new Split(load(files[0], files[1]), load(files[2], files[3]));
  }

  private static Dataset load(Path images, Path labels) throws IOException {
    Tensor x = Idx.readImages(images, 255f);
    Tensor y = Idx.readLabels(labels);
    if (x.size(0) != y.size(0)) {
      throw new IOException("idx: " + images + " has " + x.size(0) + " images but " + labels
          + " has " + y.size(0) + " labels");
    }
    return new Dataset(x, y);
  }

  private static Path find(Path dir, String base) {
    for (String name : new String[] {base, base + ".gz"}) {
      Path p = dir.resolve(name);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    return null;
  }

  /**
   * The embedded default dataset, for when no data is installed: 6,000 training and 1,000 test
   * images of the ten seven-segment digits (28x28, float32 in [0, 1], labels int64 0..9), drawn
   * with random size, position, slant, stroke width, an occasional missing segment and pixel
   * noise. Generated deterministically in code (about a tenth of a second); an MLP learns it to
   * well above chance in a few seconds.
   */
  public static Split embedded() {
    return embedded(EMBEDDED_SEED, EMBEDDED_TRAIN, EMBEDDED_TEST);
  }

  /** The embedded dataset with another seed and sizes; the same arguments give the same data. */
  public static Split embedded(long seed, int trainSize, int testSize) {
    int max = Integer.MAX_VALUE / (Glyphs.SIDE * Glyphs.SIDE);
    if (trainSize < 0 || testSize < 0 || trainSize > max || testSize > max) {
      throw new IllegalArgumentException("embedded dataset: sizes must be in [0, " + max
          + "], got train " + trainSize + ", test " + testSize);
    }
    Random random = new Random(seed);
    return new Split(glyphs(random, trainSize), glyphs(random, testSize));
  }

  private static Dataset glyphs(Random random, int n) {
    float[] pixels = new float[n * Glyphs.SIDE * Glyphs.SIDE];
    long[] labels = new long[n];
    Glyphs.generate(random, pixels, labels);
    return new Dataset(Tensor.of(pixels, n, Glyphs.SIDE, Glyphs.SIDE), Tensor.of(labels, n));
  }
}
