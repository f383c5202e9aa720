package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The fused cross-entropy equals the same computation written with tensor ops, bit for bit. */
class FusedTest {
  static Tensor logits(DType t) {
    return Tensor.randn(new Random(1), 7, 5).mul(3).to(t);
  }

  static final Tensor LABELS = Tensor.of(new long[] {0, 4, 2, 2, 1, 3, 0});

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void crossEntropyEqualsLogSoftmaxGatherNeg(DType t) {
    Tensor x = logits(t);
    Tensor composed = x.logSoftmax(1).gather(1, LABELS.reshape(7, 1)).reshape(7).neg();
    Tensor fused = Fused.crossEntropy(x, LABELS);
    assertEquals(composed.shape(), fused.shape());
    assertEquals(t, fused.dtype());
    assertArrayEquals(composed.toDoubleArray(), fused.toDoubleArray());
  }

  @ParameterizedTest
  @EnumSource(names = {"FLOAT32", "FLOAT64"})
  void crossEntropyBackwardEqualsSoftmaxMinusOneHotTimesScale(DType t) {
    Tensor x = logits(t);
    Tensor d = x.softmax(1).sub(LABELS.oneHot(5).to(t));
    Tensor perRow = Tensor.randn(new Random(2), 7).to(t);
    assertArrayEquals(d.mul(perRow.reshape(7, 1)).toDoubleArray(),
        Fused.crossEntropyBackward(x, LABELS, perRow).toDoubleArray());
    Tensor one = Tensor.scalar(1.0 / 7, t);
    assertArrayEquals(d.mul(one).toDoubleArray(),
        Fused.crossEntropyBackward(x, LABELS, one).toDoubleArray());
  }

  @Test
  void hugeLogitsStayFinite() {
    Tensor x = Tensor.of(new float[] {1000, -1000, 0, 999}, 2, 2);
    Tensor loss = Fused.crossEntropy(x, Tensor.of(new long[] {1, 0}));
    for (double v : loss.toDoubleArray()) {
      assertFalse(Double.isNaN(v) || Double.isInfinite(v), "loss " + v);
    }
    assertEquals(2000, loss.toDoubleArray()[0], 1e-3);
    assertEquals(999, loss.toDoubleArray()[1], 1e-3);
  }

  @Test
  void badArgumentsAreNamed() {
    Tensor x = logits(DType.FLOAT32);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Fused.crossEntropy(x, Tensor.of(new long[] {1, 2})));
    assertTrue(e.getMessage().startsWith("crossEntropy: labels must be int64 of shape [7]"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Fused.crossEntropy(x.reshape(35), LABELS));
    assertThrows(IllegalArgumentException.class,
        () -> Fused.crossEntropyBackward(x, LABELS, Tensor.ones(3)));
    Tensor bad = Tensor.of(new long[] {0, 4, 2, 5, 1, -1, 0});
    e = assertThrows(IllegalArgumentException.class, () -> Fused.crossEntropy(x, bad));
    assertEquals("crossEntropy: index 5 at position 3 is out of range for an axis of size 5",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Fused.crossEntropyBackward(x, bad, Tensor.scalar(1.0)));
    assertEquals("crossEntropyBackward: index 5 at position 3 is out of range for an axis of "
        + "size 5", e.getMessage());
  }
}
