package dev.autodiff.core.cpu;

import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Chooses the matrix multiply for the CPU backend, once per process.
 *
 * <p>The fast path is OpenBLAS, bundled in the {@code org.bytedeco:openblas} jar, called through
 * netlib's JNI shim ({@code dev.ludovic.netlib:blas}), which pins heap arrays instead of copying
 * them. When that cannot load (another OS or CPU, a missing jar, an unwritable cache folder), or
 * when {@code -Dautodiff.blas=java} asks for it, the portable {@link JavaGemm} is used instead.
 * Either way one INFO line on the {@code dev.autodiff.core.cpu.Blas} logger says which one was
 * chosen and, when the native one was not, why (like Lucene's {@code VectorizationProvider}).
 *
 * <p>OpenBLAS's thread pool is sized once, to {@link Runtime#availableProcessors()} or to
 * {@code -Dautodiff.blas.threads=N}.
 *
 * <pre>{@code
 * jshell> Blas.description()
 * $1 ==> "OpenBLAS 0.3.28 (org.bytedeco:openblas 0.3.28-1.5.11) via netlib JNIBLAS, 2 threads"
 * }</pre>
 */
public final class Blas {

  /** {@code -Dautodiff.blas=java} forces the pure-Java GEMM; {@code auto} (the default) does not. */
  public static final String PROPERTY = "autodiff.blas";
  /** {@code -Dautodiff.blas.threads=N} sets OpenBLAS's thread count (default: all processors). */
  public static final String THREADS_PROPERTY = "autodiff.blas.threads";

  private static final System.Logger LOG = System.getLogger(Blas.class.getName());

  private Blas() {}

  /** The GEMM this process uses: the native one when it loaded, otherwise the Java fallback. */
  public static Gemm gemm() {
    return Selected.SELECTION.gemm();
  }

  /** What {@link #gemm()} is and, when it is the fallback, why; the line that was logged. */
  public static String description() {
    return Selected.SELECTION.description();
  }

  /** The pure-Java GEMM, whatever was chosen (for tests and benchmarks). */
  public static Gemm javaFallback() {
    return JavaGemm.INSTANCE;
  }

  /**
   * The native GEMM, or empty when it could not load. Tries to load it on first call even when
   * {@code -Dautodiff.blas=java} kept {@link #gemm()} off it (for tests and benchmarks).
   */
  public static Optional<Gemm> nativeBlas() {
    return Optional.ofNullable(NativeHolder.PROBE.gemm());
  }

  /** The native GEMM's name, or why it did not load. */
  static String nativeStatus() {
    return NativeHolder.PROBE.status();
  }

  /** Outcome of loading the native GEMM: {@code gemm} is null when it failed, and status says why. */
  record Probe(Gemm gemm, String status) {}

  /** The chosen GEMM; {@code fellBack} when the native one was wanted but did not load. */
  record Selection(Gemm gemm, String description, boolean fellBack) {}

  /** The choice, apart from the global state, so that tests can drive it. */
  static Selection select(String setting, Supplier<Probe> nativeProbe) {
    Gemm java = JavaGemm.INSTANCE;
    String value = setting == null ? "" : setting.trim();
    if (value.equalsIgnoreCase("java")) {
      return new Selection(java,
          java.name() + "; native BLAS not tried (-D" + PROPERTY + "=java)", false);
    }
    String note = value.isEmpty() || value.equalsIgnoreCase("auto") ? ""
        : " (ignored unknown -D" + PROPERTY + "=" + value + "; use java or auto)";
    Probe probe = nativeProbe.get();
    if (probe.gemm() != null) {
      return new Selection(probe.gemm(), probe.gemm().name() + note, false);
    }
    return new Selection(java,
        java.name() + "; native BLAS did not load: " + probe.status() + note, true);
  }

  /**
   * Lazily created on the first {@link #gemm()}: chooses, and logs the one line, as a warning
   * when the native BLAS did not load (products are several times slower), else at debug level
   * (so a JShell session or a script's output stays clean; {@link #description()} tells).
   */
  private static final class Selected {
    static final Selection SELECTION =
        select(System.getProperty(PROPERTY, ""), () -> NativeHolder.PROBE);

    static {
      LOG.log(SELECTION.fellBack() ? Level.WARNING : Level.DEBUG,
          "autodiff BLAS: " + SELECTION.description());
    }
  }

  /** Lazily created on the first need of the native GEMM; never throws. */
  private static final class NativeHolder {
    static final Probe PROBE = probe();

    private static Probe probe() {
      try {
        return NativeLoader.load();
      } catch (LinkageError | Exception e) {
        // NoClassDefFoundError (a jar missing), UnsatisfiedLinkError (no binary for this
        // platform), SecurityException, I/O errors while extracting...: all mean "no native".
        return new Probe(null, describe(e));
      }
    }
  }

  /**
   * Everything that touches netlib or JavaCPP classes, kept out of {@link Blas} itself so that a
   * missing jar surfaces as a LinkageError here, caught by {@link NativeHolder}.
   */
  private static final class NativeLoader {
    private static final String NETLIB_LIB_PATH = "dev.ludovic.netlib.blas.nativeLibPath";
    private static final String NETLIB_LIB = "dev.ludovic.netlib.blas.nativeLib";
    private static final String NETLIB_JNI_CLASS = "dev.ludovic.netlib.blas.JNIBLAS";

    static Probe load() throws Exception {
      // 1. JavaCPP extracts the bundled OpenBLAS (and its libgfortran) into its cache folder and
      //    loads it; the JNI library it returns sits in the same folder as libopenblas.
      String platform = org.bytedeco.javacpp.Loader.getPlatform();
      String jni;
      try {
        jni = org.bytedeco.javacpp.Loader.load(
            org.bytedeco.openblas.global.openblas_nolapack.class);
      } catch (UnsatisfiedLinkError e) {
        return new Probe(null, "JavaCPP has no OpenBLAS for platform " + platform
            + " on the class path (" + describe(e) + ")");
      }
      if (jni == null) {
        return new Probe(null, "JavaCPP did not load OpenBLAS (org.bytedeco.javacpp.loadLibraries"
            + " is false?)");
      }
      Path openblas = findOpenBlas(Path.of(jni).getParent());
      if (openblas == null) {
        return new Probe(null, "no libopenblas next to " + jni);
      }

      // 2. Own the thread count rather than leave it to OpenBLAS's defaults and environment.
      int threads = Integer.getInteger(THREADS_PROPERTY, 0);
      if (threads < 1) {
        threads = Runtime.getRuntime().availableProcessors();
      }
      org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads(threads);
      String threadNote = org.bytedeco.openblas.global.openblas_nolapack.blas_get_vendor() == 0
          ? "thread count not set" : threads + (threads == 1 ? " thread" : " threads");

      // 3. Point netlib's JNI shim at that OpenBLAS; it reads the property once, when it loads.
      //    A user's own choice of library wins.
      String userLib = System.getProperty(NETLIB_LIB_PATH, System.getProperty(NETLIB_LIB));
      if (userLib == null) {
        System.setProperty(NETLIB_LIB_PATH, openblas.toString());
      }

      // 4. Load netlib's JNI class ourselves: netlib catches a failed load, logs it at FINE and
      //    silently hands out its slow Java BLAS, so this is the only place the reason shows.
      try {
        Class.forName(NETLIB_JNI_CLASS, true, dev.ludovic.netlib.blas.BLAS.class.getClassLoader());
      } catch (ExceptionInInitializerError e) {
        return new Probe(null, "netlib's JNIBLAS failed to load "
            + (userLib == null ? openblas : userLib) + ": " + describe(e.getCause()));
      }
      dev.ludovic.netlib.blas.BLAS blas = quietly(dev.ludovic.netlib.blas.BLAS::getInstance);
      if (!blas.getClass().getName().equals(NETLIB_JNI_CLASS)) {
        return new Probe(null, "netlib chose " + blas.getClass().getName() + ", not JNIBLAS");
      }

      String version = org.bytedeco.openblas.global.openblas_nolapack.class.getPackage()
          .getImplementationVersion();
      String name = (userLib == null
          ? org.bytedeco.openblas.global.openblas_nolapack.OPENBLAS_VERSION.trim()
              + " (org.bytedeco:openblas " + (version == null ? "?" : version) + ")"
          : userLib + " (set by -D" + NETLIB_LIB_PATH + " or -D" + NETLIB_LIB + ")")
          + " via netlib JNIBLAS, " + threadNote;
      Gemm gemm = new NetlibGemm(blas, name);
      String wrong = selfTest(gemm);
      return wrong == null ? new Probe(gemm, name) : new Probe(null, wrong);
    }

    /**
     * Runs netlib's first {@code getInstance()} with its own INFO line ("Using ...JNIBLAS") muted,
     * so that the choice is logged once, by us; a level the user configured is left alone.
     */
    private static <T> T quietly(Supplier<T> action) {
      java.util.logging.Logger netlib =
          java.util.logging.Logger.getLogger("dev.ludovic.netlib.blas.InstanceBuilder");
      boolean mute = netlib.getLevel() == null;
      if (mute) {
        netlib.setLevel(java.util.logging.Level.WARNING);
      }
      try {
        return action.get();
      } finally {
        if (mute) {
          netlib.setLevel(null);
        }
      }
    }

    private static Path findOpenBlas(Path dir) throws java.io.IOException {
      if (dir == null || !Files.isDirectory(dir)) {
        return null;
      }
      for (String name : new String[] {"libopenblas.so.0", "libopenblas.so",
          "libopenblas.0.dylib", "libopenblas.dylib", "libopenblas.dll"}) {
        if (Files.isRegularFile(dir.resolve(name))) {
          return dir.resolve(name);
        }
      }
      try (Stream<Path> files = Files.list(dir)) {
        return files.filter(p -> p.getFileName().toString().startsWith("libopenblas"))
            .findFirst().orElse(null);
      }
    }
  }

  /** Row-major GEMM as netlib's column-major one: row-major C = A B is column-major C^T = B^T A^T. */
  private static final class NetlibGemm implements Gemm {
    private final dev.ludovic.netlib.blas.BLAS blas;
    private final String name;

    NetlibGemm(dev.ludovic.netlib.blas.BLAS blas, String name) {
      this.blas = blas;
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String toString() {
      return name;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
        float alpha, float[] a, int aOff, int lda,
        float[] b, int bOff, int ldb,
        float beta, float[] c, int cOff, int ldc) {
      JavaGemm.checkArgs("sgemm", transA, transB, m, n, k,
          a == null ? -1 : a.length, aOff, lda,
          b == null ? -1 : b.length, bOff, ldb,
          c == null ? -1 : c.length, cOff, ldc);
      if (m == 0 || n == 0) {
        return;
      }
      if (k == 0 || alpha == 0f) {
        JavaGemm.scaleC(m, n, beta, c, cOff, ldc);
        return;
      }
      blas.sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k,
          alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }

    @Override
    public void dgemm(boolean transA, boolean transB, int m, int n, int k,
        double alpha, double[] a, int aOff, int lda,
        double[] b, int bOff, int ldb,
        double beta, double[] c, int cOff, int ldc) {
      JavaGemm.checkArgs("dgemm", transA, transB, m, n, k,
          a == null ? -1 : a.length, aOff, lda,
          b == null ? -1 : b.length, bOff, ldb,
          c == null ? -1 : c.length, cOff, ldc);
      if (m == 0 || n == 0) {
        return;
      }
      if (k == 0 || alpha == 0d) {
        JavaGemm.scaleC(m, n, beta, c, cOff, ldc);
        return;
      }
      blas.dgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k,
          alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc);
    }
  }

  /**
   * One small product with transposes and offsets in each precision, checked exactly (small
   * integers): a library that loads but computes garbage must not be chosen. Null when it passed.
   */
  private static String selfTest(Gemm gemm) {
    // C (2x3) = A^T B with A stored 4x2 from offset 1 (rows 0..3 used: k = 4), B stored 4x3.
    float[] a = {9, 1, 2, 3, 4, 5, 6, 7, 8};
    float[] b = {1, 0, 2, 0, 1, 1, 3, 1, 0, 1, 2, 1};
    float[] c = {7, 7, 7, 7, 7, 7};
    float[] expected = new float[6];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        float s = 0;
        for (int p = 0; p < 4; p++) {
          s += a[1 + p * 2 + i] * b[p * 3 + j];
        }
        expected[i * 3 + j] = 2 * s + 7;
      }
    }
    double[] cd = {7, 7, 7, 7, 7, 7};
    double[] ad = new double[a.length];
    double[] bd = new double[b.length];
    for (int i = 0; i < a.length; i++) {
      ad[i] = a[i];
    }
    for (int i = 0; i < b.length; i++) {
      bd[i] = b[i];
    }
    gemm.sgemm(true, false, 2, 3, 4, 2f, a, 1, 2, b, 0, 3, 1f, c, 0, 3);
    gemm.dgemm(true, false, 2, 3, 4, 2d, ad, 1, 2, bd, 0, 3, 1d, cd, 0, 3);
    for (int i = 0; i < 6; i++) {
      if (c[i] != expected[i] || cd[i] != expected[i]) {
        return gemm.name() + " failed its self-test (got " + c[i] + " and " + cd[i]
            + " where " + expected[i] + " was expected)";
      }
    }
    return null;
  }

  private static String describe(Throwable e) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = e; t != null && s.length() < 400; t = t.getCause()) {
      if (s.length() > 0) {
        s.append(", caused by ");
      }
      s.append(t.getClass().getSimpleName());
      if (t.getMessage() != null) {
        s.append(": ").append(t.getMessage());
      }
    }
    return s.length() > 400 ? s.substring(0, 400) + "..." : s.toString();
  }
}
