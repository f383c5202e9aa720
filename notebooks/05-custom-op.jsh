// 05 - Your own op: a forward, a vector-Jacobian product, and GradCheck to prove the VJP right
// (and to show what a wrong one looks like).
//
//   bin/autodiff notebook notebooks/05-custom-op.jsh

// ---- Why a custom op: softplus, log(1 + e^x), computed naively ----------------------------------
// In float32 e^x overflows past x = 88, so the naive formula gives infinity for large x, and its
// gradient, e^x / (1 + e^x), becomes infinity / infinity = NaN.

Tensor big = Tensor.of(new float[] {-100, 0, 100}).requiresGrad();
Tensor naive = big.exp().add(1).log();
naive
naive.sum().backward();
big.grad()

// ---- The op -------------------------------------------------------------------------------------
// The stable form is max(x, 0) + log(1 + e^-|x|): e^-|x| never exceeds 1. Its derivative is
// sigmoid(x). Op.define takes a name, the forward, and the VJP: from the output's cotangent gy to
// one cotangent per input. The forward runs with recording off (one tape entry stands for the
// whole op); the VJP is written with ordinary tensor ops on ctx.input(0), so it can itself be
// differentiated: second derivatives come for free.

Op softplus = Op.define("stableSoftplus",
    (ctx, in) -> in[0].relu().add(in[0].abs().neg().exp().add(1).log()),
    (ctx, gy) -> new Tensor[] {gy.mul(ctx.input(0).sigmoid())});

Tensor big2 = Tensor.of(new float[] {-100, 0, 100}).requiresGrad();
Tensor y = softplus.apply(big2);
y
y.sum().backward();
big2.grad()

// It agrees with the built-in softplus:
Tensor.of(new float[] {-3, -0.5f, 0, 2, 30}).softplus()
softplus.apply(Tensor.of(new float[] {-3, -0.5f, 0, 2, 30}))

// ---- Checking the VJP ---------------------------------------------------------------------------
// GradCheck compares the tape's gradients with central finite differences, in float64 (PyTorch's
// defaults: eps 1e-6, atol 1e-5, rtol 1e-3); checkSecondOrder does the same for the gradient of
// the gradient, built with createGraph.

Tensor x = Tensor.randn(new Random(0), 3, 4).mul(3).to(DType.FLOAT64).requiresGrad();
GradCheck check = GradCheck.defaults().name("stableSoftplus");
System.out.println(check.check(in -> softplus.apply(in[0]), x));
System.out.println(check.checkSecondOrder(in -> softplus.apply(in[0]), x));

// In a test, gradCheck and gradGradCheck throw a GradCheckFailure instead of returning a report:
GradCheck.gradCheck(in -> softplus.apply(in[0]).mul(in[1]).sum(1), x, x.detach().requiresGrad())
GradCheck.gradGradCheck(in -> softplus.apply(in[0]), x)

// The op trains like any other. Fit y = softplus(w x + b) to a softplus of known w = 2, b = -1:
Tensor w = Tensor.scalar(0.5).requiresGrad();
Tensor b = Tensor.scalar(0.0).requiresGrad();
Tensor xs = Tensor.arange(-3.0, 3.0, 0.25);
Tensor target = xs.mul(2).sub(1).softplus();
Optimizer opt = new Adam(List.of(w, b), 0.05);
for (int step = 0; step < 500; step++) {
  try (var scope = Tensors.scope()) {
    opt.zeroGrad();
    Losses.mse(softplus.apply(xs.mul(w).add(b)), target).backward();
    opt.step();
  }
}
System.out.printf("fitted w = %.3f, b = %.3f (true: 2, -1)%n", w.item(), b.item());

// ---- A wrong VJP, caught ------------------------------------------------------------------------
// swish(x) = x sigmoid(x). Its derivative needs the product rule: sigmoid(x) (1 + x (1 -
// sigmoid(x))). A VJP that forgets it and returns gy * sigmoid(x) looks plausible, trains
// without complaint, and is wrong. GradCheck says where and by how much:

Op badSwish = Op.define("swish (wrong VJP)",
    (ctx, in) -> in[0].mul(in[0].sigmoid()),
    (ctx, gy) -> new Tensor[] {gy.mul(ctx.input(0).sigmoid())});
GradCheckReport bad =
    GradCheck.defaults().name("swish (wrong VJP)").check(in -> badSwish.apply(in[0]), x);
System.out.println(bad);
bad.passed()

// The fix, and its check:
Op swish = Op.define("swish",
    (ctx, in) -> in[0].mul(in[0].sigmoid()),
    (ctx, gy) -> {
      Tensor s = ctx.input(0).sigmoid();
      return new Tensor[] {gy.mul(s.mul(ctx.input(0).mul(s.neg().add(1)).add(1)))};
    });
GradCheck swishCheck = GradCheck.defaults().name("swish");
System.out.println(swishCheck.check(in -> swish.apply(in[0]), x));
System.out.println(swishCheck.checkSecondOrder(in -> swish.apply(in[0]), x));
