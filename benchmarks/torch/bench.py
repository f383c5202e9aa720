"""PyTorch side of `bin/autodiff bench --vs-torch`: the same configurations as the Java
benchmarks, one per call, printing one line `median <value> <unit>`.

  bench.py mlp tiny|mnist|wide THREADS   median ms of one training step
  bench.py scalar THREADS                median us per op of the micrograd-style graph
  bench.py matmul N THREADS              median GFLOP/s of float32 N x N x N torch.mm
"""
import random
import statistics
import sys
import time

import torch

MLP = {
    "tiny": ([2, 16, 16, 2], 32, "sgd", 2.0),
    "mnist": ([784, 256, 256, 10], 128, "adam", 3.0),
    "wide": ([1024, 2048, 2048, 10], 256, "adam", 6.0),
}


def timed(step, seconds):
    end = time.time() + seconds * 0.5
    while time.time() < end:
        step()
    samples = []
    end = time.time() + seconds
    while len(samples) < 5 or (time.time() < end and len(samples) < seconds * 250):
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def mlp(name):
    sizes, batch, opt_name, seconds = MLP[name]
    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = (torch.optim.Adam(model.parameters(), 1e-3) if opt_name == "adam"
           else torch.optim.SGD(model.parameters(), 0.1))
    x = torch.randn(batch, sizes[0])
    y = torch.randint(0, sizes[-1], (batch,))
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    print(f"median {timed(step, seconds) * 1e3:.4f} ms")


def scalar():
    rnd = random.Random(0)
    sizes = [2, 16, 16, 1]
    layers = []
    for l in range(1, len(sizes)):
        layers.append([([torch.tensor(rnd.uniform(-1, 1), requires_grad=True)
                         for _ in range(sizes[l - 1])], torch.tensor(0.0, requires_grad=True))
                       for _ in range(sizes[l])])
    xs = [[rnd.gauss(0, 1), rnd.gauss(0, 1)] for _ in range(10)]
    ys = [1.0 if rnd.random() < 0.5 else -1.0 for _ in range(10)]
    count = [0]

    def step():
        ops = 0
        for layer in layers:
            for w, b in layer:
                for p in w + [b]:
                    p.grad = None
        total = None
        for x, y in zip(xs, ys):
            h = [torch.tensor(v) for v in x]
            for li, layer in enumerate(layers):
                out = []
                for w, b in layer:
                    act = b
                    for wi, hi in zip(w, h):
                        act = act + wi * hi
                        ops += 2
                    if li < len(layers) - 1:
                        act = act.relu()
                        ops += 1
                    out.append(act)
                h = out
            d = h[0] - y
            sq = d * d
            ops += 2
            if total is None:
                total = sq
            else:
                total = total + sq
                ops += 1
        total.backward()
        count[0] = ops

    t = timed(step, 3.0)
    print(f"median {t * 1e6 / count[0]:.4f} us/op")


def matmul(n):
    a = torch.rand(n, n) - 0.5
    b = torch.rand(n, n) - 0.5
    t = timed(lambda: torch.mm(a, b), 1.5)
    print(f"median {2 * n ** 3 / t / 1e9:.2f} GFLOP/s")


if __name__ == "__main__":
    kind = sys.argv[1]
    torch.set_num_threads(int(sys.argv[-1]))
    if kind == "mlp":
        mlp(sys.argv[2])
    elif kind == "scalar":
        scalar()
    else:
        matmul(int(sys.argv[2]))
