package dev.autodiff.bench;

import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import dev.autodiff.nn.Adam;
import dev.autodiff.nn.Layer;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.MLP;
import dev.autodiff.nn.Optimizer;
import dev.autodiff.nn.ReLU;
import dev.autodiff.nn.SGD;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Median time of one MLP training step (zeroGrad, forward, softmax cross-entropy, backward,
 * optimizer step, all inside a scope) for the configurations of the CPU benchmark:
 * {@code tiny} 2-16-16-2 batch 32 SGD, {@code mnist} 784-256-256-10 batch 128 Adam, {@code wide}
 * 1024-2048-2048-10 batch 256 Adam. Arguments: the configurations to run (default all).
 */
public final class MlpStepBenchmark {
  private MlpStepBenchmark() {}

  /** One benchmark configuration. */
  record Config(String name, int[] sizes, int batch, boolean adam, double seconds) {}

  static final Config[] CONFIGS = {
      new Config("tiny", new int[] {2, 16, 16, 2}, 32, false, 2),
      new Config("mnist", new int[] {784, 256, 256, 10}, 128, true, 3),
      new Config("wide", new int[] {1024, 2048, 2048, 10}, 256, true, 6),
  };

  /** Median milliseconds per training step of {@code c}. */
  static double medianStepMillis(Config c) {
    Random rnd = new Random(0);
    Layer model = MLP.of(rnd, ReLU::new, c.sizes());
    Optimizer opt = c.adam() ? new Adam(model.parameters(), 1e-3)
        : new SGD(model.parameters(), 0.1);
    Tensor x = Tensor.randn(rnd, c.batch(), c.sizes()[0]);
    long[] labels = new long[c.batch()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = rnd.nextInt(c.sizes()[c.sizes().length - 1]);
    }
    Tensor y = Tensor.of(labels);
    Runnable step = () -> {
      try (var scope = Tensors.scope()) {
        opt.zeroGrad();
        Losses.softmaxCrossEntropy(model.forward(x), y).backward();
        opt.step();
      }
    };
    long warmEnd = System.nanoTime() + (long) (c.seconds() * 0.5e9);
    while (System.nanoTime() < warmEnd) {
      step.run();
    }
    double[] samples = new double[Math.max(5, (int) (c.seconds() * 1e3 / 4))];
    int n = 0;
    long end = System.nanoTime() + (long) (c.seconds() * 1e9);
    while (n < samples.length && (n < 5 || System.nanoTime() < end)) {
      long t0 = System.nanoTime();
      step.run();
      samples[n++] = (System.nanoTime() - t0) / 1e6;
    }
    double[] s = Arrays.copyOf(samples, n);
    Arrays.sort(s);
    return s[n / 2];
  }

  public static void main(String[] args) {
    for (Config c : CONFIGS) {
      if (args.length == 0 || Arrays.asList(args).contains(c.name())) {
        System.out.printf(Locale.ROOT, "%s step: median %.3f ms%n", c.name(),
            medianStepMillis(c));
      }
    }
  }
}
