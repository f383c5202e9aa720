/*
 * Run (from the repository root; about 30 s on 2 cores):
 *
 *   mvn -q -pl benchmarks -am install -DskipTests
 *   mvn -q -pl benchmarks dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
 *   java -cp benchmarks/target/classes:$(cat benchmarks/target/classpath.txt) \
 *       dev.autodiff.bench.MatmulBenchmark
 *
 * Optional arguments: the square sizes to run (default 256 512 1024 2048). On JDK 22+ add
 * --enable-native-access=ALL-UNNAMED to silence the JNI warnings.
 */
package dev.autodiff.bench;

import dev.autodiff.core.Tensor;
import dev.autodiff.core.cpu.Blas;
import dev.autodiff.core.cpu.Gemm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Float32 square matrix multiply, {@code C = A B}, through every route we could use, side by
 * side in one run (the machine is noisy: compare rows of one table, not tables):
 *
 * <ul>
 *   <li>{@link Blas#gemm()}: what autodiff uses (netlib's JNI shim on bytedeco's OpenBLAS, which
 *       pins the heap arrays);
 *   <li>{@link Blas#javaFallback()}: the pure-Java GEMM used when no native library loads;
 *   <li>bytedeco's {@code cblas_sgemm} on heap {@code float[]} (JavaCPP copies the arrays in and
 *       out on every call);
 *   <li>bytedeco's {@code cblas_sgemm} on off-heap {@code FloatPointer}s (no copies: the kernel's
 *       own speed, reachable only if tensors lived off-heap).
 * </ul>
 *
 * Each cell is the median GFLOP/s of several timed samples after a warm-up that lets C2 compile
 * the Java kernel; the last column is the latency of one 16 x 16 x 16 call.
 */
public final class MatmulBenchmark {

  private static final long WARMUP_NANOS = 400_000_000L;
  private static final long SAMPLE_NANOS = 30_000_000L;
  private static final int SAMPLES = 7;

  /** One way to compute row-major {@code C = A B} for square n x n float matrices. */
  private interface Route {
    String name();

    /** Prepares operands for size n and returns the action that multiplies them once. */
    Runnable prepare(int n, float[] a, float[] b, float[] c);

    /** Copies the last result into {@code c} when the route computed it elsewhere. */
    default void collect(float[] c) {}
  }

  private MatmulBenchmark() {}

  public static void main(String[] args) {
    int[] sizes = args.length == 0 ? new int[] {256, 512, 1024, 2048}
        : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
    Gemm chosen = Blas.gemm();
    List<Route> routes = new ArrayList<>();
    routes.add(tensorRoute());
    routes.add(gemmRoute("`Blas.gemm()`: " + chosen.name() + ", heap float[]", chosen));
    if (chosen != Blas.javaFallback()) {
      routes.add(gemmRoute("`Blas.javaFallback()`: " + Blas.javaFallback().name(),
          Blas.javaFallback()));
    }
    routes.add(bytedecoHeap());
    routes.add(bytedecoOffHeap());

    System.out.println("autodiff BLAS: " + Blas.description());
    System.out.printf(Locale.ROOT, "JVM %s, %d processors, float32 C = A B, median GFLOP/s%n%n",
        Runtime.version(), Runtime.getRuntime().availableProcessors());
    StringBuilder header = new StringBuilder("| route |");
    StringBuilder rule = new StringBuilder("| --- |");
    for (int n : sizes) {
      header.append(" n=").append(n).append(" |");
      rule.append(" --- |");
    }
    System.out.println(header.append(" 16x16 call (us) |"));
    System.out.println(rule.append(" --- |"));

    long start = System.nanoTime();
    float[][] reference = new float[sizes.length][];
    for (Route route : routes) {
      StringBuilder row = new StringBuilder("| ").append(route.name()).append(" |");
      for (int s = 0; s < sizes.length; s++) {
        int n = sizes[s];
        Random rnd = new Random(n);
        float[] a = randomMatrix(rnd, n);
        float[] b = randomMatrix(rnd, n);
        float[] c = new float[n * n];
        Runnable call;
        try {
          call = route.prepare(n, a, b, c);
        } catch (LinkageError | RuntimeException e) {
          row.append(" n/a |");
          continue;
        }
        double seconds = medianSecondsPerCall(call);
        route.collect(c);
        if (reference[s] == null) {
          reference[s] = c.clone();
        }
        double diff = maxRelativeDifference(reference[s], c);
        row.append(String.format(Locale.ROOT, " %.1f%s |", 2.0 * n * n * n / seconds / 1e9,
            diff > 1e-4 ? " (WRONG: rel. diff " + diff + ")" : ""));
      }
      try {
        Random rnd = new Random(16);
        Runnable call = route.prepare(16, randomMatrix(rnd, 16), randomMatrix(rnd, 16),
            new float[256]);
        row.append(String.format(Locale.ROOT, " %.2f |", medianSecondsPerCall(call) * 1e6));
      } catch (LinkageError | RuntimeException e) {
        row.append(" n/a |");
      }
      System.out.println(row);
    }
    System.out.printf(Locale.ROOT, "%n(%.1f s)%n", (System.nanoTime() - start) / 1e9);
  }

