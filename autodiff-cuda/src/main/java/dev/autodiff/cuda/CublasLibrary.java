package dev.autodiff.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the two cuBLAS bindings share: where to look for the library, cuBLAS's enum values and
 * the status check. {@link JCublasBlas} binds {@code libcublas.so.12} through JCuda's JNI on any
 * JDK; {@code CublasFfm} binds {@code libcublas.so.13} through the foreign-function API on JDK
 * 22+.
 */
final class CublasLibrary {
  /** {@code -Dautodiff.cublas.path=FILE_OR_FOLDER}: where libcublas is. */
  static final String PATH_PROPERTY = "autodiff.cublas.path";

  /** cublasOperation_t. */
  static final int OP_N = 0;
  static final int OP_T = 1;
  /** cublasMath_t. */
  static final int DEFAULT_MATH = 0;
  static final int TF32_TENSOR_OP_MATH = 3;
  /**
   * Batches per strided-batched call. Recent cuBLAS takes more, but older ones failed above the
   * grid's 65535; a product of more batches is a few calls, which costs nothing at that size.
   */
  static final int MAX_BATCHES = 65535;

  private static final Pattern SO_MAJOR = Pattern.compile("\\.so\\.(\\d+)");

  private CublasLibrary() {}

  /**
   * Where to look for {@code library} (say {@code libcublas.so.12}), in order: the setting (a
   * folder holding it, or the file itself unless its name gives another major version), each
   * folder of LD_LIBRARY_PATH, $CUDA_HOME/lib64, $CUDA_PATH/lib64 and /usr/local/cuda/lib64;
   * without repeats. The system loader's own path comes after these.
   */
  static List<Path> candidates(String library, String setting, Map<String, String> env) {
    LinkedHashSet<Path> out = new LinkedHashSet<>();
    if (setting != null && !setting.isBlank()) {
      Path p = Path.of(setting.trim());
      if (Files.isDirectory(p)) {
        out.add(p.resolve(library));
      } else if (sameMajor(p.getFileName().toString(), library)) {
        out.add(p);
      }
    }
    String ld = env.get("LD_LIBRARY_PATH");
    if (ld != null) {
      for (String dir : ld.split(":")) {
        if (!dir.isBlank()) {
          out.add(Path.of(dir.trim()).resolve(library));
        }
      }
    }
    for (String var : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
      String home = env.get(var);
      if (home != null && !home.isBlank()) {
        out.add(Path.of(home.trim(), "lib64", library));
      }
    }
    out.add(Path.of("/usr/local/cuda/lib64", library));
    return new ArrayList<>(out);
  }

  /**
   * False when {@code fileName} names another major version than {@code library} does
   * (libcublas.so.13.0.2 for libcublas.so.12); a name without one (libcublas.so) may be either.
   */
  private static boolean sameMajor(String fileName, String library) {
    Matcher file = SO_MAJOR.matcher(fileName);
    Matcher wanted = SO_MAJOR.matcher(library);
    return !file.find() || !wanted.find() || file.group(1).equals(wanted.group(1));
  }

  /**
   * "LD_LIBRARY_PATH /a:/b, $CUDA_HOME/lib64, /usr/local/cuda/lib64 and the system loader's
   * path", preceded by the setting when there is one: the places {@link #candidates} lists.
   */
  static String lookedIn(String setting, Map<String, String> env) {
    StringBuilder s = new StringBuilder();
    if (setting != null && !setting.isBlank()) {
      s.append("-D").append(PATH_PROPERTY).append('=').append(setting.trim()).append(", ");
    }
    String ld = env.get("LD_LIBRARY_PATH");
    s.append("LD_LIBRARY_PATH ").append(ld == null || ld.isBlank() ? "(unset)" : ld);
    for (String var : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
      if (env.get(var) != null && !env.get(var).isBlank()) {
        s.append(", $").append(var).append("/lib64");
      }
    }
    return s.append(", /usr/local/cuda/lib64 and the system loader's path").toString();
  }

  /** The advice that ends a "not found" message. */
  static String howToPoint() {
    return "set -D" + PATH_PROPERTY + " to the file or its folder, or put its folder on"
        + " LD_LIBRARY_PATH";
  }

  /** cublasStatus_t's name, e.g. CUBLAS_STATUS_INVALID_VALUE for 7. */
  static String statusName(int status) {
    switch (status) {
      case 0:
        return "CUBLAS_STATUS_SUCCESS";
      case 1:
        return "CUBLAS_STATUS_NOT_INITIALIZED";
      case 3:
        return "CUBLAS_STATUS_ALLOC_FAILED";
      case 7:
        return "CUBLAS_STATUS_INVALID_VALUE";
      case 8:
        return "CUBLAS_STATUS_ARCH_MISMATCH";
      case 11:
        return "CUBLAS_STATUS_MAPPING_ERROR";
      case 13:
        return "CUBLAS_STATUS_EXECUTION_FAILED";
      case 14:
        return "CUBLAS_STATUS_INTERNAL_ERROR";
      case 15:
        return "CUBLAS_STATUS_NOT_SUPPORTED";
      case 16:
        return "CUBLAS_STATUS_LICENSE_ERROR";
      default:
        return "cublasStatus_t " + status;
    }
  }

  /**
   * Throws when a cuBLAS call did not succeed.
   *
   * @throws IllegalStateException naming the call, its arguments and the status
   */
  static void check(int status, String call, String arguments) {
    if (status != 0) {
      throw new IllegalStateException("cuBLAS call " + call
          + (arguments.isEmpty() ? "" : " " + arguments) + " failed: " + statusName(status)
          + " (" + status + ")");
    }
  }

  /** "strict FP32" or the TF32 opt-in, for a provider's name. */
  static String precision(boolean tf32) {
    return tf32 ? "float32 on TF32 tensor cores (-D" + BlasProviders.TF32_PROPERTY + "=true)"
        : "strict FP32";
  }
}
