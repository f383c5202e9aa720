#!/usr/bin/env bash
# Keeps the committed kernel binaries in step with kernels.cu. The stamp records a SHA-256 of the
# source and of the nvcc flags: when it no longer matches, nvcc (if on the PATH) rebuilds the
# fatbin (SASS for sm_80 and sm_90, PTX for compute_90) and the PTX text, to be committed; without
# nvcc the build fails rather than ship binaries of an older source. Content hashes, not file
# times: a git checkout sets every file's time to the moment of the checkout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../resources/dev/autodiff/cuda"
src="$here/kernels.cu"
flags="-O3 -std=c++17 -Xfatbin=-compress-all -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"
want="$( (cat "$src"; echo "$flags") | sha256sum | cut -d' ' -f1)"
have="$(cat "$out/kernels.sha256" 2>/dev/null || true)"
if [[ "$want" == "$have" && -s "$out/kernels.fatbin" && -s "$out/kernels.ptx" ]]; then
  exit 0
fi
if ! command -v nvcc >/dev/null 2>&1; then
  echo "autodiff-cuda: kernels.cu changed but the committed kernels.fatbin was built from another" >&2
  echo "source, and nvcc is not on the PATH to rebuild it: install the CUDA toolkit (nvcc 13)," >&2
  echo "or check out the fatbin that belongs to this kernels.cu." >&2
  exit 1
fi
mkdir -p "$out"
echo "autodiff-cuda: compiling kernels.cu with $(nvcc --version | tail -1)"
# shellcheck disable=SC2086
nvcc -fatbin $flags -o "$out/kernels.fatbin" "$src"
nvcc -ptx -O3 -std=c++17 -arch=compute_90 -o "$out/kernels.ptx" "$src"
echo "$want" > "$out/kernels.sha256"
echo "autodiff-cuda: rebuilt kernels.fatbin and kernels.ptx; commit them with kernels.cu"
