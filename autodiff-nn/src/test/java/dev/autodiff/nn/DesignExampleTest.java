package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop of DESIGN section 2, as printed, on the embedded data set. */
class DesignExampleTest {

  @Test
  void designTrainingLoopRunsAsPrintedAndLearns(@TempDir Path dir) throws Exception {
    Dataset train = Datasets.embedded().train().flatten();
    Layer model = MLP.of(784, 64, 10);                   // ReLU between layers by default
    Optimizer opt = new Adam(model.parameters(), 1e-3);  // new SGD(params, 0.1).momentum(0.9)
    double first = Double.NaN;
    double last = Double.NaN;
    for (Batch b : new DataLoader(train, 128, new Random(0))) {
      try (var step = Tensors.scope()) {                 // frees this step's intermediates
        opt.zeroGrad();
        Tensor loss = Losses.softmaxCrossEntropy(model.forward(b.x()), b.y());
        loss.backward();
        opt.step();
        last = loss.item();
        first = Double.isNaN(first) ? last : first;
      }
    }
    Path file = dir.resolve("model.safetensors");
    model.save(file);
    assertTrue(last < first * 0.7, "loss went from " + first + " to " + last);
    assertTrue(Files.size(file) > 784 * 64 * 4);

    Layer copy = MLP.of(784, 64, 10);
    copy.load(file);
    for (var e : model.namedParameters().entrySet()) {
      assertArrayEquals(e.getValue().toFloatArray(),
          copy.namedParameters().get(e.getKey()).toFloatArray(), e.getKey());
    }
  }
}
