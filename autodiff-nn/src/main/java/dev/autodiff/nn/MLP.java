package dev.autodiff.nn;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A multilayer perceptron: Linear layers of the given sizes with an activation between them (none
 * after the last).
 *
 * <pre>{@code
 * Layer model = MLP.of(784, 256, 256, 10);          // ReLU between layers
 * Layer tanhNet = MLP.of(Tanh::new, 2, 16, 16, 2);
 * }</pre>
 */
public final class MLP extends Sequential {
  private final int[] sizes;

  private MLP(int[] sizes, Supplier<? extends Layer> activation, Random rnd) {
    if (activation == null || rnd == null) {
      throw new IllegalArgumentException("MLP: activation and random must not be null");
    }
    if (sizes == null || sizes.length < 2) {
      throw new IllegalArgumentException(
          "MLP: needs at least an input and an output size, got " + Arrays.toString(sizes));
    }
    this.sizes = sizes.clone();
    for (int i = 0; i + 1 < sizes.length; i++) {
      add(new Linear(sizes[i], sizes[i + 1], rnd));
      if (i + 2 < sizes.length) {
        add(activation.get());
      }
    }
  }

  /** An MLP with ReLU between layers, initialized from the default generator. */
  public static MLP of(int... sizes) {
    return new MLP(sizes, ReLU::new, Init.defaultRandom());
  }

  /** An MLP with the given activation between layers. */
  public static MLP of(Supplier<? extends Layer> activation, int... sizes) {
    return new MLP(sizes, activation, Init.defaultRandom());
  }

  /** An MLP with the given activation, initialized from {@code rnd}. */
  public static MLP of(Random rnd, Supplier<? extends Layer> activation, int... sizes) {
    return new MLP(sizes, activation, rnd);
  }

  @Override
  protected String describe() {
    return "MLP(" + Arrays.stream(sizes).mapToObj(Integer::toString)
        .collect(Collectors.joining(" -> ")) + ")";
  }
}
