// 01 - Basics: tensors, broadcasting, backward, and gradients of gradients.
//
//   bin/autodiff notebook notebooks/01-basics.jsh
//
// Every notebook starts with dev.autodiff.core.*, dev.autodiff.nn.*, dev.autodiff.gradcheck.*,
// java.util.* and java.nio.file.* imported. A line that is an expression shows its value, as in
// jshell ($1 ==> ...). Plots go to out/notebooks (or --out DIR).

import org.knowm.xchart.*;
import org.knowm.xchart.style.markers.SeriesMarkers;

Path out = Path.of(System.getProperty("notebook.out", "out/notebooks"));
Files.createDirectories(out);

// ---- Tensors ------------------------------------------------------------------------------------
// A tensor is an n-d array: the data first, then the shape. The dtype follows the Java array
// (float[] gives float32, double[] float64, long[] int64).

Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
x
x.shape()
x.dtype()
Tensor.of(new double[] {0.5, 1.5})
Tensor.arange(5)

// Elementwise ops, reductions and matrix products:
x.mul(10).add(1)
x.sum(0)
x.mean(1)
x.matmul(x.transpose())

// ---- Broadcasting -------------------------------------------------------------------------------
// As in NumPy, a [3] row is stretched along the rows of a [2, 3] matrix, and a [2, 1] column along
// its columns; nothing is copied to do it.

Tensor row = Tensor.of(new float[] {10, 20, 30});
Tensor col = Tensor.of(new float[] {100, 200}, 2, 1);
x.add(row)
x.add(col)
row.add(col)

// ---- backward -----------------------------------------------------------------------------------
// Every op on a tensor that requires gradients is recorded on a tape; backward() replays the tape
// in reverse. The classic example: J = 2(ab + c) at a = 3, b = 2, c = 5.

Tensor a = Tensor.scalar(3.0).requiresGrad();
Tensor b = Tensor.scalar(2.0).requiresGrad();
Tensor c = Tensor.scalar(5.0).requiresGrad();
Tensor j = a.mul(b).add(c).mul(2);
System.out.println("J = 2(ab + c) = " + j.item());
j.backward();
System.out.println("dJ/da = 2b = " + a.grad().item());
System.out.println("dJ/db = 2a = " + b.grad().item());
System.out.println("dJ/dc = 2  = " + c.grad().item());

// Gradients have their tensor's shape. Broadcasting backward sums over the stretched axes: the
// bias below was added to both rows, so its gradient collects from both.

Tensor w = Tensor.randn(new Random(0), 3, 4).requiresGrad();
Tensor bias = Tensor.zeros(4).requiresGrad();
Tensor y = x.matmul(w).add(bias).relu().sum();
y.backward();
w.grad().shape()
bias.grad()

// Gradients accumulate until zeroGrad(), which is why training loops call it every step.
a.zeroGrad();
a.mul(a).backward();
a.grad()

// ---- Gradients of gradients ---------------------------------------------------------------------
// Autograd.grad(output, input, createGraph) returns the gradient instead of accumulating it, and
// with createGraph = true the gradient is itself recorded, so it can be differentiated again.
// d/dx x^3 = 3x^2, and d^2/dx^2 x^3 = 6x:

Tensor t = Tensor.of(new double[] {-1, 0.5, 2}).requiresGrad();
Tensor dy = Autograd.grad(t.pow(3).sum(), t, true);
Tensor d2y = Autograd.grad(dy.sum(), t, false);
dy
d2y
System.out.println("d2/dx2 x^3 at " + Arrays.toString(t.toDoubleArray()) + " = "
    + Arrays.toString(d2y.toDoubleArray()) + " (6x = "
    + Arrays.toString(t.mul(6).toDoubleArray()) + ")");

// The same trick on a grid draws tanh and its first two derivatives (1 - tanh^2, and
// -2 tanh (1 - tanh^2)), computed by autodiff rather than by hand. Summing before grad gives each
// element's own derivative, since each output depends only on its own input.

Tensor grid = Tensor.arange(-4.0, 4.001, 0.05).to(DType.FLOAT64).requiresGrad();
Tensor f = grid.tanh();
Tensor df = Autograd.grad(f.sum(), grid, true);
Tensor d2f = Autograd.grad(df.sum(), grid, false);

// A plot is a few lines of XChart; a method body may span lines freely, since the snippet is not
// complete before its closing brace.
void plot(Path file, String title, double[] x, Map<String, double[]> curves) throws Exception {
  XYChart chart = new XYChartBuilder().width(800).height(500).title(title)
      .xAxisTitle("x").build();
  chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
  curves.forEach((name, y) -> chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE));
  BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  System.out.println("saved " + file);
}

Map<String, double[]> curves = new LinkedHashMap<>();
curves.put("tanh(x)", f.toDoubleArray());
curves.put("d/dx tanh(x)", df.toDoubleArray());
curves.put("d2/dx2 tanh(x)", d2f.toDoubleArray());
plot(out.resolve("01-tanh-derivatives.png"), "tanh and its derivatives, by autodiff",
    grid.toDoubleArray(), curves);
