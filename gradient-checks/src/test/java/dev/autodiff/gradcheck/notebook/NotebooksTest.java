package dev.autodiff.gradcheck.notebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every notebook in {@code notebooks/} through {@code bin/autodiff notebook}, as a reader
 * would, with this JVM's class path in {@code AUTODIFF_CLASSPATH} so that the launcher builds
 * nothing; and checks that a failing snippet fails the run and is named.
 */
class NotebooksTest {
  private static final long TIMEOUT_SECONDS = 120;

  /** What a notebook must print, beyond exiting with 0. */
  private static final Map<String, List<String>> EXPECTED_TEXT = Map.of(
      "01-basics.jsh", List.of("J = 2(ab + c) = 22.0", "dJ/da = 2b = 4.0", "dJ/db = 2a = 6.0",
          "dJ/dc = 2  = 2.0", "= [-6.0, 3.0, 12.0] (6x = [-6.0, 3.0, 12.0])"),
      "02-xor.jsh", List.of("linear model: loss 0.250", "2-2-1 tanh network", "accuracy 4/4"),
      "03-spiral.jsh", List.of("accuracy on a fresh spiral"),
      "04-fashion-mnist.jsh", List.of("true \\ pred", "test accuracy: "),
      "05-custom-op.jsh", List.of("gradient check of stableSoftplus passed",
          "gradient check of stableSoftplus (second order) passed",
          "gradient check of swish (wrong VJP) FAILED", "gradient check of swish passed"),
      "06-optimizers.jsh", List.of("SGD momentum 0.9", "Adam, lr"),
      "07-gpu.jsh", List.of("512 x 512 matmul on", "step 100"));

  /** The plots a notebook must save, by file name. */
  private static final Map<String, List<String>> EXPECTED_PNGS = Map.of(
      "01-basics.jsh", List.of("01-tanh-derivatives.png"),
      "02-xor.jsh", List.of("02-xor-loss.png"),
      "03-spiral.jsh", List.of("03-spiral-boundary.png"),
      "04-fashion-mnist.jsh", List.of("04-loss.png", "04-confusion.png"),
      "06-optimizers.jsh", List.of("06-optimizers-loss.png", "06-optimizers-paths.png"));

  private static final Pattern SAVED = Pattern.compile("(?m)^saved (\\S+\\.png)$");

  @TempDir
  Path temp;

  @TestFactory
  Stream<DynamicTest> everyNotebookRunsToTheEnd() throws IOException {
    List<Path> notebooks;
    try (Stream<Path> files = Files.list(root().resolve("notebooks"))) {
      notebooks = files.filter(f -> f.getFileName().toString().endsWith(".jsh")).sorted()
          .collect(Collectors.toList());
    }
    assertFalse(notebooks.isEmpty(), "no notebooks/*.jsh in " + root());
    return notebooks.stream().map(nb -> DynamicTest.dynamicTest(
        nb.getFileName().toString(), () -> runsToTheEnd(nb)));
  }

  private void runsToTheEnd(Path notebook) throws Exception {
    String name = notebook.getFileName().toString();
    Path out = temp.resolve(name.replace(".jsh", ""));
    Result r = launch("notebook", "--out", out.toString(), root().relativize(notebook).toString());
    assertEquals(0, r.status, () -> name + " failed:\n" + r.output);
    for (String text : EXPECTED_TEXT.getOrDefault(name, List.of())) {
      assertTrue(r.output.contains(text), () -> name + " did not print '" + text + "':\n"
          + r.output);
    }
    List<Path> pngs = new ArrayList<>();
    for (String png : EXPECTED_PNGS.getOrDefault(name, List.of())) {
      pngs.add(out.resolve(png));
    }
    Matcher m = SAVED.matcher(r.output);
    while (m.find()) { // and whatever else it says it saved
      pngs.add(root().resolve(m.group(1)));
    }
    for (Path png : pngs) {
      assertTrue(isPng(png), () -> name + " did not save a PNG at " + png + ":\n" + r.output);
    }
    switch (name) {
      case "02-xor.jsh":
        assertTrue(r.output.contains("accuracy 2/4"), "the linear model is a coin toss on XOR");
        break;
      case "03-spiral.jsh":
        assertTrue(number(r.output, "accuracy on a fresh spiral \\(another seed\\): ") > 0.9,
            r.output);
        break;
      case "04-fashion-mnist.jsh":
        assertTrue(number(r.output, "test accuracy: ") > 0.7, r.output);
        break;
      default:
        break;
    }
  }

