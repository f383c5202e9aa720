package dev.autodiff.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * cuBLAS 13 ({@code libcublas.so.13}) through the JDK's foreign-function API (final in JDK 22):
 * {@code cublasSgemm_v2}, {@code cublasDgemm_v2} and their strided-batched forms, on raw device
 * addresses, queued on the backend's stream in the device's primary context. Compiled only by
 * JDK 22+ builds (src/main/java22) and loaded by name from {@link BlasProviders}.
 *
 * <p>One cuBLAS handle per stream (the backend has one stream per device), made on first use
 * with that device's context current, bound to the stream, in the default pointer mode (alpha
 * and beta are host values, read before the call returns) and the math mode chosen once: {@code
 * CUBLAS_DEFAULT_MATH}, strict FP32, unless TF32 was asked for ({@code
 * CUBLAS_TF32_TENSOR_OP_MATH}). Handles live as long as the process, like the contexts. Calls on
 * one handle are serialised. Every status but {@code CUBLAS_STATUS_SUCCESS} becomes an {@link
 * IllegalStateException} naming the call and the status.
 *
 * <p>The library is looked for in {@code -Dautodiff.cublas.path} (the file or its folder), each
 * folder of {@code LD_LIBRARY_PATH}, {@code $CUDA_HOME/lib64}, {@code $CUDA_PATH/lib64}, {@code
 * /usr/local/cuda/lib64}, then by name through the system loader.
 */
@SuppressWarnings("restricted") // libraryLookup and downcallHandle: native access is the point
final class CublasFfm implements BlasProvider {
  /** {@code -Dautodiff.cublas.path=FILE_OR_FOLDER}: where libcublas.so.13 is. */
  static final String PATH_PROPERTY = "autodiff.cublas.path";
  static final String LIBRARY = "libcublas.so.13";

  /** cublasOperation_t. */
  static final int OP_N = 0;
  static final int OP_T = 1;
  /** cublasMath_t. */
  static final int DEFAULT_MATH = 0;
  static final int TF32_TENSOR_OP_MATH = 3;
  /**
   * Batches per strided-batched call. Recent cuBLAS takes more, but older ones failed above the
   * grid's 65535; a product of more batches is a few calls, which costs nothing at that size.
   */
  static final int MAX_BATCHES = 65535;

  private final String name;
  private final int mathMode;
  private final MethodHandle create;
  private final MethodHandle destroy;
  private final MethodHandle setStream;
  private final MethodHandle setMathMode;
  private final MethodHandle sgemm;
  private final MethodHandle dgemm;
  private final MethodHandle sgemmBatched;
  private final MethodHandle dgemmBatched;
  private final Map<Long, Handle> handles = new ConcurrentHashMap<>();

  /** One cuBLAS handle and its host scalars (alpha at byte 0, beta at byte 8). */
  private record Handle(MemorySegment handle, MemorySegment scalars) {}

  /** Where the library was found and its symbols. */
  record Located(SymbolLookup symbols, String where) {}

  /**
   * Finds and binds the library as {@link BlasProviders} does: from the system property and the
   * environment.
   *
   * @throws IllegalStateException when the library or one of its functions is missing, saying
   *     where it looked
   */
  CublasFfm(boolean tf32) {
    this(System.getProperty(PATH_PROPERTY), System.getenv(), tf32);
  }

  /** Finds and binds the library, looking where {@link #candidates} says. */
  CublasFfm(String pathSetting, Map<String, String> env, boolean tf32) {
    this(locate(pathSetting, env), tf32);
  }

