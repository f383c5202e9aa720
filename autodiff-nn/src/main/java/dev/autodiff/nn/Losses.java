package dev.autodiff.nn;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.DType;
import dev.autodiff.core.Fused;
import dev.autodiff.core.Op;
import dev.autodiff.core.Tensor;

/**
 * Loss functions, as PyTorch defines them: each takes {@code (prediction, target)}, reduces by the
 * mean unless a {@link Reduction} says otherwise, and gives gradients to a target that requires
 * them.
 */
public final class Losses {
  private Losses() {}

  /**
   * Cross-entropy of softmax(logits) [N, C] against int64 class labels [N] (or, for float targets
   * of the logits' shape, against class probabilities). Fused and stable for logits of magnitude
   * 1000: the forward uses log-softmax, the backward is softmax - onehot. As in PyTorch, logits
   * may also be unbatched, [C] with a label [], or have more axes, [N, C, d1, ...] with labels
   * [N, d1, ...] (the class axis second); unreduced, the loss has the labels' shape.
   */
  public static Tensor softmaxCrossEntropy(Tensor logits, Tensor target) {
    return softmaxCrossEntropy(logits, target, Reduction.MEAN);
  }

  /** {@link #softmaxCrossEntropy(Tensor, Tensor)} with the given reduction. */
  public static Tensor softmaxCrossEntropy(Tensor logits, Tensor target, Reduction reduction) {
    checkArgs("softmaxCrossEntropy", logits, target, reduction);
    ClassRows rows = ClassRows.of("softmaxCrossEntropy", logits, target);
    return rows.perSample(rowsCrossEntropy(rows.logits(), rows.target(), reduction), reduction);
  }

  private static Tensor rowsCrossEntropy(Tensor logits, Tensor target, Reduction reduction) {
    if (target.dtype().isFloating()) {
      if (!logits.shape().equals(target.shape())) {
        throw new IllegalArgumentException("softmaxCrossEntropy: a floating target holds class "
            + "probabilities of the logits' shape " + logits.shape() + ", got " + target.shape()
            + " (" + target.dtype() + "); class labels must be int64");
      }
      return reduction.apply(target.mul(logits.logSoftmax(-1)).sum(-1).neg());
    }
    checkLabels("softmaxCrossEntropy", logits, target);
    return fusedCrossEntropy(reduction).apply(logits, target);
  }

  /**
   * Cross-entropy with PyTorch's options (class weights, an ignored label, label smoothing, the
   * reduction), configured fluently: {@code Losses.crossEntropy().labelSmoothing(0.1).apply(logits,
   * labels)}. Without options it is {@link #softmaxCrossEntropy(Tensor, Tensor)}.
   */
  public static CrossEntropy crossEntropy() {
    return CrossEntropy.DEFAULT;
  }

  /**
   * The fused op: per-row -log softmax(x)[y] in one pass, with the VJP g (softmax(x) - onehot(y))
   * in one pass too; when the backward is itself recorded (second derivatives), the VJP is written
   * with tensor ops instead, so that it can be differentiated.
   */
  private static Op fusedCrossEntropy(Reduction reduction) {
    return Op.define("softmaxCrossEntropy",
        (ctx, in) -> reduction.apply(Fused.crossEntropy(in[0], in[1])),
        (ctx, g) -> {
          Tensor x = ctx.input(0);
          Tensor y = ctx.input(1);
          Tensor scale = reduction == Reduction.MEAN ? g.div(x.size(0)) : g;
          if (!Autograd.isGradEnabled()) {
            return new Tensor[] {Fused.crossEntropyBackward(x, y, scale), null};
          }
          Tensor d = x.softmax(1).sub(y.oneHot(x.size(1)).to(x.dtype()));
          return new Tensor[] {d.mul(reduction == Reduction.NONE ? g.unsqueeze(1) : scale), null};
        });
  }

  /**
   * Negative log-likelihood of log-probabilities [N, C] at int64 labels [N]; also of [C] at a
   * label [], and of [N, C, d1, ...] at labels [N, d1, ...], as PyTorch's {@code nll_loss}.
   */
  public static Tensor nll(Tensor logProbs, Tensor labels) {
    return nll(logProbs, labels, Reduction.MEAN);
  }

  /** {@link #nll(Tensor, Tensor)} with the given reduction. */
  public static Tensor nll(Tensor logProbs, Tensor labels, Reduction reduction) {
    checkArgs("nll", logProbs, labels, reduction);
    ClassRows rows = ClassRows.of("nll", logProbs, labels);
    checkLabels("nll", rows.logits(), rows.target());
    return rows.perSample(
        reduction.apply(rows.logits().gather(1, rows.target().unsqueeze(1)).squeeze(1).neg()),
        reduction);
  }

  /** Mean squared error; prediction and target have one shape. */
  public static Tensor mse(Tensor prediction, Tensor target) {
    return mse(prediction, target, Reduction.MEAN);
  }

  /** {@link #mse(Tensor, Tensor)} with the given reduction. */
  public static Tensor mse(Tensor prediction, Tensor target, Reduction reduction) {
    checkArgs("mse", prediction, target, reduction);
    sameShape("mse", prediction, target);
    Tensor d = prediction.sub(target);
    return reduction.apply(d.mul(d));
  }

  /** Mean absolute error. */
  public static Tensor l1(Tensor prediction, Tensor target) {
    return l1(prediction, target, Reduction.MEAN);
  }

