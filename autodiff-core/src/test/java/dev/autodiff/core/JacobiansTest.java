package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class JacobiansTest {
  private static final double TOL = 1e-12;

  private static Tensor vec(double... v) {
    return Tensor.of(v);
  }

  @Test
  void jacobianOfElementwiseSquareIsDiagonalTwoX() {
    Tensor j = Autograd.jacobian(v -> v.mul(v), vec(1, 2, 3));
    assertEquals(Shape.of(3, 3), j.shape());
    assertArrayEquals(new double[] {2, 0, 0, 0, 4, 0, 0, 0, 6}, j.toDoubleArray(), TOL);
  }

  @Test
  void jacobianOfSoftmaxIsDiagSMinusSSTranspose() {
    double[] x = {0.3, -1.2, 2.0, 0.5};
    Tensor j = Autograd.jacobian(v -> v.softmax(0), vec(x));
    double[] s = new double[x.length];
    double z = 0;
    for (int i = 0; i < x.length; i++) {
      z += Math.exp(x[i]);
    }
    for (int i = 0; i < x.length; i++) {
      s[i] = Math.exp(x[i]) / z;
    }
    double[] got = j.toDoubleArray();
    for (int i = 0; i < x.length; i++) {
      for (int k = 0; k < x.length; k++) {
        double want = (i == k ? s[i] : 0) - s[i] * s[k];
        assertEquals(want, got[i * x.length + k], TOL, "[" + i + ", " + k + "]");
      }
    }
  }

  @Test
  void jacobianShapeIsOutputShapeThenInputShape() {
    // f(W) = W v for W of shape [2, 3]: d(Wv)_i / dW_kl = [i == k] v_l.
    double[] v = {1, -2, 0.5};
    Tensor vt = Tensor.of(v, 3, 1);
    Tensor w = Tensor.randn(new Random(1), 2, 3).to(DType.FLOAT64);
    Tensor j = Autograd.jacobian(m -> m.matmul(vt), w);
    assertEquals(Shape.of(2, 1, 2, 3), j.shape());
    double[] got = j.toDoubleArray();
    for (int i = 0; i < 2; i++) {
      for (int k = 0; k < 2; k++) {
        for (int l = 0; l < 3; l++) {
          assertEquals(i == k ? v[l] : 0, got[(i * 2 + k) * 3 + l], TOL);
        }
      }
    }
  }

  @Test
  void rankZeroInputAndOutput() {
    Tensor j = Autograd.jacobian(v -> v.tanh(), Tensor.scalar(0.5, DType.FLOAT64));
    assertEquals(Shape.of(), j.shape());
    double t = Math.tanh(0.5);
    assertEquals(1 - t * t, j.item(), TOL);
  }

  @Test
  void hessianOfSumOfCubesIsDiagonalSixX() {
    Tensor h = Autograd.hessian(v -> v.pow(3).sum(), vec(1, -2));
    assertEquals(Shape.of(2, 2), h.shape());
    assertArrayEquals(new double[] {6, 0, 0, -12}, h.toDoubleArray(), TOL);
  }

  @Test
  void hessianOfMixedTermsHasTheCrossDerivatives() {
    // f = x0^2 x1 + sin(x1): H = [[2 x1, 2 x0], [2 x0, -sin x1]].
    double x0 = 0.7;
    double x1 = -1.3;
    Tensor h = Autograd.hessian(v -> {
      Tensor a = v.slice(0, 0, 1);
      Tensor b = v.slice(0, 1, 2);
      return a.mul(a).mul(b).add(b.sin()).sum();
    }, vec(x0, x1));
    assertArrayEquals(new double[] {2 * x1, 2 * x0, 2 * x0, -Math.sin(x1)}, h.toDoubleArray(),
        TOL);
  }

  @Test
  void derivativesOfLinearAndConstantFunctionsAreZeros() {
    assertArrayEquals(new double[4], Autograd.hessian(v -> v.mul(3).sum(), vec(1, 2))
        .toDoubleArray());
    Tensor c = vec(5, 6, 7);
    Tensor j = Autograd.jacobian(v -> c, vec(1, 2));
    assertEquals(Shape.of(3, 2), j.shape());
    assertArrayEquals(new double[6], j.toDoubleArray());
  }

  @Test
  void emptyOutputGivesAnEmptyJacobian() {
    Tensor j = Autograd.jacobian(v -> v.slice(0, 0, 0), vec(1, 2));
    assertEquals(Shape.of(0, 2), j.shape());
  }

  @Test
  void leavesTheCallersTensorAndTapeAlone() {
    Tensor x = vec(1, 2).requiresGrad();
    Tensor y = x.mul(2); // recorded history the call must not disturb
    int before = ThreadState.get().tape.size();
    Tensor j = Autograd.jacobian(v -> v.exp(), y);
    assertEquals(before, ThreadState.get().tape.size());
    assertFalse(j.isClosed());
    assertArrayEquals(new double[] {Math.exp(2), 0, 0, Math.exp(4)}, j.toDoubleArray(), 1e-5);
    assertNull(x.grad());
    y.sum().backward(); // y's history still works
    assertArrayEquals(new double[] {2, 2}, x.grad().toDoubleArray(), TOL);
  }

  @Test
  void theResultIsAConstant() {
    Tensor j = Autograd.jacobian(v -> v.mul(v), vec(1, 2).requiresGrad());
    assertThrows(IllegalStateException.class, () -> j.sum().backward());
  }

  @Test
  void float32InputGivesFloat32Jacobian() {
    Tensor j = Autograd.jacobian(v -> v.mul(v), Tensor.of(new float[] {1, 2}));
    assertEquals(DType.FLOAT32, j.dtype());
  }

  @Test
  void badInputIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Autograd.jacobian(v -> v, Tensor.of(new long[] {1, 2})));
    assertTrue(e.getMessage().contains("jacobian") && e.getMessage().contains("int64"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Autograd.hessian(v -> v.mul(v), vec(1, 2)));
    assertTrue(e.getMessage().contains("hessian") && e.getMessage().contains("[2]"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Autograd.jacobian(v -> null, vec(1)));
    assertTrue(e.getMessage().contains("returned null"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Autograd.jacobian(null, vec(1)));
    assertTrue(e.getMessage().contains("jacobian"), e.getMessage());
  }

  @Test
  void backwardWithRetainGraphAllowsASecondBackward() {
    Tensor x = Tensor.scalar(3.0, DType.FLOAT64).requiresGrad();
    Tensor y = x.mul(x);
    y.backward(true);
    y.backward(true);
    assertEquals(12, x.grad().item(), TOL);
    y.backward(false);
    assertThrows(IllegalStateException.class, () -> y.backward());
  }
}
