package dev.autodiff.nn;

import dev.autodiff.core.Autograd;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A small training loop: runs epochs of mini-batch steps (each inside {@code Tensors.scope()}, so
 * a step's intermediates are freed when it ends), shows a progress bar with loss, accuracy and
 * samples/s, evaluates accuracy, and records the loss of every step and epoch for {@link
 * LossCurve}.
 *
 * <pre>{@code
 * Layer model = MLP.of(784, 256, 10);
 * Trainer t = new Trainer(model, new Adam(model.parameters(), 1e-3), Losses::softmaxCrossEntropy);
 * Trainer.History h = t.fit(new DataLoader(train, 128, new Random(0)),
 *     new DataLoader(test, 1000), 3);
 * LossCurve.save(h, Path.of("loss.png"));
 * }</pre>
 *
 * Accuracy is measured when the model gives logits {@code [B, classes]} for int64 labels {@code
 * [B]} (the argmax is compared with the label); for other outputs it is NaN.
 */
public final class Trainer {
  private final Function<Tensor, Tensor> forward;
  private final Layer layer;
  private final Optimizer optimizer;
  private final BiFunction<Tensor, Tensor, Tensor> loss;
  private PrintStream progress = System.err;
  private PrintStream log = System.out;
  private Consumer<Epoch> onEpoch = e -> { };
  private final List<Double> stepLosses = new ArrayList<>();
  private final List<Epoch> epochs = new ArrayList<>();

  /**
   * One finished epoch.
   *
   * @param epoch the epoch number, from 1
   * @param endStep the number of steps taken so far, this epoch's included
   * @param loss the mean training loss over the epoch's steps (weighted by batch size)
   * @param trainAccuracy the training accuracy measured during the epoch (NaN if not classifying)
   * @param testAccuracy the accuracy on the evaluation data after the epoch (NaN if none)
   * @param samplesPerSecond training throughput
   * @param seconds the wall time of the training pass
   */
  public record Epoch(int epoch, int endStep, double loss, double trainAccuracy,
      double testAccuracy, double samplesPerSecond, double seconds) {
    /** E.g. {@code epoch 2: loss 0.4123, train acc 0.8512, test acc 0.8433, 41234 samples/s}. */
    @Override
    public String toString() {
      StringBuilder sb =
          new StringBuilder(String.format(Locale.ROOT, "epoch %d: loss %.4f", epoch, loss));
      if (!Double.isNaN(trainAccuracy)) {
        sb.append(String.format(Locale.ROOT, ", train acc %.4f", trainAccuracy));
      }
      if (!Double.isNaN(testAccuracy)) {
        sb.append(String.format(Locale.ROOT, ", test acc %.4f", testAccuracy));
      }
      return sb.append(String.format(Locale.ROOT, ", %.0f samples/s, %.1f s", samplesPerSecond,
          seconds)).toString();
    }
  }

  /**
   * What a run recorded.
   *
   * @param stepLosses the loss of every step, in order
   * @param epochs every finished epoch, in order
   */
  public record History(List<Double> stepLosses, List<Epoch> epochs) {
    /** Copies the lists. */
    public History {
      stepLosses = List.copyOf(stepLosses);
      epochs = List.copyOf(epochs);
    }

    /** The last epoch, or null before the first. */
    public Epoch last() {
      return epochs.isEmpty() ? null : epochs.get(epochs.size() - 1);
    }
  }

  /** Trains {@code model}, switching it to training mode for steps and eval mode to evaluate. */
  public Trainer(Layer model, Optimizer optimizer, BiFunction<Tensor, Tensor, Tensor> loss) {
    this(model == null ? null : model::forward, model, optimizer, loss);
  }

  /** Trains any forward function (a model without train/eval modes). */
  public Trainer(Function<Tensor, Tensor> forward, Optimizer optimizer,
      BiFunction<Tensor, Tensor, Tensor> loss) {
    this(forward, null, optimizer, loss);
  }

  private Trainer(Function<Tensor, Tensor> forward, Layer layer, Optimizer optimizer,
      BiFunction<Tensor, Tensor, Tensor> loss) {
    if (forward == null || optimizer == null || loss == null) {
      throw new IllegalArgumentException("trainer: "
          + (forward == null ? "model" : optimizer == null ? "optimizer" : "loss")
          + " must not be null");
    }
    this.forward = forward;
    this.layer = layer;
    this.optimizer = optimizer;
    this.loss = loss;
  }

  /** Where the progress bar goes (default {@code System.err}); null hides it. Returns this. */
  public Trainer progress(PrintStream out) {
    this.progress = out;
    return this;
  }

  /** Where the one-line epoch summaries go (default {@code System.out}); null hides them. */
  public Trainer log(PrintStream out) {
    this.log = out;
    return this;
  }

  /** Called after each epoch of {@link #fit} (e.g. to step a learning-rate schedule). */
  public Trainer onEpoch(Consumer<Epoch> callback) {
    if (callback == null) {
      throw new IllegalArgumentException("trainer: epoch callback must not be null");
    }
    this.onEpoch = callback;
    return this;
  }

  /**
   * Trains for {@code epochs} passes over {@code train}, evaluating on {@code test} (may be null)
   * after each; returns everything recorded so far (this trainer's earlier runs included).
   */
  public History fit(DataLoader train, DataLoader test, int epochs) {
    if (train == null) {
      throw new IllegalArgumentException("trainer fit: training data must not be null");
    }
    if (epochs < 0) {
      throw new IllegalArgumentException("trainer fit: epochs must be non-negative, got "
          + epochs);
    }
    for (int e = 0; e < epochs; e++) {
      Epoch done = trainEpoch(train, test, e + 1, epochs);
      if (log != null) {
        log.println(done);
      }
      onEpoch.accept(done);
    }
    return history();
  }

  /** One pass over {@code train}; returns its summary (no test accuracy). */
  public Epoch trainEpoch(DataLoader train) {
    if (train == null) {
      throw new IllegalArgumentException("trainer: training data must not be null");
    }
    return trainEpoch(train, null, epochs.size() + 1, 0);
  }

  private Epoch trainEpoch(DataLoader train, DataLoader test, int number, int total) {
    if (layer != null) {
      layer.train();
    }
    String task = total > 0 ? "epoch " + number + "/" + total : "epoch " + number;
    double lossSum = 0;
    long seen = 0;
    long correct = 0;
    long counted = 0; // samples with a class label (negative ones are ignore markers)
    boolean classifying = true;
    long start = System.nanoTime();
    try (ProgressReporter bar = ProgressReporter.start(task, train.numSamples(), progress)) {
      Iterator<Batch> it = train.iterator();
      while (it.hasNext()) {
        try (var step = Tensors.scope()) {
          Batch b = it.next();
          optimizer.zeroGrad();
          Tensor logits = returned(forward.apply(b.x()), "the model's forward");
          Tensor l = returned(loss.apply(logits, b.y()), "the loss function");
          l.backward();
          optimizer.step();
          double value = l.item();
          int n = b.size();
          stepLosses.add(value);
          lossSum += value * n;
          seen += n;
          Hits h = hits(logits, b.y());
          classifying &= h != null;
          if (h != null) {
            correct += h.correct;
            counted += h.counted;
          }
          bar.step(n, lossSum / seen, classifying && counted > 0 ? (double) correct / counted
              : Double.NaN);
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double testAccuracy = test == null ? Double.NaN : evaluate(test);
    Epoch e = new Epoch(number, stepLosses.size(), seen == 0 ? Double.NaN : lossSum / seen,
        classifying && counted > 0 ? (double) correct / counted : Double.NaN, testAccuracy,
        seconds > 0 ? seen / seconds : 0, seconds);
    epochs.add(e);
    return e;
  }

  /**
   * The fraction of samples in {@code data} whose argmax logit equals the label, computed without
   * gradients and in eval mode (the model's previous mode is restored); samples with a negative
   * label (an ignore marker such as -100) are not counted; NaN for no counted samples.
   */
  public double evaluate(DataLoader data) {
    if (data == null) {
      throw new IllegalArgumentException("trainer evaluate: data must not be null");
    }
    boolean wasTraining = layer != null && layer.isTraining();
    if (layer != null) {
      layer.eval();
    }
    long correct = 0;
    long counted = 0;
    try (var g = Autograd.noGrad()) {
      Iterator<Batch> it = data.iterator();
      while (it.hasNext()) {
        try (var step = Tensors.scope()) {
          Batch b = it.next();
          Tensor logits = returned(forward.apply(b.x()), "the model's forward");
          Hits h = hits(logits, b.y());
          if (h == null) {
            throw new IllegalArgumentException("trainer evaluate: accuracy needs logits [B, "
                + "classes] and int64 labels [B], got " + logits.shape() + " and "
                + b.y().shape());
          }
          correct += h.correct;
          counted += h.counted;
        }
      }
    } finally {
      if (wasTraining) {
        layer.train();
      }
    }
    return counted == 0 ? Double.NaN : (double) correct / counted;
  }

  /** Correct predictions among the samples with a class label (not a negative marker). */
  private record Hits(long correct, long counted) {}

  /** A batch's hits, or null when the output is not [B, classes] logits with int64 labels. */
  private static Hits hits(Tensor logits, Tensor labels) {
    if (logits.rank() != 2 || labels.rank() != 1 || labels.dtype().isFloating()
        || logits.size(0) != labels.size(0)) {
      return null;
    }
    long[] pred;
    try (var g = Autograd.noGrad()) {
      pred = logits.argmax(1).toLongArray();
    }
    long[] y = labels.toLongArray();
    long c = 0;
    long n = 0;
    for (int i = 0; i < y.length; i++) {
      if (y[i] >= 0) {
        n++;
        c += pred[i] == y[i] ? 1 : 0;
      }
    }
    return new Hits(c, n);
  }

  /** Everything recorded so far. */
  public History history() {
    return new History(stepLosses, epochs);
  }

  /** The loss of every step so far (read-only). */
  public List<Double> stepLosses() {
    return Collections.unmodifiableList(stepLosses);
  }

  /** {@code t}, or an IllegalStateException saying that the user's {@code what} gave null. */
  private static Tensor returned(Tensor t, String what) {
    if (t == null) {
      throw new IllegalStateException("trainer: " + what + " returned null");
    }
    return t;
  }
}
