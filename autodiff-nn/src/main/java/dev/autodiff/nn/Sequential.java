package dev.autodiff.nn;

import dev.autodiff.core.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Layers applied one after another; their parameters are named {@code 0.weight}, {@code 1...}. */
public class Sequential extends Layer {
  private final List<Layer> layers = new ArrayList<>();

  /** The layers, in order. */
  public Sequential(Layer... layers) {
    if (layers == null) {
      throw new IllegalArgumentException("Sequential: layers must not be null");
    }
    for (Layer l : layers) {
      add(l);
    }
  }

  /** Appends a layer; returns this. */
  public Sequential add(Layer layer) {
    child(Integer.toString(layers.size()), layer);
    layers.add(layer);
    return this;
  }

  /** The layers, in order. */
  public List<Layer> layers() {
    return Collections.unmodifiableList(layers);
  }

  @Override
  public Tensor forward(Tensor x) {
    input(x);
    for (int i = 0; i < layers.size(); i++) {
      Layer l = layers.get(i);
      if (l instanceof Linear && i + 1 < layers.size()) {
        // A Linear layer and the activation after it run their bias add and activation as one
        // fused op: the same numbers, one pass (one kernel on a GPU) fewer.
        Tensor y = ((Linear) l).forwardWith(x, layers.get(i + 1));
        if (y != null) {
          x = y;
          i++;
          continue;
        }
      }
      x = l.forward(x);
    }
    return x;
  }
}
