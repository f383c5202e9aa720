package dev.autodiff.cuda;

import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import jcuda.jcudnn.JCudnn;

/**
 * Chooses, once per process, who computes the CUDA backend's softmax and log-softmax along the last
 * axis, forward and backward: cuDNN ({@code libcudnn.so.9}, through JCudnn) where it loads, else
 * our own kernels; one log line (logger {@code dev.autodiff}, INFO) says which and why. No
 * exception from a failed load reaches the user. (Activations stay on our kernels; see {@link
 * DnnProvider}.)
 *
 * <ul>
 *   <li>{@code -Dautodiff.cuda.dnn=auto} (the default): cuDNN where it loads, else the kernels.
 *   <li>{@code -Dautodiff.cuda.dnn=kernel}: our kernels; cuDNN is not even loaded.
 *   <li>{@code -Dautodiff.cuda.dnn=cudnn}: cuDNN or nothing: where it cannot be used, those ops
 *       throw an {@link IllegalStateException} saying why.
 * </ul>
 *
 * <p>Before cuDNN runs on a device, a few small cases with known answers check it there; a device
 * where that fails keeps the kernels, with a WARNING line.
 */
public final class DnnProviders {
  /** {@code -Dautodiff.cuda.dnn=auto|kernel|cudnn}. */
  public static final String PROPERTY = "autodiff.cuda.dnn";
  static final String KERNEL = "kernels (ours)";

  private static final System.Logger LOG = System.getLogger("dev.autodiff");

  private DnnProviders() {}

  /**
   * The choice: {@code cudnn} when cuDNN is to be used; {@code failure} set when the user forced
   * cuDNN and it cannot be used.
   */
  record Selection(boolean cudnn, String description, String failure, boolean forced) {}

  /**
   * The choice, apart from the global state so that tests can drive it.
   *
   * @param setting the value of {@code -Dautodiff.cuda.dnn} (null: unset)
   * @param probe loads cuDNN: null when it works, else why not; not called for {@code kernel}
   */
  static Selection select(String setting, Supplier<String> probe) {
    String value = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
    if (value.equals("kernel")) {
      return new Selection(false, KERNEL + "; cuDNN not tried (-D" + PROPERTY + "=kernel)", null,
          false);
    }
    boolean forced = value.equals("cudnn");
    String note = value.isEmpty() || value.equals("auto") || forced ? ""
        : " (ignored unknown -D" + PROPERTY + "=" + setting.trim() + "; use auto, kernel or"
            + " cudnn)";
    String why = probe.get();
    if (why == null) {
      return new Selection(true, "cuDNN" + (forced ? " (-D" + PROPERTY + "=cudnn)" : "") + note,
          null, forced);
    }
    String description = KERNEL + "; cuDNN unavailable: " + why + note;
    return new Selection(false, description, forced
        ? "-D" + PROPERTY + "=cudnn, but cuDNN cannot be used: " + why : null, forced);
  }

  /** Loads JCudnn's native library and asks cuDNN its version: null when that works. */
  static String probeCudnn() {
    try {
      JCudnn.setExceptionsEnabled(false);
      long v = JCudnn.cudnnGetVersion();
      return v > 0 ? null : "cudnnGetVersion returned " + v;
    } catch (LinkageError e) {
      return "JCudnn's native library did not load, which needs libcudnn.so.9 on the library path"
          + " (" + CudaDriver.rootCause(e) + ")";
    } catch (RuntimeException e) {
      return e.toString();
    }
  }

  private static final class Selected {
    static final Selection SELECTION = choose();

    private static Selection choose() {
      Selection s = select(System.getProperty(PROPERTY), DnnProviders::probeCudnn);
      LOG.log(System.Logger.Level.INFO, "autodiff CUDA softmax: " + s.description());
      return s;
    }
  }

  /** Per device: the provider, or the reason it is not used there. */
  private static final Map<Device, Object> DEVICES = new ConcurrentHashMap<>();

  /** Which provider computes softmax, and why. Never throws. */
  public static String description() {
    StringBuilder s = new StringBuilder(Selected.SELECTION.description());
    DEVICES.forEach((d, v) -> {
      if (v instanceof String) {
        s.append("; ").append(d).append(": ").append(v);
      }
    });
    return s.toString();
  }