  CublasFfm(Located library, boolean tf32) {
    SymbolLookup l = library.symbols();
    this.mathMode = tf32 ? TF32_TENSOR_OP_MATH : DEFAULT_MATH;
    this.create = bind(l, library, "cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    this.destroy = bind(l, library, "cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    this.setStream = bind(l, library, "cublasSetStream_v2",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    this.setMathMode = bind(l, library, "cublasSetMathMode",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    // (handle, transa, transb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc)
    FunctionDescriptor gemm = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
        JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS,
        ADDRESS, JAVA_INT);
    // (handle, transa, transb, m, n, k, *alpha, A, lda, long long strideA, B, ldb, strideB,
    //  *beta, C, ldc, strideC, batchCount)
    FunctionDescriptor batched = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
        JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT,
        JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT);
    this.sgemm = bind(l, library, "cublasSgemm_v2", gemm);
    this.dgemm = bind(l, library, "cublasDgemm_v2", gemm);
    this.sgemmBatched = bind(l, library, "cublasSgemmStridedBatched", batched);
    this.dgemmBatched = bind(l, library, "cublasDgemmStridedBatched", batched);
    this.name = "cuBLAS " + version(l) + " (" + library.where() + ") through the"
        + " foreign-function API, " + (tf32 ? "float32 on TF32 tensor cores (-D"
            + BlasProviders.TF32_PROPERTY + "=true)" : "strict FP32");
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
  public void prepare(long stream) {
    handle(stream);
  }

  @Override
  public void run(long stream, GemmCall call) {
    Handle h = handle(stream);
    synchronized (h) {
      if (call.batches() <= MAX_BATCHES) {
        queue(h, call);
      } else {
        for (int from = 0; from < call.batches(); from += MAX_BATCHES) {
          queue(h, call.batches(from, Math.min(MAX_BATCHES, call.batches() - from)));
        }
      }
    }
  }

  /** The math mode each handle gets: {@code CUBLAS_DEFAULT_MATH} or TF32 tensor ops. */
  int mathMode() {
    return mathMode;
  }

  private Handle handle(long stream) {
    Handle h = handles.get(stream);
    return h != null ? h : handles.computeIfAbsent(stream, this::createHandle);
  }

  private Handle createHandle(long stream) {
    MemorySegment handle;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ADDRESS);
      check(invokeInt(() -> (int) create.invokeExact(out)), "cublasCreate_v2", "");
      handle = out.get(ADDRESS, 0);
    }
    try {
      MemorySegment s = MemorySegment.ofAddress(stream);
      check(invokeInt(() -> (int) setStream.invokeExact(handle, s)), "cublasSetStream_v2",
          "(stream 0x" + Long.toHexString(stream) + ")");
      check(invokeInt(() -> (int) setMathMode.invokeExact(handle, mathMode)), "cublasSetMathMode",
          "(" + mathMode + ")");
    } catch (RuntimeException | Error e) {
      invokeInt(() -> (int) destroy.invokeExact(handle)); // its own failure would hide e's
      throw e;
    }
    return new Handle(handle, Arena.global().allocate(16, 8));
  }

  /** Queues one call of at most {@link #MAX_BATCHES} batches; the caller holds h's lock. */
  private void queue(Handle h, GemmCall g) {
    MemorySegment alpha = h.scalars().asSlice(0, 8);
    MemorySegment beta = h.scalars().asSlice(8, 8);
    if (g.single()) {
      alpha.set(JAVA_FLOAT, 0, (float) g.alpha());
      beta.set(JAVA_FLOAT, 0, (float) g.beta());
    } else {
      alpha.set(JAVA_DOUBLE, 0, g.alpha());
      beta.set(JAVA_DOUBLE, 0, g.beta());
    }
    MemorySegment handle = h.handle();
    int ta = g.transA() ? OP_T : OP_N;
    int tb = g.transB() ? OP_T : OP_N;
    int m = g.m();
    int n = g.n();
    int k = g.k();
    MemorySegment a = MemorySegment.ofAddress(g.a());
    MemorySegment b = MemorySegment.ofAddress(g.b());
    MemorySegment c = MemorySegment.ofAddress(g.c());
    int lda = g.lda();
    int ldb = g.ldb();
    int ldc = g.ldc();
    int status;
    String call;
    try {
      if (g.batches() == 1) {
        call = g.single() ? "cublasSgemm_v2" : "cublasDgemm_v2";
        status = (int) (g.single() ? sgemm : dgemm).invokeExact(handle, ta, tb, m, n, k, alpha,
            a, lda, b, ldb, beta, c, ldc);
      } else {
        call = g.single() ? "cublasSgemmStridedBatched" : "cublasDgemmStridedBatched";
        status = (int) (g.single() ? sgemmBatched : dgemmBatched).invokeExact(handle, ta, tb, m,
            n, k, alpha, a, lda, g.strideA(), b, ldb, g.strideB(), beta, c, ldc, g.strideC(),
            g.batches());
      }
    } catch (Throwable t) {
      throw rethrow(t);
    }
    check(status, call, String.valueOf(g));
  }

