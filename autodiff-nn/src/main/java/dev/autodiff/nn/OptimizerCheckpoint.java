package dev.autodiff.nn;

import dev.autodiff.core.DType;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An optimizer's learning rate and state in a safetensors file: the buffers under their {@link
 * Optimizer#state()} keys, each step count as an int64 scalar, and the optimizer's kind, learning
 * rate and parameter count in the metadata, so a file from another optimizer is refused.
 */
final class OptimizerCheckpoint {
  private static final String KIND = "optimizer";
  private static final String LEARNING_RATE = "learning_rate";
  private static final String PARAMETERS = "parameters";

  private OptimizerCheckpoint() {}

  static void save(Optimizer opt, Path path) throws IOException {
    try (var scope = Tensors.scope()) {
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      opt.state().forEach((key, value) -> tensors.put(key, value instanceof Tensor
          ? (Tensor) value : Tensor.scalar(((Number) value).doubleValue(), DType.INT64)));
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put(KIND, kind(opt));
      metadata.put(LEARNING_RATE, Double.toString(opt.learningRate()));
      metadata.put(PARAMETERS, Integer.toString(opt.parameters().size()));
      Safetensors.save(tensors, metadata, path);
    }
  }

  static void load(Optimizer opt, Path path) throws IOException {
    Map<String, String> metadata = Safetensors.metadata(path);
    String kind = metadata.get(KIND);
    if (!kind(opt).equals(kind)) {
      throw new IllegalArgumentException(kind(opt) + ": load: " + path + " holds "
          + (kind == null ? "no optimizer state" : "the state of " + kind));
    }
    String count = metadata.get(PARAMETERS);
    if (!Integer.toString(opt.parameters().size()).equals(count)) {
      throw new IllegalArgumentException(kind + ": load: " + path + " holds the state of " + count
          + " parameters, this optimizer has " + opt.parameters().size());
    }
    double lr;
    try {
      lr = Double.parseDouble(String.valueOf(metadata.get(LEARNING_RATE)));
    } catch (NumberFormatException e) {
      throw new IOException(kind + ": load: " + path + " has no valid learning rate ("
          + metadata.get(LEARNING_RATE) + ")");
    }
    if (!(lr >= 0) || Double.isInfinite(lr)) {
      throw new IOException(kind + ": load: " + path + " has learning rate " + lr);
    }
    try (var scope = Tensors.scope()) {
      Map<String, Object> state = new LinkedHashMap<>();
      Safetensors.load(path).forEach((key, t) -> state.put(key,
          key.endsWith(".step") && t.dtype() == DType.INT64 && t.numel() == 1
              ? (Object) (long) t.item() : t));
      opt.loadState(state);
    }
    opt.setLearningRate(lr);
  }

  private static String kind(Optimizer opt) {
    return opt.getClass().getSimpleName();
  }
}
