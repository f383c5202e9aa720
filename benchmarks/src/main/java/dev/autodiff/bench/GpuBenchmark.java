/*
 * Run:
 *
 *   bin/autodiff bench --gpu [--vs-torch]      (from a checkout; builds what is missing)
 *   ./run bench                                (in a folder made by bin/autodiff gpu-bundle)
 */
package dev.autodiff.bench;

import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import dev.autodiff.nn.Adam;
import dev.autodiff.nn.Layer;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.MLP;
import dev.autodiff.nn.Optimizer;
import dev.autodiff.nn.ReLU;
import dev.autodiff.nn.SGD;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The GPU benchmark, through the public API only: float32 matmul GFLOP/s (1024, 2048, 4096) and
 * MLP training steps (tiny 2-16-16-2 batch 32 SGD, MNIST 784-256-256-10 batch 128 Adam, wide
 * 784-2048-2048-10 batch 1024 Adam) on {@link Device#cuda()}. {@code benchmarks/torch/gpu_bench.py}
 * measures the same things the same way in PyTorch and writes the same JSON lines, so the two
 * compare row by row.
 *
 * <p>CUDA runs asynchronously, so every timed interval ends by reading a value back ({@code
 * item()}), which waits for all the work queued before it: a matmul rep is several products and
 * then {@code sum().item()} of the last; a training step ends with {@code loss.item()}.
 *
 * <p>On a GPU the matmul rows come twice: through the provider the backend chose (cuBLAS where it
 * loads), and through our own kernel, measured in a second JVM with {@code
 * -Dautodiff.cuda.blas=kernel} (the provider is chosen once per process). Both compare with
 * PyTorch's product of the same size, FP32 with TF32 off.
 *
 * <pre>
 * GpuBenchmark [--json FILE] [--vs-torch] [--python PATH] [--device cuda|cpu]
 * GpuBenchmark --compare OURS.jsonl TORCH.jsonl
 * GpuBenchmark --kernel-matmul     (the second JVM: only the matmul rows, as matmul-kernel-N)
 * </pre>
 *
 * <p>{@code --json} writes the JSON lines to FILE rather than to stdout; {@code --vs-torch} then
 * runs {@code gpu_bench.py} (from the repository root) and prints ours / PyTorch; {@code
 * --compare} prints that table from two saved JSON-line files without touching a GPU; {@code
 * --device cpu} checks the harness on a machine without one. Exit status 2: CUDA is unusable
 * (the reason is printed).
 */
public final class GpuBenchmark {
  private GpuBenchmark() {}

  static final int[] MATMUL_SIZES = {1024, 2048, 4096};

  /** One MLP configuration; {@code id} is the key shared with gpu_bench.py. */
  record Mlp(String id, String title, int[] sizes, int batch, boolean adam) {
    String name() {
      StringBuilder sb = new StringBuilder(title).append(" step (");
      for (int i = 0; i < sizes.length; i++) {
        sb.append(i == 0 ? "" : "-").append(sizes[i]);
      }
      return sb.append(" b").append(batch).append(adam ? " Adam)" : " SGD)").toString();
    }
  }

  static final Mlp[] MLPS = {
      new Mlp("mlp-tiny", "tiny", new int[] {2, 16, 16, 2}, 32, false),
      new Mlp("mlp-mnist", "MNIST", new int[] {784, 256, 256, 10}, 128, true),
      new Mlp("mlp-wide", "wide", new int[] {784, 2048, 2048, 10}, 1024, true),
  };

  /** Warm-up: at least this many calls or steps and at least WARMUP_SECONDS (for the JIT). */
  static final int WARMUP_STEPS = 10;
  static final double WARMUP_SECONDS = 1.0;
  static final int TIMED_STEPS = 50;
  /** Matmul: timed reps, and the least time one rep should take (so one read-back is noise). */
  static final int MATMUL_REPS = 7;
  static final double MIN_REP_SECONDS = 0.02;

  /** One measurement; {@link #json} is the line format gpu_bench.py writes too. */
  record Result(String id, String name, double value, String unit, boolean higherIsBetter) {
    String json(String impl, String device) {
      return String.format(Locale.ROOT, "{\"id\": \"%s\", \"name\": \"%s\", \"value\": %.6g, "
          + "\"unit\": \"%s\", \"higher_is_better\": %b, \"impl\": \"%s\", \"device\": \"%s\"}",
          id, name, value, unit, higherIsBetter, impl, device);
    }
  }

  public static void main(String[] args) throws Exception {
    Path json = null;
    boolean vsTorch = false;
    String python = "python3";
    String deviceName = "cuda";
    boolean kernelOnly = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--json" -> json = Path.of(arg(args, ++i));
        case "--kernel-matmul" -> kernelOnly = true;
        case "--vs-torch" -> vsTorch = true;
        case "--python" -> python = arg(args, ++i);
        case "--device" -> deviceName = arg(args, ++i);
        case "--compare" -> {
          compare(Path.of(arg(args, i + 1)), Path.of(arg(args, i + 2)));
          return;
        }
        default -> usage("unknown argument " + args[i]);
      }
    }
    Device device;
    if (deviceName.equals("cpu")) {
      device = Device.cpu();
    } else if (deviceName.equals("cuda")) {
      try {
        device = Device.cuda();
      } catch (IllegalStateException | LinkageError e) {
        // Device.cuda() names what is missing (module, driver, device, library); a LinkageError
        // is a native library that did not load at all.
        System.err.println("GpuBenchmark: CUDA is not usable: " + e.getMessage());
        System.exit(2);
        return;
      }
    } else {
      usage("--device must be cuda or cpu");
      return;
    }

    System.err.printf(Locale.ROOT, "GpuBenchmark on %s, JVM %s%n", device, Runtime.version());
    List<Result> ours = new ArrayList<>();
    try (PrintStream out = json == null ? null
        : new PrintStream(Files.newOutputStream(json), true, StandardCharsets.UTF_8)) {
      PrintStream sink = out == null ? System.out : out;
      if (kernelOnly) {
        for (int n : MATMUL_SIZES) {
          report(sink, device, new Result(KERNEL_MATMUL + n,
              "matmul " + n + " float32, our kernel", matmulGflops(device, n), "GFLOP/s", true));
        }
        return;
      }
      for (int n : MATMUL_SIZES) {
        ours.add(report(sink, device, new Result("matmul-" + n, "matmul " + n + " float32",
            matmulGflops(device, n), "GFLOP/s", true)));
      }
      if (device.type() == Device.Type.CUDA) {
        for (Result r : kernelMatmul()) { // the child printed them on stderr already
          sink.println(r.json("autodiff", device.toString()));
          ours.add(r);
        }
      }
      for (Mlp c : MLPS) {
        ours.add(report(sink, device,
            new Result(c.id(), c.name(), mlpStepMillis(device, c), "ms", false)));
      }
    }

    Map<String, Result> torch = Map.of();
    String torchFailure = null;
    if (vsTorch) {
      try {
        torch = runTorch(python, deviceName);
      } catch (IOException | IllegalStateException e) {
        torchFailure = e.getMessage();
      }
    }
    System.out.println();
    printTable(ours, torch, vsTorch);
    if (torchFailure != null) {
      System.err.println("GpuBenchmark: the PyTorch side failed: " + torchFailure);
      System.exit(1);
    }
  }

  private static String arg(String[] args, int i) {
    if (i >= args.length) {
      usage(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static void usage(String problem) {
    System.err.println("GpuBenchmark: " + problem);
    System.err.println("usage: GpuBenchmark [--json FILE] [--vs-torch] [--python PATH]"
        + " [--device cuda|cpu] [--kernel-matmul]\n"
        + "       GpuBenchmark --compare OURS.jsonl TORCH.jsonl");
    System.exit(64);
  }

  private static Result report(PrintStream sink, Device device, Result r) {
    sink.println(r.json("autodiff", device.toString()));
    System.err.printf(Locale.ROOT, "  %s: %.4g %s%n", r.name(), r.value(), r.unit());
    return r;
  }

  /** GFLOP/s of {@code a.matmul(b)} on random float32 n x n matrices on {@code device}. */
  static double matmulGflops(Device device, int n) {
    Random rnd = new Random(n);
    try (var s = Tensors.scope()) {
      Tensor a = Tensor.randn(rnd, n, n).to(device);
      Tensor b = Tensor.randn(rnd, n, n).to(device);
      return 2.0 * n * n * n / secondsPerCall(() -> a.matmul(b)) / 1e9;
    }
  }

  /**
   * Seconds per call of {@code op}: a warm-up of single synchronised calls that also sizes the
   * reps, then the median of {@link #MATMUL_REPS} reps of k calls each (k chosen so that a rep
   * takes about {@link #MIN_REP_SECONDS}).
   */
  private static double secondsPerCall(Supplier<Tensor> op) {
    long warmEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
    int warm = 0;
    double last = 0;
    while (warm < WARMUP_STEPS || System.nanoTime() < warmEnd) {
      last = rep(op, 1);
      warm++;
    }
    int k = (int) Math.max(1, Math.min(10_000, Math.ceil(MIN_REP_SECONDS / last)));
    double[] reps = new double[MATMUL_REPS];
    for (int r = 0; r < reps.length; r++) {
      reps[r] = rep(op, k);
    }
    return BenchSuite.median(reps);
  }

  /** Runs {@code op} k times and waits for the last result; returns seconds per call. */
  private static double rep(Supplier<Tensor> op, int k) {
    try (var s = Tensors.scope()) {
      long t0 = System.nanoTime();
      Tensor result = op.get();
      for (int i = 1; i < k; i++) {
        result.close(); // back to the allocator at once: k results need not fit together
        result = op.get();
      }
      result.sum().item(); // waits for every product queued before it
      return (System.nanoTime() - t0) / 1e9 / k;
    }
  }

  /**
   * Median milliseconds of one training step of {@code c} on {@code device}: zeroGrad, forward,
   * softmax cross-entropy, backward, optimizer step and {@code loss.item()}, inside a scope, on a
   * fixed random batch that lives on the device.
   */
  static double mlpStepMillis(Device device, Mlp c) {
    Random rnd = new Random(0);
    // PyTorch's nn.Linear initialisation, drawn on the CPU, then moved as model.to(device) does.
    Layer model = MLP.of(rnd, ReLU::new, c.sizes()).to(device);
    // The optimizer's state and the batch belong to this scope, so they are freed with it.
    try (var config = Tensors.scope()) {
      Optimizer opt = c.adam() ? new Adam(model.parameters(), 1e-3)
          : new SGD(model.parameters(), 0.1);
      Tensor x = Tensor.randn(rnd, c.batch(), c.sizes()[0]).to(device);
      long[] labels = new long[c.batch()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = rnd.nextInt(c.sizes()[c.sizes().length - 1]);
      }
      Tensor y = Tensor.of(labels).to(device);
      Runnable step = () -> {
        try (var s = Tensors.scope()) {
          opt.zeroGrad();
          Tensor loss = Losses.softmaxCrossEntropy(model.forward(x), y);
          loss.backward();
          opt.step();
          loss.item(); // queued after the optimizer step, so it waits for the whole step
        }
      };
      long warmEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
      for (int i = 0; i < WARMUP_STEPS || System.nanoTime() < warmEnd; i++) {
        step.run();
      }
      double[] millis = new double[TIMED_STEPS];
      for (int i = 0; i < TIMED_STEPS; i++) {
        long t0 = System.nanoTime();
        step.run();
        millis[i] = (System.nanoTime() - t0) / 1e6;
      }
      return BenchSuite.median(millis);
    } finally {
      // Parameters belong to no scope: free them (and their gradients) before the next model.
      for (Tensor p : model.parameters()) {
        if (p.grad() != null) {
          p.grad().close();
        }
        p.close();
      }
    }
  }

  /** The id prefix of our kernel's matmul rows; PyTorch's row for size n is matmul-n. */
  static final String KERNEL_MATMUL = "matmul-kernel-";

  /**
   * Our matmul kernel's GFLOP/s beside the vendor BLAS's: the matmul provider is chosen once per
   * process, so a second JVM, like this one but with {@code -Dautodiff.cuda.blas=kernel}, runs
   * {@code --kernel-matmul}. Nothing (and a note why) when it fails.
   */
  private static List<Result> kernelMatmul() throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-Dautodiff.cuda.blas=")) {
        cmd.add(a);
      }
    }
    cmd.addAll(List.of("-Dautodiff.cuda.blas=kernel", "-cp", System.getProperty("java.class.path"),
        GpuBenchmark.class.getName(), "--kernel-matmul"));
    System.err.println("our matmul kernel, in a JVM of its own (-Dautodiff.cuda.blas=kernel):");
    List<String> lines = new ArrayList<>();
    int rc = runChild(cmd, lines);
    if (rc != 0) {
      System.err.println("GpuBenchmark: the kernel-only run exited " + rc + "; no kernel rows");
      return List.of();
    }
    return List.copyOf(parse(lines).values());
  }

  /** Runs {@code cmd}, its stderr passed through and its stdout lines collected; the exit code. */
  private static int runChild(List<String> cmd, List<String> stdout)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        stdout.add(line);
      }
    }
    return p.waitFor();
  }

  /** Runs gpu_bench.py with the same device and returns its results by id. */
  private static Map<String, Result> runTorch(String python, String device)
      throws IOException, InterruptedException {
    Path script = Path.of("benchmarks", "torch", "gpu_bench.py");
    if (!Files.exists(script)) {
      throw new IllegalStateException("--vs-torch: run from the repository root (no " + script
          + ")");
    }
    List<String> cmd = List.of(python, script.toString(), "--device", device);
    System.err.println("running " + String.join(" ", cmd));
    List<String> lines = new ArrayList<>();
    int rc = runChild(cmd, lines);
    if (rc != 0) {
      throw new IllegalStateException(cmd + " exited " + rc);
    }
    return parse(lines);
  }

  /** Prints ours / PyTorch from two JSON-line files (lines that are not objects are skipped). */
  static void compare(Path ours, Path torch) throws IOException {
    printTable(List.copyOf(parse(Files.readAllLines(ours)).values()),
        parse(Files.readAllLines(torch)), true);
  }

  private static final Pattern FIELD =
      Pattern.compile("\"(\\w+)\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[^,}\\s]+)");

  /**
   * The results in JSON lines, by id, in order. The lines are flat objects written by {@link
   * Result#json} or gpu_bench.py, so a field pattern is parser enough.
   */
  static Map<String, Result> parse(List<String> lines) {
    Map<String, Result> out = new LinkedHashMap<>();
    for (String line : lines) {
      if (!line.startsWith("{")) {
        continue;
      }
      Map<String, String> f = new LinkedHashMap<>();
      Matcher m = FIELD.matcher(line);
      while (m.find()) {
        String v = m.group(2);
        f.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
      }
      if (f.containsKey("id") && f.containsKey("value")) {
        out.put(f.get("id"), new Result(f.get("id"), f.getOrDefault("name", f.get("id")),
            Double.parseDouble(f.get("value")), f.getOrDefault("unit", ""),
            Boolean.parseBoolean(f.get("higher_is_better"))));
      }
    }
    return out;
  }

  /** Ours, and beside it PyTorch's figure for the same id and the ratio, as BenchSuite prints. */
  private static void printTable(List<Result> ours, Map<String, Result> torch, boolean vsTorch) {
    List<BenchSuite.Row> rows = new ArrayList<>();
    for (Result r : ours) {
      // Our kernel's rows compare with PyTorch's (cuBLAS) product of the same size.
      Result t = torch.get(r.id().replace(KERNEL_MATMUL, "matmul-"));
      rows.add(new BenchSuite.Row(r.name(), r.value(), t == null ? Double.NaN : t.value(),
          r.unit(), r.higherIsBetter()));
    }
    BenchSuite.print(rows, vsTorch);
    if (vsTorch) {
      System.out.println("\n(ms: below 1 means we are faster; GFLOP/s: above 1 means we are)");
    }
  }
}
