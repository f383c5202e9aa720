package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTest {
  @TempDir Path dir;

  private record Result(int status, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\\R");
      return lines[lines.length - 1];
    }
  }

  private static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Demo.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(status, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void deviceOptionTakesCpuOrCudaAndNamesAMissingGpu() {
    Result bad = run("--device", "gpu");
    assertEquals(2, bad.status());
    assertTrue(bad.err().contains("--device must be cpu, cuda or cuda:N, got 'gpu'"), bad.err());
    // autodiff-nn's tests run without the CUDA module: the demo fails at once, saying why.
    Result missing = run("--device", "cuda:1", "--embedded", "--out", dir.toString());
    assertEquals(1, missing.status());
    assertTrue(missing.err().startsWith("autodiff demo: ") && missing.err().contains("autodiff-cuda"),
        missing.err());
    assertEquals("", missing.out(), "nothing was loaded or trained");
  }

  @Test
  void oneEpochOnTheEmbeddedSetPrintsAccuracyLastAndSavesCurveAndCheckpoint() throws IOException {
    Path out = dir.resolve("out");
    Result r = run("--embedded", "--epochs", "1", "--seed", "3", "--out", out.toString());
    assertEquals(0, r.status(), r.err());
    assertTrue(r.lastLine().matches("test accuracy: 0\\.\\d{4}"), r.out());
    double accuracy = Double.parseDouble(r.lastLine().substring("test accuracy: ".length()));
    assertTrue(accuracy > 0.5, "well above the 0.1 of chance: " + accuracy);
    assertTrue(r.err().contains("samples/s"), "progress shown: " + r.err());

    assertEquals(800, ImageIO.read(out.resolve("loss.png").toFile()).getWidth());
    // The checkpoint is the trained model: loaded into a fresh MLP it scores the same.
    Layer fresh = MLP.of(new Random(99), ReLU::new, 784, 128, 10);
    fresh.load(out.resolve("model.safetensors"));
    Datasets.Split data = Datasets.embedded();
    double reloaded = new Trainer(fresh, new SGD(fresh.parameters(), 0.1),
        Losses::softmaxCrossEntropy).evaluate(new DataLoader(data.test().flatten(), 500));
    assertEquals(accuracy, reloaded, 1e-4);
  }

  @Test
  void sameSeedGivesTheSameResult() {
    String[] args = {"--embedded", "--epochs", "1", "--quiet", "--hidden", "32", "--seed", "5",
        "--out", dir.resolve("a").toString()};
    Result a = run(args);
    args[args.length - 1] = dir.resolve("b").toString();
    Result b = run(args);
    assertEquals(0, a.status(), a.err());
    assertEquals(a.lastLine(), b.lastLine());
    assertEquals("", a.err(), "--quiet hides the progress bar");
  }

  @Test
  void badUsageAndMissingDataGiveClearErrors() {
    Result r = run("--epochs", "zero");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("--epochs needs an integer, got 'zero'"), r.err());
    r = run("--frobnicate");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("unknown option '--frobnicate'"), r.err());
    r = run("--data", dir.toString(), "--out", dir.resolve("o").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("train-images-idx3-ubyte"), r.err());
    r = run("--help");
    assertEquals(0, r.status());
    assertTrue(r.out().contains("--epochs N"), r.out());
    assertTrue(Files.notExists(dir.resolve("o")));
  }
}
