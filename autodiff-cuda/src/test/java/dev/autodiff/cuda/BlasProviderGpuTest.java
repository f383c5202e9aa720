package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The chosen vendor BLAS (cuBLAS 12 or 13) on a real GPU against products computed on the host:
 * skipped without CUDA, and where the process chose our kernel. Runs in the GPU bundle.
 */
class BlasProviderGpuTest {
  /** cuda:0's context and the provider ready on its stream, or the test is skipped. */
  private static CudaContext context() {
    Device d = Gpu.device();
    CudaContext c = CudaContext.of(d);
    assumeTrue(BlasProviders.selected() != null,
        () -> "no vendor BLAS here: " + BlasProviders.description());
    return c;
  }

  private static long upload(CudaContext c, CudaStorage s, double[] v, boolean single) {
    if (single) {
      float[] f = new float[v.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) v[i];
      }
      c.upload(s, f.length, 4, (b, from, n) -> b.asFloatBuffer().put(f, from, n));
    } else {
      c.upload(s, v.length, 8, (b, from, n) -> b.asDoubleBuffer().put(v, from, n));
    }
    return s.address();
  }

  private static double[] download(CudaContext c, CudaStorage s, int n, boolean single) {
    double[] out = new double[n];
    if (single) {
      float[] f = new float[n];
      c.download(s, n, 4, (b, from, len) -> b.asFloatBuffer().get(f, from, len));
      for (int i = 0; i < n; i++) {
        out[i] = f[i];
      }
    } else {
      c.download(s, n, 8, (b, from, len) -> b.asDoubleBuffer().get(out, from, len));
    }
    return out;
  }

  @Test
  void productsMatchTheHost() {
    CudaContext c = context();
    long stream = c.streamHandle();
    BlasProvider blas = BlasProviders.forContext(c, stream);
    assumeTrue(blas != null, BlasProviders::description);
    Random r = new Random(5);
    int[][] sizes = {{1, 1, 1}, {7, 5, 3}, {64, 96, 80}, {129, 31, 257}};
    for (boolean single : new boolean[] {true, false}) {
      DType t = single ? DType.FLOAT32 : DType.FLOAT64;
      for (int[] mnk : sizes) {
        for (int variant = 0; variant < 4; variant++) {
          boolean ta = (variant & 1) != 0;
          boolean tb = (variant & 2) != 0;
          int m = mnk[0];
          int n = mnk[1];
          int k = mnk[2];
          int batches = 3;
          int aSize = m * k;
          int bSize = k * n;
          double[] a = new double[batches * aSize];
          double[] b = new double[bSize]; // shared by the batches: stride 0
          for (int i = 0; i < a.length; i++) {
            a[i] = r.nextGaussian();
          }
          for (int i = 0; i < b.length; i++) {
            b[i] = r.nextGaussian();
          }
          CudaStorage da = c.allocate(t, a.length);
          CudaStorage db = c.allocate(t, b.length);
          CudaStorage dc = c.allocate(t, (long) batches * m * n);
          try {
            upload(c, da, a, single);
            upload(c, db, b, single);
            blas.gemm(stream, single, ta, tb, m, n, k, da.address(), ta ? m : k, aSize,
                db.address(), tb ? k : n, 0, dc.address(), n, (long) m * n, batches);
            double[] got = download(c, dc, batches * m * n, single);
            for (int z = 0; z < batches; z++) {
              for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                  double s = 0;
                  double norm = 0;
                  for (int q = 0; q < k; q++) {
                    double x = a[z * aSize + (ta ? q * m + i : i * k + q)];
                    double y = b[tb ? j * k + q : q * n + j];
                    if (single) {
                      x = (float) x;
                      y = (float) y;
                    }
                    s += x * y;
                    norm += Math.abs(x * y);
                  }
                  double tol = (single ? 1e-4 : 1e-12) * (norm + 1);
                  double g = got[z * m * n + i * n + j];
                  assertEquals(s, g, tol, t + " " + m + "x" + n + "x" + k + " ta " + ta + " tb "
                      + tb + " batch " + z + " (" + i + ", " + j + ")");
                }
              }
            }
          } finally {
            da.dispose();
            db.dispose();
            dc.dispose();
          }
        }
      }
    }
  }

  @Test
  void float32IsStrictUnlessTf32WasAskedFor() {
    CudaContext c = context();
    assumeTrue(!Boolean.getBoolean(BlasProviders.TF32_PROPERTY), "TF32 was asked for");
    long stream = c.streamHandle();
    BlasProvider blas = BlasProviders.forContext(c, stream);
    assumeTrue(blas != null, BlasProviders::description);
    // 1 + 2^-12 needs 13 mantissa bits: TF32 (10 bits) rounds it to 1, FP32 keeps it, and the
    // sum of 64 such products, 64 + 2^-6, is exact in FP32.
    int s = 64;
    double[] a = new double[s * s];
    double[] b = new double[s * s];
    java.util.Arrays.fill(a, 1 + Math.scalb(1.0, -12));
    java.util.Arrays.fill(b, 1);
    CudaStorage da = c.allocate(DType.FLOAT32, a.length);
    CudaStorage db = c.allocate(DType.FLOAT32, b.length);
    CudaStorage dc = c.allocate(DType.FLOAT32, a.length);
    try {
      upload(c, da, a, true);
      upload(c, db, b, true);
      blas.gemm(stream, true, false, false, s, s, s, da.address(), s, 0, db.address(), s, 0,
          dc.address(), s, 0, 1);
      double[] got = download(c, dc, s * s, true);
      for (double v : got) {
        assertEquals(64 + Math.scalb(1.0, -6), v, 0.0, "strict FP32: " + blas.name());
      }
      assertTrue(blas.name().contains("strict FP32"), blas.name());
    } finally {
      da.dispose();
      db.dispose();
      dc.dispose();
    }
  }
}
