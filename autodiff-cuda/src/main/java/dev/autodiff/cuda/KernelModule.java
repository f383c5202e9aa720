package dev.autodiff.cuda;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;

/**
 * Our kernels, loaded once per context from the fatbin resource that the build compiles from
 * kernels.cu (SASS for sm_80 and sm_90, PTX for newer GPUs to JIT). Nothing compiles at run time.
 */
final class KernelModule {
  /** The fatbin's classpath resource. */
  static final String FATBIN = "/dev/autodiff/cuda/kernels.fatbin";
  /** The compute_90 PTX text of the same source, shipped for inspection and tests. */
  static final String PTX = "/dev/autodiff/cuda/kernels.ptx";

  private final CUmodule module = new CUmodule();
  private final ConcurrentHashMap<String, CUfunction> functions = new ConcurrentHashMap<>();

  /**
   * Loads the module into the current context: the fatbin, else (should a driver refuse its
   * compressed form) the PTX text, which the driver JIT-compiles for GPUs of compute 9.0 and up.
   */
  KernelModule(String device) {
    int r = cuModuleLoadData(module, resource(FATBIN));
    if (r == CUresult.CUDA_SUCCESS) {
      return;
    }
    byte[] ptx = resource(PTX);
    byte[] text = java.util.Arrays.copyOf(ptx, ptx.length + 1); // the driver wants a C string
    int p = cuModuleLoadData(module, text);
    if (p != CUresult.CUDA_SUCCESS) {
      throw new IllegalStateException(device + ": the kernel module did not load: " + FATBIN
          + " gave " + CUresult.stringFor(r) + ", " + PTX + " gave " + CUresult.stringFor(p)
          + ". It holds code for compute capability 8.0 and 9.0 and PTX for 9.0+, built by nvcc"
          + " 13.0, which needs a CUDA 13 driver (580 or newer)");
    }
    System.getLogger("dev.autodiff").log(System.Logger.Level.WARNING, device + ": "
        + FATBIN + " did not load (" + CUresult.stringFor(r) + "); using the PTX, JIT-compiled");
  }

  /** The kernel named {@code name}. */
  CUfunction function(String name) {
    CUfunction f = functions.get(name);
    if (f == null) {
      f = new CUfunction();
      CudaDriver.check(cuModuleGetFunction(f, module, name), "cuModuleGetFunction(" + name + ")");
      functions.put(name, f);
    }
    return f;
  }

  static byte[] resource(String name) {
    try (InputStream in = KernelModule.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the resource " + name + " is missing from the"
            + " autodiff-cuda jar; rebuild it with nvcc on the PATH");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }
}
