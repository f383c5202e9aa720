package dev.autodiff.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The Layout struct the broadcast, where and strided-copy kernels index with: after dropping and
 * merging axes, each output element still reads the element NumPy's rules say it does.
 */
class CudaLayoutTest {
  /** The element of {@code in} that output element i of {@code out} reads, the slow way. */
  static long naiveOffset(Shape in, Shape out, long i) {
    int[] idx = new int[out.rank()];
    for (int d = out.rank() - 1; d >= 0; d--) {
      idx[d] = (int) (i % out.size(d));
      i /= out.size(d);
    }
    long off = 0;
    int shift = out.rank() - in.rank();
    int[] strides = in.strides();
    for (int d = 0; d < in.rank(); d++) {
      off += (in.size(d) == 1 ? 0 : idx[d + shift]) * (long) strides[d];
    }
    return off;
  }

  static Shape randomShape(Random r, int rank) {
    int[] d = new int[rank];
    for (int i = 0; i < rank; i++) {
      d[i] = 1 + r.nextInt(4);
    }
    return Shape.of(d);
  }

  /** A shape that broadcasts to {@code out}: fewer leading axes, some axes of size 1. */
  static Shape broadcastable(Random r, Shape out) {
    int drop = r.nextInt(out.rank() + 1);
    int[] d = new int[out.rank() - drop];
    for (int i = 0; i < d.length; i++) {
      d[i] = r.nextInt(3) == 0 ? 1 : out.size(i + drop);
    }
    return Shape.of(d);
  }

  @Property(tries = 300)
  void broadcastOffsetsMatchNumpysRules(@ForAll long seed) {
    Random r = new Random(seed);
    Shape out = randomShape(r, r.nextInt(8));
    Shape[] ins = {broadcastable(r, out), broadcastable(r, out), broadcastable(r, out)};
    int[] packed = CudaLayout.broadcast(out, ins);
    assertEquals(CudaLayout.INTS, packed.length);
    assertTrue(packed[0] <= out.rank());
    for (long i = 0; i < out.numel(); i++) {
      for (int k = 0; k < 3; k++) {
        assertEquals(naiveOffset(ins[k], out, i), CudaLayout.offsetOf(packed, k, i),
            "input " + ins[k] + " to " + out + ", element " + i);
      }
    }
  }

  @Property(tries = 200)
  void permutationOffsetsWalkThePermutedAxes(@ForAll long seed) {
    Random r = new Random(seed);
    Shape in = randomShape(r, 1 + r.nextInt(6));
    List<Integer> axes = new ArrayList<>();
    for (int i = 0; i < in.rank(); i++) {
      axes.add(i);
    }
    Collections.shuffle(axes, r);
    int[] perm = axes.stream().mapToInt(Integer::intValue).toArray();
    int[] packed = CudaLayout.permute(in, perm);
    int[] strides = in.strides();
    int[] outDims = new int[perm.length];
    for (int i = 0; i < perm.length; i++) {
      outDims[i] = in.size(perm[i]);
    }
    Shape out = Shape.of(outDims);
    for (long i = 0; i < out.numel(); i++) {
      long rest = i;
      long want = 0;
      for (int d = out.rank() - 1; d >= 0; d--) {
        want += (rest % outDims[d]) * strides[perm[d]];
        rest /= outDims[d];
      }
      assertEquals(want, CudaLayout.offsetOf(packed, 0, i), "element " + i + " of " + out);
    }
  }

  @Test
  void contiguousAxesMergeSoCommonBroadcastsAreShort() {
    // A bias row added to a batch of rows: two axes, whatever the leading batch axes.
    int[] p = CudaLayout.broadcast(Shape.of(8, 16, 32, 64), Shape.of(8, 16, 32, 64),
        Shape.of(64));
    assertEquals(2, p[0]);
    assertEquals(8 * 16 * 32, p[1]);
    assertEquals(64, p[2]);
    // Same shapes collapse to one axis; a scalar to none.
    assertEquals(1, CudaLayout.broadcast(Shape.of(3, 4, 5), Shape.of(3, 4, 5))[0]);
    assertEquals(0, CudaLayout.broadcast(Shape.SCALAR, Shape.SCALAR)[0]);
  }

  @Test
  void moreThan25UnmergeableAxesAreRejectedByName() {
    // 26 axes of 2, the input's alternately broadcast: none merge, one past PyTorch's 25
    int[] dims = new int[26];
    int[] alternating = new int[26];
    java.util.Arrays.fill(dims, 2);
    for (int i = 0; i < 26; i++) {
      alternating[i] = i % 2 == 0 ? 2 : 1;
    }
    UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
        () -> CudaLayout.broadcast(Shape.of(dims), Shape.of(alternating)));
    assertTrue(e.getMessage().contains("at most 25"), e.getMessage());
  }
}
