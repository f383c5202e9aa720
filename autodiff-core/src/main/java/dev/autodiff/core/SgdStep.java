package dev.autodiff.core;

/**
 * The settings of one fused SGD step, in torch.optim's order of operations: {@code g += weightDecay
 * * p}; with momentum, {@code b = g} on the first step and {@code b = momentum b + (1 - dampening)
 * g} after, then {@code g = nesterov ? g + momentum b : b}; finally {@code p += -lr g}.
 *
 * @param lr the learning rate
 * @param momentum the momentum factor (0 for none: no buffer is read or written)
 * @param dampening the dampening of the momentum
 * @param weightDecay the L2 weight decay
 * @param nesterov whether to use Nesterov momentum
 * @param firstStep whether the momentum buffer starts from the gradient this step
 */
public record SgdStep(double lr, double momentum, double dampening, double weightDecay,
    boolean nesterov, boolean firstStep) {}
