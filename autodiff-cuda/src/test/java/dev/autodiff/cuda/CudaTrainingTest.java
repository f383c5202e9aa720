package dev.autodiff.cuda;

import static dev.autodiff.cuda.Gpu.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.AdamStep;
import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.ParameterUpdates;
import dev.autodiff.core.RmspropStep;
import dev.autodiff.core.SgdStep;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Backward passes and fused parameter updates on the GPU against the CPU, and the allocator's
 * promise: steady-state training asks the driver for no memory after its first step.
 */
class CudaTrainingTest {
  /** A two-layer MLP with a softmax cross-entropy loss, written with core ops only. */
  static final class Mlp {
    final Tensor w1;
    final Tensor b1;
    final Tensor w2;
    final Tensor b2;

    Mlp(Device d, DType t, int in, int hidden, int out) {
      Random r = new Random(42);
      w1 = Tensor.randn(r, in, hidden).mul(0.1).to(t).to(d).requiresGrad().keep();
      b1 = Tensor.zeros(t, hidden).to(d).requiresGrad().keep();
      w2 = Tensor.randn(r, hidden, out).mul(0.1).to(t).to(d).requiresGrad().keep();
      b2 = Tensor.zeros(t, out).to(d).requiresGrad().keep();
    }

    List<Tensor> parameters() {
      return List.of(w1, b1, w2, b2);
    }

    Tensor loss(Tensor x, Tensor labels) {
      Tensor logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
      Tensor picked = logits.logSoftmax(1).gather(1, labels.reshape(-1, 1));
      return picked.mean().neg();
    }
  }

