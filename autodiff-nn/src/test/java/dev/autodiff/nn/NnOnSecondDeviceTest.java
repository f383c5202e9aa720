package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;
import dev.autodiff.core.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Everything in nn on a second device: the test backend {@link SecondDeviceBackend} claims {@code
 * cuda:0} and runs the CPU's kernels, so a run there must keep every parameter, gradient and
 * optimizer buffer on the device and give bit-for-bit the numbers of the same run on the CPU. Any
 * CPU tensor made inside nn and combined with a device tensor fails there, as it would on a GPU.
 */
class NnOnSecondDeviceTest {
  private static final Device CPU = Device.cpu();
  private static final Device DEV = SecondDeviceBackend.device();

  @TempDir Path dir;

  // ---- the fake device itself ---------------------------------------------------------------

  @Test
  void theSecondDeviceIsCudaZeroAndRefusesCpuTensors() {
    assertEquals(Device.cuda(), DEV);
    assertEquals("cuda:0", DEV.toString());
    Tensor a = Tensor.of(new float[] {1, 2, 3}).to(DEV);
    assertEquals(DEV, a.device());
    assertArrayEquals(new float[] {2, 4, 6}, a.add(a).toFloatArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> a.add(Tensor.of(new float[] {1, 2, 3})));
    assertTrue(e.getMessage().contains("different devices"), e.getMessage());
  }

  // ---- Layer.to ------------------------------------------------------------------------------

  @Test
  void layerToMovesEveryParameterAndKeepsNamesValuesAndFlags() {
    Layer model = MLP.of(new Random(3), Tanh::new, 4, 6, 2);
    Map<String, Tensor> before = new LinkedHashMap<>(model.namedParameters());
    Map<String, double[]> values = new LinkedHashMap<>();
    before.forEach((k, v) -> values.put(k, v.toDoubleArray()));

    assertSame(model, model.to(DEV));

    Map<String, Tensor> after = model.namedParameters();
    assertEquals(before.keySet(), after.keySet());
    for (String name : after.keySet()) {
      Tensor p = after.get(name);
      assertEquals(DEV, p.device(), name);
      assertEquals(DType.FLOAT32, p.dtype(), name);
      assertTrue(p.isLeaf() && p.isRequiresGrad(), name);
      assertNull(p.grad(), name);
      assertArrayEquals(values.get(name), p.toDoubleArray(), name);
      assertTrue(before.get(name).isClosed(), name + ": the CPU copy is closed");
    }
    Linear first = (Linear) ((Sequential) model).layers().get(0);
    assertSame(after.get("0.weight"), first.weight());
    assertSame(after.get("0.bias"), first.bias());
  }

  @Test
  void layerToTheSameDeviceChangesNothing() {
    Layer model = MLP.of(new Random(3), ReLU::new, 3, 4, 2).to(DEV);
    List<Tensor> params = model.parameters();
    model.to(DEV);
    for (int i = 0; i < params.size(); i++) {
      assertSame(params.get(i), model.parameters().get(i));
      assertFalse(params.get(i).isClosed());
    }
  }

  @Test
  void layerToKeepsTiedWeightsTiedAndFrozenParametersFrozen() {
    Linear shared = new Linear(3, 3, new Random(1));
    shared.bias().requiresGrad(false);
    Sequential model = new Sequential(shared, new Tanh(), shared);
    assertEquals(2, model.parameters().size());
    model.to(DEV);
    assertEquals(2, model.parameters().size());
    assertSame(shared.weight(), model.namedParameters().get("0.weight"));
    assertFalse(shared.bias().isRequiresGrad());
    assertEquals(DEV, shared.bias().device());
    Tensor y = model.forward(Tensor.randn(new Random(2), 2, 3).to(DEV));
    y.sum().backward();
    assertEquals(DEV, shared.weight().grad().device());
    assertNull(shared.bias().grad());
  }

  @Test
  void layerToAndBackRestoresTheValuesOnTheCpu() {
    Layer model = MLP.of(new Random(5), ReLU::new, 3, 4, 2);
    List<double[]> values = values(model.parameters());
    model.to(DEV).to(CPU);
    for (int i = 0; i < values.size(); i++) {
      assertEquals(CPU, model.parameters().get(i).device());
      assertArrayEquals(values.get(i), model.parameters().get(i).toDoubleArray());
    }
  }

