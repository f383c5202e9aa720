package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/**
 * Binary cross-entropy of sigmoid(logits) with {@code
 * torch.nn.functional.binary_cross_entropy_with_logits}'s options: {@code posWeight}, which
 * weighs the positive term (broadcast along the last axis, one per class), and {@code weight}, a
 * weight per element (broadcast to the logits' shape). Immutable: each option returns a new loss.
 *
 * <pre>
 * jshell&gt; Tensor loss = Losses.bceWithLogits().posWeight(Tensor.of(new float[] {3})).apply(x, t);
 * </pre>
 *
 * <p>Per element, with {@code lw = 1 + (posWeight - 1) t}:
 *
 * <pre>
 * loss = weight * (-posWeight t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)))
 *      = weight * ((1 - t) x + lw softplus(-x))     computed for x &gt; 0,
 *      = weight * (lw softplus(x) - posWeight t x)  for x &lt;= 0 (the same, without cancellation)
 * </pre>
 *
 * and the mean is over all elements, as PyTorch's. The weights are constants (no gradient).
 */
public final class BceWithLogits {
  static final BceWithLogits DEFAULT = new BceWithLogits(Reduction.MEAN, null, null);

  private final Reduction reduction;
  private final Tensor posWeight;
  private final Tensor weight;

  private BceWithLogits(Reduction reduction, Tensor posWeight, Tensor weight) {
    this.reduction = reduction;
    this.posWeight = posWeight;
    this.weight = weight;
  }

  /** This loss reduced by {@code reduction} (default {@link Reduction#MEAN}). */
  public BceWithLogits reduction(Reduction reduction) {
    if (reduction == null) {
      throw new IllegalArgumentException("bceWithLogits: reduction is null");
    }
    return new BceWithLogits(reduction, posWeight, weight);
  }

  /** This loss with the positive term of each class weighted (PyTorch's pos_weight); or null. */
  public BceWithLogits posWeight(Tensor posWeight) {
    return new BceWithLogits(reduction, floatingOrNull("posWeight", posWeight), weight);
  }

  /** This loss with each element's loss weighted (PyTorch's weight); or null. */
  public BceWithLogits weight(Tensor weight) {
    return new BceWithLogits(reduction, posWeight, floatingOrNull("weight", weight));
  }

  /** The loss of {@code logits} against targets in [0, 1] of the same shape. */
  public Tensor apply(Tensor logits, Tensor target) {
    Losses.checkArgs("bceWithLogits", logits, target, reduction);
    if (!logits.shape().equals(target.shape())) {
      throw new IllegalArgumentException("bceWithLogits: prediction shape " + logits.shape()
          + " and target shape " + target.shape() + " differ");
    }
    Tensor t = target;
    // Each branch sees only the logits it is chosen for (the rest clamped to 0): an infinite
    // logit in the branch not chosen would make where's zero cotangent 0 * inf = NaN.
    Tensor xp = logits.clamp(0, Double.POSITIVE_INFINITY);
    Tensor xn = logits.clamp(Double.NEGATIVE_INFINITY, 0);
    Tensor positive;
    Tensor otherwise;
    if (posWeight == null) {
      positive = t.neg().add(1).mul(xp).add(xp.neg().softplus());
      otherwise = xn.softplus().sub(t.mul(xn));
    } else {
      Tensor p = matching("posWeight", posWeight, logits);
      Tensor lw = p.sub(1).mul(t).add(1);
      positive = t.neg().add(1).mul(xp).add(lw.mul(xp.neg().softplus()));
      otherwise = lw.mul(xn.softplus()).sub(p.mul(t).mul(xn));
    }
    Tensor perElement = Tensor.where(logits.gt(0), positive, otherwise);
    if (weight != null) {
      perElement = perElement.mul(matching("weight", weight, logits));
    }
    return reduction.apply(perElement);
  }

  private static Tensor floatingOrNull(String what, Tensor w) {
    if (w != null && !w.dtype().isFloating()) {
      throw new IllegalArgumentException(
          "bceWithLogits: " + what + " must be floating, got " + w.dtype());
    }
    return w;
  }

  /** {@code w} checked to broadcast to the logits, on their device, in their dtype. */
  private static Tensor matching(String what, Tensor w, Tensor logits) {
    if (w.isClosed()) {
      throw new IllegalStateException("bceWithLogits: the " + what + " tensor was closed; the "
          + "loss uses the tensor it was given, so keep it open while the loss is used");
    }
    if (!w.shape().broadcastsTo(logits.shape())) {
      throw new IllegalArgumentException("bceWithLogits: " + what + " of shape " + w.shape()
          + " does not broadcast to the logits' shape " + logits.shape());
    }
    if (!w.device().equals(logits.device())) {
      throw new IllegalArgumentException("bceWithLogits: " + what + " is on " + w.device()
          + ", logits on " + logits.device());
    }
    Tensor constant = w.detach(); // a constant: no gradient reaches the weights
    return constant.dtype() == logits.dtype() ? constant : constant.to(logits.dtype());
  }

  @Override
  public String toString() {
    return "BceWithLogits(reduction=" + reduction
        + (posWeight == null ? "" : ", posWeight=" + posWeight.shape())
        + (weight == null ? "" : ", weight=" + weight.shape()) + ")";
  }
}
