package dev.autodiff.cuda;

import static dev.autodiff.cuda.Gpu.assertMatches;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * cuDNN pinned against our kernels on the same GPU: softmax and log-softmax, forward and
 * backward. Skipped where no GPU is usable or cuDNN is not the chosen provider.
 */
class DnnProviderGpuTest {
  static Device cudnnDevice() {
    Device gpu = Gpu.device();
    assumeTrue(DnnProviders.forContext(CudaContext.of(gpu)) != null,
        () -> "cuDNN is not used here: " + DnnProviders.description());
    return gpu;
  }

  /** f and its VJP at x for cotangent g, computed with cuDNN or with our kernels. */
  static Tensor[] valueAndVjp(UnaryOperator<Tensor> f, Tensor x, Tensor g, boolean cudnn) {
    boolean was = CudaBackend.useDnn;
    CudaBackend.useDnn = cudnn;
    try {
      Tensor leaf = x.detach().requiresGrad();
      Tensor y = f.apply(leaf);
      Tensor dx = Autograd.grad(List.of(y), List.of(g), List.of(leaf), false, false).get(0);
      return new Tensor[] {y.detach(), dx};
    } finally {
      CudaBackend.useDnn = was;
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void cudnnMatchesOurKernels(DType t) {
    Device gpu = cudnnDevice();
    Random r = new Random(11);
    Tensor x = Tensor.randn(r, 37, 129).mul(3).to(t).to(gpu);
    Tensor g = Tensor.randn(r, 37, 129).to(t).to(gpu);
    List<UnaryOperator<Tensor>> fs = List.of(v -> v.softmax(1), v -> v.logSoftmax(1),
        v -> v.softmax(-1), v -> v.logSoftmax(-1));
    for (int i = 0; i < fs.size(); i++) {
      Tensor[] ours = valueAndVjp(fs.get(i), x, g, false);
      Tensor[] theirs = valueAndVjp(fs.get(i), x, g, true);
      assertMatches(ours[0], theirs[0], "op " + i + " value in " + t);
      assertMatches(ours[1], theirs[1], "op " + i + " gradient in " + t);
    }
  }
}
