package dev.autodiff.gradcheck;

import dev.autodiff.core.Tensor;

/** A differentiable function of tensors to one tensor, the thing {@link GradCheck} checks. */
@FunctionalInterface
public interface TensorFunction {
  Tensor apply(Tensor... inputs);
}
