#!/usr/bin/env bash
# Builds the CUDA emulator (cuda_emulator.cpp) into OUT/libcuda.so.1 for the emulated-GPU tests:
# kernels.cu compiled by g++, with the kernel list taken from the shipped PTX; and a stub cuBLAS 12
# for it into OUT/cublas. Without g++ (or on
# another CPU than x86-64) it builds nothing and says so; those tests then skip, as on any machine
# without CUDA. Rebuilds only when a source is newer than the library.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
module="$(cd "$here/../../.." && pwd)"
out="${1:?usage: build-emulator.sh OUT_DIR}"
cu="$module/src/main/cuda/kernels.cu"
ptx="$module/src/main/resources/dev/autodiff/cuda/kernels.ptx"
lib="$out/libcuda.so.1"

if [[ "$(uname -m)" != x86_64 ]] || ! command -v g++ >/dev/null 2>&1; then
  echo "autodiff-cuda: no g++ for x86-64 here: no CUDA emulator, so the emulated GPU tests skip"
  exit 0
fi
stub="$module/src/test/c/stub_cublas.c"
cublas="$out/cublas/libcublas.so.12"
if [[ -s "$lib" && "$lib" -nt "$cu" && "$lib" -nt "$ptx" && "$lib" -nt "$here/cuda_emulator.cpp" \
      && "$lib" -nt "$here/cuda_emulator.h" && "$lib" -nt "$0" && -s "$cublas" \
      && "$cublas" -nt "$stub" ]]; then
  exit 0
fi
mkdir -p "$out"
sed -n 's/^\.visible \.entry \([A-Za-z0-9_]*\)(.*/K(\1)/p' "$ptx" > "$out/kernels.inc"
[[ -s "$out/kernels.inc" ]] || { echo "autodiff-cuda: no .entry in $ptx" >&2; exit 1; }
echo "autodiff-cuda: building the CUDA emulator ($(wc -l < "$out/kernels.inc") kernels)"
g++ -std=c++17 -O2 -g -fPIC -shared -Wall -Wno-unknown-pragmas -Wno-unused-function \
  -I "$here" -I "$module/src/main/cuda" -I "$out" -Wl,-soname,libcuda.so.1 \
  -o "$lib.tmp" "$here/cuda_emulator.cpp"
mv "$lib.tmp" "$lib"

# A cuBLAS 12 for the emulated device, in a folder of its own so that a test run can choose it:
# the stub of src/test/c computes on host memory, which is the emulated device's memory, so the
# backend's JCublas2 path (self-test, operand swap, batches) runs end to end as well.
mkdir -p "$out/cublas"
printf 'libcublas.so.12 { global: *; };\n' > "$out/cublas/versions.map"
gcc -shared -fPIC -O1 -DSTUB_MAJOR=12 -Wl,-soname,libcublas.so.12 \
  -Wl,--version-script="$out/cublas/versions.map" -o "$cublas.tmp" "$stub"
mv "$cublas.tmp" "$cublas"
