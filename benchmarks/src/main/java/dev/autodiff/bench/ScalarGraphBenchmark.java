package dev.autodiff.bench;

import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Per-op overhead: a micrograd-style graph of rank-0 tensors (a 2-16-16-1 MLP written neuron by
 * neuron, one scalar op per multiply, add and relu), forward and backward, reported as
 * microseconds per recorded op. PyTorch eager runs the same graph at 6 to 9 us per op.
 *
 * <pre>
 * mvn -q -pl benchmarks -am install -DskipTests
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
 *     dev.autodiff.bench.ScalarGraphBenchmark
 * </pre>
 */
public final class ScalarGraphBenchmark {
  private ScalarGraphBenchmark() {}

  /** One neuron's weights and bias, as scalar leaves. */
  private static final class Neuron {
    final Tensor[] w;
    final Tensor b;

    Neuron(Random rnd, int in) {
      w = new Tensor[in];
      for (int i = 0; i < in; i++) {
        w[i] = Tensor.scalar(rnd.nextDouble() * 2 - 1).requiresGrad();
      }
      b = Tensor.scalar(0).requiresGrad();
    }
  }

  private final List<Neuron[]> layers = new ArrayList<>();
  private int ops;

  private ScalarGraphBenchmark(Random rnd, int... sizes) {
    for (int l = 1; l < sizes.length; l++) {
      Neuron[] layer = new Neuron[sizes[l]];
      for (int j = 0; j < layer.length; j++) {
        layer[j] = new Neuron(rnd, sizes[l - 1]);
      }
      layers.add(layer);
    }
  }

  private Tensor[] forward(Tensor[] x) {
    for (int l = 0; l < layers.size(); l++) {
      Neuron[] layer = layers.get(l);
      Tensor[] out = new Tensor[layer.length];
      for (int j = 0; j < layer.length; j++) {
        Tensor act = layer[j].b;
        for (int i = 0; i < x.length; i++) {
          act = act.add(layer[j].w[i].mul(x[i]));
          ops += 2;
        }
        if (l < layers.size() - 1) {
          act = act.relu();
          ops++;
        }
        out[j] = act;
      }
      x = out;
    }
    return x;
  }

  /** Squared loss over a batch of samples, built from scalar ops only. */
  private Tensor loss(double[][] xs, double[] ys) {
    Tensor total = null;
    for (int s = 0; s < xs.length; s++) {
      Tensor[] x = {Tensor.scalar(xs[s][0]), Tensor.scalar(xs[s][1])};
      Tensor d = forward(x)[0].sub(ys[s]);
      Tensor sq = d.mul(d);
      ops += 2;
      total = total == null ? sq : total.add(sq);
      ops += total == sq ? 0 : 1;
    }
    return total;
  }

  /** Runs forward and backward once; returns the number of ops recorded. */
  private int step(double[][] xs, double[] ys) {
    ops = 0;
    try (var scope = Tensors.scope()) {
      for (Neuron[] layer : layers) {
        for (Neuron n : layer) {
          for (Tensor w : n.w) {
            w.zeroGrad();
          }
          n.b.zeroGrad();
        }
      }
      loss(xs, ys).backward();
    }
    return ops;
  }

  /** Median microseconds per recorded op, after a three-second warm-up. */
  static double medianMicrosPerOp() {
    Random rnd = new Random(0);
    ScalarGraphBenchmark net = new ScalarGraphBenchmark(rnd, 2, 16, 16, 1);
    int samples = 10;
    double[][] xs = new double[samples][2];
    double[] ys = new double[samples];
    for (int s = 0; s < samples; s++) {
      xs[s][0] = rnd.nextGaussian();
      xs[s][1] = rnd.nextGaussian();
      ys[s] = rnd.nextBoolean() ? 1 : -1;
    }
    int ops = 0;
    long warmUntil = System.nanoTime() + 3_000_000_000L;
    while (System.nanoTime() < warmUntil) {
      ops = net.step(xs, ys);
    }
    int reps = 200;
    double[] usPerOp = new double[reps];
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      net.step(xs, ys);
      usPerOp[r] = (System.nanoTime() - t0) / 1e3 / ops;
    }
    Arrays.sort(usPerOp);
    lastOps = ops;
    return usPerOp[reps / 2];
  }

  private static int lastOps;

  public static void main(String[] args) {
    double median = medianMicrosPerOp();
    System.out.printf("scalar graph: %d ops forward+backward, median %.3f us/op%n", lastOps,
        median);
  }
}
