package dev.autodiff.nn;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar for one pass over the data, showing samples done, samples/s, the running loss and
 * accuracy. On a terminal it redraws in place; otherwise (a log, CI) it prints a line about once a
 * second, so logs stay readable. A disabled reporter does nothing.
 */
public final class ProgressReporter implements AutoCloseable {
  private final ProgressBar bar;
  private final long start = System.nanoTime();
  private long done;

  private ProgressReporter(ProgressBar bar) {
    this.bar = bar;
  }

  /**
   * Starts a bar named {@code task} over {@code totalSamples} samples, drawn on {@code out} (the
   * terminal when {@code out} is {@code System.err} or {@code System.out} and one is attached);
   * {@code out == null} gives a silent reporter.
   */
  public static ProgressReporter start(String task, long totalSamples, PrintStream out) {
    if (out == null) {
      return new ProgressReporter(null);
    }
    ProgressBarBuilder b = new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(Math.max(0, totalSamples))
        .setUnit(" samples", 1)
        .setStyle(ProgressBarStyle.ASCII);
    boolean terminal = System.console() != null && (out == System.err || out == System.out);
    if (terminal) {
      b.setUpdateIntervalMillis(200);
    } else {
      // No cursor control: one plain line per update, at a log-friendly rate.
      b.setUpdateIntervalMillis(1000).setConsumer(new DelegatingProgressBarConsumer(out::println,
          100));
    }
    return new ProgressReporter(b.build());
  }

  /** Records {@code samples} more samples done, with the running loss and accuracy. */
  public void step(long samples, double loss, double accuracy) {
    if (bar == null) {
      return;
    }
    done += samples;
    double seconds = (System.nanoTime() - start) / 1e9;
    String speed = seconds > 0 ? String.format(Locale.ROOT, " %.0f samples/s", done / seconds) : "";
    bar.setExtraMessage(Double.isNaN(accuracy)
        ? String.format(Locale.ROOT, " loss %.4f%s", loss, speed)
        : String.format(Locale.ROOT, " loss %.4f acc %.4f%s", loss, accuracy, speed));
    bar.stepBy(samples);
  }

  /** Draws the final state and stops the bar. */
  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
