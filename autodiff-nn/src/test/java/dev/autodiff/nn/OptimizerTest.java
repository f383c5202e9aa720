package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Optimizers against reference numbers from torch.optim (float64; see
 * torch-reference/make_reference.py), and their state, scopes and argument checks.
 */
class OptimizerTest {
  /** Float64 agreement with PyTorch after 5 steps. */
  private static final double TOLERANCE = 1e-10;
  private static double maxDiff;

  @AfterAll
  static void report() {
    System.out.println("OptimizerTest: max abs difference from PyTorch " + maxDiff);
  }

  // ---- reference cases ----------------------------------------------------------------------

  /** One case of optimizers.txt. */
  static final class Case {
    String name;
    String optimizer;
    final Map<String, String> options = new LinkedHashMap<>();
    String[] schedule;
    final List<int[]> shapes = new ArrayList<>();
    final List<double[]> initial = new ArrayList<>();
    /** step (1-based) -> parameter -> gradient, null when it has none. */
    final Map<Integer, Map<Integer, double[]>> grads = new LinkedHashMap<>();
    final Map<Integer, Map<Integer, double[]>> expect = new LinkedHashMap<>();
    /** "i.name" -> values after the last step. */
    final Map<String, double[]> state = new LinkedHashMap<>();
    int steps;
  }

  static List<Case> readCases() throws IOException {
    List<Case> cases = new ArrayList<>();
    Case c = null;
    for (String line : lines("/torch-reference/optimizers.txt")) {
      String[] f = line.split(" ");
      switch (f[0]) {
        case "case":
          c = new Case();
          c.name = f[1];
          break;
        case "optimizer":
          c.optimizer = f[1];
          break;
        case "option":
          c.options.put(f[1], String.join(" ", Arrays.copyOfRange(f, 2, f.length)));
          break;
        case "schedule":
          c.schedule = Arrays.copyOfRange(f, 1, f.length);
          break;
        case "param":
          c.shapes.add(shape(f[2]));
          c.initial.add(numbers(f, 3));
          break;
        case "grad":
          c.grads.computeIfAbsent(Integer.parseInt(f[1]), k -> new LinkedHashMap<>())
              .put(Integer.parseInt(f[2]), numbers(f, 3));
          break;
        case "expect":
          int step = Integer.parseInt(f[1]);
          c.steps = Math.max(c.steps, step);
          c.expect.computeIfAbsent(step, k -> new LinkedHashMap<>())
              .put(Integer.parseInt(f[2]), numbers(f, 3));
          break;
        case "state":
          c.state.put(f[2] + "." + f[3], numbers(f, 4));
          break;
        case "end":
          cases.add(c);
          c = null;
          break;
        default:
          throw new IllegalStateException("optimizers.txt: unknown line " + line);
      }
    }
    return cases;
  }

