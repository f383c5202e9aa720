package dev.autodiff.nn;

import dev.autodiff.core.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * The demo behind {@code bin/autodiff demo}: trains an MLP classifier on Fashion-MNIST when its IDX
 * files are installed (Debian's {@code dataset-fashion-mnist}, or {@code --data DIR}), else on the
 * embedded seven-segment glyph set; shows progress; saves the loss curve ({@code loss.png}) and a
 * checkpoint ({@code model.safetensors}) into the output folder; and prints {@code test accuracy:
 * 0.xxxx} as its last line.
 */
public final class Demo {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private Demo() {}

  static final String USAGE = String.join("\n",
      "usage: autodiff demo [options]",
      "",
      "Trains an MLP classifier, saves its loss curve and a checkpoint, and prints",
      "'test accuracy: 0.xxxx' last. Data: Fashion-MNIST from --data DIR, else from",
      Datasets.FASHION_MNIST_DIR + " when installed, else the embedded glyph set.",
      "",
      "options:",
      "  --data DIR      Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], ...)",
      "  --embedded      use the embedded glyph set even if Fashion-MNIST is installed",
      "  --out DIR       where loss.png and model.safetensors go (default: out)",
      "  --epochs N      passes over the training data (default: 2)",
      "  --seed N        seeds initialization and shuffling (default: 0)",
      "  --batch N       mini-batch size (default: 128)",
      "  --lr X          Adam learning rate (default: 0.001)",
      "  --hidden N,N    hidden layer sizes (default: 256,256 on Fashion-MNIST, 128 embedded)",
      "  --device D      cpu (default), cuda or cuda:N: where the model trains",
      "  --quiet         no progress bar",
      "  --help          this text");

  /** Parsed command-line options. */
  static final class Options {
    Path data;
    boolean embedded;
    Path out = Path.of("out");
    int epochs = 2;
    long seed = 0;
    int batch = 128;
    double lr = 1e-3;
    int[] hidden;
    boolean quiet;
    boolean help;
    /** -1 for the CPU, else the CUDA device's index. */
    int cuda = -1;
  }

  /** Runs the demo; exits with status 0, 1 (failure) or 2 (bad usage). */
  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Runs the demo with the given arguments, writing results to {@code out} and progress and errors
   * to {@code err}; returns the exit status (0 ok, 1 failure, 2 bad usage).
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      err.println("autodiff demo: " + e.getMessage());
      err.println("run 'autodiff demo --help' for the options");
      return 2;
    }
    if (o.help) {
      out.println(USAGE);
      return 0;
    }
    try {
      train(o, out, err);
      return 0;
    } catch (IOException | IllegalArgumentException | IllegalStateException e) {
      err.println("autodiff demo: " + e.getMessage());
      return 1;
    }
  }

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--help":
        case "-h":
          o.help = true;
          break;
        case "--embedded":
          o.embedded = true;
          break;
        case "--quiet":
          o.quiet = true;
          break;
        case "--data":
          o.data = Path.of(value(args, ++i, a));
          break;
        case "--out":
          o.out = Path.of(value(args, ++i, a));
          break;
        case "--epochs":
          o.epochs = intValue(args, ++i, a, 1);
          break;
        case "--seed":
          o.seed = longValue(args, ++i, a);
          break;
        case "--batch":
          o.batch = intValue(args, ++i, a, 1);
          break;
        case "--lr":
          o.lr = doubleValue(args, ++i, a);
          break;
        case "--hidden":
          o.hidden = sizes(args, ++i, a);
          break;
        case "--device":
          o.cuda = cudaIndex(value(args, ++i, a));
          break;
        default:
          throw new IllegalArgumentException("unknown option '" + a + "'");
      }
    }
    if (o.embedded && o.data != null) {
      throw new IllegalArgumentException("--embedded and --data exclude each other");
    }
    return o;
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  private static int intValue(String[] args, int i, String option, int min) {
    String v = value(args, i, option);
    try {
      int n = Integer.parseInt(v);
      if (n < min) {
        throw new IllegalArgumentException(option + " must be at least " + min + ", got " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs an integer, got '" + v + "'");
    }
  }

  private static long longValue(String[] args, int i, String option) {
    String v = value(args, i, option);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs an integer, got '" + v + "'");
    }
  }

  private static double doubleValue(String[] args, int i, String option) {
    String v = value(args, i, option);
    try {
      double d = Double.parseDouble(v);
      if (!(d > 0) || !Double.isFinite(d)) {
        throw new IllegalArgumentException(option + " must be positive, got " + v);
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a number, got '" + v + "'");
    }
  }

  /** -1 for "cpu", the index for "cuda" (0) or "cuda:N". */
  private static int cudaIndex(String device) {
    if (device.equals("cpu")) {
      return -1;
    }
    if (device.equals("cuda")) {
      return 0;
    }
    if (device.matches("cuda:\\d{1,4}")) {
      return Integer.parseInt(device.substring("cuda:".length()));
    }
    throw new IllegalArgumentException("--device must be cpu, cuda or cuda:N, got '" + device
        + "'");
  }

  private static int[] sizes(String[] args, int i, String option) {
    String v = value(args, i, option);
    String[] parts = v.split(",");
    int[] out = new int[parts.length];
    for (int k = 0; k < parts.length; k++) {
      try {
        out[k] = Integer.parseInt(parts[k].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " needs sizes like 256,256, got '" + v + "'");
      }
      if (out[k] < 1) {
        throw new IllegalArgumentException(option + " sizes must be positive, got '" + v + "'");
      }
    }
    return out;
  }

  private static void train(Options o, PrintStream out, PrintStream err) throws IOException {
    long t0 = System.nanoTime();
    // First, so that a missing GPU is named in a second, before the data is read.
    Device device = o.cuda < 0 ? Device.cpu() : Device.cuda(o.cuda);
    Datasets.Split split;
    String source;
    boolean fashion;
    if (o.data != null) {
      split = Datasets.fashionMnist(o.data);
      source = "Fashion-MNIST from " + o.data;
      fashion = true;
    } else if (!o.embedded && Datasets.hasFashionMnist(Datasets.FASHION_MNIST_DIR)) {
      split = Datasets.fashionMnist(Datasets.FASHION_MNIST_DIR);
      source = "Fashion-MNIST from " + Datasets.FASHION_MNIST_DIR;
      fashion = true;
    } else {
      split = Datasets.embedded();
      source = "the embedded seven-segment glyph set" + (o.embedded ? ""
          : " (no Fashion-MNIST in " + Datasets.FASHION_MNIST_DIR + "; --data DIR to use one)");
      fashion = false;
    }
    Dataset train = split.train().flatten();
    Dataset test = split.test().flatten();
    int classes = Math.max(train.numClasses(), test.numClasses());
    out.printf(Locale.ROOT, "data: %s: %d training, %d test samples, %d features, %d classes"
            + " (%.1f s)%n", source, train.size(), test.size(), train.x().size(1), classes,
        (System.nanoTime() - t0) / 1e9);

    int[] hidden = o.hidden != null ? o.hidden : fashion ? new int[] {256, 256} : new int[] {128};
    int[] sizes = new int[hidden.length + 2];
    sizes[0] = train.x().size(1);
    System.arraycopy(hidden, 0, sizes, 1, hidden.length);
    sizes[sizes.length - 1] = classes;
    // Seeded here rather than through Init.manualSeed: the demo leaves global state alone.
    Layer model = MLP.of(new Random(o.seed), ReLU::new, sizes).to(device);
    Optimizer opt = new Adam(model.parameters(), o.lr); // after to(): the moved parameters
    out.printf(Locale.ROOT, "model: %s, %,d parameters on %s; Adam lr %s, batch %d, %d epoch%s,"
            + " seed %d%n", model.describe(), model.parameterCount(), device, o.lr, o.batch,
        o.epochs, o.epochs == 1 ? "" : "s", o.seed);

    Trainer trainer = new Trainer(model, opt, Losses::softmaxCrossEntropy)
        .progress(o.quiet ? null : err)
        .log(out);
    // The data stays on the host; each batch moves to the device as it is made.
    DataLoader trainLoader = new DataLoader(train, o.batch, new Random(o.seed)).to(device);
    DataLoader testLoader = new DataLoader(test, 1000).to(device);
    try {
      Files.createDirectories(o.out); // before training: fail in a second, not after the run
    } catch (IOException e) {
      throw new IOException("cannot create the output folder " + o.out + ": " + e, e);
    }
    long t1 = System.nanoTime();
    Trainer.History history = trainer.fit(trainLoader, testLoader, o.epochs);
    double seconds = (System.nanoTime() - t1) / 1e9;

    Path png = o.out.resolve("loss.png");
    Path checkpoint = o.out.resolve("model.safetensors");
    LossCurve.save(history, png);
    model.save(checkpoint);
    out.printf(Locale.ROOT, "trained in %.1f s; saved %s and %s%n", seconds, png, checkpoint);
    out.printf(Locale.ROOT, "test accuracy: %.4f%n", history.last().testAccuracy());
  }
}
