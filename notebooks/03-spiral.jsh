// 03 - A spiral classifier: three interleaved arms of points, an MLP that separates them, and a
// picture of the boundary it draws.
//
//   bin/autodiff notebook notebooks/03-spiral.jsh

import java.awt.Color;
import org.knowm.xchart.*;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

Path out = Path.of(System.getProperty("notebook.out", "out/notebooks"));
Files.createDirectories(out);

// ---- The data -----------------------------------------------------------------------------------
// Class k is an arm: the radius grows from 0 to 1 while the angle turns through 4 radians starting
// at 4k, plus a little noise on the angle. No straight line separates the arms.

int CLASSES = 3;
Dataset spiral(int perClass, long seed) {
  Random rnd = new Random(seed);
  float[] x = new float[CLASSES * perClass * 2];
  long[] y = new long[CLASSES * perClass];
  for (int k = 0; k < CLASSES; k++) {
    for (int i = 0; i < perClass; i++) {
      int n = k * perClass + i;
      double r = (double) i / (perClass - 1);
      double t = 4.0 * k + 4.0 * i / (perClass - 1) + 0.2 * rnd.nextGaussian();
      x[2 * n] = (float) (r * Math.sin(t));
      x[2 * n + 1] = (float) (r * Math.cos(t));
      y[n] = k;
    }
  }
  return new Dataset(Tensor.of(x, CLASSES * perClass, 2), Tensor.of(y));
}

Dataset train = spiral(100, 1);
Dataset test = spiral(100, 2);
train

// ---- The model ----------------------------------------------------------------------------------
// Two hidden layers of 64 ReLU units, trained full-batch with Adam on the softmax cross-entropy.

Layer model = MLP.of(new Random(0), ReLU::new, 2, 64, 64, CLASSES);
Optimizer opt = new Adam(model.parameters(), 0.01);

double accuracy(Layer m, Dataset d) {
  try (var g = Autograd.noGrad(); var s = Tensors.scope()) {
    return m.forward(d.x()).argmax(1).eq(d.y()).to(DType.FLOAT32).mean().item();
  }
}

for (int step = 1; step <= 1000; step++) {
  try (var scope = Tensors.scope()) {
    opt.zeroGrad();
    Tensor loss = Losses.softmaxCrossEntropy(model.forward(train.x()), train.y());
    loss.backward();
    opt.step();
    if (step == 1 || step % 200 == 0) {
      System.out.printf("step %4d  loss %.4f  train accuracy %.3f%n", step, loss.item(),
          accuracy(model, train));
    }
  }
}
System.out.printf("accuracy on a fresh spiral (another seed): %.3f%n", accuracy(model, test));

// ---- The decision boundary ----------------------------------------------------------------------
// Classify every point of a 150 x 150 grid over the plane and colour it by the predicted class;
// the training points go on top.

int G = 150;
double LO = -1.25, HI = 1.25;
float[] cells = new float[G * G * 2];
for (int i = 0; i < G; i++) {
  for (int j = 0; j < G; j++) {
    cells[2 * (i * G + j)] = (float) (LO + (HI - LO) * j / (G - 1));
    cells[2 * (i * G + j) + 1] = (float) (LO + (HI - LO) * i / (G - 1));
  }
}
long[] predicted;
try (var g = Autograd.noGrad()) {
  predicted = model.forward(Tensor.of(cells, G * G, 2)).argmax(1).toLongArray();
}

Color[] LIGHT = {new Color(255, 205, 190), new Color(190, 225, 190), new Color(190, 205, 245)};
Color[] DARK = {new Color(215, 60, 30), new Color(40, 140, 60), new Color(40, 80, 200)};

XYChart chart = new XYChartBuilder().width(700).height(700).
    title("Spiral: decision boundary of a 2-64-64-3 MLP").xAxisTitle("x1").yAxisTitle("x2").build();
chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
chart.getStyler().setChartBackgroundColor(Color.WHITE);
chart.getStyler().setLegendVisible(false);
chart.getStyler().setPlotGridLinesVisible(false);
chart.getStyler().setXAxisMin(LO);
chart.getStyler().setXAxisMax(HI);
chart.getStyler().setYAxisMin(LO);
chart.getStyler().setYAxisMax(HI);

// XChart has one marker size per chart: 6 pixels fills the grid cells and shows the points.
chart.getStyler().setMarkerSize(6);
void addPoints(String name, List<Double> xs, List<Double> ys, Color color,
    org.knowm.xchart.style.markers.Marker marker) {
  if (!xs.isEmpty()) {
    chart.addSeries(name, xs, ys).setMarker(marker).setMarkerColor(color);
  }
}

for (int k = 0; k < CLASSES; k++) {
  List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
  for (int n = 0; n < G * G; n++) {
    if (predicted[n] == k) {
      xs.add((double) cells[2 * n]);
      ys.add((double) cells[2 * n + 1]);
    }
  }
  addPoints("predicted " + k, xs, ys, LIGHT[k], SeriesMarkers.SQUARE);
}
float[] tx = train.x().toFloatArray();
long[] ty = train.y().toLongArray();
for (int k = 0; k < CLASSES; k++) {
  List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
  for (int n = 0; n < ty.length; n++) {
    if (ty[n] == k) {
      xs.add((double) tx[2 * n]);
      ys.add((double) tx[2 * n + 1]);
    }
  }
  addPoints("class " + k, xs, ys, DARK[k], SeriesMarkers.CIRCLE);
}
BitmapEncoder.saveBitmap(chart, out.resolve("03-spiral-boundary.png").toString(),
    BitmapEncoder.BitmapFormat.PNG);
System.out.println("saved " + out.resolve("03-spiral-boundary.png"));
