package dev.autodiff.nn;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Saves a training loss curve as a PNG (with XChart, headless: no display needed): the loss of
 * every step, and the mean loss of each epoch at the step where the epoch ended.
 */
public final class LossCurve {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private LossCurve() {}

  /** Saves the step losses and epoch means of {@code history} to {@code path} (a PNG). */
  public static void save(Trainer.History history, Path path) throws IOException {
    if (history == null) {
      throw new IllegalArgumentException("loss curve: history must not be null");
    }
    List<Double> epochSteps = new ArrayList<>();
    List<Double> epochLoss = new ArrayList<>();
    for (Trainer.Epoch e : history.epochs()) {
      epochSteps.add((double) e.endStep());
      epochLoss.add(e.loss());
    }
    save(history.stepLosses(), epochSteps, epochLoss, path);
  }

  /** Saves a plain curve of {@code stepLosses} (one per step) to {@code path} (a PNG). */
  public static void save(List<Double> stepLosses, Path path) throws IOException {
    save(stepLosses, List.of(), List.of(), path);
  }

  private static void save(List<Double> stepLosses, List<Double> epochSteps,
      List<Double> epochLoss, Path path) throws IOException {
    if (stepLosses == null || stepLosses.isEmpty()) {
      throw new IllegalArgumentException("loss curve: no losses to plot");
    }
    if (path == null) {
      throw new IllegalArgumentException("loss curve: path must not be null");
    }
    List<Double> steps = new ArrayList<>(stepLosses.size());
    List<Double> losses = new ArrayList<>(stepLosses.size());
    for (int i = 0; i < stepLosses.size(); i++) {
      double l = stepLosses.get(i);
      if (Double.isFinite(l)) { // a diverged step would flatten the whole plot
        steps.add((double) (i + 1));
        losses.add(l);
      }
    }
    if (losses.isEmpty()) {
      throw new IllegalArgumentException("loss curve: every loss is NaN or infinite");
    }
    XYChart chart = new XYChartBuilder().width(800).height(500).title("Training loss")
        .xAxisTitle("step").yAxisTitle("loss").build();
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setMarkerSize(6);
    XYSeries s = chart.addSeries("step loss", steps, losses);
    s.setMarker(SeriesMarkers.NONE);
    s.setLineColor(new Color(70, 130, 180));
    s.setLineStyle(new BasicStroke(1f));
    if (!epochSteps.isEmpty()) {
      XYSeries e = chart.addSeries("epoch mean", epochSteps, epochLoss);
      e.setMarker(SeriesMarkers.CIRCLE);
      e.setLineColor(new Color(220, 80, 40));
      e.setMarkerColor(new Color(220, 80, 40));
    }
    Path target = path.toAbsolutePath();
    Path tmp = Safetensors.temporarySibling(target);
    try {
      try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
