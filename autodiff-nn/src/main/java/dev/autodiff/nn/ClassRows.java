package dev.autodiff.nn;

import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;

/**
 * The layouts PyTorch's classification losses take, as the {@code [rows, classes]} problem our
 * loss kernels solve: unbatched logits {@code [C]} with a label {@code []}, batched {@code [N, C]}
 * with labels {@code [N]}, and K-dimensional {@code [N, C, d1, ..., dk]} (a class score per pixel
 * or per token) with labels {@code [N, d1, ..., dk]}; class probabilities always have the logits'
 * shape. The class axis moves last and the other axes become rows; a per-row loss goes back to
 * the labels' shape with {@link #perSample}.
 *
 * @param logits the scores as {@code [rows, C]}
 * @param target the labels as {@code [rows]}, or the probabilities as {@code [rows, C]}
 * @param labelShape the shape of one loss per label: {@code []}, {@code [N]} or {@code [N, d1,
 *     ...]}
 */
record ClassRows(Tensor logits, Tensor target, Shape labelShape) {

  /** The rows of {@code logits} and {@code target}; they are returned as given when 2-D. */
  static ClassRows of(String loss, Tensor logits, Tensor target) {
    int rank = logits.rank();
    if (rank == 2) {
      return new ClassRows(logits, target, null);
    }
    if (rank == 0) {
      throw new IllegalArgumentException(loss + ": logits must be [classes], [batch, classes] or"
          + " [batch, classes, d1, ...], got a scalar");
    }
    int classAxis = rank == 1 ? 0 : 1;
    int classes = logits.size(classAxis);
    int[] dims = logits.shape().toArray();
    int[] labelDims = new int[rank - 1];
    for (int i = 0, j = 0; i < rank; i++) {
      if (i != classAxis) {
        labelDims[j++] = dims[i];
      }
    }
    Shape labelShape = Shape.of(labelDims);
    boolean probabilities = target.dtype().isFloating();
    Shape want = probabilities ? logits.shape() : labelShape;
    if (!target.shape().equals(want)) {
      throw new IllegalArgumentException(loss + ": for logits of shape " + logits.shape()
          + " the " + (probabilities ? "class probabilities" : "labels") + " must have shape "
          + want + ", got " + target.shape() + " (" + target.dtype() + ")");
    }
    int rows = Math.toIntExact(labelShape.numel());
    if (rank == 1) {
      return new ClassRows(logits.reshape(1, classes),
          probabilities ? target.reshape(1, classes) : target.reshape(1), labelShape);
    }
    int[] classLast = new int[rank]; // 0, 2, 3, ..., 1
    for (int i = 1; i < rank - 1; i++) {
      classLast[i] = i + 1;
    }
    classLast[rank - 1] = 1;
    return new ClassRows(logits.permute(classLast).reshape(rows, classes),
        probabilities ? target.permute(classLast).reshape(rows, classes) : target.reshape(rows),
        labelShape);
  }

  /** A loss reduced as asked: one per label in the labels' shape when not reduced. */
  Tensor perSample(Tensor loss, Reduction reduction) {
    return labelShape == null || reduction != Reduction.NONE ? loss
        : loss.reshape(labelShape.toArray());
  }
}
