package dev.autodiff.cuda;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Builds the stub libcublas of src/test/c with gcc, for the GPU-free tests of the bindings. */
final class StubCublas {
  private StubCublas() {}

  /** The stub's C source: the pom passes its path, else the module's relative one. */
  static Path source() {
    return Path.of(System.getProperty("autodiff.test.stubCublasSource",
        "src/test/c/stub_cublas.c"));
  }

  /**
   * Compiles {@code source} into the shared library {@code out}; false when there is no gcc.
   *
   * @param flags after the source, so that a library to link against may be among them
   * @throws AssertionError when gcc fails, with its output
   */
  static boolean gcc(Path source, Path out, String... flags) throws InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-O1", "-o",
        out.toString(), source.toString()));
    cmd.addAll(List.of(flags));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("gcc failed: " + output);
      }
      return true;
    } catch (IOException e) {
      return false; // no gcc
    }
  }
}
