package dev.autodiff.core.cpu;

import dev.autodiff.core.AdamStep;
import dev.autodiff.core.RmspropStep;
import dev.autodiff.core.SgdStep;

/**
 * Fused optimizer updates over [from, to), in torch.optim's order of operations and the array's
 * own precision at every step, so the result equals the same update written as tensor ops.
 * Squared gradients are added as torch's {@code addcmul(g, g, value=c)} does, {@code (c * g) * g}:
 * {@code g * g} first would overflow for |g| above the root of the largest value, where torch's
 * order still gives a finite average.
 */
final class OptimizerKernels {
  private OptimizerKernels() {}

  static void adam(float[] p, float[] g, float[] m, float[] v, float[] vMax, AdamStep s,
      int from, int to) {
    float b1 = (float) s.beta1();
    float b2 = (float) s.beta2();
    float c1 = (float) (1 - s.beta1());
    float c2 = (float) (1 - s.beta2());
    float wd = (float) s.weightDecay();
    float decay = (float) (1 - s.lr() * s.weightDecay());
    float sqrtBc2 = (float) Math.sqrt(s.biasCorrection2());
    float eps = (float) s.eps();
    float negStep = (float) -(s.lr() / s.biasCorrection1());
    boolean decoupled = s.decoupled() && wd != 0;
    boolean l2 = !s.decoupled() && wd != 0;
    for (int i = from; i < to; i++) {
      float pi = decoupled ? p[i] * decay : p[i];
      float gi = l2 ? g[i] + pi * wd : g[i];
      float mi = m[i] * b1 + gi * c1;
      float vi = v[i] * b2 + (c2 * gi) * gi;
      m[i] = mi;
      v[i] = vi;
      if (vMax != null) {
        vi = Math.max(vMax[i], vi); // AMSGrad: the largest v so far divides the step
        vMax[i] = vi;
      }
      float denom = (float) Math.sqrt(vi) / sqrtBc2 + eps;
      p[i] = pi + (mi / denom) * negStep;
    }
  }

  static void adam(double[] p, double[] g, double[] m, double[] v, double[] vMax, AdamStep s,
      int from, int to) {
    double b1 = s.beta1();
    double b2 = s.beta2();
    double c1 = 1 - s.beta1();
    double c2 = 1 - s.beta2();
    double wd = s.weightDecay();
    double decay = 1 - s.lr() * s.weightDecay();
    double sqrtBc2 = Math.sqrt(s.biasCorrection2());
    double eps = s.eps();
    double negStep = -(s.lr() / s.biasCorrection1());
    boolean decoupled = s.decoupled() && wd != 0;
    boolean l2 = !s.decoupled() && wd != 0;
    for (int i = from; i < to; i++) {
      double pi = decoupled ? p[i] * decay : p[i];
      double gi = l2 ? g[i] + pi * wd : g[i];
      double mi = m[i] * b1 + gi * c1;
      double vi = v[i] * b2 + (c2 * gi) * gi;
      m[i] = mi;
      v[i] = vi;
      if (vMax != null) {
        vi = Math.max(vMax[i], vi);
        vMax[i] = vi;
      }
      double denom = Math.sqrt(vi) / sqrtBc2 + eps;
      p[i] = pi + (mi / denom) * negStep;
    }
  }

  static void sgd(float[] p, float[] g, float[] b, SgdStep s, int from, int to) {
    float wd = (float) s.weightDecay();
    float mu = (float) s.momentum();
    float keep = (float) (1 - s.dampening());
    float negLr = (float) -s.lr();
    boolean decay = wd != 0;
    boolean momentum = b != null && s.momentum() != 0;
    for (int i = from; i < to; i++) {
      float gi = decay ? g[i] + p[i] * wd : g[i];
      if (momentum) {
        float bi = s.firstStep() ? gi : b[i] * mu + gi * keep;
        b[i] = bi;
        gi = s.nesterov() ? gi + bi * mu : bi;
      }
      p[i] = p[i] + gi * negLr;
    }
  }

  static void sgd(double[] p, double[] g, double[] b, SgdStep s, int from, int to) {
    double wd = s.weightDecay();
    double mu = s.momentum();
    double keep = 1 - s.dampening();
    double negLr = -s.lr();
    boolean decay = wd != 0;
    boolean momentum = b != null && s.momentum() != 0;
    for (int i = from; i < to; i++) {
      double gi = decay ? g[i] + p[i] * wd : g[i];
      if (momentum) {
        double bi = s.firstStep() ? gi : b[i] * mu + gi * keep;
        b[i] = bi;
        gi = s.nesterov() ? gi + bi * mu : bi;
      }
      p[i] = p[i] + gi * negLr;
    }
  }

  static void rmsprop(float[] p, float[] g, float[] v, float[] a, float[] b, RmspropStep s,
      int from, int to) {
    float wd = (float) s.weightDecay();
    float alpha = (float) s.alpha();
    float keep = (float) (1 - s.alpha());
    float eps = (float) s.eps();
    float mu = (float) s.momentum();
    float negLr = (float) -s.lr();
    boolean decay = wd != 0;
    for (int i = from; i < to; i++) {
      float gi = decay ? g[i] + p[i] * wd : g[i];
      float vi = s.accumulate() ? v[i] + gi * gi : v[i] * alpha + (keep * gi) * gi;
      v[i] = vi;
      float d;
      if (a != null) {
        float ai = a[i] * alpha + gi * keep;
        a[i] = ai;
        d = (float) Math.sqrt(vi - ai * ai) + eps;
      } else {
        d = (float) Math.sqrt(vi) + eps;
      }
      if (b != null) {
        float bi = b[i] * mu + gi / d;
        b[i] = bi;
        p[i] = p[i] + bi * negLr;
      } else {
        p[i] = p[i] + (gi / d) * negLr;
      }
    }
  }

  static void rmsprop(double[] p, double[] g, double[] v, double[] a, double[] b, RmspropStep s,
      int from, int to) {
    double wd = s.weightDecay();
    double alpha = s.alpha();
    double keep = 1 - s.alpha();
    double eps = s.eps();
    double mu = s.momentum();
    double negLr = -s.lr();
    boolean decay = wd != 0;
    for (int i = from; i < to; i++) {
      double gi = decay ? g[i] + p[i] * wd : g[i];
      double vi = s.accumulate() ? v[i] + gi * gi : v[i] * alpha + (keep * gi) * gi;
      v[i] = vi;
      double d;
      if (a != null) {
        double ai = a[i] * alpha + gi * keep;
        a[i] = ai;
        d = Math.sqrt(vi - ai * ai) + eps;
      } else {
        d = Math.sqrt(vi) + eps;
      }
      if (b != null) {
        double bi = b[i] * mu + gi / d;
        b[i] = bi;
        p[i] = p[i] + bi * negLr;
      } else {
        p[i] = p[i] + (gi / d) * negLr;
      }
    }
  }
}