  // ---- finding the library ------------------------------------------------------------------

  /**
   * Where to look for the library, in order: the setting (a file, or a folder holding {@link
   * #LIBRARY}), each folder of LD_LIBRARY_PATH, $CUDA_HOME/lib64, $CUDA_PATH/lib64 and
   * /usr/local/cuda/lib64; without repeats. The system loader's own path comes after these.
   */
  static List<Path> candidates(String setting, Map<String, String> env) {
    LinkedHashSet<Path> out = new LinkedHashSet<>();
    if (setting != null && !setting.isBlank()) {
      Path p = Path.of(setting.trim());
      out.add(Files.isDirectory(p) ? p.resolve(LIBRARY) : p);
    }
    String ld = env.get("LD_LIBRARY_PATH");
    if (ld != null) {
      for (String dir : ld.split(":")) {
        if (!dir.isBlank()) {
          out.add(Path.of(dir.trim()).resolve(LIBRARY));
        }
      }
    }
    for (String var : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
      String home = env.get(var);
      if (home != null && !home.isBlank()) {
        out.add(Path.of(home.trim(), "lib64", LIBRARY));
      }
    }
    out.add(Path.of("/usr/local/cuda/lib64", LIBRARY));
    return new ArrayList<>(out);
  }

  /**
   * Opens the first candidate that exists and loads, else the library by name through the system
   * loader.
   *
   * @throws IllegalStateException listing where it looked and what failed to load
   */
  static Located locate(String setting, Map<String, String> env) {
    List<String> failed = new ArrayList<>();
    for (Path p : candidates(setting, env)) {
      if (Files.isRegularFile(p)) {
        try {
          // libcublas.so.13 needs libcublasLt.so.13; the loader would search LD_LIBRARY_PATH for
          // it before libcublas's own folder, and might pair it with another install's. Load the
          // one beside it first, so that the pair is matched.
          Path lt = p.resolveSibling("libcublasLt.so.13");
          if (Files.isRegularFile(lt)) {
            SymbolLookup.libraryLookup(lt, Arena.global());
          }
          return new Located(SymbolLookup.libraryLookup(p, Arena.global()), p.toString());
        } catch (IllegalArgumentException e) {
          String why = loaderComplaint(p);
          failed.add(p + " (" + (why != null ? why : e.getMessage()) + ")");
        }
      }
    }
    try {
      return new Located(SymbolLookup.libraryLookup(LIBRARY, Arena.global()),
          LIBRARY + " on the system loader's path");
    } catch (IllegalArgumentException e) {
      StringBuilder s = new StringBuilder(LIBRARY).append(failed.isEmpty() ? " not found"
          : " did not load").append(" (looked in ");
      if (setting != null && !setting.isBlank()) {
        s.append("-D").append(PATH_PROPERTY).append('=').append(setting.trim()).append(", ");
      }
      String ld = env.get("LD_LIBRARY_PATH");
      s.append("LD_LIBRARY_PATH ").append(ld == null || ld.isBlank() ? "(unset)" : ld);
      for (String var : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
        if (env.get(var) != null && !env.get(var).isBlank()) {
          s.append(", $").append(var).append("/lib64");
        }
      }
      s.append(", /usr/local/cuda/lib64 and the system loader's path");
      if (!failed.isEmpty()) {
        s.append("; failed to load: ").append(String.join("; ", failed));
      }
      throw new IllegalStateException(s.append("); set -D").append(PATH_PROPERTY)
          .append(" to the file or its folder, or put its folder on LD_LIBRARY_PATH").toString());
    }
  }

