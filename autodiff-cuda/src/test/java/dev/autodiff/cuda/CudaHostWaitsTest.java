package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Fused;
import dev.autodiff.core.ParameterUpdates;
import dev.autodiff.core.SgdStep;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Where the host waits for the GPU. Each wait stops the host from queuing work ahead of the
 * device, so a training step should wait once, to read its loss: uploading a batch and checking
 * labels that came from the host must not wait, while labels computed on the device are still
 * checked (once) and bad ones still named.
 */
class CudaHostWaitsTest {
  private static long waits(Device d) {
    return CudaContext.of(d).hostWaits();
  }

  private static Tensor labels(Random r, int n, int classes) {
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(classes);
    }
    return Tensor.of(y);
  }

  @Test
  void aTrainingStepOnUploadedBatchesWaitsOnlyToReadTheLoss() {
    Device gpu = Gpu.device();
    CudaTrainingTest.Mlp model = new CudaTrainingTest.Mlp(gpu, DType.FLOAT32, 12, 16, 5);
    Random r = new Random(3);
    SgdStep sgd = new SgdStep(0.1, 0, 0, 0, false, false);
    for (int step = 0; step < 4; step++) { // step 0 also chooses providers and self-tests them
      try (var s = Tensors.scope()) {
        long before = waits(gpu);
        Tensor x = Tensor.randn(r, 8, 12).to(gpu);
        Tensor y = labels(r, 8, 5).to(gpu);
        for (Tensor p : model.parameters()) {
          p.zeroGrad();
        }
        Tensor loss = model.loss(x, y); // gathers by y, forward and backward
        loss.backward();
        for (Tensor p : model.parameters()) {
          ParameterUpdates.sgd(p, p.grad(), null, sgd);
        }
        double value = loss.item();
        assertEquals(true, Double.isFinite(value));
        if (step > 0) {
          assertEquals(1, waits(gpu) - before, "host waits in step " + step);
        }
      }
    }
  }

  @Test
  void indicesComputedOnTheDeviceAreCheckedOnceThenRemembered() {
    Device gpu = Gpu.device();
    try (var s = Tensors.scope()) {
      Tensor x = Tensor.randn(new Random(1), 4, 6).to(gpu);
      Tensor idx = Tensor.of(new double[] {5, 0, 2, 3}).to(gpu).to(DType.INT64).reshape(4, 1);
      long before = waits(gpu);
      Tensor first = x.gather(1, idx);
      assertEquals(1, waits(gpu) - before, "the first gather reads its check back");
      before = waits(gpu);
      Tensor again = x.gather(1, idx);
      assertEquals(0, waits(gpu) - before, "the second gather by the same indices");
      assertArrayEquals(first.toFloatArray(), again.toFloatArray());
      Tensor cpu = x.to(Device.cpu()).gather(1, idx.to(Device.cpu()));
      assertArrayEquals(cpu.toFloatArray(), first.toFloatArray());
    }
  }

  @Test
  void outOfRangeIndicesAreNamedWhetherUploadedOrComputedOnTheDevice() {
    Device gpu = Gpu.device();
    try (var s = Tensors.scope()) {
      Tensor x = Tensor.randn(new Random(1), 3, 5);
      Tensor uploaded = Tensor.of(new long[] {1, 7, 9}).reshape(3, 1);
      Tensor computed = Tensor.of(new double[] {1, 7, 9}).to(gpu).to(DType.INT64).reshape(3, 1);
      String cpu = assertThrows(IllegalArgumentException.class, () -> x.gather(1, uploaded))
          .getMessage();
      Tensor xg = x.to(gpu);
      assertEquals(cpu, assertThrows(IllegalArgumentException.class,
          () -> xg.gather(1, uploaded.to(gpu))).getMessage());
      assertEquals(cpu, assertThrows(IllegalArgumentException.class,
          () -> xg.gather(1, computed)).getMessage());
      Tensor negative = Tensor.of(new long[] {0, -1, 2}).to(gpu);
      assertThrows(IllegalArgumentException.class, () -> xg.indexSelect(1, negative));
    }
  }

  @Test
  void labelsChangedBetweenALossAndItsBackwardAreCheckedAgain() {
    Device gpu = Gpu.device();
    try (var s = Tensors.scope()) {
      Tensor x = Tensor.randn(new Random(2), 3, 3).to(gpu);
      Tensor y = Tensor.of(new long[] {0, 1, 2}).to(gpu);
      Fused.crossEntropy(x, y);
      Tensor one = Tensor.scalar(1).to(gpu);
      long before = waits(gpu);
      Fused.crossEntropyBackward(x, y, one); // the labels the forward checked: no wait
      assertEquals(before, waits(gpu));
      y.copyFrom(Tensor.of(new long[] {0, 100_000_000, -5}).to(gpu));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Fused.crossEntropyBackward(x, y, one));
      assertEquals("crossEntropyBackward: index 100000000 at position 1 is out of range for an "
          + "axis of size 3", e.getMessage());
    }
  }

  @Test
  void overwrittenIndicesAreCheckedAgain() {
    Device gpu = Gpu.device();
    try (var s = Tensors.scope()) {
      Tensor x = Tensor.randn(new Random(1), 3, 5).to(gpu);
      Tensor idx = Tensor.of(new long[] {0, 1, 2}).to(gpu);
      x.indexSelect(1, idx); // fine, and known to be fine
      idx.copyFrom(Tensor.of(new double[] {4, 5, 0}).to(gpu).to(DType.INT64));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> x.indexSelect(1, idx));
      assertEquals("indexSelect: index 5 at position 1 is out of range for an axis of size 5", e.getMessage());
      idx.copyFrom(Tensor.of(new long[] {4, 3, 0}).to(gpu));
      long before = waits(gpu);
      Tensor picked = x.indexSelect(1, idx);
      assertEquals(0, waits(gpu) - before, "indices copied from uploaded ones are known");
      assertArrayEquals(x.to(Device.cpu()).indexSelect(1, Tensor.of(new long[] {4, 3, 0}))
          .toFloatArray(), picked.toFloatArray());
    }
  }

  @Test
  void argmaxResultsIndexTheirAxisWithoutACheck() {
    Device gpu = Gpu.device();
    try (var s = Tensors.scope()) {
      Tensor x = Tensor.randn(new Random(2), 4, 6).to(gpu);
      Tensor best = x.argmax(1).reshape(4, 1);
      long before = waits(gpu);
      Tensor max = x.gather(1, best);
      assertEquals(0, waits(gpu) - before);
      assertArrayEquals(x.max(1, true).toFloatArray(), max.toFloatArray());
    }
  }

  @Test
  void readsConvertOnTheHostAsTheCpuDoes() {
    Device gpu = Gpu.device();
    double[] values = {-2.7, -0.5, 0, 0.5, 2.7, 1e20, -1e20, 3e38, Double.NaN,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 16777217};
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      try (var s = Tensors.scope()) {
        Tensor cpu = Tensor.of(values).to(t);
        Tensor dev = cpu.to(gpu);
        assertArrayEquals(cpu.toFloatArray(), dev.toFloatArray(), t + " as floats");
        assertArrayEquals(cpu.toDoubleArray(), dev.toDoubleArray(), t + " as doubles");
        assertArrayEquals(cpu.toLongArray(), dev.toLongArray(), t + " as longs");
      }
    }
    try (var s = Tensors.scope()) {
      Tensor cpu = Tensor.of(new long[] {Long.MAX_VALUE, -3, (1L << 53) + 1, 0});
      Tensor dev = cpu.to(gpu);
      assertArrayEquals(cpu.toFloatArray(), dev.toFloatArray(), "int64 as floats");
      assertArrayEquals(cpu.toDoubleArray(), dev.toDoubleArray(), "int64 as doubles");
    }
  }
}
