package dev.autodiff.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import dev.autodiff.cuda.CudaBackend;
import dev.autodiff.cuda.MemoryStats;
import dev.autodiff.nn.Adam;
import dev.autodiff.nn.Layer;
import dev.autodiff.nn.Losses;
import dev.autodiff.nn.MLP;
import dev.autodiff.nn.Optimizer;
import dev.autodiff.nn.ReLU;
import dev.autodiff.nn.SGD;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The nn library unchanged on a GPU: the same model, data and optimizer give the CPU's losses and
 * parameters (float32, to 1e-4). Skipped, with the reason, where no CUDA device is usable.
 */
class CudaTrainingTest {
  static Device gpu() {
    assumeTrue(CudaOpPropertiesTest.UNUSABLE == null,
        () -> "no usable CUDA device here: " + CudaOpPropertiesTest.UNUSABLE);
    return Device.cuda();
  }

  /** Trains for {@code steps} on {@code device}; returns the losses then the parameters. */
  static double[][] train(Device device, Function<List<Tensor>, Optimizer> optimizer, int steps) {
    Layer model = MLP.of(new Random(5), ReLU::new, 12, 32, 16, 4).to(device);
    Optimizer opt = optimizer.apply(model.parameters());
    Random r = new Random(6);
    Tensor x = Tensor.randn(r, 64, 12).to(device).keep();
    Tensor y = Tensor.of(r.longs(64, 0, 4).toArray()).to(device).keep();
    double[] losses = new double[steps];
    for (int s = 0; s < steps; s++) {
      try (var scope = Tensors.scope()) {
        opt.zeroGrad();
        Tensor loss = Losses.softmaxCrossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        losses[s] = loss.item();
      }
    }
    double[][] out = new double[1 + model.parameters().size()][];
    out[0] = losses;
    for (int i = 0; i < model.parameters().size(); i++) {
      Tensor p = model.parameters().get(i);
      assertEquals(device, p.device(), "parameter " + i + " stays on " + device);
      out[1 + i] = p.toDoubleArray();
    }
    return out;
  }

  static void sameTraining(Function<List<Tensor>, Optimizer> optimizer) {
    Device gpu = gpu();
    double[][] cpu = train(Device.cpu(), optimizer, 20);
    double[][] dev = train(gpu, optimizer, 20);
    for (int i = 0; i < cpu.length; i++) {
      for (int j = 0; j < cpu[i].length; j++) {
        assertEquals(cpu[i][j], dev[i][j], 1e-4 * Math.max(1, Math.abs(cpu[i][j])),
            (i == 0 ? "loss of step " : "parameter " + (i - 1) + " element ") + j);
      }
    }
  }

  @Test
  void tenThousandStepsKeepDeviceMemoryFlatAfterTheFirst() {
    Device gpu = gpu();
    Layer model = MLP.of(new Random(7), ReLU::new, 32, 64, 64, 10).to(gpu);
    Optimizer opt = new Adam(model.parameters(), 1e-3);
    Random r = new Random(8);
    Tensor x = Tensor.randn(r, 64, 32).to(gpu).keep();
    Tensor y = Tensor.of(r.longs(64, 0, 10).toArray()).to(gpu).keep();
    MemoryStats afterFirst = null;
    for (int step = 1; step <= 10_000; step++) {
      try (var scope = Tensors.scope()) {
        opt.zeroGrad();
        Tensor loss = Losses.softmaxCrossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        if (step % 1000 == 0) {
          loss.item(); // let the queue drain now and then
        }
      }
      if (step == 1) {
        afterFirst = CudaBackend.memoryStats(gpu);
      }
    }
    MemoryStats last = CudaBackend.memoryStats(gpu);
    assertEquals(afterFirst.driverAllocations(), last.driverAllocations(),
        "no cuMemAlloc after the first step: " + last);
    // Not equal: tensors that earlier tests in this JVM left to the garbage collector may be freed
    // meanwhile. This training's own memory must not grow.
    assertTrue(last.bytesInUse() <= afterFirst.bytesInUse(), "memory in use grew from "
        + afterFirst.bytesInUse() + ": " + last);
  }

  @Test
  void adamTrainsAnMlpOnTheGpuAsOnTheCpu() {
    sameTraining(p -> new Adam(p, 1e-2));
  }

  @Test
  void sgdWithMomentumTrainsAnMlpOnTheGpuAsOnTheCpu() {
    sameTraining(p -> new SGD(p, 0.1).momentum(0.9));
  }
}
