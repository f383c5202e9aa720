package dev.autodiff.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.nn.Demo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code autodiff demo --device cuda} end to end, on the CUDA emulator in this module's
 * emulated-GPU run (or a GPU). Left out of the GPU bundle's test jar: the demo's loss-curve
 * plotting would bring java.desktop and the chart library along (about 19 MB, past the size a
 * device run can carry).
 */
class DemoGpuTest {
  @Test
  void theDemoTrainsOnTheGpuWithDeviceCuda(@TempDir Path dir) {
    CudaTrainingTest.gpu();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Demo.run(new String[] {"--device", "cuda", "--embedded", "--epochs", "1",
        "--hidden", "32", "--quiet", "--out", dir.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
    assertTrue(text.contains("parameters on cuda:0"), text);
    String[] lines = text.strip().split("\\R");
    String last = lines[lines.length - 1];
    assertTrue(last.matches("test accuracy: 0\\.\\d{4}"), text);
    double accuracy = Double.parseDouble(last.substring("test accuracy: ".length()));
    assertTrue(accuracy > 0.5, "well above the 0.1 of chance: " + accuracy);
    assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
  }
}
