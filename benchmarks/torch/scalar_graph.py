"""The ScalarGraphBenchmark graph in PyTorch eager: a 2-16-16-1 MLP written neuron by neuron on
0-d tensors, 10 samples, squared loss, forward and backward; prints the median us per op.

Run beside the Java benchmark in one command, e.g.:
  java -cp "$CP" dev.autodiff.bench.ScalarGraphBenchmark && /usr/bin/python3 benchmarks/torch/scalar_graph.py
"""
import random
import statistics
import time

import torch

torch.set_num_threads(1)
rnd = random.Random(0)
sizes = [2, 16, 16, 1]
layers = []
for l in range(1, len(sizes)):
    layer = []
    for _ in range(sizes[l]):
        w = [torch.tensor(rnd.uniform(-1, 1), requires_grad=True) for _ in range(sizes[l - 1])]
        b = torch.tensor(0.0, requires_grad=True)
        layer.append((w, b))
    layers.append(layer)
xs = [[rnd.gauss(0, 1), rnd.gauss(0, 1)] for _ in range(10)]
ys = [1.0 if rnd.random() < 0.5 else -1.0 for _ in range(10)]


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
        total = sq if total is None else total + sq
        ops += 0 if total is sq else 1
    total.backward()
    return ops


end = time.time() + 3
while time.time() < end:
    ops = step()
samples = []
for _ in range(30):
    t0 = time.perf_counter()
    step()
    samples.append((time.perf_counter() - t0) * 1e6 / ops)
print(f"pytorch {torch.__version__} scalar graph: {ops} ops forward+backward, "
      f"median {statistics.median(samples):.3f} us/op")