  /** Median GFLOP/s of {@code Tensor.matmul} on random float32 n x n matrices. */
  static double tensorGflops(int n) {
    Random rnd = new Random(n);
    Runnable call = tensorRoute().prepare(n, randomMatrix(rnd, n), randomMatrix(rnd, n),
        new float[n * n]);
    return 2.0 * n * n * n / medianSecondsPerCall(call) / 1e9;
  }

  /** What a user gets: {@code Tensor.matmul}, output allocation and op dispatch included. */
  private static Route tensorRoute() {
    return new Route() {
      private Tensor last;

      @Override
      public String name() {
        return "`Tensor.matmul` (float32, allocates C)";
      }

      @Override
      public Runnable prepare(int n, float[] a, float[] b, float[] c) {
        Tensor x = Tensor.of(a, n, n);
        Tensor y = Tensor.of(b, n, n);
        return () -> last = x.matmul(y);
      }

      @Override
      public void collect(float[] c) {
        float[] r = last.toFloatArray();
        System.arraycopy(r, 0, c, 0, c.length);
      }
    };
  }

  private static Route gemmRoute(String name, Gemm gemm) {
    return new Route() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Runnable prepare(int n, float[] a, float[] b, float[] c) {
        return () -> gemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
      }
    };
  }

  private static Route bytedecoHeap() {
    return new Route() {
      @Override
      public String name() {
        return "bytedeco `cblas_sgemm`, heap float[] (JavaCPP copies)";
      }

      @Override
      public Runnable prepare(int n, float[] a, float[] b, float[] c) {
        return () -> openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
            openblas_nolapack.CblasNoTrans, openblas_nolapack.CblasNoTrans, n, n, n,
            1f, a, n, b, n, 0f, c, n);
      }
    };
  }

  private static Route bytedecoOffHeap() {
    return new Route() {
      private FloatPointer pa;
      private FloatPointer pb;
      private FloatPointer pc;
      private int size;

      @Override
      public String name() {
        return "bytedeco `cblas_sgemm`, off-heap FloatPointer (no copies)";
      }

      @Override
      public Runnable prepare(int n, float[] a, float[] b, float[] c) {
        if (pc != null) { // free the previous size's buffers
          pa.close();
          pb.close();
          pc.close();
        }
        pa = new FloatPointer(a);
        pb = new FloatPointer(b);
        pc = new FloatPointer((long) n * n);
        size = n * n;
        FloatPointer x = pa;
        FloatPointer y = pb;
        FloatPointer out = pc;
        return () -> openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
            openblas_nolapack.CblasNoTrans, openblas_nolapack.CblasNoTrans, n, n, n,
            1f, x, n, y, n, 0f, out, n);
      }

      @Override
      public void collect(float[] c) {
        pc.get(c, 0, size);
      }
    };
  }

  /** Warm-up, then the median over {@link #SAMPLES} samples of at least SAMPLE_NANOS each. */
  private static double medianSecondsPerCall(Runnable call) {
    long warmEnd = System.nanoTime() + WARMUP_NANOS;
    int warmCalls = 0;
    long t0 = System.nanoTime();
    while (warmCalls < 3 || System.nanoTime() < warmEnd) {
      call.run();
      warmCalls++;
    }
    double perCall = (System.nanoTime() - t0) / (double) warmCalls;
    int callsPerSample = (int) Math.max(1, Math.min(1_000_000, SAMPLE_NANOS / perCall));
    double[] samples = new double[SAMPLES];
    for (int s = 0; s < SAMPLES; s++) {
      long start = System.nanoTime();
      for (int i = 0; i < callsPerSample; i++) {
        call.run();
      }
      samples[s] = (System.nanoTime() - start) / 1e9 / callsPerSample;
    }
    Arrays.sort(samples);
    return samples[SAMPLES / 2];
  }

  private static float[] randomMatrix(Random rnd, int n) {
    float[] x = new float[n * n];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextFloat() - 0.5f;
    }
    return x;
  }

  private static double maxRelativeDifference(float[] x, float[] y) {
    double maxDiff = 0;
    double maxAbs = 1e-30;
    for (int i = 0; i < x.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
      maxAbs = Math.max(maxAbs, Math.abs(x[i]));
    }
    return maxDiff / maxAbs;
  }
}
