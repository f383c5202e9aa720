package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Worked examples from well-known lectures, with the numbers their authors print. */
class LectureExamplesTest {
  private static Tensor leaf(double v) {
    return Tensor.scalar(v, DType.FLOAT64).requiresGrad();
  }

  @Test
  void microgradReadmeExampleGives24Point7041() {
    // github.com/karpathy/micrograd, README: g = 24.7041, a.grad = 138.8338, b.grad = 645.5773.
    Tensor a = leaf(-4);
    Tensor b = leaf(2);
    Tensor c = a.add(b);
    Tensor d = a.mul(b).add(b.pow(3));
    c = c.add(c.add(1));
    c = c.add(c.add(1).add(a.neg()));
    d = d.add(d.mul(2).add(b.add(a).relu()));
    d = d.add(d.mul(3).add(b.sub(a).relu()));
    Tensor e = c.sub(d);
    Tensor f = e.pow(2);
    Tensor g = f.div(2.0);
    g = g.add(f.pow(-1).mul(10.0));
    assertEquals(24.7041, g.item(), 5e-5);
    g.backward();
    assertEquals(138.8338, a.grad().item(), 5e-5);
    assertEquals(645.5773, b.grad().item(), 5e-5);
  }

  @Test
  void cs231nCircuitOfXPlusYTimesZ() {
    // CS231n "Backpropagation, Intuitions": f = (x + y) z at x = -2, y = 5, z = -4 is -12, with
    // df/dx = df/dy = z = -4 and df/dz = x + y = 3.
    Tensor x = leaf(-2);
    Tensor y = leaf(5);
    Tensor z = leaf(-4);
    Tensor f = x.add(y).mul(z);
    assertEquals(-12, f.item());
    f.backward();
    assertEquals(-4, x.grad().item());
    assertEquals(-4, y.grad().item());
    assertEquals(3, z.grad().item());
  }

  @Test
  void cs231nSigmoidNeuron() {
    // CS231n: w = [2, -3, -3], x = [-1, -2], f = sigmoid(w0 x0 + w1 x1 + w2) = 0.73; the gradient
    // on the sum is (1 - f) f = 0.2, so dx = [0.39, -0.59] and dw = [-0.2, -0.39, 0.2].
    Tensor w = Tensor.of(new double[] {2, -3, -3}).requiresGrad();
    Tensor x = Tensor.of(new double[] {-1, -2}).requiresGrad();
    Tensor dot = w.slice(0, 0, 2).mul(x).sum().add(w.slice(0, 2, 3).sum());
    Tensor f = dot.sigmoid();
    assertEquals(0.7310585786300049, f.item(), 1e-12);
    f.backward();
    double s = 0.7310585786300049 * (1 - 0.7310585786300049);
    assertArrayEquals(new double[] {2 * s, -3 * s}, x.grad().toDoubleArray(), 1e-12);
    assertArrayEquals(new double[] {-s, -2 * s, s}, w.grad().toDoubleArray(), 1e-12);
    assertEquals(0.39, x.grad().toDoubleArray()[0], 5e-3);
    assertEquals(-0.2, w.grad().toDoubleArray()[0], 5e-3);
  }

  @Test
  void zeroToHeroTanhNeuron() {
    // "The spelled-out intro to neural networks and backpropagation": o = tanh(x1 w1 + x2 w2 + b)
    // with x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432 gives o = 0.7071, and
    // x1.grad = -1.5, w1.grad = 1, x2.grad = 0.5, w2.grad = 0.
    Tensor x1 = leaf(2);
    Tensor x2 = leaf(0);
    Tensor w1 = leaf(-3);
    Tensor w2 = leaf(1);
    Tensor b = leaf(6.8813735870195432);
    Tensor o = x1.mul(w1).add(x2.mul(w2)).add(b).tanh();
    assertEquals(Math.sqrt(0.5), o.item(), 1e-12);
    o.backward();
    assertEquals(-1.5, x1.grad().item(), 1e-12);
    assertEquals(1.0, w1.grad().item(), 1e-12);
    assertEquals(0.5, x2.grad().item(), 1e-12);
    assertEquals(0.0, w2.grad().item(), 1e-12);
    // The same neuron with tanh spelled out as (e^2n - 1) / (e^2n + 1) gives the same gradients.
    Tensor y1 = leaf(2);
    Tensor v1 = leaf(-3);
    Tensor n = y1.mul(v1).add(leaf(0).mul(leaf(1))).add(leaf(6.8813735870195432));
    Tensor e = n.mul(2).exp();
    Tensor o2 = e.sub(1).div(e.add(1));
    assertEquals(Math.sqrt(0.5), o2.item(), 1e-12);
    o2.backward();
    assertEquals(-1.5, y1.grad().item(), 1e-12);
    assertEquals(1.0, v1.grad().item(), 1e-12);
  }
}