  /** {@link #l1(Tensor, Tensor)} with the given reduction. */
  public static Tensor l1(Tensor prediction, Tensor target, Reduction reduction) {
    checkArgs("l1", prediction, target, reduction);
    sameShape("l1", prediction, target);
    return reduction.apply(prediction.sub(target).abs());
  }

  /** Huber loss with delta 1: quadratic within delta, linear beyond. */
  public static Tensor huber(Tensor prediction, Tensor target) {
    return huber(prediction, target, 1.0, Reduction.MEAN);
  }

  /** Huber loss: 0.5 d^2 for |d| &lt; delta, else delta (|d| - delta / 2). */
  public static Tensor huber(Tensor prediction, Tensor target, double delta,
      Reduction reduction) {
    checkArgs("huber", prediction, target, reduction);
    sameShape("huber", prediction, target);
    if (!(delta > 0)) {
      throw new IllegalArgumentException("huber: delta must be positive, got " + delta);
    }
    Tensor d = prediction.sub(target);
    Tensor a = d.abs();
    Tensor inside = d.clamp(-delta, delta); // d where quadratic is chosen; finite where it is not
    Tensor quadratic = inside.mul(inside).mul(0.5); // so an infinite d sends no 0 * inf back
    Tensor linear = a.sub(delta / 2).mul(delta);
    return reduction.apply(Tensor.where(a.lt(delta), quadratic, linear));
  }

  /**
   * Binary cross-entropy of sigmoid(logits) against targets in [0, 1]: -t log sigmoid(x) - (1 - t)
   * log(1 - sigmoid(x)), computed without cancellation as (1 - t) x + softplus(-x) for x &gt; 0
   * and softplus(x) - t x otherwise, so a large logit with a target near it keeps its small loss
   * and its gradient sigmoid(x) - t.
   */
  public static Tensor bceWithLogits(Tensor logits, Tensor target) {
    return bceWithLogits(logits, target, Reduction.MEAN);
  }

  /** {@link #bceWithLogits(Tensor, Tensor)} with the given reduction. */
  public static Tensor bceWithLogits(Tensor logits, Tensor target, Reduction reduction) {
    if (reduction == null) {
      checkArgs("bceWithLogits", logits, target, null);
    }
    return BceWithLogits.DEFAULT.reduction(reduction).apply(logits, target);
  }

  /**
   * Binary cross-entropy with PyTorch's options, configured fluently: {@code
   * Losses.bceWithLogits().posWeight(p).weight(w).reduction(r).apply(logits, target)}.
   */
  public static BceWithLogits bceWithLogits() {
    return BceWithLogits.DEFAULT;
  }

  // ---- validation ----------------------------------------------------------------------------

  static void checkArgs(String loss, Tensor prediction, Tensor target, Reduction reduction) {
    if (prediction == null || target == null || reduction == null) {
      throw new IllegalArgumentException(loss + ": the " + (prediction == null ? "prediction"
          : target == null ? "target" : "reduction") + " is null");
    }
    if (!prediction.dtype().isFloating()) {
      throw new IllegalArgumentException(
          loss + ": the prediction must be floating, got " + prediction.dtype());
    }
  }

  private static void sameShape(String loss, Tensor prediction, Tensor target) {
    if (!prediction.shape().equals(target.shape())) {
      throw new IllegalArgumentException(loss + ": prediction shape " + prediction.shape()
          + " and target shape " + target.shape() + " differ");
    }
  }

  private static void checkLabels(String loss, Tensor scores, Tensor labels) {
    checkLabels(loss, scores, labels, null);
  }

  /** As above; labels equal to {@code ignored} (when not null) are allowed too. */
  static void checkLabels(String loss, Tensor scores, Tensor labels, Long ignored) {
    if (scores.isClosed() || labels.isClosed()) {
      throw new IllegalStateException(loss + ": the " + (scores.isClosed() ? "scores" : "labels")
          + " tensor was closed and cannot be used");
    }
    if (!labels.device().equals(scores.device())) {
      throw new IllegalArgumentException(loss + ": labels are on " + labels.device()
          + ", scores on " + scores.device() + "; move both to one device");
    }
    if (scores.rank() != 2) {
      throw new IllegalArgumentException(
          loss + ": scores must be [batch, classes], got shape " + scores.shape());
    }
    if (labels.dtype() != DType.INT64 || labels.rank() != 1) {
      throw new IllegalArgumentException(loss + ": labels must be a 1-D int64 tensor, got "
          + labels.dtype() + " of shape " + labels.shape()
          + (labels.shape().equals(scores.shape()) && labels.dtype() == DType.INT64
              && !loss.equals("nll") ? " (for one-hot or probability targets, pass them as floats: oneHot(C)"
                  + ".to(DType.FLOAT32), or labels.argmax(1) for class indices)" : ""));
    }
    if (labels.size(0) != scores.size(0)) {
      throw new IllegalArgumentException(loss + ": " + labels.size(0) + " labels for a batch of "
          + scores.size(0) + " (scores shape " + scores.shape() + ")");
    }
    if (!labels.device().isCpu()) {
      return; // the loss's kernels check the range on the device (one wait instead of two)
    }
    int classes = scores.size(1);
    long[] l = labels.toLongArray();
    for (int i = 0; i < l.length; i++) {
      if ((l[i] < 0 || l[i] >= classes) && (ignored == null || l[i] != ignored)) {
        throw new IllegalArgumentException(loss + ": label " + l[i] + " at index " + i
            + " is out of range for " + classes + " classes" + (l[i] == -100 ? " (-100 is "
            + "PyTorch's default ignore index; to ignore such rows, use "
            + "Losses.crossEntropy().ignoreIndex(-100))" : ""));
      }
    }
  }
}