  /**
   * The provider for context {@code c} (made and self-tested on first use, with {@code c}
   * current), or null for our kernels.
   *
   * @throws IllegalStateException only under {@code -Dautodiff.cuda.dnn=cudnn} when cuDNN
   *     cannot be used
   */
  static DnnProvider forContext(CudaContext c) {
    Selection s = Selected.SELECTION;
    if (s.failure() != null) {
      throw new IllegalStateException(s.failure());
    }
    if (!s.cudnn()) {
      return null;
    }
    Object v = DEVICES.computeIfAbsent(c.device(), d -> ready(c));
    if (v instanceof String && s.forced()) {
      throw new IllegalStateException("-D" + PROPERTY + "=cudnn, but on " + c.device() + ": " + v);
    }
    return v instanceof DnnProvider ? (DnnProvider) v : null;
  }

  private static Object ready(CudaContext c) {
    try {
      CudnnDnn dnn = new CudnnDnn(c);
      String wrong = selfTest(c, dnn);
      if (wrong == null) {
        LOG.log(System.Logger.Level.INFO, c.device() + ": softmax by " + dnn.name());
        return dnn;
      }
      LOG.log(System.Logger.Level.WARNING, c.device() + ": cuDNN failed its self-test (" + wrong
          + "); using our kernels");
      return "cuDNN failed its self-test: " + wrong;
    } catch (RuntimeException | LinkageError e) {
      LOG.log(System.Logger.Level.WARNING, c.device() + ": cuDNN did not start (" + e
          + "); using our kernels");
      return "cuDNN did not start: " + e;
    }
  }

  /**
   * Null when cuDNN gives the known answers of a few small cases on this device, else what not:
   * softmax and log-softmax, forward and backward (so that every JNI function it uses is bound
   * before a user needs it), in float32 and float64.
   */
  static String selfTest(CudaContext c, DnnProvider dnn) {
    double[] rows = {1, 2, 3, -1, 0, 1000};
    double[] probabilities = new double[6];
    double[] logs = new double[6];
    for (int r = 0; r < 2; r++) {
      double max = Math.max(rows[3 * r], Math.max(rows[3 * r + 1], rows[3 * r + 2]));
      double sum = 0;
      for (int k = 0; k < 3; k++) {
        sum += Math.exp(rows[3 * r + k] - max);
      }
      for (int k = 0; k < 3; k++) {
        logs[3 * r + k] = rows[3 * r + k] - max - Math.log(sum);
        probabilities[3 * r + k] = Math.exp(logs[3 * r + k]);
      }
    }
    double[] ones = {1, 1, 1, 1, 1, 1};
    for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      double tol = t == DType.FLOAT32 ? 1e-6 : 1e-12;
      String bad = compare("softmax " + t, probabilities,
          run(c, t, rows, null, (in, g, out) -> dnn.softmax(false, in, out, 2, 3)), tol);
      if (bad == null) {
        bad = compare("log-softmax " + t, logs,
            run(c, t, rows, null, (in, g, out) -> dnn.softmax(true, in, out, 2, 3)), tol);
      }
      if (bad == null) { // softmax's VJP of ones is zero: each row sums to one
        bad = compare("softmax backward " + t, new double[6], run(c, t, probabilities, ones,
            (y, g, out) -> dnn.softmaxBackward(false, y, g, out, 2, 3)), tol);
      }
      if (bad == null) { // log-softmax's VJP of ones is 1 - 3 p
        double[] want = new double[6];
        for (int i = 0; i < 6; i++) {
          want[i] = 1 - 3 * probabilities[i];
        }
        bad = compare("log-softmax backward " + t, want, run(c, t, logs, ones,
            (y, g, out) -> dnn.softmaxBackward(true, y, g, out, 2, 3)), tol);
      }
      if (bad != null) {
        return bad;
      }
    }
    return null;
  }

  private interface Case {
    boolean run(CudaStorage in, CudaStorage second, CudaStorage out);
  }

  /** Runs a case on the device: values (and a second input, or null) in, the output back. */
  private static double[] run(CudaContext c, DType t, double[] values, double[] second, Case op) {
    CudaStorage in = c.uploadAs(t, values);
    CudaStorage other = second == null ? null : c.uploadAs(t, second);
    CudaStorage out = c.allocate(t, values.length);
    try {
      return op.run(in, other, out) ? c.downloadAsDoubles(out, values.length) : null;
    } finally {
      in.dispose();
      if (other != null) {
        other.dispose();
      }
      out.dispose();
    }
  }

  private static String compare(String what, double[] want, double[] got, double tol) {
    if (got == null) {
      return what + ": not done";
    }
    for (int i = 0; i < want.length; i++) {
      if (!(Math.abs(want[i] - got[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
        return what + ": element " + i + " is " + got[i] + ", want " + want[i];
      }
    }
    return null;
  }
}
