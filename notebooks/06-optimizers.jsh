// 06 - Optimizers: SGD, SGD with momentum, RMSprop and Adam on one problem.
//
//   bin/autodiff notebook notebooks/06-optimizers.jsh
//
// The Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 has its minimum, 0, at (1, 1),
// at the end of a long curved valley with steep walls: easy to fall into, slow to follow. Each
// optimizer starts at (-1.5, 2) and takes 2000 steps on the same two parameters.

import java.awt.BasicStroke;
import java.awt.Color;
import java.util.function.Function;
import org.knowm.xchart.*;
import org.knowm.xchart.style.markers.SeriesMarkers;

Path out = Path.of(System.getProperty("notebook.out", "out/notebooks"));
Files.createDirectories(out);

Tensor rosenbrock(Tensor p) {
  Tensor x = p.slice(0, 0, 1);
  Tensor y = p.slice(0, 1, 2);
  return x.neg().add(1).pow(2).add(y.sub(x.pow(2)).pow(2).mul(100)).sum();
}

// One run: the loss of every step and the path of (x, y).
record Run(String name, double[] loss, double[] xs, double[] ys) {
  double last() { return loss[loss.length - 1]; }
}

Run minimize(String name, Function<List<Tensor>, Optimizer> make, int steps) {
  Tensor p = Tensor.of(new double[] {-1.5, 2.0}).requiresGrad();
  Optimizer opt = make.apply(List.of(p));
  double[] loss = new double[steps], xs = new double[steps + 1], ys = new double[steps + 1];
  xs[0] = -1.5;
  ys[0] = 2.0;
  for (int s = 0; s < steps; s++) {
    try (var scope = Tensors.scope()) {
      opt.zeroGrad();
      Tensor f = rosenbrock(p);
      f.backward();
      opt.step();
      loss[s] = f.item();
      double[] v = p.toDoubleArray();
      xs[s + 1] = v[0];
      ys[s + 1] = v[1];
    }
  }
  return new Run(name, loss, xs, ys);
}

// ---- Learning rates -----------------------------------------------------------------------------
// Each optimizer has its own sensible range, so first a small sweep: f after 2000 steps.

Map<String, Function<Double, Function<List<Tensor>, Optimizer>>> optimizers = new LinkedHashMap<>();
optimizers.put("SGD", lr -> p -> new SGD(p, lr));
optimizers.put("SGD momentum 0.9", lr -> p -> new SGD(p, lr).momentum(0.9));
optimizers.put("RMSprop", lr -> p -> new RMSprop(p, lr));
optimizers.put("Adam", lr -> p -> new Adam(p, lr));
double[] rates = {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1};

StringBuilder head = new StringBuilder(String.format("%-20s", "lr:"));
for (double lr : rates) head.append(String.format("%10s", String.format("%.0e", lr)));
System.out.println(head);
for (var e : optimizers.entrySet()) {
  StringBuilder row = new StringBuilder(String.format("%-20s", e.getKey()));
  for (double lr : rates) {
    double f = minimize(e.getKey(), e.getValue().apply(lr), 2000).last();
    row.append(Double.isFinite(f) && f < 1e6 ? String.format("%10.2e", f) : "  diverged");
  }
  System.out.println(row);
}

// Plain SGD must keep its steps small enough for the steep walls, so it crawls along the valley
// floor; momentum accumulates speed along the floor; RMSprop and Adam scale each coordinate's
// step by its recent gradient size. The best learning rate of each from the sweep, for the plots:

List<Run> runs = List.of(
    minimize("SGD, lr 1e-3", optimizers.get("SGD").apply(1e-3), 2000),
    minimize("SGD momentum 0.9, lr 1e-3", optimizers.get("SGD momentum 0.9").apply(1e-3), 2000),
    minimize("RMSprop, lr 3e-3", optimizers.get("RMSprop").apply(3e-3), 2000),
    minimize("Adam, lr 1e-1", optimizers.get("Adam").apply(1e-1), 2000));
