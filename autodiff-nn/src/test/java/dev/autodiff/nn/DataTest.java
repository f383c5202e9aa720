package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DataTest {
  @Test
  void normalizationFitIsAccurateWhenTheMeanDwarfsTheSpread() {
    Normalization n = Normalization.fit(Tensor.of(new double[] {1e9 + 1, 1e9 + 2, 1e9 + 3}));
    assertEquals(1e9 + 2, n.mean(), 1e-6);
    assertEquals(Math.sqrt(2.0 / 3), n.std(), 1e-9);
  }

  @Test
  void aBatchSizeBeyondTheDataGivesOneBatch() {
    Dataset d = new Dataset(Tensor.zeros(5, 2), Tensor.of(new long[] {0, 1, 0, 1, 0}));
    DataLoader all = new DataLoader(d, Integer.MAX_VALUE);
    assertEquals(1, all.numBatches());
    assertEquals(5, all.iterator().next().x().size(0));
  }

  /** n samples whose features are [i, 10 i] and label i: a batch shows which samples it holds. */
  private static Dataset numbered(int n) {
    float[] x = new float[2 * n];
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      x[2 * i] = i;
      x[2 * i + 1] = 10 * i;
      y[i] = i;
    }
    return new Dataset(Tensor.of(x, n, 2), Tensor.of(y, n));
  }

  /** The labels of every batch of one epoch, checking that x rows match their labels. */
  private static List<long[]> epoch(DataLoader loader) {
    List<long[]> out = new ArrayList<>();
    for (Batch b : loader) {
      long[] y = b.y().toLongArray();
      float[] x = b.x().toFloatArray();
      assertEquals(Shape.of(y.length, 2), b.x().shape());
      for (int i = 0; i < y.length; i++) {
        assertEquals(y[i], x[2 * i], "row " + i + " of x belongs to its label");
        assertEquals(10 * y[i], x[2 * i + 1]);
      }
      out.add(y);
    }
    return out;
  }

  private static long[] flat(List<long[]> batches) {
    return batches.stream().flatMapToLong(Arrays::stream).toArray();
  }

  @Test
  void unshuffledLoaderGivesSamplesInOrderWithASmallerLastBatch() {
    DataLoader loader = new DataLoader(numbered(10), 4);
    List<long[]> batches = epoch(loader);
    assertEquals(3, batches.size());
    assertEquals(3, loader.numBatches());
    assertArrayEquals(new long[] {8, 9}, batches.get(2));
    assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, flat(batches));
    assertArrayEquals(flat(batches), flat(epoch(loader)), "same order every epoch");
  }

  @Test
  void shuffledLoaderCoversEverySampleExactlyOncePerEpoch() {
    DataLoader loader = new DataLoader(numbered(103), 16, new Random(7));
    for (int e = 0; e < 3; e++) {
      long[] seen = flat(epoch(loader));
      assertEquals(103, seen.length);
      long[] sorted = seen.clone();
      Arrays.sort(sorted);
      for (int i = 0; i < 103; i++) {
        assertEquals(i, sorted[i], "epoch " + e + " holds sample " + i + " exactly once");
      }
    }
  }

  @Test
  void sameSeedGivesSameOrderAndEpochsDiffer() {
    DataLoader a = new DataLoader(numbered(50), 8, new Random(42));
    DataLoader b = new DataLoader(numbered(50), 8, new Random(42));
    long[] a1 = flat(epoch(a));
    long[] a2 = flat(epoch(a));
    assertArrayEquals(a1, flat(epoch(b)));
    assertArrayEquals(a2, flat(epoch(b)));
    assertFalse(Arrays.equals(a1, a2), "a new order each epoch");
    long[] c = flat(epoch(new DataLoader(numbered(50), 8, new Random(43))));
    assertFalse(Arrays.equals(a1, c), "another seed, another order");
  }

  @Test
  void dropLastSkipsThePartialBatch() {
    DataLoader loader = new DataLoader(numbered(10), 4, new Random(1)).dropLast(true);
    List<long[]> batches = epoch(loader);
    assertEquals(2, batches.size());
    assertEquals(2, loader.numBatches());
    assertEquals(8, loader.numSamples());
    for (long[] b : batches) {
      assertEquals(4, b.length);
    }
    assertEquals(8, Arrays.stream(flat(batches)).distinct().count());
    assertEquals(0, epoch(new DataLoader(numbered(3), 4).dropLast(true)).size());
  }

  @Test
  void iteratorEndsWithNoSuchElement() {
    Iterator<Batch> it = new DataLoader(numbered(2), 2).iterator();
    it.next();
    assertFalse(it.hasNext());
    assertThrows(NoSuchElementException.class, it::next);
  }

  @Test
  void closingABatchLeavesTheDatasetUsable() {
    Dataset d = numbered(4);
    for (Batch b : new DataLoader(d, 4)) {
      b.x().close();
      b.y().close();
    }
    assertFalse(d.x().isClosed());
    assertArrayEquals(new long[] {0, 1, 2, 3}, d.y().toLongArray());
  }

  @Test
  void datasetGetSubsetSplitAndFlatten() {
    Dataset d = numbered(10);
    assertEquals(10, d.size());
    assertEquals(10, d.numClasses());
    Batch b = d.get(Tensor.of(new long[] {7, 2}));
    assertArrayEquals(new long[] {7, 2}, b.y().toLongArray());
    assertArrayEquals(new float[] {7, 70, 2, 20}, b.x().toFloatArray());
    Dataset s = d.subset(3, 6);
    assertArrayEquals(new long[] {3, 4, 5}, s.y().toLongArray());
    Dataset[] parts = d.split(7, new Random(0));
    assertEquals(7, parts[0].size());
    assertEquals(3, parts[1].size());
    long[] all = new long[10];
    System.arraycopy(parts[0].y().toLongArray(), 0, all, 0, 7);
    System.arraycopy(parts[1].y().toLongArray(), 0, all, 7, 3);
    Arrays.sort(all);
    assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, all);
    Dataset images = new Dataset(Tensor.zeros(5, 3, 4), Tensor.of(new long[5]));
    assertEquals(Shape.of(5, 12), images.flatten().x().shape());
  }

  @Test
  void badArgumentsAreNamed() {
    Tensor x = Tensor.zeros(4, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Dataset(x, Tensor.of(new long[3])));
    assertTrue(e.getMessage().contains("4") && e.getMessage().contains("3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new Dataset(x, Tensor.scalar(1)));
    assertTrue(e.getMessage().contains("sample axis"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new DataLoader(numbered(3), 0));
    assertTrue(e.getMessage().contains("0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> numbered(3).get(5L));
    assertTrue(e.getMessage().contains("5"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> numbered(3).subset(2, 9));
    assertThrows(IllegalArgumentException.class, () -> new DataLoader(null, 3));
  }

  @Test
  void normalizationScalesAndStandardizes() {
    Tensor raw = Tensor.of(new float[] {0, 51, 255, 102}, 4);
    assertArrayEquals(new float[] {0, 0.2f, 1, 0.4f}, Normalization.scale(raw, 255).toFloatArray(),
        1e-6f);
    Normalization n = Normalization.fit(Tensor.of(new float[] {1, 2, 3, 4, 5}, 5));
    assertEquals(3.0, n.mean(), 1e-9);
    assertEquals(Math.sqrt(2.0), n.std(), 1e-6);
    float[] z = n.apply(Tensor.of(new float[] {1, 2, 3, 4, 5}, 5)).toFloatArray();
    double mean = 0;
    double sq = 0;
    for (float v : z) {
      mean += v / 5.0;
      sq += v * v / 5.0;
    }
    assertEquals(0, mean, 1e-6);
    assertEquals(1, sq, 1e-5);
    assertEquals(1.0, Normalization.fit(Tensor.full(2, 3)).std(), "constant data: std 1");
    assertThrows(IllegalArgumentException.class, () -> new Normalization(0, 0));
    assertThrows(IllegalArgumentException.class,
        () -> Normalization.fit(Tensor.of(new long[] {1, 2})));
  }

  @Test
  void embeddedDatasetIsDeterministicBalancedAndInRange() {
    Datasets.Split a = Datasets.embedded(5, 200, 50);
    Datasets.Split b = Datasets.embedded(5, 200, 50);
    assertEquals(Shape.of(200, 28, 28), a.train().x().shape());
    assertEquals(DType.FLOAT32, a.train().x().dtype());
    assertEquals(Shape.of(50), a.test().y().shape());
    assertArrayEquals(a.train().x().toFloatArray(), b.train().x().toFloatArray());
    assertArrayEquals(a.test().y().toLongArray(), b.test().y().toLongArray());
    assertNotEquals(Arrays.hashCode(a.train().x().toFloatArray()),
        Arrays.hashCode(Datasets.embedded(6, 200, 50).train().x().toFloatArray()));
    int[] counts = new int[10];
    for (long y : a.train().y().toLongArray()) {
      counts[(int) y]++;
    }
    for (int c : counts) {
      assertEquals(20, c);
    }
    for (float v : a.train().x().toFloatArray()) {
      assertTrue(v >= 0 && v <= 1, "pixel " + v + " in [0, 1]");
    }
    Datasets.Split full = Datasets.embedded();
    assertEquals(Datasets.EMBEDDED_TRAIN, full.train().size());
    assertEquals(Datasets.EMBEDDED_TEST, full.test().size());
  }

  /** The classes differ: a nearest-class-mean classifier already beats chance by far. */
  @Test
  void embeddedClassesAreSeparable() {
    Datasets.Split s = Datasets.embedded(9, 1000, 500);
    float[] x = s.train().x().toFloatArray();
    long[] y = s.train().y().toLongArray();
    double[][] means = new double[10][784];
    for (int i = 0; i < y.length; i++) {
      for (int j = 0; j < 784; j++) {
        means[(int) y[i]][j] += x[i * 784 + j] / 100.0;
      }
    }
    float[] tx = s.test().x().toFloatArray();
    long[] ty = s.test().y().toLongArray();
    int correct = 0;
    for (int i = 0; i < ty.length; i++) {
      int best = -1;
      double bestD = Double.MAX_VALUE;
      for (int c = 0; c < 10; c++) {
        double d = 0;
        for (int j = 0; j < 784; j++) {
          double diff = tx[i * 784 + j] - means[c][j];
          d += diff * diff;
        }
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      correct += best == ty[i] ? 1 : 0;
    }
    assertTrue(correct / 500.0 > 0.3, "nearest mean accuracy " + correct / 500.0);
  }

  @Test
  void floatTargetsOfAnyShapeBatchAlongsideTheirSamples() {
    // Regression: two outputs per sample, row i of y being (10 i, -i); x's row i is (i, i).
    double[] xs = new double[14];
    double[] ys = new double[14];
    for (int i = 0; i < 7; i++) {
      xs[2 * i] = xs[2 * i + 1] = i;
      ys[2 * i] = 10 * i;
      ys[2 * i + 1] = -i;
    }
    Dataset d = new Dataset(Tensor.of(xs, 7, 2), Tensor.of(ys, 7, 2));
    assertEquals("Dataset(x=[7, 2] float64, y=[7, 2] float64)", d.toString());
    int seen = 0;
    for (Batch b : new DataLoader(d, 3, new Random(5))) {
      assertEquals(b.x().size(0), b.y().size(0));
      double[] bx = b.x().toDoubleArray();
      double[] by = b.y().toDoubleArray();
      for (int r = 0; r < b.size(); r++) {
        assertEquals(10 * bx[2 * r], by[2 * r], 0.0);
        assertEquals(-bx[2 * r], by[2 * r + 1], 0.0);
      }
      seen += b.size();
    }
    assertEquals(7, seen);
    IllegalStateException e = assertThrows(IllegalStateException.class, d::numClasses);
    assertEquals("dataset numClasses: the targets are float64 [7, 2], not int64 class labels",
        e.getMessage());
  }

  @Test
  void negativeLabelsPassThroughAsIgnoreMarkersForTheLoss() {
    Tensor x = Tensor.of(new float[] {0, 0, 1, 1, 2, 2}, 3, 2);
    Dataset d = new Dataset(x, Tensor.of(new long[] {0, -100, 2}));
    assertEquals(3, d.numClasses());
    Batch b = d.get(1, 2);
    assertArrayEquals(new long[] {-100, 2}, b.y().toLongArray());
    Tensor logits = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3);
    // torch.nn.functional.cross_entropy(logits, torch.tensor([-100, 2])): only the second row
    assertEquals(0.40760596, Losses.crossEntropy().ignoreIndex(-100).apply(logits, b.y()).item(),
        1e-6);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(logits, b.y()));
    assertTrue(e.getMessage().contains("-100"), e.getMessage());
  }

  @Test
  void floatIndicesAreRejected() {
    Dataset d = new Dataset(Tensor.zeros(3, 2), Tensor.of(new long[] {0, 1, 2}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> d.get(Tensor.of(new float[] {0, 1})));
    assertEquals("dataset get: index must be int64 sample numbers, got float32 of shape [2]",
        e.getMessage());
  }
}
