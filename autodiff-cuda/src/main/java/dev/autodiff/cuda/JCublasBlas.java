package dev.autodiff.cuda;

import static dev.autodiff.cuda.CublasLibrary.OP_N;
import static dev.autodiff.cuda.CublasLibrary.OP_T;
import static dev.autodiff.cuda.CublasLibrary.check;

import dev.autodiff.cuda.BlasProviders.Probe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.cudaStream_t;

/**
 * cuBLAS 12 ({@code libcublas.so.12}) through JCuda's JNI binding JCublas2, on any JDK: {@code
 * cublasSgemm_v2}, {@code cublasDgemm_v2} and their strided-batched forms on raw device addresses,
 * queued on the backend's stream in the device's primary context. This is the fast path of a
 * JDK 17 program on a CUDA 12 machine; CUDA 13 machines have no {@code libcublas.so.12}, and
 * {@link BlasProviders} then tries cuBLAS 13 through the foreign-function API.
 *
 * <p>JCublas2's native library links {@code libcublas.so.12} by name. Before it loads, the first
 * {@code libcublas.so.12} found where {@link CublasLibrary#candidates} says (with {@code
 * libcublasLt.so.12} from its folder) is loaded by path, so that {@code -Dautodiff.cublas.path},
 * {@code LD_LIBRARY_PATH} and {@code CUDA_HOME} decide, as for cuBLAS 13; the system loader's
 * path is the last resort.
 *
 * <p>Handles as {@link CublasBinding} says, in host pointer mode. JCuda's exceptions are left as
 * configured; a status or a {@link CudaException} becomes an {@link IllegalStateException} naming
 * the call.
 */
final class JCublasBlas extends CublasBinding<JCublasBlas.Handle> {
  static final String LIBRARY = "libcublas.so.12";

  /** The loader's complaint from JCublas2's failed load, kept: later touches say less. */
  private static String loadFailure;

  /** One cuBLAS handle and its host scalars, which cuBLAS reads before the call returns. */
  static final class Handle {
    final cublasHandle handle = new cublasHandle();
    final float[] alphaF = new float[1];
    final float[] betaF = new float[1];
    final double[] alphaD = new double[1];
    final double[] betaD = new double[1];
    final Pointer alphaFP = Pointer.to(alphaF);
    final Pointer betaFP = Pointer.to(betaF);
    final Pointer alphaDP = Pointer.to(alphaD);
    final Pointer betaDP = Pointer.to(betaD);
  }

  /** A device address as JCuda's {@link Pointer} (its constructor from an address is protected). */
  static final class Address extends Pointer {
    Address(long address) {
      super(address);
    }
  }

  private JCublasBlas(String where, boolean tf32) {
    super("cuBLAS " + version() + " (" + where + ") through JCublas2", tf32);
  }

  /**
   * Finds the library, loads JCublas2's native library against it and asks cuBLAS its version;
   * never throws. Call it once per process (through {@link BlasProviders}): a failed load of
   * JCublas2 cannot be retried, since its class then stays unusable.
   */
  static Probe probe(String pathSetting, Map<String, String> env, boolean tf32) {
    List<String> failed = new ArrayList<>();
    String where = preload(pathSetting, env, failed);
    try {
      String loader = loadJCublas2();
      if (loader == null) {
        return new Probe(new JCublasBlas(where, tf32), null);
      }
      String looked = " (looked in " + CublasLibrary.lookedIn(pathSetting, env)
          + (failed.isEmpty() ? "" : "; failed to load: " + String.join("; ", failed)) + ")";
      if (failed.isEmpty() && loader.contains(LIBRARY + ": cannot open shared object file")) {
        return new Probe(null, LIBRARY + " not found" + looked + "; "
            + CublasLibrary.howToPoint());
      }
      return new Probe(null, "JCublas2's native library did not load, which needs " + LIBRARY
          + " (" + loader + ")" + looked);
    } catch (RuntimeException | LinkageError e) {
      return new Probe(null, "JCublas2 failed: " + e);
    }
  }

  /**
   * Loads JCublas2's native library: null when it is loaded, else the loader's complaint. A
   * failure is final for the process (the class stays unusable, and the JVM then cuts the first
   * error's message short), so it is kept and given again.
   */
  private static synchronized String loadJCublas2() {
    if (loadFailure == null) {
      try {
        JCublas2.initialize();
      } catch (LinkageError e) {
        loadFailure = CudaDriver.rootCause(e);
      }
    }
    return loadFailure;
  }

