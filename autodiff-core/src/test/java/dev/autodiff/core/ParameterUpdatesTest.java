package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ParameterUpdatesTest {

  /**
   * Adam written as tensor ops, in the order the fused kernel promises to follow; with AMSGrad
   * when {@code vMax} (the running maxima of v) is not null.
   */
  private static void composedAdam(Tensor p, Tensor g, Tensor m, Tensor v, Tensor vMax,
      AdamStep s) {
    if (s.decoupled()) {
      p.copyFrom(p.mul(1 - s.lr() * s.weightDecay()));
    } else if (s.weightDecay() != 0) {
      g = g.add(p.mul(s.weightDecay()));
    }
    m.copyFrom(m.mul(s.beta1()).add(g.mul(1 - s.beta1())));
    v.copyFrom(v.mul(s.beta2()).add(g.mul(1 - s.beta2()).mul(g)));
    Tensor second = v;
    if (vMax != null) {
      vMax.copyFrom(Tensor.where(vMax.gt(v), vMax, v));
      second = vMax;
    }
    Tensor denom = second.sqrt().div(Math.sqrt(s.biasCorrection2())).add(s.eps());
    p.copyFrom(p.add(m.div(denom).mul(-s.lr() / s.biasCorrection1())));
  }

  @Test
  void fusedAdamEqualsTheComposedUpdateBitForBitInFloat32AndFloat64() {
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      for (boolean decoupled : new boolean[] {false, true}) {
        Tensor p1 = Tensor.randn(1, 70_000).to(dt);
        Tensor p2 = p1.mul(1);
        Tensor m1 = p1.zerosLike();
        Tensor v1 = p1.zerosLike();
        Tensor m2 = p1.zerosLike();
        Tensor v2 = p1.zerosLike();
        for (int t = 1; t <= 3; t++) {
          Tensor g = Tensor.randn(10 + t, 70_000).to(dt);
          AdamStep s = new AdamStep(1e-2, 0.9, 0.999, 1e-8, 0.01, decoupled, t);
          ParameterUpdates.adam(p1, g, m1, v1, s);
          composedAdam(p2, g, m2, v2, null, s);
        }
        assertArrayEquals(p2.toDoubleArray(), p1.toDoubleArray(), 0, dt + " " + decoupled);
        assertArrayEquals(v2.toDoubleArray(), v1.toDoubleArray(), 0);
      }
    }
  }

  @Test
  void fusedAmsgradEqualsTheComposedUpdateBitForBit() {
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      Tensor p1 = Tensor.randn(5, 30_000).to(dt);
      Tensor p2 = p1.mul(1);
      Tensor m1 = p1.zerosLike();
      Tensor v1 = p1.zerosLike();
      Tensor max1 = p1.zerosLike();
      Tensor m2 = p1.zerosLike();
      Tensor v2 = p1.zerosLike();
      Tensor max2 = p1.zerosLike();
      for (int t = 1; t <= 4; t++) {
        // gradients that shrink, so that the running maxima and v part ways
        Tensor g = Tensor.randn(40 + t, 30_000).mul(1.0 / t).to(dt);
        AdamStep s = new AdamStep(1e-2, 0.9, 0.5, 1e-8, 0.01, false, t);
        ParameterUpdates.amsgrad(p1, g, m1, v1, max1, s);
        composedAdam(p2, g, m2, v2, max2, s);
      }
      assertArrayEquals(p2.toDoubleArray(), p1.toDoubleArray(), 0, dt.toString());
      assertArrayEquals(max2.toDoubleArray(), max1.toDoubleArray(), 0);
      assertTrue(max1.sub(v1).max().item() > 0, "some maxima must differ from v");
    }
  }

  @Test
  void fusedSgdEqualsTheComposedUpdateBitForBit() {
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      for (boolean nesterov : new boolean[] {false, true}) {
        Tensor p1 = Tensor.randn(2, 50_000).to(dt);
        Tensor p2 = p1.mul(1);
        Tensor b1 = p1.zerosLike();
        Tensor b2 = p1.zerosLike();
        for (int t = 1; t <= 3; t++) {
          Tensor g = Tensor.randn(20 + t, 50_000).to(dt);
          SgdStep s = new SgdStep(0.05, 0.9, 0.1, 1e-3, nesterov, t == 1);
          ParameterUpdates.sgd(p1, g, b1, s);
          Tensor gd = g.add(p2.mul(s.weightDecay()));
          b2.copyFrom(t == 1 ? gd : b2.mul(s.momentum()).add(gd.mul(1 - s.dampening())));
          Tensor step = nesterov ? gd.add(b2.mul(s.momentum())) : b2;
          p2.copyFrom(p2.add(step.mul(-s.lr())));
        }
        assertArrayEquals(p2.toDoubleArray(), p1.toDoubleArray(), 0, dt + " " + nesterov);
        assertArrayEquals(b2.toDoubleArray(), b1.toDoubleArray(), 0);
      }
    }
    Tensor p = Tensor.of(new double[] {1, 2});
    ParameterUpdates.sgd(p, Tensor.of(new double[] {10, 20}), null,
        new SgdStep(0.1, 0, 0, 0, false, true));
    assertArrayEquals(new double[] {0, 0}, p.toDoubleArray(), 1e-15);
  }

  @Test
  void fusedRmspropAndAdagradEqualTheComposedUpdatesBitForBit() {
    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      for (int variant = 0; variant < 3; variant++) { // centered+momentum, plain, AdaGrad
        boolean adagrad = variant == 2;
        boolean centered = variant == 0;
        double mu = variant == 0 ? 0.9 : 0;
        Tensor p1 = Tensor.randn(3, 40_000).to(dt);
        Tensor p2 = p1.mul(1);
        Tensor v1 = p1.zerosLike();
        Tensor v2 = p1.zerosLike();
        Tensor a1 = p1.zerosLike();
        Tensor a2 = p1.zerosLike();
        Tensor b1 = p1.zerosLike();
        Tensor b2 = p1.zerosLike();
        for (int t = 1; t <= 3; t++) {
          Tensor g = Tensor.randn(30 + t, 40_000).to(dt);
          RmspropStep s = new RmspropStep(0.01, adagrad ? 0 : 0.99, 1e-8, 1e-3, mu, centered,
              adagrad);
          ParameterUpdates.rmsprop(p1, g, v1, centered ? a1 : null, mu != 0 ? b1 : null, s);
          Tensor gd = g.add(p2.mul(s.weightDecay()));
          v2.copyFrom(adagrad ? v2.add(gd.mul(gd))
              : v2.mul(s.alpha()).add(gd.mul(1 - s.alpha()).mul(gd)));
          Tensor avg;
          if (centered) {
            a2.copyFrom(a2.mul(s.alpha()).add(gd.mul(1 - s.alpha())));
            avg = v2.sub(a2.mul(a2)).sqrt().add(s.eps());
          } else {
            avg = v2.sqrt().add(s.eps());
          }
          if (mu != 0) {
            b2.copyFrom(b2.mul(mu).add(gd.div(avg)));
            p2.copyFrom(p2.add(b2.mul(-s.lr())));
          } else {
            p2.copyFrom(p2.add(gd.div(avg).mul(-s.lr())));
          }
        }
        assertArrayEquals(p2.toDoubleArray(), p1.toDoubleArray(), 0, dt + " variant " + variant);
        assertArrayEquals(v2.toDoubleArray(), v1.toDoubleArray(), 0);
      }
    }
  }

  @Test
  void mismatchedStateIsRejectedNamingWhatDiffers() {
    Tensor p = Tensor.zeros(3);
    AdamStep s = new AdamStep(1e-3, 0.9, 0.999, 1e-8, 0, false, 1);
    assertThrows(IllegalArgumentException.class,
        () -> ParameterUpdates.adam(p, Tensor.zeros(4), p.zerosLike(), p.zerosLike(), s));
    assertThrows(IllegalArgumentException.class, () -> ParameterUpdates.adam(p, p.zerosLike(),
        Tensor.zeros(DType.FLOAT64, 3), p.zerosLike(), s));
    Tensor q = Tensor.zeros(3).requiresGrad();
    assertThrows(IllegalStateException.class, () -> ParameterUpdates.adam(q.mul(1), q.zerosLike(),
        q.zerosLike(), q.zerosLike(), s));
  }
}
