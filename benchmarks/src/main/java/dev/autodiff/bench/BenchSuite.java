package dev.autodiff.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleSupplier;

/**
 * The project's CPU benchmark: MLP training steps, the micrograd-style scalar graph and float32
 * matmul. With {@code --vs-torch} each configuration also runs in PyTorch right after ours (so the
 * two share the machine's state), with PyTorch's faster thread setting, and the table gives the
 * ratio ours / PyTorch (below 1 means faster; for GFLOP/s, above 1). Each figure is the median of
 * three rounds (ours, then PyTorch, alternating).
 *
 * <pre>
 * bin/autodiff bench [--vs-torch] [--python /usr/bin/python3] [--rounds N]
 * </pre>
 */
public final class BenchSuite {
  private BenchSuite() {}

  /** One row: what was measured, our figure, PyTorch's (NaN when not run), and the unit. */
  record Row(String name, double ours, double torch, String unit, boolean higherIsBetter) {
    String ratio() {
      if (Double.isNaN(torch)) {
        return "-";
      }
      return String.format(Locale.ROOT, "%.2f", ours / torch);
    }
  }

  public static void main(String[] args) throws Exception {
    boolean vsTorch = false;
    String python = "/usr/bin/python3";
    int rounds = 3;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--vs-torch")) {
        vsTorch = true;
      } else if (args[i].equals("--python") && i + 1 < args.length) {
        python = args[++i];
      } else if (args[i].equals("--rounds") && i + 1 < args.length) {
        rounds = Integer.parseInt(args[++i]);
      } else {
        System.err.println("usage: BenchSuite [--vs-torch] [--python PATH] [--rounds N]");
        System.exit(2);
      }
    }
    BenchSuite.rounds = Math.max(1, rounds);
    Path script = Path.of("benchmarks", "torch", "bench.py");
    if (vsTorch && !Files.exists(script)) {
      throw new IllegalStateException("--vs-torch: run from the repository root (no " + script
          + ")");
    }
    List<Row> rows = new ArrayList<>();
    for (MlpStepBenchmark.Config c : MlpStepBenchmark.CONFIGS) {
      rows.add(measure(c.name() + " step " + shape(c), "ms", false,
          () -> MlpStepBenchmark.medianStepMillis(c), vsTorch, python, script, "mlp", c.name()));
    }
    rows.add(measure("scalar graph (per op)", "us", false, ScalarGraphBenchmark::medianMicrosPerOp,
        vsTorch, python, script, "scalar"));
    for (int n : new int[] {256, 512, 1024, 2048}) {
      rows.add(measure("matmul " + n + " float32", "GFLOP/s", true,
          () -> MatmulBenchmark.tensorGflops(n), vsTorch, python, script, "matmul",
          Integer.toString(n)));
    }
    print(rows, vsTorch);
  }

  private static String shape(MlpStepBenchmark.Config c) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < c.sizes().length; i++) {
      sb.append(i == 0 ? "" : "-").append(c.sizes()[i]);
    }
    return sb.append(" b").append(c.batch()).append(c.adam() ? " Adam)" : " SGD)").toString();
  }

  private static int rounds = 3;

  /**
   * Ours and PyTorch's, alternating for {@link #rounds} rounds so that both see the same drift of
   * a shared machine; each side's figure is the median over the rounds.
   */
  private static Row measure(String name, String unit, boolean higherIsBetter,
      DoubleSupplier ours, boolean vsTorch, String python, Path script, String... torchArgs)
      throws IOException, InterruptedException {
    double[] mine = new double[rounds];
    double[] theirs = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      mine[r] = ours.getAsDouble();
      theirs[r] = Double.NaN;
      if (vsTorch) {
        // PyTorch's best setting: one thread often beats two here (its pools stop fighting).
        double one = torch(python, script, torchArgs, 1);
        double two = torch(python, script, torchArgs, 2);
        theirs[r] = higherIsBetter ? Math.max(one, two) : Math.min(one, two);
      }
    }
    Row row = new Row(name, median(mine), vsTorch ? median(theirs) : Double.NaN, unit,
        higherIsBetter);
    System.err.printf(Locale.ROOT, "  %s: %.4g %s%s (rounds: %s)%n", name, row.ours(), unit,
        vsTorch ? String.format(Locale.ROOT, " (PyTorch %.4g, ratio %s)", row.torch(),
            row.ratio()) : "", java.util.Arrays.toString(mine));
    return row;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double torch(String python, Path script, String[] torchArgs, int threads)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
    cmd.addAll(List.of(torchArgs));
    cmd.add(Integer.toString(threads));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String last = null;
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        last = line;
      }
    }
    if (p.waitFor() != 0 || last == null || !last.startsWith("median ")) {
      throw new IllegalStateException("PyTorch benchmark failed: " + cmd + ": " + last);
    }
    return Double.parseDouble(last.split(" ")[1]);
  }

  /** The rows as a Markdown table; with {@code vsTorch}, PyTorch's figure and the ratio too. */
  static void print(List<Row> rows, boolean vsTorch) {
    System.out.println(vsTorch ? "| benchmark | ours | PyTorch | ours / PyTorch |"
        : "| benchmark | ours |");
    System.out.println(vsTorch ? "| --- | --- | --- | --- |" : "| --- | --- |");
    for (Row r : rows) {
      String ours = String.format(Locale.ROOT, "%.4g %s", r.ours(), r.unit());
      if (vsTorch) {
        String torch = Double.isNaN(r.torch()) ? "-"
            : String.format(Locale.ROOT, "%.4g %s", r.torch(), r.unit());
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", r.name(), ours, torch, r.ratio());
      } else {
        System.out.printf(Locale.ROOT, "| %s | %s |%n", r.name(), ours);
      }
    }
  }
}