  /**
   * Loads the first candidate that exists (libcublasLt.so.12 from its folder first, so that the
   * pair matches), and says where; "LIBRARY on the system loader's path" when none does.
   */
  private static String preload(String setting, Map<String, String> env, List<String> failed) {
    for (Path p : CublasLibrary.candidates(LIBRARY, setting, env)) {
      if (Files.isRegularFile(p)) {
        try {
          Path lt = p.resolveSibling("libcublasLt.so.12");
          if (Files.isRegularFile(lt)) {
            System.load(lt.toAbsolutePath().toString());
          }
          System.load(p.toAbsolutePath().toString());
          return p.toString();
        } catch (UnsatisfiedLinkError e) {
          failed.add(p + " (" + e.getMessage() + ")");
        }
      }
    }
    return LIBRARY + " on the system loader's path";
  }

  /** "12.6.4" from cublasGetProperty (MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL). */
  private static String version() {
    int[] v = new int[1];
    StringBuilder s = new StringBuilder();
    for (int type = 0; type < 3; type++) {
      int t = type;
      if (call(() -> JCublas2.cublasGetProperty(t, v), "cublasGetProperty") != 0) {
        return "12 (version unknown)";
      }
      s.append(type == 0 ? "" : ".").append(v[0]);
    }
    return s.toString();
  }

  /** The cuBLAS handle of {@code stream}, made if need be: tests ask cuBLAS what it was given. */
  cublasHandle cublasHandleOn(long stream) {
    return handle(stream).handle;
  }

  @Override
  Handle createHandle(long stream) {
    CUstream s = CudaContext.streamWithHandle(stream);
    Handle h = new Handle();
    check(call(() -> JCublas2.cublasCreate(h.handle), "cublasCreate_v2"), "cublasCreate_v2", "");
    try {
      cudaStream_t t = s == null ? new cudaStream_t() : new cudaStream_t(s);
      check(call(() -> JCublas2.cublasSetStream(h.handle, t), "cublasSetStream_v2"),
          "cublasSetStream_v2", "(stream 0x" + Long.toHexString(stream) + ")");
      check(call(() -> JCublas2.cublasSetMathMode(h.handle, mathMode()), "cublasSetMathMode"),
          "cublasSetMathMode", "(" + mathMode() + ")");
    } catch (RuntimeException | Error e) {
      try {
        JCublas2.cublasDestroy(h.handle);
      } catch (RuntimeException ignored) {
        // its own failure would hide e's
      }
      throw e;
    }
    return h;
  }

  @Override
  void queue(Handle h, GemmCall g) {
    Pointer alpha;
    Pointer beta;
    if (g.single()) {
      h.alphaF[0] = (float) g.alpha();
      h.betaF[0] = (float) g.beta();
      alpha = h.alphaFP;
      beta = h.betaFP;
    } else {
      h.alphaD[0] = g.alpha();
      h.betaD[0] = g.beta();
      alpha = h.alphaDP;
      beta = h.betaDP;
    }
    int ta = g.transA() ? OP_T : OP_N;
    int tb = g.transB() ? OP_T : OP_N;
    Pointer a = new Address(g.a());
    Pointer b = new Address(g.b());
    Pointer c = new Address(g.c());
    String name;
    IntSupplier gemm;
    if (g.batches() == 1) {
      name = g.single() ? "cublasSgemm_v2" : "cublasDgemm_v2";
      gemm = g.single()
          ? () -> JCublas2.cublasSgemm(h.handle, ta, tb, g.m(), g.n(), g.k(), alpha, a, g.lda(),
              b, g.ldb(), beta, c, g.ldc())
          : () -> JCublas2.cublasDgemm(h.handle, ta, tb, g.m(), g.n(), g.k(), alpha, a, g.lda(),
              b, g.ldb(), beta, c, g.ldc());
    } else {
      name = g.single() ? "cublasSgemmStridedBatched" : "cublasDgemmStridedBatched";
      gemm = g.single()
          ? () -> JCublas2.cublasSgemmStridedBatched(h.handle, ta, tb, g.m(), g.n(), g.k(), alpha,
              a, g.lda(), g.strideA(), b, g.ldb(), g.strideB(), beta, c, g.ldc(), g.strideC(),
              g.batches())
          : () -> JCublas2.cublasDgemmStridedBatched(h.handle, ta, tb, g.m(), g.n(), g.k(), alpha,
              a, g.lda(), g.strideA(), b, g.ldb(), g.strideB(), beta, c, g.ldc(), g.strideC(),
              g.batches());
    }
    check(call(gemm, name), name, String.valueOf(g));
  }

  /**
   * A JCublas2 call's status.
   *
   * @throws IllegalStateException when the user turned JCuda's exceptions on and the call threw
   */
  private static int call(IntSupplier jcublas, String name) {
    try {
      return jcublas.getAsInt();
    } catch (CudaException e) {
      throw new IllegalStateException("cuBLAS call " + name + " failed: " + e.getMessage(), e);
    }
  }
}
