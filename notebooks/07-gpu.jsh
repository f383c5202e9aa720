// 07 - The GPU: the same computation on CUDA when it is available, and on the CPU otherwise.
//
//   bin/autodiff notebook notebooks/07-gpu.jsh
//
// Device.cuda() either returns the first GPU or throws an IllegalStateException that says what is
// missing: the autodiff-cuda module, a driver, a device, or a library that failed to load. Code
// written against a Device runs unchanged on either.

Device device;
try {
  device = Device.cuda();
  System.out.println("CUDA is available: running on " + device);
} catch (IllegalStateException e) {
  System.out.println("no CUDA (" + e.getMessage() + "): running on the CPU");
  device = Device.cpu();
}
device

// Tensors are made on the CPU and moved with to(device); ops on tensors of different devices fail
// rather than copy silently, so the inputs and the model go to the same device.

Tensor a = Tensor.randn(new Random(0), 512, 512).to(device);
Tensor b = Tensor.randn(new Random(1), 512, 512).to(device);
a.device()

// A matrix product, timed (the first call warms up; then the mean of ten):
a.matmul(b).sum().item();
long start = System.nanoTime();
for (int i = 0; i < 10; i++) {
  try (var s = Tensors.scope()) {
    a.matmul(b).sum().item(); // item() waits for the result, on any device
  }
}
double seconds = (System.nanoTime() - start) / 1e9 / 10;
System.out.printf("512 x 512 matmul on %s: %.2f ms, %.1f GFLOP/s%n", device, seconds * 1e3,
    2.0 * 512 * 512 * 512 / seconds / 1e9);

// A few training steps of a small two-layer network on random data. Layer.to(device) moves the
// model's parameters (as model.to(device) in PyTorch; build the optimizer after it), and the data
// goes there too: the rest is the same code as on the CPU, optimizer included. It memorizes 256
// random labels, so the loss falls from about ln 10 = 2.3 towards 0.

Random rnd = new Random(2);
Layer model = MLP.of(rnd, ReLU::new, 64, 128, 10).to(device);
Tensor x = Tensor.randn(rnd, 256, 64).to(device);
Tensor y = Tensor.of(rnd.longs(256, 0, 10).toArray()).to(device);
Optimizer opt = new Adam(model.parameters(), 1e-2);
for (int step = 1; step <= 100; step++) {
  try (var s = Tensors.scope()) {
    opt.zeroGrad();
    Tensor loss = Losses.softmaxCrossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    if (step == 1 || step % 25 == 0) {
      System.out.printf("step %3d  loss %.4f%n", step, loss.item());
    }
  }
}
model.parameters().get(0).grad().device()
