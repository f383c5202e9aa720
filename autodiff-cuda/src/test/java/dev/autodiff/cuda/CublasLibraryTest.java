package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the cuBLAS bindings look for their library, and how a failing status reads. */
class CublasLibraryTest {
  @TempDir Path dir;

  @Test
  void candidatesComeInTheDocumentedOrderWithoutRepeats() {
    // an existing folder: the library is looked for inside
    List<Path> c = CublasLibrary.candidates("libcublas.so.13", dir.toString(), Map.of(
        "LD_LIBRARY_PATH", "/a::/b/lib:/a", "CUDA_HOME", "/cuda", "CUDA_PATH", "/b"));
    assertEquals(List.of(dir.resolve("libcublas.so.13"), Path.of("/a/libcublas.so.13"),
        Path.of("/b/lib/libcublas.so.13"), Path.of("/cuda/lib64/libcublas.so.13"),
        Path.of("/b/lib64/libcublas.so.13"), Path.of("/usr/local/cuda/lib64/libcublas.so.13")),
        c);
    assertEquals(List.of(Path.of("/usr/local/cuda/lib64/libcublas.so.12")),
        CublasLibrary.candidates("libcublas.so.12", null, Map.of()));
  }

  @Test
  void aFileSettingServesOnlyTheMajorVersionItNames() {
    String v13 = "/x/libcublas.so.13.0.2";
    assertEquals(List.of(Path.of(v13), Path.of("/usr/local/cuda/lib64/libcublas.so.13")),
        CublasLibrary.candidates("libcublas.so.13", v13, Map.of()));
    assertEquals(List.of(Path.of("/usr/local/cuda/lib64/libcublas.so.12")),
        CublasLibrary.candidates("libcublas.so.12", v13, Map.of()));
    // A name without a version may be either.
    assertEquals(Path.of("/y/libcublas.so"),
        CublasLibrary.candidates("libcublas.so.12", "/y/libcublas.so", Map.of()).get(0));
  }

  @Test
  void lookedInListsThePlacesInOrder() {
    assertEquals("-Dautodiff.cublas.path=/p, LD_LIBRARY_PATH /a:/b, $CUDA_HOME/lib64,"
        + " /usr/local/cuda/lib64 and the system loader's path", CublasLibrary.lookedIn(" /p ",
            Map.of("LD_LIBRARY_PATH", "/a:/b", "CUDA_HOME", "/cuda")));
    assertEquals("LD_LIBRARY_PATH (unset), /usr/local/cuda/lib64 and the system loader's path",
        CublasLibrary.lookedIn(null, Map.of()));
  }

  @Test
  void aFailedStatusNamesTheCallItsArgumentsAndTheStatus() {
    CublasLibrary.check(0, "cublasSgemm_v2", "");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> CublasLibrary.check(7, "cublasSgemm_v2", "(m 2)"));
    assertEquals("cuBLAS call cublasSgemm_v2 (m 2) failed: CUBLAS_STATUS_INVALID_VALUE (7)",
        e.getMessage());
    e = assertThrows(IllegalStateException.class,
        () -> CublasLibrary.check(99, "cublasCreate_v2", ""));
    assertTrue(e.getMessage().endsWith("failed: cublasStatus_t 99 (99)"), e.getMessage());
  }
}
