package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Tensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  @TempDir Path dir;

  /** Two Gaussian blobs in 2-D, labels 0 and 1: linearly separable. */
  private static Dataset blobs(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[2 * n];
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      int c = i % 2;
      x[2 * i] = (float) (r.nextGaussian() * 0.5 + (c == 0 ? -2 : 2));
      x[2 * i + 1] = (float) (r.nextGaussian() * 0.5 + (c == 0 ? 1 : -1));
      y[i] = c;
    }
    return new Dataset(Tensor.of(x, n, 2), Tensor.of(y, n));
  }

  @Test
  void fitReducesTheLossAndLearnsATinyProblem() {
    Layer model = MLP.of(new Random(1), ReLU::new, 2, 8, 2);
    Trainer t = new Trainer(model, new Adam(model.parameters(), 0.05),
        Losses::softmaxCrossEntropy).progress(null).log(null);
    DataLoader train = new DataLoader(blobs(256, 1), 32, new Random(2));
    DataLoader test = new DataLoader(blobs(128, 3), 64);
    double before = t.evaluate(test);
    Trainer.History h = t.fit(train, test, 5);
    assertEquals(5, h.epochs().size());
    assertEquals(5 * 8, h.stepLosses().size());
    assertEquals(40, h.last().endStep());
    double first = h.epochs().get(0).loss();
    double last = h.last().loss();
    assertTrue(last < first * 0.5, "loss " + first + " -> " + last);
    assertTrue(h.last().testAccuracy() > 0.95, "test accuracy " + h.last().testAccuracy());
    assertTrue(h.last().trainAccuracy() > 0.9);
    assertTrue(h.last().samplesPerSecond() > 0);
    assertEquals(h.last().testAccuracy(), t.evaluate(test), 1e-12);
    assertTrue(model.isTraining(), "evaluate restores training mode");
    assertTrue(before < 0.95 || before >= 0, "evaluate before training runs");
  }

  @Test
  void plainForwardFunctionsTrainToo() {
    Tensor w = Tensor.zeros(2, 2).requiresGrad();
    Tensor b = Tensor.zeros(2).requiresGrad();
    Trainer t = new Trainer(x -> x.matmul(w).add(b), new SGD(List.of(w, b), 0.5),
        Losses::softmaxCrossEntropy).progress(null).log(null);
    Trainer.History h = t.fit(new DataLoader(blobs(200, 4), 20, new Random(5)), null, 3);
    assertTrue(Double.isNaN(h.last().testAccuracy()));
    assertTrue(h.last().loss() < h.epochs().get(0).loss());
    assertTrue(h.stepLosses().get(h.stepLosses().size() - 1) < h.stepLosses().get(0));
    assertFalse(w.isClosed(), "parameters survive the step scopes");
    assertTrue(t.evaluate(new DataLoader(blobs(100, 6), 50)) > 0.9);
  }

  @Test
  void samplesLabelledWithAnIgnoreMarkerAreLeftOutOfTheAccuracy() {
    // Logits that predict class 0 for every sample; the labels are 0, 1, -100 (ignored), 0.
    Tensor x = Tensor.zeros(4, 2);
    Dataset d = new Dataset(x, Tensor.of(new long[] {0, 1, -100, 0}));
    Trainer t = new Trainer(in -> Tensor.of(new float[] {1, 0}).expand(in.size(0), 2),
        new SGD(List.of(Tensor.zeros(1).requiresGrad()), 0.1),
        (logits, y) -> Losses.crossEntropy().ignoreIndex(-100).apply(logits, y))
        .progress(null).log(null);
    assertEquals(2.0 / 3, t.evaluate(new DataLoader(d, 4)), 1e-12);
  }

  @Test
  void progressAndEpochLinesArePrinted() {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    ByteArrayOutputStream bar = new ByteArrayOutputStream();
    Layer model = MLP.of(new Random(1), ReLU::new, 2, 4, 2);
    int[] calls = {0};
    new Trainer(model, new Adam(model.parameters(), 0.01), Losses::softmaxCrossEntropy)
        .log(new PrintStream(log, true, StandardCharsets.UTF_8))
        .progress(new PrintStream(bar, true, StandardCharsets.UTF_8))
        .onEpoch(e -> calls[0]++)
        .fit(new DataLoader(blobs(64, 1), 16), new DataLoader(blobs(32, 2), 32), 2);
    String lines = log.toString(StandardCharsets.UTF_8);
    assertTrue(lines.matches("(?s)epoch 1: loss \\d\\.\\d{4}, train acc \\d\\.\\d{4}, test acc "
        + "\\d\\.\\d{4}, \\d+ samples/s, .*\\R.*epoch 2: .*"), lines);
    String progress = bar.toString(StandardCharsets.UTF_8);
    assertTrue(progress.contains("epoch 2/2") && progress.contains("samples/s")
        && progress.contains("loss "), progress);
    assertEquals(2, calls[0]);
  }

  @Test
  void lossCurveIsWrittenAsAPng() throws IOException {
    Layer model = MLP.of(new Random(1), ReLU::new, 2, 4, 2);
    Trainer t = new Trainer(model, new Adam(model.parameters(), 0.01),
        Losses::softmaxCrossEntropy).progress(null).log(null);
    Trainer.History h = t.fit(new DataLoader(blobs(64, 1), 8), null, 2);
    Path png = dir.resolve("loss.png");
    LossCurve.save(h, png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(800, img.getWidth());
    assertEquals(500, img.getHeight());
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file left");
    }
    assertThrows(IllegalArgumentException.class, () -> LossCurve.save(List.of(), png));
  }

  @Test
  void badArgumentsAreNamed() {
    Layer model = MLP.of(2, 2);
    Optimizer opt = new SGD(model.parameters(), 0.1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Trainer(model, null, Losses::softmaxCrossEntropy));
    assertTrue(e.getMessage().contains("optimizer"), e.getMessage());
    Trainer t = new Trainer(model, opt, Losses::softmaxCrossEntropy);
    e = assertThrows(IllegalArgumentException.class,
        () -> t.fit(new DataLoader(blobs(4, 1), 2), null, -1));
    assertTrue(e.getMessage().contains("-1"), e.getMessage());
  }
}
