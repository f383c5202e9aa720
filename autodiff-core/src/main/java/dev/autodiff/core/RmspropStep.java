package dev.autodiff.core;

/**
 * The settings of one fused RMSprop (or AdaGrad) step, in torch.optim's order of operations:
 * {@code g += weightDecay * p}; {@code v = alpha v + (1 - alpha) g^2} (AdaGrad: {@code v += g^2}); if
 * centered, {@code a = alpha a + (1 - alpha) g} and {@code d = sqrt(v - a^2) + eps}, else {@code d
 * = sqrt(v) + eps}; with momentum {@code b = momentum b + g / d} and {@code p += -lr b}, else
 * {@code p += -lr (g / d)}.
 *
 * @param lr the learning rate (AdaGrad passes its decayed rate)
 * @param alpha the smoothing of the squared average
 * @param eps added to the denominator
 * @param weightDecay the L2 weight decay
 * @param momentum the momentum factor (0: no buffer)
 * @param centered whether to subtract the squared mean gradient
 * @param accumulate true for AdaGrad's plain sum of squares instead of the moving average
 */
public record RmspropStep(double lr, double alpha, double eps, double weightDecay,
    double momentum, boolean centered, boolean accumulate) {}
