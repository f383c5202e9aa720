package dev.autodiff.nn;

import dev.autodiff.core.Tensor;

/**
 * Softmax cross-entropy with {@code torch.nn.functional.cross_entropy}'s options: class weights,
 * an ignored label and label smoothing, with the same definitions and the same mean (divided by
 * the summed weights of the rows that count). Immutable: each option returns a new loss.
 *
 * <pre>
 * jshell&gt; CrossEntropy ce = Losses.crossEntropy().labelSmoothing(0.1).ignoreIndex(-100);
 * jshell&gt; Tensor loss = ce.apply(model.forward(x), labels);
 * </pre>
 *
 * <p>Without options {@link #apply} is {@link Losses#softmaxCrossEntropy(Tensor, Tensor,
 * Reduction)}, the fused path. With them, per row i of log-probabilities {@code lp = logSoftmax(x)}
 * and label {@code y}, of C classes and smoothing e:
 *
 * <pre>
 * loss_i = (1 - e) * w[y] * -lp[y] + e / C * sum_c w[c] * -lp[c]   (0 where y is ignored)
 * mean   = sum_i loss_i / sum_i w[y_i]   (over rows not ignored; NaN when all are)
 * </pre>
 *
 * For class-probability targets t (float, the logits' shape) the target becomes {@code (1 - e) t +
 * e / C} and {@code loss_i = -sum_c w[c] t[c] lp[c]}; the mean divides by the number of rows.
 */
public final class CrossEntropy {
  static final CrossEntropy DEFAULT = new CrossEntropy(Reduction.MEAN, null, null, 0);

  private final Reduction reduction;
  private final Tensor weight;
  private final Long ignoreIndex;
  private final double labelSmoothing;

  private CrossEntropy(Reduction reduction, Tensor weight, Long ignoreIndex,
      double labelSmoothing) {
    this.reduction = reduction;
    this.weight = weight;
    this.ignoreIndex = ignoreIndex;
    this.labelSmoothing = labelSmoothing;
  }

  /** This loss reduced by {@code reduction} (default {@link Reduction#MEAN}). */
  public CrossEntropy reduction(Reduction reduction) {
    if (reduction == null) {
      throw new IllegalArgumentException("crossEntropy: reduction is null");
    }
    return new CrossEntropy(reduction, weight, ignoreIndex, labelSmoothing);
  }

  /**
   * This loss with a weight per class: a 1-D floating tensor of C values, on the logits' device
   * (a constant: it gets no gradient); null for none.
   */
  public CrossEntropy classWeights(Tensor weight) {
    if (weight != null && (weight.rank() != 1 || !weight.dtype().isFloating())) {
      throw new IllegalArgumentException("crossEntropy: class weights must be a 1-D floating "
          + "tensor, got " + weight.dtype() + " of shape " + weight.shape());
    }
    return new CrossEntropy(reduction, weight, ignoreIndex, labelSmoothing);
  }

  /**
   * This loss with rows labelled {@code label} ignored: they add nothing and do not count in the
   * mean (PyTorch's {@code ignore_index}, whose default there is -100; here none is ignored unless
   * asked).
   */
  public CrossEntropy ignoreIndex(long label) {
    return new CrossEntropy(reduction, weight, label, labelSmoothing);
  }

  /** This loss with label smoothing {@code e} in [0, 1] (default 0). */
  public CrossEntropy labelSmoothing(double e) {
    if (!(e >= 0 && e <= 1)) {
      throw new IllegalArgumentException(
          "crossEntropy: label smoothing must be in [0, 1], got " + e);
    }
    return new CrossEntropy(reduction, weight, ignoreIndex, e);
  }

  /**
   * The loss of {@code logits} [N, C] against int64 labels [N] or class probabilities [N, C]; as
   * in PyTorch also of [C] against a label [] and of [N, C, d1, ...] against labels [N, d1, ...]
   * (the mean then runs over every label), unreduced in the labels' shape.
   */
  public Tensor apply(Tensor logits, Tensor target) {
    if (weight == null && ignoreIndex == null && labelSmoothing == 0) {
      return Losses.softmaxCrossEntropy(logits, target, reduction);
    }
    Losses.checkArgs("crossEntropy", logits, target, reduction);
    ClassRows rows = ClassRows.of("crossEntropy", logits, target);
    return rows.perSample(rowsLoss(rows.logits(), rows.target()), reduction);
  }

