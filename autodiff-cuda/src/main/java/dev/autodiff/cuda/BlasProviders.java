package dev.autodiff.cuda;

import dev.autodiff.core.DType;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Chooses the CUDA backend's matrix product once per process, like Lucene's {@code
 * VectorizationProvider} and the CPU's {@code dev.autodiff.core.cpu.Blas}: the fast path when it
 * loads, else our own tiled kernel, with one log line (logger {@code dev.autodiff}, INFO) that
 * says which and, when it is the kernel, why. No exception from a failed load reaches the user.
 *
 * <p>The fast path is cuBLAS, through the first binding that loads:
 *
 * <ol>
 *   <li>cuBLAS 12 ({@code libcublas.so.12}) through JCuda's JCublas2 ({@link JCublasBlas}), on
 *       any JDK: CUDA 12 machines.
 *   <li>cuBLAS 13 ({@code libcublas.so.13}) through the JDK's foreign-function API ({@code
 *       CublasFfm}): CUDA 13 machines. That class is compiled only when the build runs on JDK 22
 *       or newer, and used only when the program runs on one; it is loaded by name, so that a
 *       build or run on JDK 17 merely skips it.
 * </ol>
 *
 * <ul>
 *   <li>{@code -Dautodiff.cuda.blas=auto} (the default): cuBLAS where one loads, else the kernel.
 *   <li>{@code -Dautodiff.cuda.blas=kernel}: the kernel; cuBLAS is not even loaded.
 *   <li>{@code -Dautodiff.cuda.blas=cublas}: cuBLAS or nothing: where it cannot be used, every
 *       CUDA matrix product throws an {@link IllegalStateException} saying why, rather than
 *       measure or test the kernel by mistake. {@link #description()} still answers.
 *   <li>{@code -Dautodiff.cuda.tf32=true}: float32 products may use TF32 tensor cores (10-bit
 *       mantissas, about 3 decimal digits). Off by default: float32 products are strict FP32.
 *   <li>{@code -Dautodiff.cublas.path=FILE_OR_FOLDER}: where {@code libcublas.so.12} or {@code
 *       .13} is, when it is not in {@code LD_LIBRARY_PATH}, {@code $CUDA_HOME/lib64}, {@code
 *       $CUDA_PATH/lib64}, {@code /usr/local/cuda/lib64} or the system loader's path.
 * </ul>
 *
 * <p>Before cuBLAS runs on a device, a few small exact products check it there ({@link
 * BlasSelfTest}); a device where that fails keeps the kernel, with a WARNING line.
 *
 * <pre>{@code
 * jshell> BlasProviders.description() // JDK 25, CUDA 13 toolkit in /usr/local/cuda
 * $1 ==> "cuBLAS 13.0.2 (/usr/local/cuda/lib64/libcublas.so.13) through the foreign-function
 *   API, strict FP32"
 * jshell> BlasProviders.description() // JDK 17, no CUDA toolkit
 * $1 ==> "kernel (our tiled matmul); cuBLAS 12 unavailable: libcublas.so.12 not found (looked in
 *   LD_LIBRARY_PATH (unset), /usr/local/cuda/lib64 and the system loader's path); set
 *   -Dautodiff.cublas.path to the file or its folder, or put its folder on LD_LIBRARY_PATH;
 *   cuBLAS 13 not tried: it is called through the foreign-function API, which needs JDK 22+
 *   (this is JDK 17)"
 * }</pre>
 */
public final class BlasProviders {
  /** {@code -Dautodiff.cuda.blas=auto|kernel|cublas}. */
  public static final String PROPERTY = "autodiff.cuda.blas";
  /** {@code -Dautodiff.cuda.tf32=true} lets float32 products use TF32 tensor cores. */
  public static final String TF32_PROPERTY = "autodiff.cuda.tf32";

  /** The binding compiled from src/main/java22 on JDK 22+ builds. */
  static final String FFM_CLASS = "dev.autodiff.cuda.CublasFfm";
  /** The first word of the description when our kernel is used. */
  static final String KERNEL = "kernel (our tiled matmul)";
  /** The first JDK with the final foreign-function API. */
  static final int FFM_JDK = 22;

  private static final System.Logger LOG = System.getLogger("dev.autodiff");

  private BlasProviders() {}

  /**
   * Which matrix product the CUDA backend uses and, when it is our kernel, why; with any device
   * where cuBLAS failed its self-test. This is the line logged at the choice. Never throws.
   */
  public static String description() {
    String failures = Selected.DEVICES.failures();
    String d = Selected.SELECTION.description();
    return failures.isEmpty() ? d : d + "; " + failures;
  }

  /**
   * The provider for products queued on {@code stream} of context {@code c}, or null for "use
   * our kernel". The first call for a stream readies the provider there (a cuBLAS handle on that
   * stream) and runs the self-test, so make it with {@code c} current (as after {@code
   * CudaContext.of} or {@code c.enter()}); later calls are a map lookup.
   *
   * @param stream the raw handle of {@code c}'s {@code CUstream}
   * @throws IllegalStateException only under {@code -Dautodiff.cuda.blas=cublas}, when cuBLAS
   *     cannot be used here
   */
  static BlasProvider forContext(CudaContext c, long stream) {
    return Selected.DEVICES.usable(Selected.SELECTION, stream, c.device().toString(),
        () -> new ContextScratch(c));
  }

  /** True when the user forced cuBLAS ({@code -Dautodiff.cuda.blas=cublas}). */
  static boolean forced() {
    return Selected.SELECTION.forced();
  }

  /** The process-wide choice, before any device's self-test: null means our kernel. */
  static BlasProvider selected() {
    return Selected.SELECTION.require();
  }

  /** The outcome of loading a provider: {@code provider} is null when it failed, status says why. */
  record Probe(BlasProvider provider, String status) {}

  /**
   * The choice: {@code provider} null means our kernel; {@code failure} is set when the user
   * forced cuBLAS and it cannot be used ({@link #require()} then throws it).
   */
  record Selection(BlasProvider provider, String description, String failure, boolean forced) {
    BlasProvider require() {
      if (failure != null) {
        throw new IllegalStateException(failure);
      }
      return provider;
    }
  }

  /**
   * The choice, apart from the global state so that tests can drive it.
   *
   * @param setting the value of {@code -Dautodiff.cuda.blas} (null: unset)
   * @param jdk the feature version of the running Java
   * @param cublas12 loads cuBLAS 12 through JCublas2; not called when the setting rules it out
   * @param cublas13 loads cuBLAS 13 through the foreign-function API; not called when the
   *     setting or the JDK rules it out, or cuBLAS 12 loaded
   */
  static Selection select(String setting, int jdk, Supplier<Probe> cublas12,
      Supplier<Probe> cublas13) {
    String value = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
    if (value.equals("kernel")) {
      return new Selection(null, KERNEL + "; cuBLAS not tried (-D" + PROPERTY + "=kernel)", null,
          false);
    }
    boolean forced = value.equals("cublas");
    String note = value.isEmpty() || value.equals("auto") || forced ? ""
        : " (ignored unknown -D" + PROPERTY + "=" + setting.trim() + "; use auto, kernel or"
            + " cublas)";
    Probe probe = cublas12.get();
    if (probe.provider() == null) {
      String why12 = "cuBLAS 12 unavailable: " + probe.status();
      if (jdk < FFM_JDK) {
        return fallBack(why12 + "; cuBLAS 13 not tried: it is called through the foreign-function"
            + " API, which needs JDK " + FFM_JDK + "+ (this is JDK " + jdk + ")", forced, note);
      }
      probe = cublas13.get();
      if (probe.provider() == null) {
        return fallBack(why12 + "; cuBLAS 13 unavailable: " + probe.status(), forced, note);
      }
    }
    return new Selection(probe.provider(), probe.provider().name()
        + (forced ? " (-D" + PROPERTY + "=cublas)" : "") + note, null, forced);
  }

  /** Our kernel, or under -Dautodiff.cuda.blas=cublas no matmul, and why. */
  private static Selection fallBack(String why, boolean forced, String note) {
    if (forced) {
      String failure = "-D" + PROPERTY + "=cublas, but " + why;
      return new Selection(null, "no CUDA matmul: " + failure, failure, true);
    }
    return new Selection(null, KERNEL + "; " + why + note, null, false);
  }

  /**
   * Loads the foreign-function binding by name and opens the library; never throws. A build on
   * JDK 17 has no such class; a class compiled for a newer Java than the running one, a missing
   * library or symbol, or native access denied all become the reason.
   */
  static Probe probeFfm(String className, boolean tf32) {
    try {
      Class<?> type = Class.forName(className, true, BlasProviders.class.getClassLoader());
      Object made = type.getDeclaredConstructor(boolean.class).newInstance(tf32);
      return new Probe((BlasProvider) made, null);
    } catch (ClassNotFoundException e) {
      return new Probe(null, "this autodiff-cuda has no " + className + ": it was built on a JDK"
          + " older than " + FFM_JDK + " (build it on JDK " + FFM_JDK + "+ to get the binding)");
    } catch (InvocationTargetException e) {
      return new Probe(null, reason(e.getCause()));
    } catch (UnsupportedClassVersionError e) {
      return new Probe(null, className + " was compiled for a newer Java than this one ("
          + e.getMessage() + ")");
    } catch (LinkageError | ReflectiveOperationException | RuntimeException e) {
      return new Probe(null, reason(e));
    }
  }

  private static String reason(Throwable e) {
    if (e instanceof IllegalCallerException) {
      return "native access is not enabled for this code; run java with"
          + " --enable-native-access=ALL-UNNAMED (" + e.getMessage() + ")";
    }
    if (e instanceof IllegalStateException && e.getMessage() != null) {
      return e.getMessage(); // our own message, already complete
    }
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

  /** Which streams have a provider ready, and the devices where it failed its self-test. */
  static final class Devices {
    /** Stream handle to "" when ready, else the failure. */
    private final Map<Long, String> streams = new ConcurrentHashMap<>();
    /** Device name to failure, sorted for the description. */
    private final Map<String, String> failures = new TreeMap<>();

    /** The provider ready on {@code stream}, or null for our kernel there. */
    BlasProvider usable(Selection s, long stream, String device,
        Supplier<BlasSelfTest.Scratch> scratch) {
      BlasProvider p = s.require();
      if (p == null) {
        return null;
      }
      String state = streams.get(stream);
      if (state == null) {
        state = streams.computeIfAbsent(stream, k -> ready(p, k, device, scratch));
      }
      if (state.isEmpty()) {
        return p;
      }
      if (s.forced()) {
        throw new IllegalStateException("-D" + PROPERTY + "=cublas, but on " + device + ": "
            + state);
      }
      return null;
    }

    private String ready(BlasProvider p, long stream, String device,
        Supplier<BlasSelfTest.Scratch> scratch) {
      String failure;
      try {
        p.prepare(stream);
        failure = BlasSelfTest.run(p, stream, scratch.get());
      } catch (RuntimeException e) {
        failure = p.name() + " could not be readied: " + reason(e);
      }
      if (failure == null) {
        return "";
      }
      synchronized (failures) {
        failures.put(device, failure);
      }
      LOG.log(System.Logger.Level.WARNING, "autodiff CUDA matmul on " + device + ": " + failure
          + "; " + KERNEL + " is used there");
      return failure;
    }

    /** "cuda:0: why; cuda:1: why" for the devices that fell back, or "". */
    String failures() {
      synchronized (failures) {
        List<String> parts = new ArrayList<>();
        failures.forEach((device, why) -> parts.add(device + ": " + KERNEL + ", as " + why));
        return String.join("; ", parts);
      }
    }
  }

  /** Lazily created on first use: chooses, and logs the one line. */
  private static final class Selected {
    static final Selection SELECTION = select(System.getProperty(PROPERTY),
        Runtime.version().feature(),
        () -> JCublasBlas.probe(System.getProperty(CublasLibrary.PATH_PROPERTY), System.getenv(),
            Boolean.getBoolean(TF32_PROPERTY)),
        () -> probeFfm(FFM_CLASS, Boolean.getBoolean(TF32_PROPERTY)));
    static final Devices DEVICES = new Devices();

    static {
      LOG.log(SELECTION.failure() == null ? System.Logger.Level.INFO
          : System.Logger.Level.WARNING, "autodiff CUDA matmul: " + SELECTION.description());
    }
  }

  /** Device buffers of one context, for the self-test. */
  private static final class ContextScratch implements BlasSelfTest.Scratch {
    private final CudaContext context;
    private final List<CudaStorage> made = new ArrayList<>();

    ContextScratch(CudaContext context) {
      this.context = context;
    }

    @Override
    public long upload(boolean single, double[] values) {
      CudaStorage s = context.uploadAs(single ? DType.FLOAT32 : DType.FLOAT64, values);
      made.add(s);
      return s.address();
    }

    @Override
    public double[] download(boolean single, long address, int n) {
      for (CudaStorage s : made) {
        if (s.address() == address) {
          return context.downloadAsDoubles(s, n);
        }
      }
      throw new IllegalArgumentException("no self-test buffer at " + Long.toHexString(address));
    }

    @Override
    public void close() {
      for (CudaStorage s : made) {
        s.dispose(); // stream-ordered reuse: work queued on these blocks runs before any reuse
      }
      made.clear();
    }
  }
}
