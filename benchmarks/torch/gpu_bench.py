"""PyTorch side of the GPU benchmark (dev.autodiff.bench.GpuBenchmark): the same measurements,
timed the same way, written as the same JSON lines (one per measurement, keyed by "id"), then
the same table. `bin/autodiff bench --gpu --vs-torch` and a GPU bundle's `run` read the JSON
lines and print ours / PyTorch.

  gpu_bench.py [--json FILE] [--device cuda|cpu]

--json writes the JSON lines to FILE instead of stdout; --device cpu checks the script on a
machine without a GPU. Exit status 2: CUDA is unusable (the reason is printed).
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch

MATMUL_SIZES = (1024, 2048, 4096)
# id: (title, sizes, batch, optimizer); as GpuBenchmark.MLPS
MLPS = {
    "mlp-tiny": ("tiny", [2, 16, 16, 2], 32, "SGD"),
    "mlp-mnist": ("MNIST", [784, 256, 256, 10], 128, "Adam"),
    "mlp-wide": ("wide", [784, 2048, 2048, 10], 1024, "Adam"),
}
# Warm-up: at least WARMUP_STEPS calls or steps and WARMUP_SECONDS (the Java side needs it for
# its JIT; the same rule here keeps the two alike).
WARMUP_STEPS, WARMUP_SECONDS, TIMED_STEPS = 10, 1.0, 50
MATMUL_REPS, MIN_REP_SECONDS = 7, 0.02


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def rep(op, k, device):
    """Seconds per call of op over k calls, ending with sum().item() of the last result, as
    GpuBenchmark.rep does (the read-back waits for every product queued before it)."""
    sync(device)  # nothing queued earlier may run inside the timed interval
    t0 = time.perf_counter()
    for _ in range(k):
        result = op()
    result.sum().item()
    return (time.perf_counter() - t0) / k


def matmul_gflops(device, n):
    gen = torch.Generator().manual_seed(n)
    a = torch.randn(n, n, generator=gen).to(device)
    b = torch.randn(n, n, generator=gen).to(device)
    op = lambda: a @ b  # noqa: E731
    warm_end = time.perf_counter() + WARMUP_SECONDS
    warm, last = 0, 0.0
    while warm < WARMUP_STEPS or time.perf_counter() < warm_end:
        last = rep(op, 1, device)
        warm += 1
    k = max(1, min(10_000, math.ceil(MIN_REP_SECONDS / last)))
    seconds = statistics.median(rep(op, k, device) for _ in range(MATMUL_REPS))
    return 2.0 * n ** 3 / seconds / 1e9


def mlp_step_ms(device, sizes, batch, opt_name):
    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    opt = (torch.optim.Adam(model.parameters(), 1e-3) if opt_name == "Adam"
           else torch.optim.SGD(model.parameters(), 0.1))
    x = torch.randn(batch, sizes[0]).to(device)
    y = torch.randint(0, sizes[-1], (batch,)).to(device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        loss.item()  # queued after the optimizer step, so it waits for the whole step

    warm_end = time.perf_counter() + WARMUP_SECONDS
    warm = 0
    while warm < WARMUP_STEPS or time.perf_counter() < warm_end:
        step()
        warm += 1
    times = []
    for _ in range(TIMED_STEPS):
        sync(device)  # no-op after loss.item(); kept so the timer starts on an idle GPU
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the JSON lines to this file instead of stdout")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print(f"gpu_bench.py: CUDA is not usable by PyTorch {torch.__version__} "
              f"(built for CUDA {torch.version.cuda}): torch.cuda.is_available() is False",
              file=sys.stderr)
        sys.exit(2)
    # FP32 against FP32: no TF32 tensor-core shortcuts in matmul or cuDNN.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device(args.device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    impl = f"pytorch {torch.__version__}"
    print(f"gpu_bench.py: {impl} on {where}", file=sys.stderr)

    sink = open(args.json, "w") if args.json else sys.stdout
    results = []

    def report(rid, name, value, unit, higher):
        row = {"id": rid, "name": name, "value": value, "unit": unit,
               "higher_is_better": higher, "impl": impl, "device": where}
        print(json.dumps(row), file=sink, flush=True)
        print(f"  {name}: {value:.4g} {unit}", file=sys.stderr)
        results.append(row)

    for n in MATMUL_SIZES:
        report(f"matmul-{n}", f"matmul {n} float32", matmul_gflops(device, n), "GFLOP/s", True)
    for rid, (title, sizes, batch, opt_name) in MLPS.items():
        name = f"{title} step ({'-'.join(map(str, sizes))} b{batch} {opt_name})"
        report(rid, name, mlp_step_ms(device, sizes, batch, opt_name), "ms", False)
    if sink is not sys.stdout:
        sink.close()

    print("\n| benchmark | PyTorch |\n| --- | --- |")
    for r in results:
        print(f"| {r['name']} | {r['value']:.4g} {r['unit']} |")


if __name__ == "__main__":
    main()