  static Tensor[] batch(Device d, DType t, int n, int in, int classes) {
    Random r = new Random(7);
    long[] labels = new long[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(classes);
    }
    return new Tensor[] {Tensor.randn(r, n, in).to(t).to(d).keep(),
        Tensor.of(labels).to(d).keep()};
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void gradientsMatchTheCpu(DType t) {
    Device gpu = Gpu.device();
    Mlp cpu = new Mlp(Device.cpu(), t, 20, 33, 5);
    Mlp dev = new Mlp(gpu, t, 20, 33, 5);
    Tensor[] bc = batch(Device.cpu(), t, 16, 20, 5);
    Tensor[] bg = batch(gpu, t, 16, 20, 5);
    Tensor lc = cpu.loss(bc[0], bc[1]);
    Tensor lg = dev.loss(bg[0], bg[1]);
    assertMatches(lc, lg, "loss");
    lc.backward();
    lg.backward();
    for (int i = 0; i < 4; i++) {
      assertMatches(cpu.parameters().get(i).grad(), dev.parameters().get(i).grad(),
          "gradient of parameter " + i);
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void fusedUpdatesMatchTheCpu(DType t) {
    Device gpu = Gpu.device();
    Random r = new Random(3);
    Tensor p = Tensor.randn(r, 1000).to(t);
    Tensor g = Tensor.randn(r, 1000).to(t);
    Tensor m = Tensor.randn(r, 1000).mul(0.1).to(t);
    Tensor v = Tensor.rand(r, 1000).to(t);
    Tensor[] cpu = {p.detach().mul(1), g, m.mul(1), v.mul(1), v.mul(0.5), m.mul(2)};
    Tensor[] dev = new Tensor[6];
    for (int i = 0; i < 6; i++) {
      dev[i] = cpu[i].to(gpu);
    }
    for (AdamStep s : List.of(new AdamStep(1e-3, 0.9, 0.999, 1e-8, 0, false, 3),
        new AdamStep(1e-2, 0.8, 0.99, 1e-6, 0.1, false, 1),
        new AdamStep(1e-2, 0.9, 0.999, 1e-8, 0.05, true, 10))) {
      ParameterUpdates.adam(cpu[0], cpu[1], cpu[2], cpu[3], s);
      ParameterUpdates.adam(dev[0], dev[1], dev[2], dev[3], s);
      assertMatches(cpu[0], dev[0], "adam " + s);
      assertMatches(cpu[3], dev[3], "adam second moment " + s);
      // AMSGrad, its maxima in the spare buffer 4 (half of v: some maxima move, some not)
      ParameterUpdates.amsgrad(cpu[0], cpu[1], cpu[2], cpu[3], cpu[4], s);
      ParameterUpdates.amsgrad(dev[0], dev[1], dev[2], dev[3], dev[4], s);
      assertMatches(cpu[0], dev[0], "amsgrad " + s);
      assertMatches(cpu[4], dev[4], "amsgrad maxima " + s);
    }
    for (SgdStep s : List.of(new SgdStep(0.1, 0, 0, 0, false, false),
        new SgdStep(0.1, 0.9, 0, 1e-3, true, true), new SgdStep(0.1, 0.9, 0.1, 0, false, false))) {
      ParameterUpdates.sgd(cpu[0], cpu[1], cpu[2], s);
      ParameterUpdates.sgd(dev[0], dev[1], dev[2], s);
      assertMatches(cpu[0], dev[0], "sgd " + s);
      assertMatches(cpu[2], dev[2], "sgd buffer " + s);
    }
    for (RmspropStep s : List.of(new RmspropStep(0.01, 0.99, 1e-8, 0, 0, false, false),
        new RmspropStep(0.01, 0.9, 1e-6, 0.01, 0.9, true, false),
        new RmspropStep(0.1, 0, 1e-10, 0, 0, false, true))) {
      Tensor a = s.centered() ? cpu[4] : null;
      Tensor b = s.momentum() != 0 ? cpu[5] : null;
      ParameterUpdates.rmsprop(cpu[0], cpu[1], cpu[3], a, b, s);
      ParameterUpdates.rmsprop(dev[0], dev[1], dev[3], a == null ? null : dev[4],
          b == null ? null : dev[5], s);
      assertMatches(cpu[0], dev[0], "rmsprop " + s);
    }
  }

  @Test
  void steadyStateTrainingAllocatesNoDeviceMemoryAfterTheFirstStep() {
    Device gpu = Gpu.device();
    Mlp model = new Mlp(gpu, DType.FLOAT32, 64, 128, 10);
    Tensor[] data = batch(gpu, DType.FLOAT32, 32, 64, 10);
    List<Tensor> ms = model.parameters().stream().map(p -> p.zerosLike().keep()).toList();
    List<Tensor> vs = model.parameters().stream().map(p -> p.zerosLike().keep()).toList();
    long afterFirst = 0;
    long inUseAfterFirst = 0;
    double first = 0;
    double last = 0;
    for (int step = 1; step <= 200; step++) {
      try (var scope = Tensors.scope()) {
        Tensor loss = model.loss(data[0], data[1]);
        loss.backward();
        for (int i = 0; i < 4; i++) {
          Tensor p = model.parameters().get(i);
          ParameterUpdates.adam(p, p.grad(), ms.get(i), vs.get(i),
              new AdamStep(1e-2, 0.9, 0.999, 1e-8, 0, false, step));
          p.zeroGrad();
        }
        if (step == 1) {
          first = loss.item();
        }
        last = loss.item();
      }
      if (step == 2) {
        afterFirst = CudaBackend.memoryStats(gpu).driverAllocations();
        inUseAfterFirst = CudaBackend.memoryStats(gpu).bytesInUse();
      }
    }
    MemoryStats s = CudaBackend.memoryStats(gpu);
    assertEquals(afterFirst, s.driverAllocations(), "no cuMemAlloc in steps 3 to 200: " + s);
    assertEquals(inUseAfterFirst, s.bytesInUse(), "memory in use stays flat: " + s);
    assertTrue(last < first * 0.5, "training fits the batch: " + first + " -> " + last);
  }

  @Test
  void closedTensorsReturnTheirMemoryToTheCache() {
    Device gpu = Gpu.device();
    long before = CudaBackend.memoryStats(gpu).bytesInUse();
    try (var scope = Tensors.scope()) {
      Tensor x = Tensor.ones(1024, 1024).to(gpu);
      x.mul(2).relu().sum().item();
      assertTrue(CudaBackend.memoryStats(gpu).bytesInUse() >= before + (4 << 20));
    }
    assertEquals(before, CudaBackend.memoryStats(gpu).bytesInUse());
    CudaBackend.emptyCache(gpu);
    assertEquals(0, CudaBackend.memoryStats(gpu).bytesCached());
  }
}
