"""Float32 square torch.mm GFLOP/s (median of 7 samples after warm-up), for MatmulBenchmark's
sizes; run in the same command as the Java benchmark to compare."""
import statistics
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
for n in (256, 512, 1024, 2048):
    a = torch.rand(n, n) - 0.5
    b = torch.rand(n, n) - 0.5
    end = time.time() + 0.4
    calls = 0
    t0 = time.perf_counter()
    while time.time() < end or calls < 3:
        torch.mm(a, b)
        calls += 1
    per = (time.perf_counter() - t0) / calls
    k = max(1, int(0.03 / per))
    samples = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(k):
            torch.mm(a, b)
        samples.append((time.perf_counter() - t0) / k)
    print(f"torch {torch.__version__} mm n={n}: {2 * n**3 / statistics.median(samples) / 1e9:.1f} GFLOP/s")
