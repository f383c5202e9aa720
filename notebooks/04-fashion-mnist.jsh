// 04 - Fashion-MNIST: an MLP on 28x28 images of clothes, with a progress bar, a loss curve, the
// test accuracy and a confusion matrix.
//
//   bin/autodiff notebook notebooks/04-fashion-mnist.jsh
//
// Uses Fashion-MNIST from /usr/share/datasets/fashion-mnist when it is installed
// (apt-get install dataset-fashion-mnist), and otherwise the embedded set of generated
// seven-segment digits, so it runs anywhere. One epoch: a few seconds on two cores.

import java.awt.Color;
import org.knowm.xchart.*;

Path out = Path.of(System.getProperty("notebook.out", "out/notebooks"));
Files.createDirectories(out);

// ---- The data -----------------------------------------------------------------------------------

boolean fashion = Datasets.hasFashionMnist(Datasets.FASHION_MNIST_DIR);
Datasets.Split data =
    fashion ? Datasets.fashionMnist(Datasets.FASHION_MNIST_DIR) : Datasets.embedded();
List<String> classes = (fashion ? Datasets.FASHION_MNIST_CLASSES
    : List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
System.out.println(fashion ? "Fashion-MNIST from " + Datasets.FASHION_MNIST_DIR
    : "Fashion-MNIST is not installed: using the embedded seven-segment digits");
data.train()
data.test()

// One training image, drawn with characters (darker pixels, denser characters):
void draw(Tensor image, String label) {
  float[] p = image.toFloatArray();
  String shades = " .:-=+*#%@";
  System.out.println("label: " + label);
  for (int r = 0; r < 28; r += 2) { // every other row, since characters are tall
    StringBuilder line = new StringBuilder("  ");
    for (int c = 0; c < 28; c++) {
      line.append(shades.charAt(Math.min(9, (int) (p[r * 28 + c] * 10))));
    }
    System.out.println(line);
  }
}
draw(data.train().x().slice(0, 0, 1), classes.get((int) data.train().y().toLongArray()[0]));

// ---- Training -----------------------------------------------------------------------------------
// A 784-128-10 MLP (ReLU), Adam with learning rate 1e-3, mini-batches of 128: one epoch of
// Fashion-MNIST's 60,000 images, or three of the embedded set's 6,000. The Trainer runs each step
// in a scope, shows a progress bar and records every step's loss.

Dataset train = data.train().flatten();
Dataset test = data.test().flatten();
Layer model = MLP.of(new Random(0), ReLU::new, 784, 128, 10);
Trainer trainer = new Trainer(model, new Adam(model.parameters(), 1e-3),
    Losses::softmaxCrossEntropy).progress(System.out);
Trainer.History history = trainer.fit(new DataLoader(train, 128, new Random(0)),
    new DataLoader(test, 1000), fashion ? 1 : 3);
LossCurve.save(history, out.resolve("04-loss.png"));
System.out.println("saved " + out.resolve("04-loss.png"));

// ---- Test accuracy and the confusion matrix -----------------------------------------------------
// Row = the true class, column = the predicted one; the diagonal is what the model gets right.

long[] predicted;
try (var g = Autograd.noGrad()) {
  model.eval();
  predicted = model.forward(test.x()).argmax(1).toLongArray();
}
long[] truth = test.y().toLongArray();
int[][] confusion = new int[10][10];
int correct = 0;
for (int i = 0; i < truth.length; i++) {
  confusion[(int) truth[i]][(int) predicted[i]]++;
  correct += truth[i] == predicted[i] ? 1 : 0;
}

String shortName(String s) {
  return s.length() <= 7 ? s : s.substring(0, 7);
}
StringBuilder header = new StringBuilder(String.format("%-12s", "true \\ pred"));
for (String c : classes) header.append(String.format("%8s", shortName(c)));
System.out.println(header);
for (int r = 0; r < 10; r++) {
  StringBuilder row = new StringBuilder(String.format("%-12s", classes.get(r)));
  for (int c = 0; c < 10; c++) row.append(String.format("%8d", confusion[r][c]));
  System.out.println(row);
}

// The most frequent confusion:
int worstR = 0, worstC = 1;
for (int r = 0; r < 10; r++) {
  for (int c = 0; c < 10; c++) {
    if (r != c && confusion[r][c] > confusion[worstR][worstC]) {
      worstR = r;
      worstC = c;
    }
  }
}
System.out.printf("most often confused: %d %s taken for %s%n", confusion[worstR][worstC],
    classes.get(worstR), classes.get(worstC));

// The same matrix as a heat map (true classes top to bottom):
HeatMapChart heat = new HeatMapChartBuilder().width(900).height(800).
    title("Confusion matrix (test set)").xAxisTitle("predicted").yAxisTitle("true").build();
heat.getStyler().setShowValue(true);
heat.getStyler().setChartBackgroundColor(Color.WHITE);
heat.getStyler().setRangeColors(new Color[] {Color.WHITE, new Color(120, 160, 220),
    new Color(20, 50, 140)});
heat.getStyler().setLegendVisible(false);
List<Number[]> cells = new ArrayList<>();
for (int r = 0; r < 10; r++) {
  for (int c = 0; c < 10; c++) cells.add(new Number[] {c, 9 - r, confusion[r][c]});
}
List<String> reversed = new ArrayList<>(classes);
Collections.reverse(reversed);
heat.addSeries("confusion", classes, reversed, cells);
BitmapEncoder.saveBitmap(heat, out.resolve("04-confusion.png").toString(),
    BitmapEncoder.BitmapFormat.PNG);
System.out.println("saved " + out.resolve("04-confusion.png"));

System.out.printf("test accuracy: %.4f (%d of %d)%n", (double) correct / truth.length, correct,
    truth.length);
