package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/** How a loss combines its per-element values: their mean (the default), their sum, or none. */
public enum Reduction {
  MEAN,
  SUM,
  NONE;

  Tensor apply(Tensor perElement) {
    switch (this) {
      case MEAN:
        return perElement.mean();
      case SUM:
        return perElement.sum();
      default:
        return perElement;
    }
  }
}
