package dev.autodiff.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

import jcuda.driver.CUresult;

/**
 * The CUDA driver, probed once per process. Loading JCuda's native library throws {@link
 * UnsatisfiedLinkError} once and {@link NoClassDefFoundError} on every later touch of the class, so
 * the probe runs in this holder alone and keeps the reason; everything else asks {@link #check}.
 */
final class CudaDriver {
  private CudaDriver() {}

  /** The outcome of loading the native library and {@code cuInit}. */
  private static final class Probe {
    static final String FAILURE;
    static final int DEVICES;
    static final int VERSION;

    static {
      String failure = null;
      int devices = 0;
      int version = 0;
      try {
        int r = cuInit(0);
        if (r == CUresult.CUDA_ERROR_NO_DEVICE) {
          failure = "no CUDA device: the driver is installed but reports no GPU (cuInit: "
              + CUresult.stringFor(r) + ")";
        } else if (r != CUresult.CUDA_SUCCESS) {
          failure = "the CUDA driver failed to initialise: cuInit returned " + CUresult.stringFor(r)
              + " (" + r + ")";
        } else {
          int[] count = new int[1];
          int[] v = new int[1];
          check(cuDeviceGetCount(count), "cuDeviceGetCount");
          check(cuDriverGetVersion(v), "cuDriverGetVersion");
          devices = count[0];
          version = v[0];
          if (devices == 0) {
            failure = "no CUDA device: the driver reports none";
          }
        }
      } catch (LinkageError e) {
        failure = "no CUDA driver: JCuda's native library could not be loaded, which needs the"
            + " NVIDIA driver's libcuda.so.1 (" + rootCause(e) + ")";
      } catch (RuntimeException e) {
        failure = "the CUDA driver failed to initialise: " + e.getMessage();
      }
      FAILURE = failure;
      DEVICES = devices;
      VERSION = version;
    }
  }

  /**
   * The loader's own complaint from JCuda's multi-page message (which nests the stack traces of
   * each way it tried): the line naming the shared object that failed, else the first line.
   */
  static String rootCause(Throwable e) {
    // A later touch of a class whose native failed to load throws NoClassDefFoundError, with the
    // first failure among its causes: look through them all.
    for (Throwable t = e; t != null; t = t.getCause()) {
      for (String line : String.valueOf(t.getMessage()).split("\\R")) {
        int at = line.indexOf("java.lang.UnsatisfiedLinkError: ");
        if (at >= 0 && line.indexOf(".so:", at) >= 0) {
          return line.substring(at + "java.lang.UnsatisfiedLinkError: ".length()).trim();
        }
      }
    }
    return e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).split("\\R")[0]
        .trim();
  }

  /** Null when CUDA works here, else why it does not. */
  static String failure() {
    return Probe.FAILURE;
  }

  /** The number of CUDA devices (0 when CUDA is unusable). */
  static int deviceCount() {
    return Probe.DEVICES;
  }

  /** The driver's CUDA version as {@code major.minor}, e.g. {@code 13.0}. */
  static String version() {
    return Probe.VERSION / 1000 + "." + Probe.VERSION % 1000 / 10;
  }

  /**
   * Fails with the reason when device {@code index} cannot be used.
   *
   * @throws IllegalStateException naming what is missing
   */
  static void checkDevice(int index) {
    String f = failure();
    if (f != null) {
      throw new IllegalStateException("cuda:" + index + " is unusable: " + f);
    }
    if (index >= deviceCount()) {
      throw new IllegalStateException("no device cuda:" + index + ": this machine has "
          + deviceCount() + " CUDA device" + (deviceCount() == 1 ? "" : "s"));
    }
  }

  /**
   * Throws when a driver call did not succeed, naming the call and the error.
   *
   * @throws IllegalStateException on any result but CUDA_SUCCESS
   */
  static void check(int result, String call) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new IllegalStateException(
          "CUDA call " + call + " failed: " + CUresult.stringFor(result) + " (" + result + ")");
    }
  }
}