  /**
   * The dynamic loader's reason for not loading {@code library} (say, "libcublasLt.so.13: cannot
   * open shared object file"), which the JDK's exception leaves out: dlopen and dlerror from the
   * C library, or null where they are not to be had.
   */
  static String loaderComplaint(Path library) {
    try {
      Linker linker = Linker.nativeLinker();
      SymbolLookup libc = linker.defaultLookup();
      Optional<MemorySegment> open = libc.find("dlopen");
      Optional<MemorySegment> error = libc.find("dlerror");
      Optional<MemorySegment> close = libc.find("dlclose");
      if (open.isEmpty() || error.isEmpty() || close.isEmpty()) {
        return null;
      }
      MethodHandle dlopen = linker.downcallHandle(open.get(),
          FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
      MethodHandle dlerror = linker.downcallHandle(error.get(), FunctionDescriptor.of(ADDRESS));
      MethodHandle dlclose = linker.downcallHandle(close.get(),
          FunctionDescriptor.of(JAVA_INT, ADDRESS));
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment name = arena.allocateFrom(library.toString());
        MemorySegment handle = (MemorySegment) dlopen.invokeExact(name, 1); // RTLD_LAZY
        if (!handle.equals(MemorySegment.NULL)) {
          int ignored = (int) dlclose.invokeExact(handle);
          return null;
        }
        MemorySegment message = (MemorySegment) dlerror.invokeExact();
        return message.equals(MemorySegment.NULL) ? null
            : message.reinterpret(4096).getString(0);
      }
    } catch (Throwable t) {
      return null; // only a diagnostic
    }
  }

  private static MethodHandle bind(SymbolLookup l, Located library, String symbol,
      FunctionDescriptor type) {
    MemorySegment address = l.find(symbol).orElseThrow(() -> new IllegalStateException(
        library.where() + " has no function " + symbol + " (is it cuBLAS 12 or newer?)"));
    return Linker.nativeLinker().downcallHandle(address, type);
  }

  /** "13.0.2" from cublasGetProperty (MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL), or "?". */
  private static String version(SymbolLookup l) {
    Optional<MemorySegment> f = l.find("cublasGetProperty");
    if (f.isEmpty()) {
      return "(version unknown)";
    }
    MethodHandle get = Linker.nativeLinker().downcallHandle(f.get(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment v = arena.allocate(JAVA_INT);
      StringBuilder s = new StringBuilder();
      for (int type = 0; type < 3; type++) {
        int t = type;
        if (invokeInt(() -> (int) get.invokeExact(t, v)) != 0) {
          return "(version unknown)";
        }
        s.append(type == 0 ? "" : ".").append(v.get(JAVA_INT, 0));
      }
      return s.toString();
    }
  }

  // ---- statuses -----------------------------------------------------------------------------

  /** cublasStatus_t's name, e.g. CUBLAS_STATUS_INVALID_VALUE for 7. */
  static String statusName(int status) {
    switch (status) {
      case 0:
        return "CUBLAS_STATUS_SUCCESS";
      case 1:
        return "CUBLAS_STATUS_NOT_INITIALIZED";
      case 3:
        return "CUBLAS_STATUS_ALLOC_FAILED";
      case 7:
        return "CUBLAS_STATUS_INVALID_VALUE";
      case 8:
        return "CUBLAS_STATUS_ARCH_MISMATCH";
      case 11:
        return "CUBLAS_STATUS_MAPPING_ERROR";
      case 13:
        return "CUBLAS_STATUS_EXECUTION_FAILED";
      case 14:
        return "CUBLAS_STATUS_INTERNAL_ERROR";
      case 15:
        return "CUBLAS_STATUS_NOT_SUPPORTED";
      case 16:
        return "CUBLAS_STATUS_LICENSE_ERROR";
      default:
        return "cublasStatus_t " + status;
    }
  }

  /**
   * Throws when a cuBLAS call did not succeed.
   *
   * @throws IllegalStateException naming the call, its arguments and the status
   */
  static void check(int status, String call, String arguments) {
    if (status != 0) {
      throw new IllegalStateException("cuBLAS call " + call
          + (arguments.isEmpty() ? "" : " " + arguments) + " failed: " + statusName(status)
          + " (" + status + ")");
    }
  }

  /** A downcall's int result; MethodHandle.invokeExact declares Throwable. */
  private interface IntCall {
    int call() throws Throwable;
  }

  private static int invokeInt(IntCall c) {
    try {
      return c.call();
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** Unchecked throwables as they are; a checked one (which a downcall never throws) wrapped. */
  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException e) {
      return e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException("cuBLAS downcall failed", t);
  }
}