for (Run r : runs) {
  System.out.printf("%-28s f = %.3e at (%.4f, %.4f)%n", r.name(), r.last(),
      r.xs()[r.xs().length - 1], r.ys()[r.ys().length - 1]);
}

// ---- Plots --------------------------------------------------------------------------------------
// One colour per optimizer in both plots. The log axis cannot show 0, so f is drawn no lower than
// 1e-16.

Color[] COLORS = {new Color(40, 90, 200), new Color(240, 150, 20), new Color(150, 60, 200),
    new Color(30, 160, 60)};

XYChart losses = new XYChartBuilder().width(800).height(500).
    title("Rosenbrock: f(x, y) by step").xAxisTitle("step").yAxisTitle("f (log scale)").build();
losses.getStyler().setYAxisLogarithmic(true);
losses.getStyler().setChartBackgroundColor(Color.WHITE);
losses.getStyler().setXAxisDecimalPattern("#");
losses.getStyler().setXAxisTickMarkSpacingHint(120);
double[] steps = new double[2000];
for (int i = 0; i < steps.length; i++) steps[i] = i + 1;
for (int i = 0; i < runs.size(); i++) {
  double[] f = Arrays.stream(runs.get(i).loss()).map(v -> Math.max(v, 1e-16)).toArray();
  losses.addSeries(runs.get(i).name(), steps, f).setMarker(SeriesMarkers.NONE).
      setLineColor(COLORS[i]).setLineWidth(1.5f);
}
BitmapEncoder.saveBitmap(losses, out.resolve("06-optimizers-loss.png").toString(),
    BitmapEncoder.BitmapFormat.PNG);
System.out.println("saved " + out.resolve("06-optimizers-loss.png"));

XYChart paths = new XYChartBuilder().width(800).height(600).
    title("Rosenbrock: the paths, from (-1.5, 2) to the minimum at (1, 1)").
    xAxisTitle("x").yAxisTitle("y").build();
paths.getStyler().setChartBackgroundColor(Color.WHITE);
paths.getStyler().setMarkerSize(8);
double[] vx = new double[101], vy = new double[101];
for (int i = 0; i <= 100; i++) {
  vx[i] = -1.6 + 3.0 * i / 100;
  vy[i] = vx[i] * vx[i];
}
paths.addSeries("valley floor y = x^2", vx, vy).setMarker(SeriesMarkers.NONE).
    setLineColor(Color.LIGHT_GRAY).setLineStyle(new BasicStroke(4f));
// Each path, and a dot where it stopped after 2000 steps:
for (int i = 0; i < runs.size(); i++) {
  Run r = runs.get(i);
  paths.addSeries(r.name(), r.xs(), r.ys()).setMarker(SeriesMarkers.NONE).
      setLineColor(COLORS[i]).setLineWidth(1.5f);
  int n = r.xs().length - 1;
  paths.addSeries(r.name() + ": end", new double[] {r.xs()[n]}, new double[] {r.ys()[n]}).
      setMarker(SeriesMarkers.CIRCLE).setMarkerColor(COLORS[i]).setLineColor(COLORS[i]).
      setShowInLegend(false);
}
paths.addSeries("minimum", new double[] {1}, new double[] {1}).setMarker(SeriesMarkers.DIAMOND).
    setMarkerColor(Color.BLACK).setLineColor(Color.BLACK);
paths.getStyler().setXAxisMin(-1.6);
paths.getStyler().setXAxisMax(1.4);
paths.getStyler().setYAxisMin(-0.2);
paths.getStyler().setYAxisMax(2.6);
BitmapEncoder.saveBitmap(paths, out.resolve("06-optimizers-paths.png").toString(),
    BitmapEncoder.BitmapFormat.PNG);
System.out.println("saved " + out.resolve("06-optimizers-paths.png"));
