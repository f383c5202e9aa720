package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.core.BinaryOp;
import dev.autodiff.core.ReduceOp;
import dev.autodiff.core.UnaryOp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What can be checked of the kernels without a GPU: the shipped binaries were built from this
 * kernels.cu, the PTX declares every kernel the backend launches, and the C op codes follow the
 * Java enums.
 */
class KernelBinariesTest {
  static final Path CUDA = Path.of("src/main/cuda");

  static String ptx() {
    return new String(KernelModule.resource(KernelModule.PTX), StandardCharsets.US_ASCII);
  }

  /** The tests that read the sources run from the module's folder, not from a GPU bundle. */
  static void assumeSourceTree() {
    assumeTrue(Files.isDirectory(CUDA), "kernels.cu is not here: not run from the source tree");
  }

  static String source() throws IOException {
    assumeSourceTree();
    return Files.readString(CUDA.resolve("kernels.cu"));
  }

  /** Every kernel name CudaBackend builds. */
  static List<String> launchedKernels() {
    List<String> names = new ArrayList<>();
    for (String t : List.of("f32", "f64", "i64")) {
      for (String k : List.of("unary_", "binary_same_", "binary_scalar_", "binary_broadcast_",
          "where_", "fill_", "reduce_rows_", "argreduce_rows_", "reduce_columns_",
          "argreduce_columns_", "index_add_", "scatter_add_", "one_hot_")) {
        names.add(k + t);
      }
    }
    for (String t : List.of("f32", "f64")) {
      for (String k : List.of("softmax_rows_", "softmax_columns_", "softmax_backward_rows_",
          "softmax_backward_columns_", "cross_entropy_", "cross_entropy_backward_",
          "unary_backward_", "bias_activation_", "adam_",
          "sgd_", "rmsprop_")) {
        names.add(k + t);
      }
      names.add("matmul_" + t + "_128");
      names.add("matmul_" + t + "_64");
    }
    names.add("matmul_f32_128v");
    for (String w : List.of("b4", "b8")) {
      for (String k : List.of("strided_copy_", "copy_rows_", "transpose_", "index_select_",
          "gather_")) {
        names.add(k + w);
      }
    }
    for (String from : List.of("f32", "f64", "i64")) {
      for (String to : List.of("f32", "f64", "i64")) {
        if (!from.equals(to)) {
          names.add("cast_" + from + "_" + to);
        }
      }
    }
    names.add("check_index");
    return names;
  }

  @Test
  void ptxDeclaresEveryKernelTheBackendLaunches() {
    String ptx = ptx();
    assertTrue(ptx.contains(".target sm_90"), "compute_90 PTX");
    Matcher m = Pattern.compile("\\.visible \\.entry (\\w+)\\(").matcher(ptx);
    List<String> entries = new ArrayList<>();
    while (m.find()) {
      entries.add(m.group(1));
    }
    for (String k : launchedKernels()) {
      assertTrue(entries.contains(k), "kernels.ptx lacks " + k);
    }
  }

  @Test
  void theShippedBinariesWereBuiltFromThisSource() throws IOException, NoSuchAlgorithmException {
    assumeSourceTree();
    String script = Files.readString(CUDA.resolve("build-kernels.sh"));
    Matcher flags = Pattern.compile("(?m)^flags=\"([^\"]*)\"").matcher(script);
    assertTrue(flags.find(), "build-kernels.sh sets flags");
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(Files.readAllBytes(CUDA.resolve("kernels.cu")));
    sha.update((flags.group(1) + "\n").getBytes(StandardCharsets.UTF_8));
    String stamp = new String(KernelModule.resource("/dev/autodiff/cuda/kernels.sha256"),
        StandardCharsets.US_ASCII).trim();
    assertEquals(HexFormat.of().formatHex(sha.digest()), stamp,
        "kernels.fatbin is stale: run src/main/cuda/build-kernels.sh (needs nvcc) and commit");
    assertTrue(KernelModule.resource(KernelModule.FATBIN).length > 100_000, "a real fatbin");
  }

  private static List<String> cEnum(String source, String name) {
    Matcher m = Pattern.compile("enum " + name + " \\{([^}]*)\\}").matcher(source);
    assertTrue(m.find(), "kernels.cu declares enum " + name);
    return Arrays.stream(m.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .collect(Collectors.toList());
  }

  private static List<String> javaNames(Enum<?>[] values) {
    return Arrays.stream(values).map(Enum::name).collect(Collectors.toList());
  }

  @Test
  void opCodesFollowTheJavaEnums() throws IOException {
    String src = source();
    assertEquals(javaNames(UnaryOp.values()), cEnum(src, "UnaryOp").stream()
        .map(s -> s.equals("POW_SCALAR") ? "POW" : s).collect(Collectors.toList()));
    assertEquals(javaNames(BinaryOp.values()), cEnum(src, "BinaryOp"));
    assertEquals(javaNames(ReduceOp.values()), cEnum(src, "ReduceOp").stream()
        .map(s -> s.substring(2)).collect(Collectors.toList()));
  }
}