  static List<String> lines(String resource) throws IOException {
    try (InputStream in = OptimizerTest.class.getResourceAsStream(resource)) {
      assertNotNull(in, resource);
      List<String> lines = new ArrayList<>();
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (!line.isBlank() && !line.startsWith("#")) {
            lines.add(line.strip());
          }
        }
      }
      return lines;
    }
  }

  static int[] shape(String s) {
    return s.equals("-") ? new int[0] : Arrays.stream(s.split(",")).mapToInt(Integer::parseInt)
        .toArray();
  }

  static double[] numbers(String[] f, int from) {
    double[] d = new double[f.length - from];
    for (int i = 0; i < d.length; i++) {
      d[i] = number(f[from + i]);
    }
    return d;
  }

  /** A number as Python's repr() writes it ("inf" and "nan" included). */
  static double number(String s) {
    switch (s) {
      case "inf":
        return Double.POSITIVE_INFINITY;
      case "-inf":
        return Double.NEGATIVE_INFINITY;
      case "nan":
        return Double.NaN;
      default:
        return Double.parseDouble(s);
    }
  }

  static Tensor tensor(double[] values, int[] shape) {
    return shape.length == 0 ? Tensor.scalar(values[0], DType.FLOAT64) : Tensor.of(values, shape);
  }

  static Optimizer build(Case c, List<Tensor> params) {
    Map<String, String> o = c.options;
    double lr = Double.parseDouble(o.get("lr"));
    Function<String, Double> num = k -> Double.parseDouble(o.get(k));
    switch (c.optimizer) {
      case "SGD": {
        SGD sgd = new SGD(params, lr);
        if (o.containsKey("momentum")) sgd.momentum(num.apply("momentum"));
        if (o.containsKey("dampening")) sgd.dampening(num.apply("dampening"));
        if (o.containsKey("nesterov")) sgd.nesterov(Boolean.parseBoolean(o.get("nesterov")));
        if (o.containsKey("weight_decay")) sgd.weightDecay(num.apply("weight_decay"));
        if (o.containsKey("maximize")) sgd.maximize(Boolean.parseBoolean(o.get("maximize")));
        return sgd;
      }
      case "Adam": {
        Adam adam = new Adam(params, lr);
        if (o.containsKey("betas")) {
          String[] b = o.get("betas").split(" ");
          adam.betas(Double.parseDouble(b[0]), Double.parseDouble(b[1]));
        }
        if (o.containsKey("eps")) adam.eps(num.apply("eps"));
        if (o.containsKey("weight_decay")) adam.weightDecay(num.apply("weight_decay"));
        if (o.containsKey("amsgrad")) adam.amsgrad(Boolean.parseBoolean(o.get("amsgrad")));
        if (o.containsKey("maximize")) adam.maximize(Boolean.parseBoolean(o.get("maximize")));
        return adam;
      }
      case "AdamW": {
        AdamW adamw = new AdamW(params, lr);
        if (o.containsKey("betas")) {
          String[] b = o.get("betas").split(" ");
          adamw.betas(Double.parseDouble(b[0]), Double.parseDouble(b[1]));
        }
        if (o.containsKey("eps")) adamw.eps(num.apply("eps"));
        if (o.containsKey("weight_decay")) adamw.weightDecay(num.apply("weight_decay"));
        if (o.containsKey("amsgrad")) adamw.amsgrad(Boolean.parseBoolean(o.get("amsgrad")));
        if (o.containsKey("maximize")) adamw.maximize(Boolean.parseBoolean(o.get("maximize")));
        return adamw;
      }
      case "RMSprop": {
        RMSprop rms = new RMSprop(params, lr);
        if (o.containsKey("alpha")) rms.alpha(num.apply("alpha"));
        if (o.containsKey("eps")) rms.eps(num.apply("eps"));
        if (o.containsKey("momentum")) rms.momentum(num.apply("momentum"));
        if (o.containsKey("weight_decay")) rms.weightDecay(num.apply("weight_decay"));
        if (o.containsKey("centered")) rms.centered(Boolean.parseBoolean(o.get("centered")));
        if (o.containsKey("maximize")) rms.maximize(Boolean.parseBoolean(o.get("maximize")));
        return rms;
      }
      case "AdaGrad": {
        AdaGrad ada = new AdaGrad(params, lr);
        if (o.containsKey("lr_decay")) ada.lrDecay(num.apply("lr_decay"));
        if (o.containsKey("weight_decay")) ada.weightDecay(num.apply("weight_decay"));
        if (o.containsKey("initial_accumulator")) {
          ada.initialAccumulator(num.apply("initial_accumulator"));
        }
        if (o.containsKey("eps")) ada.eps(num.apply("eps"));
        if (o.containsKey("maximize")) ada.maximize(Boolean.parseBoolean(o.get("maximize")));
        return ada;
      }
      default:
        throw new IllegalStateException("unknown optimizer " + c.optimizer);
    }
  }

  /** Makes each parameter's grad() equal the given gradient: backward of sum(p * g). */
  static void setGradients(List<Tensor> params, Map<Integer, double[]> grads, List<int[]> shapes) {
    Tensor loss = null;
    for (var e : grads.entrySet()) {
      Tensor p = params.get(e.getKey());
      Tensor term = p.mul(tensor(e.getValue(), shapes.get(e.getKey()))).sum();
      loss = loss == null ? term : loss.add(term);
    }
    loss.backward();
  }

  static double maxAbsDiff(double[] expected, double[] actual) {
    assertEquals(expected.length, actual.length);
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs(expected[i] - actual[i]));
    }
    return max;
  }

  static void assertClose(double[] expected, double[] actual, String what) {
    double d = maxAbsDiff(expected, actual);
    synchronized (OptimizerTest.class) {
      maxDiff = Math.max(maxDiff, d);
    }
    assertTrue(d <= TOLERANCE, () -> what + ": max abs difference " + d + "\n expected "
        + Arrays.toString(expected) + "\n actual   " + Arrays.toString(actual));
  }

  @TestFactory
  Stream<DynamicTest> stepsMatchTorchOptimInFloat64() throws IOException {
    return readCases().stream().map(c -> DynamicTest.dynamicTest(c.name, () -> runCase(c)));
  }

  /** Runs a case with every step inside its own scope, as a training loop would. */
  private static void runCase(Case c) {
    List<Tensor> params = new ArrayList<>();
    for (int i = 0; i < c.shapes.size(); i++) {
      params.add(tensor(c.initial.get(i), c.shapes.get(i)).requiresGrad());
    }
    Optimizer opt = build(c, params);
    Schedule schedule = null;
    if (c.schedule != null) {
      assertEquals("StepDecay", c.schedule[0]);
      schedule = new StepDecay(opt, Long.parseLong(c.schedule[1]),
          Double.parseDouble(c.schedule[2]));
    }
    for (int step = 1; step <= c.steps; step++) {
      Map<Integer, double[]> grads = c.grads.get(step);
      try (var scope = Tensors.scope()) {
        opt.zeroGrad();
        setGradients(params, grads, c.shapes);
        for (var e : grads.entrySet()) {
          assertArrayEquals(e.getValue(), params.get(e.getKey()).grad().toDoubleArray(),
              "grad() is the fixed gradient");
        }
        opt.step();
        if (schedule != null) {
          schedule.step();
        }
      }
      for (int i = 0; i < params.size(); i++) {
        Tensor p = params.get(i);
        assertFalse(p.isClosed());
        assertEquals(DType.FLOAT64, p.dtype());
        assertArrayEquals(c.shapes.get(i), p.shape().toArray());
        assertClose(c.expect.get(step).get(i), p.toDoubleArray(),
            c.name + " step " + step + " parameter " + i);
      }
    }
    Map<String, Object> state = opt.state();
    for (var e : c.state.entrySet()) {
      Object value = state.get(e.getKey());
      assertNotNull(value, c.name + ": state has no " + e.getKey() + " (has " + state.keySet()
          + ")");
      if (e.getKey().endsWith(".step")) {
        assertEquals((long) e.getValue()[0], value, e.getKey());
      } else {
        Tensor t = (Tensor) value;
        assertFalse(t.isClosed(), e.getKey() + " survived the scopes");
        assertClose(e.getValue(), t.toDoubleArray(), c.name + " state " + e.getKey());
      }
    }
    for (String key : state.keySet()) {
      String name = key.substring(key.indexOf('.') + 1);
      if (!name.equals("step")) {
        assertTrue(c.state.containsKey(key), c.name + ": unexpected state " + key);
      }
    }
    for (int i = 0; i < params.size(); i++) {
      if (c.grads.get(1).get(i) == null) {
        assertFalse(state.containsKey(i + ".step"), "a parameter without gradient has no state");
      }
    }
  }

  @Test
  void referenceFileCoversEveryOptimizer() throws IOException {
    List<String> kinds = readCases().stream().map(c -> c.optimizer).distinct().sorted().toList();
    assertEquals(List.of("AdaGrad", "Adam", "AdamW", "RMSprop", "SGD"), kinds);
  }

  // ---- scopes and state ----------------------------------------------------------------------

  private static List<Optimizer> everyOptimizer(List<Tensor> params) {
    return List.of(new SGD(params, 0.1).momentum(0.9).nesterov(true).weightDecay(1e-4),
        new Adam(params, 0.01).weightDecay(0.01), new AdamW(params, 0.01),
        new RMSprop(params, 0.01).momentum(0.9).centered(true),
        new AdaGrad(params, 0.1).initialAccumulator(0.1));
  }

  @Test
  void trainingStepInsideScopeLeavesParametersGradientsAndStateUsable() {
    for (int k = 0; k < 5; k++) {
      Tensor w = Tensor.of(new double[] {1, -2, 3}).requiresGrad();
      Tensor b = Tensor.of(new float[] {0.5f, -0.5f}, 2, 1).requiresGrad();
      List<Tensor> params = List.of(w, b);
      Optimizer opt = everyOptimizer(params).get(k);
      double previous = Double.POSITIVE_INFINITY;
      for (int step = 0; step < 4; step++) {
        double loss;
        try (var scope = Tensors.scope()) {
          opt.zeroGrad();
          Tensor l = w.sub(0.5).pow(2).sum().add(b.mul(b).sum());
          l.backward();
          opt.step();
          loss = l.item();
          assertTrue(scope.size() > 0, "the step's intermediates belong to the scope");
        }
        String what = opt + " after step " + step;
        assertFalse(w.isClosed(), what);
        assertFalse(b.isClosed(), what);
        assertFalse(w.grad().isClosed(), what);
        assertFalse(b.grad().isClosed(), what);
        assertEquals(3, w.grad().toDoubleArray().length, what);
        assertEquals(DType.FLOAT32, b.dtype(), "the update keeps the parameter's dtype");
        Map<String, Object> state = opt.state();
        assertEquals((long) (step + 1), state.get("0.step"), what);
        for (var e : state.entrySet()) {
          if (e.getValue() instanceof Tensor) {
            Tensor t = (Tensor) e.getValue();
            assertFalse(t.isClosed(), what + ": " + e.getKey());
            t.toDoubleArray();
          }
        }
        assertTrue(loss < previous || k == 4 && loss <= previous, what + ": loss " + loss);
        previous = loss;
      }
    }
  }

  @Test
  void stepFreesItsTemporariesAndRecordsNothing() {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    Optimizer opt = new Adam(List.of(w), 0.1);
    try (var scope = Tensors.scope()) {
      w.mul(w).sum().backward();
      int before = scope.size();
      opt.step();
      assertEquals(before, scope.size(), "step leaves nothing in the caller's scope");
      assertTrue(w.isLeaf());
    }
  }

  @Test
  void everyOptimizerMinimizesAQuadratic() {
    for (int k = 0; k < 5; k++) {
      Tensor w = Tensor.of(new double[] {2, -3, 1}).requiresGrad();
      Optimizer opt = everyOptimizer(List.of(w)).get(k);
      double first = 0;
      double last = 0;
      for (int step = 0; step < 200; step++) {
        try (var scope = Tensors.scope()) {
          opt.zeroGrad();
          Tensor loss = w.mul(w).sum();
          loss.backward();
          opt.step();
          last = loss.item();
          if (step == 0) {
            first = last;
          }
        }
      }
      assertTrue(last < first / 4, opt + ": loss from " + first + " to " + last);
    }
  }

  @Test
  void parametersWithoutGradientsAreSkipped() {
    Tensor a = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor unused = Tensor.of(new double[] {3, 4}).requiresGrad();
    for (Optimizer opt : everyOptimizer(List.of(a, unused))) {
      opt.zeroGrad();
      a.sum().backward();
      opt.step();
      assertNull(unused.grad());
      assertArrayEquals(new double[] {3, 4}, unused.toDoubleArray(), opt.toString());
      assertTrue(opt.state().containsKey("0.step"));
      assertFalse(opt.state().containsKey("1.step"), opt.toString());
    }
  }

  @Test
  void stateIsEmptyBeforeTheFirstStepAndReadOnly() {
    Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad();
    Optimizer opt = new Adam(List.of(w), 0.1);
    assertTrue(opt.state().isEmpty());
    w.sum().backward();
    opt.step();
    Map<String, Object> state = opt.state();
    assertEquals(List.of("0.step", "0.exp_avg", "0.exp_avg_sq"), List.copyOf(state.keySet()));
    assertThrows(UnsupportedOperationException.class, () -> state.put("x", 1));
    assertThrows(UnsupportedOperationException.class, () -> opt.parameters().add(w));
    assertSame(w, opt.parameters().get(0));
  }

  @Test
  void zeroGradZeroesEveryGradient() {
    Tensor a = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor b = Tensor.of(new double[] {3}).requiresGrad();
    Optimizer opt = new SGD(List.of(a, b), 0.1);
    a.mul(b).sum().backward();
    opt.zeroGrad();
    assertArrayEquals(new double[] {0, 0}, a.grad().toDoubleArray());
    assertArrayEquals(new double[] {0}, b.grad().toDoubleArray());
  }

  /**
   * Two steps on w and v, the second without v (torch.optim after zero_grad(), which sets the
   * gradient to None): v keeps its value and its state. Expected values from PyTorch 2.13.
   */
  @Test
  void aParameterNoBackwardReachedSinceZeroGradIsLeftAlone() {
    Map<String, Function<List<Tensor>, Optimizer>> makers = new LinkedHashMap<>();
    makers.put("SGD", p -> new SGD(p, 0.1).momentum(0.9).weightDecay(0.1));
    makers.put("Adam", p -> new Adam(p, 0.1).weightDecay(0.1));
    makers.put("AdamW", p -> new AdamW(p, 0.1));
    makers.put("RMSprop", p -> new RMSprop(p, 0.1).momentum(0.5).centered(true));
    makers.put("AdaGrad", p -> new AdaGrad(p, 0.1).weightDecay(0.1));
    Map<String, double[]> torch = Map.of(
        "SGD", new double[] {0.48210000000000003, 0.89},
        "Adam", new double[] {0.807430143758561, 0.9000000009090909},
        "AdamW", new double[] {0.8063228895113324, 0.899000001},
        "RMSprop", new double[] {-1.4643690540946361, -0.005037714249120796},
        "AdaGrad", new double[] {0.8057913694169734, 0.9000000000090909});
    for (Map.Entry<String, Function<List<Tensor>, Optimizer>> e : makers.entrySet()) {
      Tensor w = Tensor.of(new double[] {1}).requiresGrad();
      Tensor v = Tensor.of(new double[] {1}).requiresGrad();
      Optimizer opt = e.getValue().apply(List.of(w, v));
      opt.zeroGrad();
      w.add(v).sum().backward();
      opt.step();
      opt.zeroGrad();
      assertFalse(v.hasGrad(), e.getKey());
      assertArrayEquals(new double[] {0}, v.grad().toDoubleArray()); // still reads as zeros
      w.mul(3).sum().backward();
      assertTrue(w.hasGrad() && !v.hasGrad(), e.getKey());
      opt.step();
      double[] want = torch.get(e.getKey());
      assertEquals(want[0], w.item(), 1e-12, e.getKey() + ": w");
      assertEquals(want[1], v.item(), 1e-12, e.getKey() + ": v");
      if (!e.getKey().equals("SGD")) {
        assertEquals(1L, opt.state().get("1.step"), e.getKey());
        assertEquals(2L, opt.state().get("0.step"), e.getKey());
      }
    }
  }

  @Test
  void squaredGradientsAreAveragedWithoutOverflowingFirst() {
    // torch's addcmul order, (c g) g: g g alone would be infinite for g = 1e155
    Tensor p = Tensor.of(new double[] {1}).requiresGrad();
    Adam adam = new Adam(List.of(p), 0.1);
    p.backward(Tensor.of(new double[] {1e155}));
    adam.step();
    assertEquals(0.9, p.item(), 1e-15);
    assertEquals(1.0000000000000009e307, ((Tensor) adam.state().get("0.exp_avg_sq")).item());
    Tensor q = Tensor.of(new double[] {1}).requiresGrad();
    RMSprop rms = new RMSprop(List.of(q), 0.01);
    q.backward(Tensor.of(new double[] {1e155}));
    rms.step();
    assertEquals(0.9, q.item(), 1e-15);
    assertEquals(1.000000000000001e308, ((Tensor) rms.state().get("0.square_avg")).item());
  }

  @Test
  void learningRateCanBeReadAndSet() {
    Tensor w = Tensor.of(new double[] {1}).requiresGrad();
    Optimizer opt = new SGD(List.of(w), 0.5);
    assertEquals(0.5, opt.learningRate());
    opt.setLearningRate(0.25);
    assertEquals(0.25, opt.learningRate());
    w.mul(2).sum().backward();
    opt.step();
    assertArrayEquals(new double[] {0.5}, w.toDoubleArray());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> opt.setLearningRate(-1));
    assertTrue(e.getMessage().contains("SGD") && e.getMessage().contains("-1.0"), e.getMessage());
  }

  @Test
  void stateBuiltInAnEndedScopeIsReportedClearly() {
    Tensor w = Tensor.of(new double[] {1}).requiresGrad();
    Adam opt;
    try (var scope = Tensors.scope()) {
      opt = new Adam(List.of(w), 0.1);
    }
    w.sum().backward();
    IllegalStateException e = assertThrows(IllegalStateException.class, opt::step);
    assertTrue(e.getMessage().contains("Adam") && e.getMessage().contains("exp_avg"),
        e.getMessage());
  }

  // ---- argument checks ----------------------------------------------------------------------

  private static void assertRejected(String optimizer, String value, Runnable build) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run);
    assertTrue(e.getMessage().startsWith(optimizer + ":"), e.getMessage());
    assertTrue(e.getMessage().contains(value), e.getMessage() + " should name " + value);
  }

  @Test
  void badParameterListsAreRejected() {
    Tensor ok = Tensor.of(new double[] {1}).requiresGrad();
    Tensor noGrad = Tensor.of(new double[] {1, 2});
    Tensor notLeaf = ok.mul(2);
    assertRejected("Adam", "null", () -> new Adam(null, 0.1));
    assertRejected("SGD", "empty", () -> new SGD(List.of(), 0.1));
    assertRejected("RMSprop", "parameter 1 is null", () -> new RMSprop(Arrays.asList(ok, null), 1));
    assertRejected("AdamW", "result of an op", () -> new AdamW(List.of(notLeaf), 0.1));
    assertRejected("SGD", "same tensor as parameter 0", () -> new SGD(List.of(ok, ok), 0.1));
    Tensor closed = Tensor.of(new double[] {1}).requiresGrad();
    closed.close();
    assertRejected("Adam", "closed", () -> new Adam(List.of(closed), 0.1));
  }

  @Test
  void frozenParametersAreAcceptedAndLeftAlone() {
    Tensor trained = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor frozen = Tensor.of(new double[] {3, 4}); // requiresGrad(false), as after freezing
    Optimizer opt = new AdaGrad(List.of(trained, frozen), 0.1);
    trained.mul(frozen).sum().backward();
    opt.step();
    assertArrayEquals(new double[] {3, 4}, frozen.toDoubleArray());
    assertTrue(trained.toDoubleArray()[0] < 1);
  }

  @Test
  void badHyperparametersAreRejectedNamingTheValue() {
    List<Tensor> p = List.of(Tensor.of(new double[] {1}).requiresGrad());
    assertRejected("SGD", "-0.1", () -> new SGD(p, -0.1));
    assertRejected("Adam", "NaN", () -> new Adam(p, Double.NaN));
    assertRejected("AdamW", "Infinity", () -> new AdamW(p, Double.POSITIVE_INFINITY));
    assertRejected("Adam", "1.0", () -> new Adam(p, 0.1).betas(0.9, 1.0));
    assertRejected("Adam", "-0.5", () -> new Adam(p, 0.1).betas(-0.5, 0.9));
    assertRejected("AdamW", "1.5", () -> new AdamW(p, 0.1).betas(1.5, 0.9));
    assertRejected("Adam", "-1.0E-8", () -> new Adam(p, 0.1).eps(-1e-8));
    assertRejected("Adam", "-0.01", () -> new Adam(p, 0.1).weightDecay(-0.01));
    assertRejected("SGD", "-0.9", () -> new SGD(p, 0.1).momentum(-0.9));
    assertRejected("SGD", "1.5", () -> new SGD(p, 0.1).dampening(1.5));
    assertRejected("RMSprop", "1.1", () -> new RMSprop(p, 0.1).alpha(1.1));
    assertRejected("RMSprop", "-1.0", () -> new RMSprop(p, 0.1).momentum(-1));
    assertRejected("AdaGrad", "-0.1", () -> new AdaGrad(p, 0.1).initialAccumulator(-0.1));
    assertRejected("AdaGrad", "-2.0", () -> new AdaGrad(p, 0.1).lrDecay(-2));
  }

  @Test
  void nesterovWithoutMomentumFailsAtStep() {
    Tensor w = Tensor.of(new double[] {1}).requiresGrad();
    SGD opt = new SGD(List.of(w), 0.1).nesterov(true);
    w.sum().backward();
    IllegalStateException e = assertThrows(IllegalStateException.class, opt::step);
    assertTrue(e.getMessage().contains("Nesterov"), e.getMessage());
    opt.momentum(0.9);
    opt.step();
    assertArrayEquals(new double[] {1 - 0.1 * 1.9}, w.toDoubleArray(), 1e-15);
  }

  @Test
  void initialAccumulatorCannotChangeAfterTheFirstStep() {
    Tensor w = Tensor.of(new double[] {1}).requiresGrad();
    AdaGrad opt = new AdaGrad(List.of(w), 0.1);
    w.sum().backward();
    opt.step();
    assertThrows(IllegalStateException.class, () -> opt.initialAccumulator(0.5));
  }

  @Test
  void toStringNamesTheOptimizerAndItsOptions() {
    List<Tensor> p = List.of(Tensor.of(new double[] {1}).requiresGrad());
    String s = new Adam(p, 0.001).betas(0.8, 0.9).toString();
    assertTrue(s.startsWith("Adam(lr=0.001") && s.contains("betas=(0.8, 0.9)"), s);
  }
}