  private Tensor rowsLoss(Tensor logits, Tensor target) {
    int classes = logits.size(1);
    Tensor w = classWeightsFor(logits);
    Tensor logProbs = logits.logSoftmax(1);
    if (target.dtype().isFloating()) {
      return probabilityLoss(logProbs, target, w, classes);
    }
    Losses.checkLabels("crossEntropy", logits, target, ignoreIndex);
    Tensor counts = ignoreIndex == null ? target.onesLike().to(logits.dtype())
        : target.eq(ignoreIndex).to(logits.dtype()).neg().add(1); // 1 for rows that count
    Tensor labels = ignoreIndex == null ? target
        : Tensor.where(target.eq(ignoreIndex), target.zerosLike(), target); // any class will do
    Tensor picked = logProbs.gather(1, labels.unsqueeze(1)).squeeze(1).neg();
    Tensor rowWeight = w == null ? counts : w.indexSelect(0, labels).mul(counts);
    Tensor perRow = picked.mul(rowWeight);
    if (labelSmoothing != 0) {
      Tensor all = (w == null ? logProbs : logProbs.mul(w)).sum(1).neg().mul(counts);
      perRow = perRow.mul(1 - labelSmoothing).add(all.mul(labelSmoothing / classes));
    }
    switch (reduction) {
      case NONE:
        return perRow;
      case SUM:
        return perRow.sum();
      default:
        return weightedMean(perRow, rowWeight.sum());
    }
  }

  /**
   * sum(perRow) / total, NaN when the total weight is 0 (every row ignored, or weighted 0), as
   * PyTorch's; the gradient then is 0, not 0 * (1 / 0): an all-padding batch leaves the
   * parameters alone.
   */
  private static Tensor weightedMean(Tensor perRow, Tensor total) {
    Tensor none = total.eq(0);
    Tensor safe = Tensor.where(none, total.onesLike(), total);
    Tensor nanIfNone = Tensor.where(none, total.fullLike(Double.NaN), total.zerosLike());
    return perRow.sum().div(safe).add(nanIfNone);
  }

  private Tensor probabilityLoss(Tensor logProbs, Tensor target, Tensor w, int classes) {
    if (!logProbs.shape().equals(target.shape())) {
      throw new IllegalArgumentException("crossEntropy: a floating target holds class "
          + "probabilities of the logits' shape " + logProbs.shape() + ", got " + target.shape());
    }
    if (ignoreIndex != null) {
      throw new IllegalArgumentException(
          "crossEntropy: ignoreIndex applies to int64 labels, not to class probabilities");
    }
    Tensor t = labelSmoothing == 0 ? target
        : target.mul(1 - labelSmoothing).add(labelSmoothing / classes);
    Tensor terms = t.mul(logProbs);
    return reduction.apply((w == null ? terms : terms.mul(w)).sum(1).neg());
  }

  private Tensor classWeightsFor(Tensor logits) {
    if (weight == null) {
      return null;
    }
    if (weight.isClosed()) {
      throw new IllegalStateException("crossEntropy: the class weights tensor was closed; the "
          + "loss uses the tensor given to classWeights, so keep it open while the loss is used");
    }
    if (weight.size(0) != logits.size(1)) {
      throw new IllegalArgumentException("crossEntropy: " + weight.size(0) + " class weights for "
          + logits.size(1) + " classes (logits shape " + logits.shape() + ")");
    }
    if (!weight.device().equals(logits.device())) {
      throw new IllegalArgumentException("crossEntropy: class weights are on " + weight.device()
          + ", logits on " + logits.device());
    }
    Tensor constant = weight.detach(); // a constant: no gradient reaches the weights
    return constant.dtype() == logits.dtype() ? constant : constant.to(logits.dtype());
  }

  @Override
  public String toString() {
    return "CrossEntropy(reduction=" + reduction + (weight == null ? "" : ", classWeights="
        + weight.shape()) + (ignoreIndex == null ? "" : ", ignoreIndex=" + ignoreIndex)
        + (labelSmoothing == 0 ? "" : ", labelSmoothing=" + labelSmoothing) + ")";
  }
}
