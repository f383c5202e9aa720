package dev.autodiff.cuda;

import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;

/**
 * A smoke test of the CUDA setup, run first by the GPU bundle: prints the driver, the devices and
 * the allocator, runs one small computation on {@code cuda:0} against the CPU, and exits 1 (with
 * the reason) when CUDA is unusable or the result is wrong.
 */
public final class CudaInfo {
  private CudaInfo() {}

  /** Prints the setup and checks one product; exit status 0 when CUDA works. */
  public static void main(String[] args) {
    System.out.println(CudaBackend.info());
    try {
      Device gpu = Device.cuda();
      Tensor a = Tensor.randn(1, 64, 48);
      Tensor b = Tensor.randn(2, 48, 32);
      double cpu = a.matmul(b).relu().sum().item();
      double gpuValue = a.to(gpu).matmul(b.to(gpu)).relu().sum().item();
      double err = Math.abs(cpu - gpuValue) / Math.max(1, Math.abs(cpu));
      System.out.printf("smoke: relu(a b).sum() cpu %.6f, %s %.6f, relative error %.2e%n", cpu,
          gpu, gpuValue, err);
      System.out.println("memory: " + CudaBackend.memoryStats(gpu));
      if (!(err < 1e-4)) {
        System.out.println("smoke: FAILED, the GPU result differs from the CPU's");
        System.exit(1);
      }
      System.out.println("smoke: ok");
    } catch (RuntimeException | LinkageError e) {
      System.out.println("smoke: CUDA is unusable here: " + e.getMessage());
      System.exit(1);
    }
  }
}
