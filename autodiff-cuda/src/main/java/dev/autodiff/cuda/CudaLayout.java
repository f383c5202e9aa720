package dev.autodiff.cuda;

import dev.autodiff.core.Shape;
import java.util.function.Supplier;

/**
 * The {@code Layout} struct of kernels.cu: for up to three inputs, the stride of each output axis
 * (0 where that input is broadcast). Axes of size 1 are dropped and neighbouring axes that every
 * input walks contiguously are merged, so most broadcasts reach the kernel with rank 1 to 3 and
 * the per-element index arithmetic stays short.
 */
final class CudaLayout {
  /** MAX_RANK of kernels.cu. */
  static final int MAX_RANK = 25;
  /** The struct's size in ints: rank, dims[MAX_RANK], stride[3][MAX_RANK]. */
  static final int INTS = 1 + MAX_RANK + 3 * MAX_RANK;

  private CudaLayout() {}

  /** The layout of {@code inputs} broadcast to {@code out}. */
  static int[] broadcast(Shape out, Shape... inputs) {
    int r = out.rank();
    int[][] strides = new int[inputs.length][];
    for (int k = 0; k < inputs.length; k++) {
      strides[k] = aligned(inputs[k], out);
    }
    return pack(() -> "broadcast to " + out, out.toArray(), strides);
  }

  /** The layout of a permutation: output axis i walks input axis {@code perm[i]}. */
  static int[] permute(Shape in, int[] perm) {
    int[] dims = new int[perm.length];
    int[] stride = new int[perm.length];
    int[] own = in.strides();
    for (int i = 0; i < perm.length; i++) {
      dims[i] = in.size(perm[i]);
      stride[i] = own[perm[i]];
    }
    return pack(() -> "permute of " + in, dims, new int[][] {stride});
  }

  /** Strides of {@code in} on the axes of {@code out}, 0 where in is broadcast. */
  static int[] aligned(Shape in, Shape out) {
    int r = out.rank();
    int[] s = new int[r];
    int[] own = in.strides();
    int off = r - in.rank();
    for (int d = 0; d < in.rank(); d++) {
      s[d + off] = in.size(d) == 1 ? 0 : own[d];
    }
    return s;
  }

  /** Drops size-1 axes, merges contiguous neighbours, and packs the struct's ints. */
  static int[] pack(Supplier<String> what, int[] dims, int[][] strides) {
    int n = strides.length;
    int[] d = new int[dims.length];
    int[][] s = new int[n][dims.length];
    int rank = 0;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] == 1) {
        continue;
      }
      boolean merge = rank > 0;
      for (int k = 0; k < n && merge; k++) {
        merge = s[k][rank - 1] == (long) strides[k][i] * dims[i];
      }
      if (merge) {
        d[rank - 1] *= dims[i];
        for (int k = 0; k < n; k++) {
          s[k][rank - 1] = strides[k][i];
        }
      } else {
        d[rank] = dims[i];
        for (int k = 0; k < n; k++) {
          s[k][rank] = strides[k][i];
        }
        rank++;
      }
    }
    if (rank > MAX_RANK) {
      throw new UnsupportedOperationException("cuda: " + what.get() + " needs " + rank
          + " axes after merging contiguous ones; the CUDA kernels index at most " + MAX_RANK);
    }
    int[] packed = new int[INTS];
    packed[0] = rank;
    System.arraycopy(d, 0, packed, 1, rank);
    for (int k = 0; k < n; k++) {
      System.arraycopy(s[k], 0, packed, 1 + MAX_RANK + k * MAX_RANK, rank);
    }
    return packed;
  }

  /** The offset in input {@code which} of output element {@code i}: offsetOf of kernels.cu. */
  static long offsetOf(int[] packed, int which, long i) {
    long off = 0;
    for (int d = packed[0] - 1; d >= 0; d--) {
      int size = packed[1 + d];
      off += (i % size) * packed[1 + MAX_RANK + which * MAX_RANK + d];
      i /= size;
    }
    return off;
  }
}
