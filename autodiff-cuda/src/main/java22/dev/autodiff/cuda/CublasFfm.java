package dev.autodiff.cuda;

import static dev.autodiff.cuda.CublasLibrary.OP_N;
import static dev.autodiff.cuda.CublasLibrary.OP_T;
import static dev.autodiff.cuda.CublasLibrary.check;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * cuBLAS 13 ({@code libcublas.so.13}) through the JDK's foreign-function API (final in JDK 22):
 * {@code cublasSgemm_v2}, {@code cublasDgemm_v2} and their strided-batched forms, on raw device
 * addresses, queued on the backend's stream in the device's primary context. Compiled only by
 * JDK 22+ builds (src/main/java22) and loaded by name from {@link BlasProviders}.
 *
 * <p>Handles as {@link CublasBinding} says (one per stream, living as long as the process, like
 * the contexts), in the default pointer mode: alpha and beta are host values, read before the
 * call returns. Every status but {@code CUBLAS_STATUS_SUCCESS} becomes an {@link
 * IllegalStateException} naming the call and the status.
 *
 * <p>The library is looked for where {@link CublasLibrary#candidates} says, then by name through
 * the system loader.
 */
@SuppressWarnings("restricted") // libraryLookup and downcallHandle: native access is the point
final class CublasFfm extends CublasBinding<CublasFfm.Handle> {
  static final String LIBRARY = "libcublas.so.13";

  private final MethodHandle create;
  private final MethodHandle destroy;
  private final MethodHandle setStream;
  private final MethodHandle setMathMode;
  private final MethodHandle sgemm;
  private final MethodHandle dgemm;
  private final MethodHandle sgemmBatched;
  private final MethodHandle dgemmBatched;

  /** One cuBLAS handle and its host scalars (alpha at byte 0, beta at byte 8). */
  record Handle(MemorySegment handle, MemorySegment scalars) {}

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
    this(System.getProperty(CublasLibrary.PATH_PROPERTY), System.getenv(), tf32);
  }

  /** Finds and binds the library, looking where {@link CublasLibrary#candidates} says. */
  CublasFfm(String pathSetting, Map<String, String> env, boolean tf32) {
    this(locate(pathSetting, env), tf32);
  }

  CublasFfm(Located library, boolean tf32) {
    super("cuBLAS " + version(library.symbols()) + " (" + library.where() + ") through the"
        + " foreign-function API", tf32);
    SymbolLookup l = library.symbols();
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
  }

  @Override
  Handle createHandle(long stream) {
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
      int mode = mathMode();
      check(invokeInt(() -> (int) setMathMode.invokeExact(handle, mode)), "cublasSetMathMode",
          "(" + mode + ")");
    } catch (RuntimeException | Error e) {
      invokeInt(() -> (int) destroy.invokeExact(handle)); // its own failure would hide e's
      throw e;
    }
    return new Handle(handle, Arena.global().allocate(16, 8));
  }

  @Override
  void queue(Handle h, GemmCall g) {
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
   * Opens the first candidate that exists and loads, else the library by name through the system
   * loader.
   *
   * @throws IllegalStateException listing where it looked and what failed to load
   */
  static Located locate(String setting, Map<String, String> env) {
    List<String> failed = new ArrayList<>();
    for (Path p : CublasLibrary.candidates(LIBRARY, setting, env)) {
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
      String where = LIBRARY + (failed.isEmpty() ? " not found" : " did not load")
          + " (looked in " + CublasLibrary.lookedIn(setting, env)
          + (failed.isEmpty() ? "" : "; failed to load: " + String.join("; ", failed));
      throw new IllegalStateException(where + "); " + CublasLibrary.howToPoint());
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