  @Test
  void anOptimizerBuiltBeforeLayerToFailsLoudly() {
    Layer model = MLP.of(new Random(5), ReLU::new, 3, 4, 2);
    Optimizer stale = new SGD(model.parameters(), 0.1);
    model.to(DEV);
    model.forward(Tensor.randn(new Random(1), 2, 3).to(DEV)).sum().backward();
    IllegalStateException e = assertThrows(IllegalStateException.class, stale::step);
    assertTrue(e.getMessage().contains("Layer.to(Device)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> model.to((Device) null));
  }

  @Test
  void aFailedLayerToChangesNothingAndFreesItsCopies() {
    Layer model = MLP.of(new Random(5), ReLU::new, 3, 4, 2);
    List<Tensor> params = model.parameters();
    params.get(2).close();
    long live = SecondDeviceBackend.liveStorages();
    assertThrows(IllegalStateException.class, () -> model.to(DEV));
    assertEquals(live, SecondDeviceBackend.liveStorages(), "the copies made are freed");
    for (int i = 0; i < params.size(); i++) {
      assertSame(params.get(i), model.parameters().get(i));
      assertEquals(CPU, params.get(i).device());
    }
    assertFalse(params.get(0).isClosed());
  }

  @Test
  void parametersMovedInsideAScopeOutliveIt() {
    Layer model = MLP.of(new Random(5), ReLU::new, 3, 4, 2);
    try (var scope = Tensors.scope()) {
      model.to(DEV);
    }
    for (Tensor p : model.parameters()) {
      assertFalse(p.isClosed());
      assertEquals(DEV, p.device());
    }
  }

  @Test
  void aCpuInputToADeviceModelFailsClearly() {
    Layer model = MLP.of(new Random(5), ReLU::new, 3, 4, 2).to(DEV);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> model.forward(Tensor.randn(new Random(1), 2, 3)));
    assertTrue(e.getMessage().contains("different devices"), e.getMessage());
  }

  // ---- layers and dropout --------------------------------------------------------------------

  /** Every layer type, dropout in training mode included (its own seeded generator). */
  private static Layer everyLayer(long seed) {
    Random r = new Random(seed);
    return new Sequential(new Linear(5, 12, r), new ReLU(), new Dropout(0.25, new Random(seed)),
        new Linear(12, 12, r), new Tanh(), new Linear(12, 8, false, r), new LeakyReLU(0.1),
        new ELU(0.5), new Softplus(), new Sigmoid(), new Maxout(2), new Linear(4, 3, r));
  }

  @Test
  void everyLayerGivesTheCpuForwardAndGradientsOnTheDevice() {
    double[][] cpu = forwardAndGrads(CPU);
    double[][] dev = forwardAndGrads(DEV);
    assertEquals(cpu.length, dev.length);
    for (int i = 0; i < cpu.length; i++) {
      assertArrayEquals(cpu[i], dev[i], "output/gradient " + i);
    }
  }

  private static double[][] forwardAndGrads(Device device) {
    Layer model = everyLayer(11).to(device);
    assertTrue(model.isTraining());
    Tensor x = Tensor.randn(new Random(4), 7, 5).to(device).requiresGrad();
    List<double[]> out = new ArrayList<>();
    for (int pass = 0; pass < 2; pass++) { // two passes: two different dropout masks
      Tensor y = model.forward(x);
      assertEquals(device, y.device());
      out.add(y.toDoubleArray());
      y.mul(y).sum().backward();
    }
    model.eval();
    out.add(model.forward(x).toDoubleArray());
    assertEquals(device, x.grad().device());
    out.add(x.grad().toDoubleArray());
    for (Tensor p : model.parameters()) {
      assertEquals(device, p.grad().device());
      out.add(p.grad().toDoubleArray());
    }
    return out.toArray(new double[0][]);
  }

  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
  void dropoutMasksOnTheDeviceAreTheSeededCpuMasks(DType dtype) {
    Tensor onCpu = dropout(CPU, dtype);
    Tensor onDev = dropout(DEV, dtype);
    assertEquals(DEV, onDev.device());
    assertEquals(dtype, onDev.dtype());
    assertArrayEquals(onCpu.toDoubleArray(), onDev.toDoubleArray());
  }

  private static Tensor dropout(Device device, DType dtype) {
    Tensor x = Tensor.randn(new Random(8), 6, 9).to(dtype).to(device);
    return new Dropout(0.4, new Random(3)).forward(x);
  }

  // ---- Init ----------------------------------------------------------------------------------

  /** Each initializer with its arguments, as a function of (tensor, random). */
  static Stream<Arguments> initializers() {
    List<Arguments> out = new ArrayList<>();
    Map<String, BiFunction<Tensor, Random, Tensor>> inits = new LinkedHashMap<>();
    inits.put("zeros", (t, r) -> Init.zeros(t));
    inits.put("constant", (t, r) -> Init.constant(t, 0.3));
    inits.put("uniform", (t, r) -> Init.uniform(t, -0.5, 2, r));
    inits.put("normal", (t, r) -> Init.normal(t, 1, 0.2, r));
    inits.put("xavierUniform", (t, r) -> Init.xavierUniform(t, 1.5, r));
    inits.put("xavierNormal", (t, r) -> Init.xavierNormal(t, 1, r));
    inits.put("kaimingUniform", (t, r) -> Init.kaimingUniform(t, 0, r));
    inits.put("kaimingNormal", (t, r) -> Init.kaimingNormal(t, 0.2, r));
    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
      inits.forEach((name, init) -> out.add(Arguments.of(name, dtype, init)));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("initializers")
  void initializersWriteTheSeededCpuValuesIntoDeviceTensorsInPlace(String name, DType dtype,
      BiFunction<Tensor, Random, Tensor> init) {
    Tensor cpu = Tensor.zeros(dtype, 5, 3, 2);
    Tensor dev = Tensor.zeros(dtype, 5, 3, 2).to(DEV).requiresGrad();
    assertSame(cpu, init.apply(cpu, new Random(9)));
    long live = SecondDeviceBackend.liveStorages();
    assertSame(dev, init.apply(dev, new Random(9)));
    assertTrue(SecondDeviceBackend.liveStorages() <= live, name + " freed its staging copies");
    assertEquals(DEV, dev.device());
    assertEquals(dtype, dev.dtype());
    assertTrue(dev.isLeaf() && dev.isRequiresGrad());
    assertArrayEquals(cpu.toDoubleArray(), dev.toDoubleArray());
  }

  // ---- losses --------------------------------------------------------------------------------

  /** Each loss as (prediction leaf, random) -> loss, with its own target made on the device. */
  static Stream<Arguments> losses() {
    Map<String, LossCase> cases = new LinkedHashMap<>();
    cases.put("softmaxCrossEntropy labels", (p, r, red, d) ->
        Losses.softmaxCrossEntropy(p, labels(r, d), red));
    cases.put("softmaxCrossEntropy probabilities", (p, r, red, d) -> Losses.softmaxCrossEntropy(
        p, Tensor.randn(r, 6, 3).to(d).softmax(1).detach().requiresGrad(), red));
    cases.put("nll", (p, r, red, d) -> Losses.nll(p.logSoftmax(1), labels(r, d), red));
    cases.put("mse", (p, r, red, d) -> Losses.mse(p, target(r, d), red));
    cases.put("l1", (p, r, red, d) -> Losses.l1(p, target(r, d), red));
    cases.put("huber", (p, r, red, d) -> Losses.huber(p, target(r, d), 1.0, red));
    cases.put("huber delta 0.3", (p, r, red, d) -> Losses.huber(p, target(r, d), 0.3, red));
    cases.put("bceWithLogits", (p, r, red, d) -> Losses.bceWithLogits(p,
        Tensor.rand(r, 6, 3).to(d).requiresGrad(), red));
    cases.put("crossEntropy with every option", (p, r, red, d) -> Losses.crossEntropy()
        .classWeights(Tensor.rand(r, 3).add(0.5).to(d)).labelSmoothing(0.1).ignoreIndex(1)
        .reduction(red).apply(p, labels(r, d)));
    cases.put("bceWithLogits with posWeight and weight", (p, r, red, d) -> Losses.bceWithLogits()
        .posWeight(Tensor.rand(r, 3).add(0.5).to(d)).weight(Tensor.rand(r, 6, 1).to(d))
        .reduction(red).apply(p, Tensor.rand(r, 6, 3).to(d).requiresGrad()));
    cases.put("crossEntropy probabilities, smoothed", (p, r, red, d) -> Losses.crossEntropy()
        .labelSmoothing(0.2).reduction(red).apply(p, Tensor.randn(r, 6, 3).to(d).softmax(1)));
    List<Arguments> out = new ArrayList<>();
    for (Reduction red : Reduction.values()) {
      cases.forEach((name, c) -> out.add(Arguments.of(name, red, c)));
    }
    // The two-argument forms (mean).
    out.add(Arguments.of("softmaxCrossEntropy default", Reduction.MEAN,
        (LossCase) (p, r, red, d) -> Losses.softmaxCrossEntropy(p, labels(r, d))));
    out.add(Arguments.of("nll default", Reduction.MEAN,
        (LossCase) (p, r, red, d) -> Losses.nll(p.logSoftmax(1), labels(r, d))));
    out.add(Arguments.of("mse default", Reduction.MEAN,
        (LossCase) (p, r, red, d) -> Losses.mse(p, target(r, d))));
    out.add(Arguments.of("l1 default", Reduction.MEAN,
        (LossCase) (p, r, red, d) -> Losses.l1(p, target(r, d))));
    out.add(Arguments.of("huber default", Reduction.MEAN,
        (LossCase) (p, r, red, d) -> Losses.huber(p, target(r, d))));
    out.add(Arguments.of("bceWithLogits default", Reduction.MEAN,
        (LossCase) (p, r, red, d) -> Losses.bceWithLogits(p, Tensor.rand(r, 6, 3).to(d))));
    return out.stream();
  }

  interface LossCase {
    Tensor apply(Tensor prediction, Random rnd, Reduction reduction, Device device);
  }

  private static Tensor labels(Random r, Device d) {
    long[] y = new long[6];
    for (int i = 0; i < y.length; i++) {
      y[i] = r.nextInt(3);
    }
    return Tensor.of(y).to(d);
  }

  /** A target that requires gradients (the losses give it some). */
  private static Tensor target(Random r, Device d) {
    return Tensor.randn(r, 6, 3).mul(2).to(d).requiresGrad();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("losses")
  void lossesAndTheirGradientsOnTheDeviceEqualTheCpus(String name, Reduction reduction,
      LossCase loss) {
    List<double[]> cpu = lossRun(loss, reduction, CPU);
    List<double[]> dev = lossRun(loss, reduction, DEV);
    assertEquals(cpu.size(), dev.size());
    for (int i = 0; i < cpu.size(); i++) {
      assertArrayEquals(cpu.get(i), dev.get(i), name + " value/gradient " + i);
    }
  }

  private static List<double[]> lossRun(LossCase loss, Reduction reduction, Device device) {
    Random r = new Random(17);
    Layer model = new Linear(4, 3, new Random(2)).to(device);
    Tensor x = Tensor.randn(r, 6, 4).mul(3).to(device).requiresGrad();
    Tensor p = model.forward(x);
    Tensor l = loss.apply(p, r, reduction, device);
    assertEquals(device, l.device());
    assertEquals(reduction == Reduction.NONE, l.rank() > 0);
    if (reduction == Reduction.NONE) {
      l.backward(Tensor.randn(new Random(3), l.shape().toArray()).to(device));
    } else {
      l.backward();
    }
    List<double[]> out = new ArrayList<>();
    out.add(l.toDoubleArray());
    out.add(grad(x, device));
    for (Tensor q : model.parameters()) {
      out.add(grad(q, device));
    }
    return out;
  }

  private static double[] grad(Tensor t, Device device) {
    assertEquals(device, t.grad().device());
    return t.grad().toDoubleArray();
  }

  @Test
  void aDeviceTargetThatRequiresGradientsGetsThemOnTheDevice() {
    Tensor p = Tensor.randn(new Random(1), 4, 2).to(DEV).requiresGrad();
    Tensor t = Tensor.randn(new Random(2), 4, 2).to(DEV).requiresGrad();
    Losses.mse(p, t).backward();
    assertEquals(DEV, t.grad().device());
    assertArrayEquals(p.grad().neg().toDoubleArray(), t.grad().toDoubleArray());
  }

  // ---- optimizers, clipping and schedules ----------------------------------------------------

  /** An optimizer configuration, a schedule, and the clipping applied before each step. */
  record Setup(String name, Function<List<Tensor>, Optimizer> optimizer,
      Function<Optimizer, Schedule> schedule, String clip) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Setup> setups() {
    return Stream.of(
        new Setup("SGD", ps -> new SGD(ps, 0.1), null, "none"),
        new Setup("SGD momentum nesterov weightDecay, StepDecay, clipGradNorm",
            ps -> new SGD(ps, 0.1).momentum(0.9).nesterov(true).weightDecay(1e-2),
            o -> new StepDecay(o, 3, 0.5), "norm"),
        new Setup("SGD momentum dampening, clipGradValue",
            ps -> new SGD(ps, 0.05).momentum(0.8).dampening(0.3), null, "value"),
        new Setup("AdaGrad lrDecay weightDecay initialAccumulator, ExponentialDecay",
            ps -> new AdaGrad(ps, 0.1).lrDecay(0.01).weightDecay(1e-3).initialAccumulator(0.1)
                .eps(1e-9), o -> new ExponentialDecay(o, 0.9), "none"),
        new Setup("RMSprop", ps -> new RMSprop(ps, 1e-2), null, "none"),
        new Setup("RMSprop centered momentum weightDecay, InverseTimeDecay, clipGradNorm inf",
            ps -> new RMSprop(ps, 1e-2).alpha(0.9).centered(true).momentum(0.5)
                .weightDecay(1e-2), o -> new InverseTimeDecay(o, 0.1), "inf"),
        new Setup("Adam weightDecay betas, CosineDecay, clipGradNorm 1-norm",
            ps -> new Adam(ps, 1e-2).betas(0.8, 0.99).eps(1e-7).weightDecay(1e-2),
            o -> new CosineDecay(o, 10, 1e-4), "l1"),
        new Setup("AdamW", ps -> new AdamW(ps, 1e-2).weightDecay(0.1), null, "none"),
        new Setup("AdamW clipGradNorm 3-norm and clipGradValue, StepDecay",
            ps -> new AdamW(ps, 1e-2), o -> new StepDecay(o, 2), "p3+value"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("setups")
  void trainingOnTheDeviceEqualsTrainingOnTheCpu(Setup setup) {
    Run cpu = train(CPU, setup);
    Run dev = train(DEV, setup);
    assertEquals(cpu.losses, dev.losses);
    assertEquals(cpu.norms, dev.norms);
    assertEquals(cpu.learningRates, dev.learningRates);
    assertTrue(dev.losses.get(dev.losses.size() - 1) < dev.losses.get(0),
        "the loss falls: " + dev.losses);
    assertValuesEqual(cpu.params, dev.params, "parameter");
    assertValuesEqual(cpu.grads, dev.grads, "gradient");
    assertEquals(cpu.state.keySet(), dev.state.keySet());
    for (String k : cpu.state.keySet()) {
      assertArrayEquals(cpu.state.get(k), dev.state.get(k), "state " + k);
    }
  }

  /** What a training run leaves behind, as plain numbers. */
  static final class Run {
    final List<Double> losses = new ArrayList<>();
    final List<Double> norms = new ArrayList<>();
    final List<Double> learningRates = new ArrayList<>();
    List<double[]> params;
    List<double[]> grads;
    final Map<String, double[]> state = new LinkedHashMap<>();
  }

  private static Run train(Device device, Setup setup) {
    Layer model = everyLayer(21).to(device);
    Optimizer opt = setup.optimizer.apply(model.parameters());
    Schedule schedule = setup.schedule == null ? null : setup.schedule.apply(opt);
    Random data = new Random(6);
    Tensor x = Tensor.randn(data, 16, 5).to(device);
    Tensor y = labels16(data).to(device);
    Run run = new Run();
    for (int step = 0; step < 8; step++) {
      try (var scope = Tensors.scope()) {
        opt.zeroGrad();
        Tensor loss = Losses.softmaxCrossEntropy(model.forward(x), y);
        loss.backward();
        clip(setup.clip, model.parameters(), run.norms);
        opt.step();
        if (schedule != null) {
          schedule.step();
        }
        run.losses.add(loss.item());
        run.learningRates.add(opt.learningRate());
      }
    }
    assertAllOn(device, model, opt);
    run.params = values(model.parameters());
    run.grads = new ArrayList<>();
    for (Tensor p : model.parameters()) {
      run.grads.add(p.grad().toDoubleArray());
    }
    opt.state().forEach((k, v) -> run.state.put(k, v instanceof Tensor
        ? ((Tensor) v).toDoubleArray() : new double[] {((Long) v).doubleValue()}));
    return run;
  }

  private static Tensor labels16(Random r) {
    long[] y = new long[16];
    for (int i = 0; i < y.length; i++) {
      y[i] = r.nextInt(3);
    }
    return Tensor.of(y);
  }

  private static void clip(String how, List<Tensor> params, List<Double> norms) {
    switch (how) {
      case "norm":
        norms.add(GradClip.clipGradNorm(params, 0.5));
        break;
      case "inf":
        norms.add(GradClip.clipGradNorm(params, 0.05, Double.POSITIVE_INFINITY));
        break;
      case "l1":
        norms.add(GradClip.clipGradNorm(params, 1.0, 1));
        break;
      case "p3+value":
        norms.add(GradClip.clipGradNorm(params, 0.2, 3));
        GradClip.clipGradValue(params, 0.01);
        break;
      case "value":
        GradClip.clipGradValue(params, 0.02);
        break;
      default:
    }
  }

  /** Every parameter, gradient and optimizer buffer is on {@code device}, open and a leaf. */
  private static void assertAllOn(Device device, Layer model, Optimizer opt) {
    for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
      Tensor p = e.getValue();
      assertEquals(device, p.device(), e.getKey());
      assertTrue(p.isLeaf() && !p.isClosed(), e.getKey());
      assertEquals(device, p.grad().device(), e.getKey() + " gradient");
    }
    for (Tensor p : opt.parameters()) {
      assertEquals(device, p.device());
    }
    int buffers = 0;
    for (Map.Entry<String, Object> e : opt.state().entrySet()) {
      if (e.getValue() instanceof Tensor) {
        Tensor t = (Tensor) e.getValue();
        assertEquals(device, t.device(), "state " + e.getKey());
        assertFalse(t.isClosed(), "state " + e.getKey());
        buffers++;
      }
    }
    assertTrue(buffers > 0 || opt instanceof SGD, "the optimizer has state");
  }

  @Test
  void clippingReturnsTheCpuNormsAndLeavesGradientsOnTheDevice() {
    for (double normType : new double[] {1, 2, 2.5, Double.POSITIVE_INFINITY}) {
      double[] norms = new double[2];
      List<List<double[]>> grads = new ArrayList<>();
      Device[] devices = {CPU, DEV};
      for (int d = 0; d < 2; d++) {
        Layer model = MLP.of(new Random(4), ReLU::new, 3, 5, 2).to(devices[d]);
        model.forward(Tensor.randn(new Random(5), 4, 3).mul(4).to(devices[d])).sum()
            .backward();
        norms[d] = GradClip.clipGradNorm(model.parameters(), 0.1, normType);
        GradClip.clipGradValue(model.parameters(), 0.02);
        List<double[]> g = new ArrayList<>();
        for (Tensor p : model.parameters()) {
          assertEquals(devices[d], p.grad().device());
          g.add(p.grad().toDoubleArray());
        }
        grads.add(g);
      }
      assertEquals(norms[0], norms[1], "norm type " + normType);
      assertValuesEqual(grads.get(0), grads.get(1), "clipped gradient");
    }
  }

  @Test
  void steadyStateTrainingOnTheDeviceFreesEveryStepsStorages() {
    Layer model = everyLayer(2).to(DEV);
    Optimizer opt = new SGD(model.parameters(), 0.05).momentum(0.9);
    DataLoader loader = new DataLoader(blobs(64, 5, CPU), 16, new Random(1)).to(DEV);
    Runnable epoch = () -> {
      for (Iterator<Batch> it = loader.iterator(); it.hasNext(); ) {
        try (var scope = Tensors.scope()) {
          Batch b = it.next();
          opt.zeroGrad();
          Tensor loss = Losses.softmaxCrossEntropy(model.forward(b.x()), b.y());
          loss.backward();
          GradClip.clipGradNorm(model.parameters(), 1.0);
          opt.step();
        }
      }
    };
    epoch.run();
    long live = SecondDeviceBackend.liveStorages();
    for (int e = 0; e < 5; e++) {
      epoch.run();
    }
    assertTrue(SecondDeviceBackend.liveStorages() <= live,
        "device storages after 5 more epochs: " + SecondDeviceBackend.liveStorages() + " > "
            + live);
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  @Test
  void checkpointsOfADeviceModelAreTheCpuModelsAndLoadBackOntoEitherDevice()
      throws IOException {
    Path cpuFile = dir.resolve("cpu.safetensors");
    Path devFile = dir.resolve("dev.safetensors");
    Layer cpuModel = trainedMlp(CPU);
    Layer devModel = trainedMlp(DEV);
    cpuModel.save(cpuFile);
    devModel.save(devFile);
    assertEquals(-1, Files.mismatch(cpuFile, devFile), "the same bytes");

    Layer fresh = MLP.of(new Random(99), ReLU::new, 4, 8, 3).to(DEV);
    List<Tensor> before = fresh.parameters();
    fresh.load(cpuFile);
    for (int i = 0; i < before.size(); i++) {
      Tensor p = fresh.parameters().get(i);
      assertSame(before.get(i), p, "loaded in place");
      assertEquals(DEV, p.device());
      assertArrayEquals(cpuModel.parameters().get(i).toDoubleArray(), p.toDoubleArray());
    }
    Layer back = MLP.of(new Random(98), ReLU::new, 4, 8, 3);
    back.load(devFile);
    assertValuesEqual(values(cpuModel.parameters()), values(back.parameters()), "loaded");

    // A float64 checkpoint of int64 and float tensors from the device, loaded into float32.
    Map<String, Tensor> mixed = new LinkedHashMap<>();
    mixed.put("0.weight", devModel.namedParameters().get("0.weight").to(DType.FLOAT64));
    mixed.put("steps", Tensor.of(new long[] {1, 2, 3}).to(DEV));
    Path mixedFile = dir.resolve("mixed.safetensors");
    Safetensors.save(mixed, mixedFile);
    Map<String, Tensor> read = Safetensors.load(mixedFile);
    assertEquals(CPU, read.get("steps").device(), "load reads onto the CPU");
    assertArrayEquals(new long[] {1, 2, 3}, read.get("steps").toLongArray());
    Tensor target = Tensor.zeros(8, 4).to(DEV);
    Safetensors.loadInto(Map.of("0.weight", target), saveOne(mixed.get("0.weight")));
    assertEquals(DEV, target.device());
    assertArrayEquals(devModel.namedParameters().get("0.weight").toFloatArray(),
        target.toFloatArray());
  }

  private Path saveOne(Tensor t) throws IOException {
    Path p = dir.resolve("one.safetensors");
    Safetensors.save(Map.of("0.weight", t), p);
    return p;
  }

  private static Layer trainedMlp(Device device) {
    Layer model = MLP.of(new Random(12), ReLU::new, 4, 8, 3).to(device);
    Optimizer opt = new Adam(model.parameters(), 0.05);
    Random r = new Random(13);
    Tensor x = Tensor.randn(r, 10, 4).to(device);
    Tensor y = Tensor.of(new long[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 0}).to(device);
    for (int i = 0; i < 3; i++) {
      try (var scope = Tensors.scope()) {
        opt.zeroGrad();
        Losses.softmaxCrossEntropy(model.forward(x), y).backward();
        opt.step();
      }
    }
    return model;
  }

  // ---- data ------------------------------------------------------------------------------------

  /** Two Gaussian blobs in {@code dims} dimensions with labels 0 and 1, on {@code device}. */
  private static Dataset blobs(int n, int dims, Device device) {
    Random r = new Random(n * 31L + dims);
    float[] x = new float[dims * n];
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      int c = i % 2;
      for (int j = 0; j < dims; j++) {
        x[dims * i + j] = (float) (r.nextGaussian() * 0.7 + (c == 0 ? -1 : 1) * (j % 2 == 0
            ? 1 : -1));
      }
      y[i] = c;
    }
    return new Dataset(Tensor.of(x, n, dims).to(device), Tensor.of(y, n).to(device));
  }

  @Test
  void dataLoaderMovesEachBatchToTheDeviceInTheCpuOrder() {
    Dataset data = blobs(23, 5, CPU);
    List<Batch> cpu = batches(new DataLoader(data, 4, new Random(3)));
    List<Batch> dev = batches(new DataLoader(data, 4, new Random(3)).to(DEV));
    assertBatchesEqual(cpu, dev);
    assertBatchesEqual(batches(new DataLoader(data, 5)), batches(new DataLoader(data, 5).to(DEV)));
  }

  @Test
  void aDatasetOnTheDeviceGivesTheCpuBatchesSplitsAndSubsetsOnTheDevice() {
    Dataset cpu = blobs(23, 5, CPU);
    Dataset dev = blobs(23, 5, DEV);
    assertEquals(DEV, dev.x().device());
    assertEquals(cpu.numClasses(), dev.numClasses());
    assertBatchesEqual(batches(new DataLoader(cpu, 6, new Random(8)).dropLast(true)),
        batches(new DataLoader(dev, 6, new Random(8)).dropLast(true)));
    assertBatchesEqual(List.of(cpu.get(3, 1, 4)), List.of(dev.get(3, 1, 4)));
    Dataset[] a = cpu.split(10, new Random(2));
    Dataset[] b = dev.split(10, new Random(2));
    for (int i = 0; i < 2; i++) {
      assertBatchesEqual(List.of(new Batch(a[i].x(), a[i].y())),
          List.of(new Batch(b[i].x(), b[i].y())));
    }
    Dataset sub = dev.subset(2, 9).flatten();
    assertEquals(DEV, sub.x().device());
    assertArrayEquals(cpu.subset(2, 9).x().toFloatArray(), sub.x().toFloatArray());
  }

  @Test
  void labelsOnAnotherDeviceThanTheLogitsAreNamedBeforeTheirValues() {
    Tensor logits = Tensor.zeros(2, 3).to(DEV);
    Tensor bad = Tensor.of(new long[] {0, 7}); // on the CPU, and out of range too
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(logits, bad));
    assertTrue(e.getMessage().contains("labels are on cpu"), e.getMessage());
  }

  @Test
  void aDatasetWithFeaturesAndLabelsOnDifferentDevicesIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Dataset(Tensor.zeros(3, 2).to(DEV), Tensor.of(new long[] {0, 1, 0})));
    assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains("cpu"),
        e.getMessage());
  }

  @Test
  void normalizationFitsAndAppliesOnTheDevice() {
    Dataset cpu = blobs(20, 3, CPU);
    Dataset dev = blobs(20, 3, DEV);
    Normalization n = Normalization.fit(dev.x());
    assertEquals(Normalization.fit(cpu.x()).toString(), n.toString());
    Tensor applied = n.apply(dev.x());
    assertEquals(DEV, applied.device());
    assertArrayEquals(n.apply(cpu.x()).toFloatArray(), applied.toFloatArray());
    Tensor scaled = Normalization.scale(dev.x(), 4);
    assertEquals(DEV, scaled.device());
  }

  private static List<Batch> batches(DataLoader loader) {
    List<Batch> out = new ArrayList<>();
    for (Batch b : loader) {
      out.add(b);
    }
    return out;
  }

  private static void assertBatchesEqual(List<Batch> cpu, List<Batch> dev) {
    assertEquals(cpu.size(), dev.size());
    for (int i = 0; i < cpu.size(); i++) {
      assertEquals(DEV, dev.get(i).x().device(), "batch " + i);
      assertEquals(DEV, dev.get(i).y().device(), "batch " + i);
      assertArrayEquals(cpu.get(i).x().toFloatArray(), dev.get(i).x().toFloatArray());
      assertArrayEquals(cpu.get(i).y().toLongArray(), dev.get(i).y().toLongArray());
    }
  }

  // ---- the trainer -----------------------------------------------------------------------------

  @Test
  void theTrainerTrainsADeviceModelOnDeviceBatchesAsOnTheCpu() {
    Trainer.History cpu = fit(CPU);
    Trainer.History dev = fit(DEV);
    assertEquals(cpu.stepLosses(), dev.stepLosses());
    assertEquals(cpu.epochs().size(), dev.epochs().size());
    for (int i = 0; i < cpu.epochs().size(); i++) {
      Trainer.Epoch c = cpu.epochs().get(i);
      Trainer.Epoch d = dev.epochs().get(i);
      assertEquals(c.loss(), d.loss());
      assertEquals(c.trainAccuracy(), d.trainAccuracy());
      assertEquals(c.testAccuracy(), d.testAccuracy());
      assertEquals(c.endStep(), d.endStep());
    }
    assertTrue(dev.last().testAccuracy() > 0.9, "accuracy " + dev.last().testAccuracy());
  }

  private static Trainer.History fit(Device device) {
    Layer model = new Sequential(new Linear(4, 16, new Random(1)), new ReLU(),
        new Dropout(0.1, new Random(2)), new Linear(16, 2, new Random(3))).to(device);
    Optimizer opt = new AdamW(model.parameters(), 0.02);
    Schedule schedule = new CosineDecay(opt, 3);
    Trainer t = new Trainer(model, opt, Losses::softmaxCrossEntropy).progress(null).log(null)
        .onEpoch(e -> schedule.step());
    Trainer.History h = t.fit(new DataLoader(blobs(96, 4, CPU), 16, new Random(4)).to(device),
        new DataLoader(blobs(40, 4, CPU), 20).to(device), 3);
    assertTrue(model.isTraining());
    for (Tensor p : model.parameters()) {
      assertEquals(device, p.device());
      assertEquals(device, p.grad().device());
    }
    return h;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static List<double[]> values(List<Tensor> tensors) {
    List<double[]> out = new ArrayList<>();
    for (Tensor t : tensors) {
      out.add(t.toDoubleArray());
    }
    return out;
  }

  private static void assertValuesEqual(List<double[]> expected, List<double[]> actual,
      String what) {
    assertEquals(expected.size(), actual.size(), what + " count");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), what + " " + i);
    }
  }
}
