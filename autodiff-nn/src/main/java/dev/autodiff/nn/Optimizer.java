package dev.autodiff.nn;

import dev.autodiff.core.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Updates a fixed list of parameters from their gradients. Every optimizer ({@link SGD}, {@link
 * AdaGrad}, {@link RMSprop}, {@link Adam}, {@link AdamW}) computes exactly the update of its
 * namesake in {@code torch.optim}, so hyperparameters and results carry over from PyTorch.
 *
 * <pre>
 * jshell&gt; Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
 * jshell&gt; Optimizer opt = new SGD(List.of(w), 0.1).momentum(0.9);
 * jshell&gt; opt.zeroGrad(); w.mul(w).sum().backward(); opt.step(); w
 * w ==&gt; tensor([0.8, 1.6], shape=[2], dtype=float64, requiresGrad=true)
 * </pre>
 *
 * <p>A training step may run inside a {@link dev.autodiff.core.Tensors#scope()}: {@link #step()}
 * updates the parameters in place ({@link Tensor#copyFrom(Tensor)}, unrecorded), frees its own
 * temporaries, and keeps its state in tensors it allocated when it was built (and configured), so
 * parameters, gradients and state all survive the step's scope. Build the optimizer where the
 * parameters live, not inside the step's scope: its state lives as long as the scope, if any, in
 * which it was built.
 */
public interface Optimizer {
  /**
   * Resets every parameter's gradient to zeros (see {@link Tensor#zeroGrad()}); until a backward
   * reaches a parameter again, {@link #step()} leaves it alone.
   */
  void zeroGrad();

  /**
   * Applies one update to every parameter that has a gradient ({@link Tensor#hasGrad()}: a
   * backward reached it since the last {@code zeroGrad()}). The others are skipped and their
   * state (and step count) is left as it is, as PyTorch's optimizers skip parameters whose
   * gradient {@code zero_grad()} set to None: a parameter unused in a step is not moved by
   * momentum or weight decay.
   */
  void step();

  /** The learning rate the next {@link #step()} uses. */
  double learningRate();

  /**
   * Sets the learning rate for the following steps (what a {@link Schedule} calls).
   *
   * @throws IllegalArgumentException if {@code lr} is negative, NaN or infinite
   */
  void setLearningRate(double lr);

  /** The parameters this optimizer updates, in the order given (an unmodifiable list). */
  List<Tensor> parameters();

  /**
   * The per-parameter state, as an unmodifiable ordered map. Keys are {@code "<index>.<name>"}
   * with the parameter's index in {@link #parameters()} and the name torch.optim uses in its
   * {@code state_dict}: {@code "0.step"} is a {@link Long} (the number of steps that updated that
   * parameter), and the buffers are tensors of the parameter's shape: {@code momentum_buffer}
   * (SGD with momentum, RMSprop with momentum), {@code exp_avg} and {@code exp_avg_sq} (Adam,
   * AdamW), {@code square_avg} and {@code grad_avg} (RMSprop, the latter when centered), {@code
   * sum} (AdaGrad). A parameter appears once a step has updated it. The tensors are the
   * optimizer's own live buffers: read or copy them, do not close them.
   */
  Map<String, Object> state();

  /**
   * Replaces the per-parameter state with {@code state}, a map in the form {@link #state()} gives
   * (from an optimizer of the same kind and configuration, over parameters of the same shapes):
   * PyTorch's {@code load_state_dict}, for resuming training. Buffers are copied in, converted to
   * each parameter's dtype and device; a parameter without entries starts afresh, as if no step
   * had updated it. The learning rate is not part of the state.
   *
   * @throws IllegalArgumentException naming the key at fault (an unknown name or index, a missing
   *     buffer, a wrong shape); the state is then left as it was
   * @throws UnsupportedOperationException from an optimizer that cannot restore its state (the
   *     default, for implementations outside this library)
   */
  default void loadState(Map<String, ?> state) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot load state");
  }

  /**
   * Writes the learning rate and {@link #state()} to {@code path} in the safetensors format, as
   * {@code torch.save(optimizer.state_dict())}; with {@link Layer#save} it makes a checkpoint
   * that training resumes from exactly:
   *
   * <pre>{@code
   * model.save(dir.resolve("model.safetensors"));
   * opt.save(dir.resolve("optimizer.safetensors"));
   * // later, in a new process: the same model and optimizer built afresh, then
   * model.load(dir.resolve("model.safetensors"));
   * opt.load(dir.resolve("optimizer.safetensors"));
   * }</pre>
   */
  default void save(Path path) throws IOException {
    OptimizerCheckpoint.save(this, path);
  }

  /**
   * Reads what {@link #save} wrote into this optimizer: its learning rate and state (see {@link
   * #loadState}). The whole file is checked first: a corrupt file throws an {@link IOException},
   * one from another kind of optimizer or other parameters an {@link IllegalArgumentException},
   * and either leaves this optimizer as it was.
   */
  default void load(Path path) throws IOException {
    OptimizerCheckpoint.load(this, path);
  }
}
