package dev.autodiff.core;

/**
 * The settings of one fused Adam step, in torch.optim's order of operations: with {@code
 * decoupled} (AdamW) first {@code p *= 1 - lr * weightDecay}, else {@code g += weightDecay * p};
 * then {@code m = beta1 m + (1 - beta1) g}, {@code v = beta2 v + (1 - beta2) g^2}, and {@code p +=
 * -(lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)}.
 *
 * @param lr the learning rate
 * @param beta1 the first moment's decay
 * @param beta2 the second moment's decay
 * @param eps added to the denominator
 * @param weightDecay L2 (Adam) or decoupled (AdamW) weight decay
 * @param decoupled true for AdamW
 * @param step the 1-based step count t of this parameter
 */
public record AdamStep(double lr, double beta1, double beta2, double eps, double weightDecay,
    boolean decoupled, long step) {
  /** 1 - beta1^t. */
  public double biasCorrection1() {
    return 1 - Math.pow(beta1, step);
  }

  /** 1 - beta2^t. */
  public double biasCorrection2() {
    return 1 - Math.pow(beta2, step);
  }
}