  @Test
  void aSnippetThatDoesNotCompileFailsTheRunAndIsNamed() throws Exception {
    Path nb = temp.resolve("broken.jsh");
    Files.writeString(nb, String.join("\n",
        "// a notebook with a type error on line 3",
        "System.out.println(\"before the error\");",
        "int x = \"a\";",
        "System.out.println(\"after the error\");", ""));
    Result r = launch("notebook", nb.toString());
    assertNotEquals(0, r.status, r.output);
    assertTrue(r.output.contains("before the error"), r.output);
    assertFalse(r.output.contains("after the error"), r.output);
    assertTrue(r.output.contains("broken.jsh:3: snippet 2 failed"), r.output);
    assertTrue(r.output.contains("int x = \"a\";"), r.output);
    assertTrue(r.output.contains("incompatible types"), r.output);
  }

  @Test
  void aSnippetThatThrowsFailsTheRunWithItsStackTrace() throws Exception {
    Path nb = temp.resolve("throws.jsh");
    Files.writeString(nb, String.join("\n",
        "void check(int v) {",
        "  if (v > 1) throw new RuntimeException(\"boom at \" + v);",
        "}",
        "check(1);",
        "check(2);",
        "System.out.println(\"after the exception\");", ""));
    Result r = launch("notebook", nb.toString());
    assertNotEquals(0, r.status, r.output);
    assertTrue(r.output.contains("throws.jsh:5: snippet 3 failed"), r.output);
    assertTrue(r.output.contains("check(2);"), r.output);
    assertTrue(r.output.contains("java.lang.RuntimeException: boom at 2"), r.output);
    assertTrue(r.output.contains("at check(notebook line 2)"), r.output);
    assertFalse(r.output.contains("after the exception"), r.output);
  }

  @Test
  void expressionsShowTheirValueUnlessASemicolonEndsThem() throws Exception {
    Path nb = temp.resolve("values.jsh");
    Files.writeString(nb, String.join("\n",
        "Tensor a = Tensor.scalar(3.0).requiresGrad();",
        "Tensor j = a.mul(a)",
        "j.backward();",
        "a.grad().item()",
        "a.grad().item() + 100;", ""));
    Result r = launch("notebook", nb.toString());
    assertEquals(0, r.status, r.output);
    // The backward in a later snippet than the forward: every snippet runs on one thread.
    assertTrue(r.output.contains("j ==> tensor(9."), r.output);
    assertTrue(r.output.contains("$1 ==> 6.0"), r.output);
    assertFalse(r.output.contains("106.0"), r.output);
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static final class Result {
    final int status;
    final String output;

    Result(int status, String output) {
      this.status = status;
      this.output = output;
    }
  }

  /** Runs {@code bin/autodiff args...} from the repository root; stdout and stderr together. */
  private static Result launch(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(root().resolve("bin/autodiff").toString());
    command.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(root().toFile())
        .redirectErrorStream(true);
    pb.environment().put("AUTODIFF_CLASSPATH", System.getProperty("java.class.path"));
    pb.environment().put("JAVA_HOME", System.getProperty("java.home")); // this JVM's java
    Process p = pb.start();
    p.getOutputStream().close();
    byte[][] output = new byte[1][];
    Thread reader = new Thread(() -> {
      try (InputStream in = p.getInputStream()) {
        output[0] = in.readAllBytes();
      } catch (IOException e) {
        output[0] = ("(could not read the output: " + e + ")").getBytes(StandardCharsets.UTF_8);
      }
    });
    reader.start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      reader.join(5000);
      fail("bin/autodiff " + String.join(" ", args) + " ran past " + TIMEOUT_SECONDS + " s:\n"
          + (output[0] == null ? "" : new String(output[0], StandardCharsets.UTF_8)));
    }
    reader.join();
    return new Result(p.exitValue(), new String(output[0], StandardCharsets.UTF_8));
  }

  /** The repository root: the nearest folder up from here holding bin/autodiff. */
  private static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("bin/autodiff"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException(
          "bin/autodiff not found above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  private static boolean isPng(Path file) throws IOException {
    if (!Files.isRegularFile(file) || Files.size(file) < 1000) {
      return false;
    }
    byte[] head = new byte[8];
    try (InputStream in = Files.newInputStream(file)) {
      if (in.readNBytes(head, 0, 8) != 8) {
        return false;
      }
    }
    return Arrays.equals(head, new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
  }

  /** The number printed right after {@code prefix} (a regex). */
  private static double number(String output, String prefix) {
    Matcher m = Pattern.compile(prefix + "([0-9.]+)").matcher(output);
    assertTrue(m.find(), "no '" + prefix + "' in:\n" + output);
    return Double.parseDouble(m.group(1));
  }
}
