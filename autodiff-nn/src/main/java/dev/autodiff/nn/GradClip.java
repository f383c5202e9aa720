package dev.autodiff.nn;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient clipping between {@code backward()} and {@code step()}: by total norm, as {@code
 * torch.nn.utils.clip_grad_norm_}, and by value, as {@code clip_grad_value_}.
 *
 * <pre>
 * jshell&gt; loss.backward();
 * jshell&gt; double norm = GradClip.clipGradNorm(model.parameters(), 1.0);   // the norm before clipping
 * jshell&gt; opt.step();
 * </pre>
 *
 * <p>Parameters without a gradient ({@link Tensor#hasGrad()} false: none since {@code
 * zeroGrad()}) are skipped. A clipped gradient replaces the old one as the parameter's own tensor
 * (a later {@code backward()} adds to it, as in PyTorch); tensors that shared storage with the old
 * gradient are left untouched.
 */
public final class GradClip {
  private GradClip() {}

  /**
   * Scales all gradients by one factor so that their total L2 norm (the norm of all gradients
   * concatenated into one vector) is at most {@code maxNorm}, and returns the total norm before
   * clipping. As in PyTorch the factor is {@code maxNorm / (norm + 1e-6)} when that is below 1, and
   * a NaN or infinite norm is not an error (the gradients then become NaN or zeros).
   *
   * @throws IllegalArgumentException if {@code params} or one of them is null, or {@code maxNorm}
   *     is negative or NaN
   */
  public static double clipGradNorm(List<Tensor> params, double maxNorm) {
    return clipGradNorm(params, maxNorm, 2.0);
  }

  /**
   * As {@link #clipGradNorm(List, double)} with the p-norm {@code normType} (any p > 0, or {@code
   * Double.POSITIVE_INFINITY} for the largest absolute value).
   *
   * @throws IllegalArgumentException also if {@code normType} is not above 0
   */
  public static double clipGradNorm(List<Tensor> params, double maxNorm, double normType) {
    return clipGradNorm(params, maxNorm, normType, false);
  }

  /**
   * As {@link #clipGradNorm(List, double, double)}; with {@code errorIfNonfinite} a NaN or
   * infinite total norm throws instead, leaving the gradients as they are (PyTorch's {@code
   * error_if_nonfinite=True}).
   *
   * @throws IllegalStateException if {@code errorIfNonfinite} and the total norm is not finite
   */
  public static double clipGradNorm(List<Tensor> params, double maxNorm, double normType,
      boolean errorIfNonfinite) {
    checkParams("clipGradNorm", params);
    if (!(maxNorm >= 0)) {
      throw new IllegalArgumentException("clipGradNorm: maxNorm must be >= 0, got " + maxNorm);
    }
    if (!(normType > 0)) {
      throw new IllegalArgumentException(
          "clipGradNorm: normType must be above 0 (or infinity), got " + normType);
    }
    List<Tensor> withGrad = withGrad(params);
    if (withGrad.isEmpty()) {
      return 0.0;
    }
    double total;
    try (var noGrad = Autograd.noGrad(); var scope = Tensors.scope()) {
      total = totalNorm(withGrad, normType);
      if (errorIfNonfinite && !Double.isFinite(total)) {
        throw new IllegalStateException("clipGradNorm: the total norm of order " + normType
            + " of the gradients is " + total + ", so they cannot be clipped; pass "
            + "errorIfNonfinite false to scale them by it anyway");
      }
      double coef = maxNorm / (total + 1e-6);
      if (!(coef >= 1)) { // PyTorch multiplies by min(coef, 1): a NaN coefficient spreads too
        List<Tensor> clipped = new ArrayList<>(withGrad.size());
        for (Tensor p : withGrad) {
          clipped.add(p.grad().mul(coef));
        }
        replaceGrads(withGrad, clipped);
      }
    }
    return total;
  }

  /**
   * Clamps every gradient element into {@code [-clipValue, clipValue]}.
   *
   * @throws IllegalArgumentException if {@code params} or one of them is null, or {@code
   *     clipValue} is negative or NaN
   */
  public static void clipGradValue(List<Tensor> params, double clipValue) {
    checkParams("clipGradValue", params);
    if (!(clipValue >= 0)) {
      throw new IllegalArgumentException(
          "clipGradValue: clipValue must be >= 0, got " + clipValue);
    }
    List<Tensor> withGrad = withGrad(params);
    try (var noGrad = Autograd.noGrad(); var scope = Tensors.scope()) {
      List<Tensor> clipped = new ArrayList<>(withGrad.size());
      for (Tensor p : withGrad) {
        clipped.add(p.grad().clamp(-clipValue, clipValue));
      }
      replaceGrads(withGrad, clipped);
    }
  }

  private static double totalNorm(List<Tensor> withGrad, double normType) {
    double total = 0;
    for (Tensor p : withGrad) {
      Tensor g = p.grad();
      if (g.numel() == 0) {
        continue;
      }
      if (normType == Double.POSITIVE_INFINITY) {
        total = Math.max(total, g.abs().max().item());
      } else if (normType == 2) {
        total += g.mul(g).sum().item();
      } else if (normType == 1) {
        total += g.abs().sum().item();
      } else {
        total += g.abs().pow(normType).sum().item();
      }
    }
    if (normType == Double.POSITIVE_INFINITY || normType == 1) {
      return total;
    }
    return normType == 2 ? Math.sqrt(total) : Math.pow(total, 1 / normType);
  }

  /**
   * Makes each {@code clipped} tensor its parameter's gradient. All were computed before any is
   * replaced, and each becomes the parameter's own: gradients of different leaves may share
   * storage (the two inputs of an add get one cotangent), so overwriting them in place could
   * clip a gradient twice. A backward from the leaf with the new gradient as its seed, after
   * {@code zeroGrad()}, installs it with the usual ownership (and later backwards add to it).
   */
  private static void replaceGrads(List<Tensor> params, List<Tensor> clipped) {
    for (int i = 0; i < params.size(); i++) {
      Tensor p = params.get(i);
      p.zeroGrad();
      p.backward(clipped.get(i));
    }
  }

  private static List<Tensor> withGrad(List<Tensor> params) {
    List<Tensor> withGrad = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      Tensor p = params.get(i);
      if (p.isClosed()) { // checked with the rest before any gradient is replaced
        throw new IllegalStateException("gradient clipping: parameter " + i + " of shape "
            + p.shape() + " was closed");
      }
      if (!p.hasGrad()) {
        continue; // none, or none since zeroGrad()
      }
      Tensor g = p.grad();
      if (g.isClosed()) {
        throw new IllegalStateException("gradient clipping: the gradient of parameter " + i
            + " of shape " + p.shape() + " was closed");
      }
      if (!p.isLeaf() || !p.isRequiresGrad()) {
        throw new IllegalArgumentException("gradient clipping: parameter " + i + " of shape "
            + p.shape() + " is not a leaf that requires gradients");
      }
      withGrad.add(p);
    }
    return withGrad;
  }

  private static void checkParams(String op, List<Tensor> params) {
    if (params == null) {
      throw new IllegalArgumentException(op + ": params must not be null");
    }
    for (int i = 0; i < params.size(); i++) {
      if (params.get(i) == null) {
        throw new IllegalArgumentException(op + ": parameter " + i + " is null");
      }
    }
  }
}
