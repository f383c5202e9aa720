package dev.autodiff.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The errors of DESIGN section 8: bad arguments throw IllegalArgumentException naming the op, the
 * shapes and the value; misuse of state throws IllegalStateException; nothing escapes as a raw
 * ArrayIndexOutOfBoundsException or NullPointerException.
 */
class ErrorsTest {

  // ---- helpers ------------------------------------------------------------------------------

  /** Asserts {@code type} is thrown and its message contains every one of {@code parts}. */
  private static <T extends Throwable> T assertThrowsNaming(Class<T> type, Executable e,
      String... parts) {
    T t = assertThrows(type, e);
    String m = t.getMessage();
    assertTrue(m != null, "exception without a message: " + t);
    for (String p : parts) {
      assertTrue(m.contains(p), "message should name '" + p + "': " + m);
    }
    return t;
  }

  private static Tensor m23() {
    return Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
  }

  /** Runs every case; each must throw IllegalArgumentException (a null is a bad argument). */
  private static void assertAllThrowIllegalArgument(Map<String, Executable> cases) {
    List<String> bad = new ArrayList<>();
    for (Map.Entry<String, Executable> c : cases.entrySet()) {
      try {
        c.getValue().execute();
        bad.add(c.getKey() + ": no exception");
      } catch (IllegalArgumentException expected) {
        // the documented error
      } catch (Throwable t) {
        bad.add(c.getKey() + ": " + t);
      }
    }
    if (!bad.isEmpty()) {
      fail(bad.size() + " of " + cases.size() + " bad arguments did not throw "
          + "IllegalArgumentException:\n  " + String.join("\n  ", bad));
    }
  }

  /**
   * Runs every case; each must succeed or throw one of the documented exceptions
   * (IllegalArgumentException, IllegalStateException, UnsupportedOperationException).
   */
  private static void assertNoneCrash(Map<String, Executable> cases) {
    List<String> bad = new ArrayList<>();
    for (Map.Entry<String, Executable> c : cases.entrySet()) {
      try {
        c.getValue().execute();
      } catch (IllegalArgumentException | IllegalStateException
          | UnsupportedOperationException documented) {
        // fine
      } catch (Throwable t) {
        bad.add(c.getKey() + ": " + t);
      }
    }
    if (!bad.isEmpty()) {
      fail(bad.size() + " of " + cases.size() + " inputs escaped with an undocumented exception:\n  "
          + String.join("\n  ", bad));
    }
  }

  // ---- shape mismatches ---------------------------------------------------------------------

  @Test
  void addOfUnbroadcastableShapesNamesTheOpAndBothShapes() {
    Tensor a = m23();
    Tensor b = Tensor.of(new double[] {1, 2, 3, 4});
    assertThrowsNaming(IllegalArgumentException.class, () -> a.add(b), "add", "[2, 3]", "[4]");
  }

  @Test
  void everyBinaryOpOfUnbroadcastableShapesNamesItselfAndBothShapes() {
    Tensor a = m23();
    Tensor b = Tensor.of(new double[] {1, 2, 3, 4});
    Map<String, Executable> ops = new LinkedHashMap<>();
    ops.put("sub", () -> a.sub(b));
    ops.put("mul", () -> a.mul(b));
    ops.put("div", () -> a.div(b));
    ops.put("pow", () -> a.pow(b));
    ops.put("gt", () -> a.gt(b));
    ops.put("lt", () -> a.lt(b));
    ops.put("ge", () -> a.ge(b));
    ops.put("le", () -> a.le(b));
    ops.put("eq", () -> a.eq(b));
    ops.put("where", () -> Tensor.where(a.gt(0), a, b));
    for (Map.Entry<String, Executable> e : ops.entrySet()) {
      assertThrowsNaming(IllegalArgumentException.class, e.getValue(), e.getKey(), "[2, 3]", "[4]");
    }
  }

  @Test
  void matmulOfMismatchedInnerSizesNamesTheOpAndBothShapes() {
    Tensor a = m23();
    Tensor b = Tensor.zeros(DType.FLOAT64, 4, 5);
    assertThrowsNaming(IllegalArgumentException.class, () -> a.matmul(b),
        "matmul", "[2, 3]", "[4, 5]");
  }

  @Test
  void matmulOfMismatchedVectorsNamesTheShapesTheUserPassed() {
    Tensor a = Tensor.of(new double[] {1, 2, 3});
    Tensor b = Tensor.of(new double[] {1, 2, 3, 4});
    assertThrowsNaming(IllegalArgumentException.class, () -> a.matmul(b), "matmul", "[3]", "[4]");
  }

  @Test
  void matmulOfUnbroadcastableBatchesNamesTheOpAndBothShapes() {
    Tensor a = Tensor.zeros(DType.FLOAT64, 2, 2, 3);
    Tensor b = Tensor.zeros(DType.FLOAT64, 3, 3, 4);
    assertThrowsNaming(IllegalArgumentException.class, () -> a.matmul(b),
        "matmul", "[2, 2, 3]", "[3, 3, 4]");
  }

  @Test
  void matmulOfARankZeroOperandIsRejected() {
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.scalar(2).matmul(Tensor.ones(3)), "matmul");
  }

  @Test
  void concatAndStackOfMismatchedShapesNameTheOpAndShapes() {
    Tensor a = m23();
    Tensor b = Tensor.zeros(DType.FLOAT64, 3, 3);
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.concat(1, a, b),
        "concat", "[2, 3]", "[3, 3]");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.stack(0, a, b),
        "stack", "[2, 3]", "[3, 3]");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.concat(0, a, Tensor.zeros(DType.FLOAT64, 6)), "concat");
  }

  @Test
  void expandToAnIncompatibleShapeNamesTheOpAndShapes() {
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().expand(2, 4),
        "expand", "[2, 3]", "[2, 4]");
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().expand(3), "expand");
  }

  @Test
  void seedOfTheWrongShapeIsRejected() {
    Tensor x = Tensor.ones(DType.FLOAT64, 2, 3).requiresGrad();
    Tensor y = x.mul(2);
    assertThrowsNaming(IllegalArgumentException.class,
        () -> y.backward(Tensor.ones(DType.FLOAT64, 3, 2)), "[3, 2]", "[2, 3]");
  }

  // ---- bad axes -----------------------------------------------------------------------------

  @Test
  void sumOverAnAxisOutOfRangeNamesTheOpAxisAndShape() {
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().sum(5), "sum", "5", "[2, 3]");
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().sum(-3, true), "sum", "-3");
  }

  @Test
  void softmaxOverAnAxisOutOfRangeNamesTheOpAxisAndShape() {
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().softmax(-3),
        "softmax", "-3", "[2, 3]");
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().logSoftmax(2),
        "logSoftmax", "2", "[2, 3]");
  }

  @Test
  void everyAxisTakingOpNamesItselfForAnAxisOutOfRange() {
    Tensor x = m23();
    Map<String, Executable> ops = new LinkedHashMap<>();
    ops.put("mean", () -> x.mean(2));
    ops.put("max", () -> x.max(2));
    ops.put("min", () -> x.min(-3));
    ops.put("argmax", () -> x.argmax(2));
    ops.put("logSumExp", () -> x.logSumExp(-3));
    ops.put("squeeze", () -> x.squeeze(2));
    ops.put("unsqueeze", () -> x.unsqueeze(4));
    ops.put("transpose", () -> x.transpose(0, 2));
    ops.put("permute", () -> x.permute(0, 2));
    ops.put("slice", () -> x.slice(2, 0, 1));
    ops.put("concat", () -> Tensor.concat(2, x, x));
    ops.put("stack", () -> Tensor.stack(4, x, x));
    ops.put("gather", () -> x.gather(2, Tensor.zeros(DType.INT64, 2, 3)));
    ops.put("indexSelect", () -> x.indexSelect(-3, Tensor.of(new long[] {0})));
    ops.put("flatten", () -> x.flatten(0, 5));
    assertEachThrowsIllegalArgumentNamingItself(ops);
  }

  /** Each case must throw IllegalArgumentException whose message names the case's key. */
  private static void assertEachThrowsIllegalArgumentNamingItself(Map<String, Executable> ops) {
    List<String> bad = new ArrayList<>();
    for (Map.Entry<String, Executable> e : ops.entrySet()) {
      try {
        e.getValue().execute();
        bad.add(e.getKey() + ": no exception");
      } catch (IllegalArgumentException iae) {
        if (iae.getMessage() == null || !iae.getMessage().contains(e.getKey())) {
          bad.add(e.getKey() + ": message does not name the op: " + iae.getMessage());
        }
      } catch (Throwable t) {
        bad.add(e.getKey() + ": " + t);
      }
    }
    if (!bad.isEmpty()) {
      fail(String.join("\n  ", bad));
    }
  }

  @Test
  void transposeOfAVectorIsRejected() {
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.ones(3).transpose(),
        "transpose", "[3]");
  }

  @Test
  void permuteWithARepeatedAxisIsRejected() {
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().permute(1, 1), "permute");
  }

  @Test
  void sliceOfAnAxisOutOfRangeNamesTheOpAndAxis() {
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().slice(2, 0, 1),
        "slice", "2", "[2, 3]");
  }

  // ---- reshape ------------------------------------------------------------------------------

  @Test
  void reshapeToADifferentElementCountNamesTheOpAndShapes() {
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().reshape(4),
        "reshape", "[2, 3]", "4");
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().reshape(-1, 4),
        "reshape", "[2, 3]");
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().reshape(2, -2), "reshape");
  }

  @Test
  void reshapeWithTwoMinusOnesIsRejected() {
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().reshape(-1, -1),
        "reshape", "-1");
  }

  // ---- creation -----------------------------------------------------------------------------

  @Test
  void ofDataWhoseLengthDoesNotMatchTheShapeIsRejected() {
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.of(new float[] {1, 2, 3, 4, 5}, 2, 3), "5", "[2, 3]");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7}, 2, 3), "7", "[2, 3]");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.of(new long[] {1}, 2), "1", "[2]");
  }

  @Test
  void negativeSizesAndBadRangesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1));
    assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[0], -1, 0));
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.eye(-1), "eye");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.arange(5, 2), "arange");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.arange(0, 1, 0), "arange");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.arange(0, 1, -0.5), "arange");
  }

  @Test
  void itemOfAManyElementTensorIsRejected() {
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().item(), "item", "[2, 3]");
  }

  // ---- autograd misuse ----------------------------------------------------------------------

  @Test
  void backwardOfANonScalarWithoutASeedIsRejected() {
    Tensor x = Tensor.ones(DType.FLOAT64, 2, 3).requiresGrad();
    Tensor y = x.mul(2);
    RuntimeException e = assertThrows(RuntimeException.class, y::backward);
    assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException,
        "expected IllegalArgumentException or IllegalStateException, got " + e);
    assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
    assertTrue(e.getMessage().contains("seed"), e.getMessage());
  }

  @Test
  void secondBackwardThroughReleasedEntriesThrowsIllegalState() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor y = x.mul(x).sum();
    y.backward();
    IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
    assertTrue(e.getMessage().contains("backward"), e.getMessage());
    assertTrue(e.getMessage().toLowerCase().contains("retain"), e.getMessage());
    assertArrayEquals(new double[] {2, 4}, x.grad().toDoubleArray(), 0);
  }

  @Test
  void secondBackwardThroughAnIntermediateOfAReleasedGraphThrowsIllegalState() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor h = x.exp();
    h.sum().backward();
    assertThrows(IllegalStateException.class, () -> h.mul(2).sum().backward());
  }

  @Test
  void retainGraphAllowsASecondBackward() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor y = x.mul(x).sum();
    y.backward(Tensor.scalar(1, DType.FLOAT64), true);
    y.backward();
    assertArrayEquals(new double[] {4, 8}, x.grad().toDoubleArray(), 0);
  }

  @Test
  void requiresGradOnAnInt64TensorIsRejected() {
    Tensor l = Tensor.of(new long[] {1, 2});
    assertThrowsNaming(IllegalArgumentException.class, l::requiresGrad, "requiresGrad", "int64");
  }

  @Test
  void backwardOfATensorWithoutHistoryIsRejected() {
    Tensor x = Tensor.ones(DType.FLOAT64, 2);
    Tensor y = x.mul(2).sum();
    RuntimeException e = assertThrows(RuntimeException.class, y::backward);
    assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException,
        "expected IllegalArgumentException or IllegalStateException, got " + e);
  }

  @Test
  void backwardOfAResultComputedInsideNoGradIsRejected() {
    Tensor x = Tensor.ones(DType.FLOAT64, 2).requiresGrad();
    Tensor y;
    try (var g = Autograd.noGrad()) {
      y = x.mul(2).sum();
    }
    RuntimeException e = assertThrows(RuntimeException.class, y::backward);
    assertTrue(e instanceof IllegalArgumentException || e instanceof IllegalStateException,
        "expected IllegalArgumentException or IllegalStateException, got " + e);
  }

  @Test
  void functionalGradOfAnInputWithoutRequiresGradIsRejected() {
    Tensor x = Tensor.ones(DType.FLOAT64, 2);
    Tensor w = Tensor.ones(DType.FLOAT64, 2).requiresGrad();
    Tensor y = x.mul(w).sum();
    assertThrowsNaming(IllegalArgumentException.class, () -> Autograd.grad(y, x, false), "grad");
  }

  // ---- closed tensors -----------------------------------------------------------------------

  @Test
  void aClosedTensorUsedAgainThrowsIllegalState() {
    Tensor x = m23();
    Tensor other = m23();
    x.close();
    assertTrue(x.isClosed());
    Map<String, Executable> uses = new LinkedHashMap<>();
    uses.put("item", x::item);
    uses.put("toFloatArray", x::toFloatArray);
    uses.put("toDoubleArray", x::toDoubleArray);
    uses.put("toLongArray", x::toLongArray);
    uses.put("add", () -> x.add(other));
    uses.put("add as the other operand", () -> other.add(x));
    uses.put("mul by double", () -> x.mul(2));
    uses.put("exp", x::exp);
    uses.put("relu", x::relu);
    uses.put("matmul", () -> x.matmul(other.transpose()));
    uses.put("matmul as the other operand", () -> other.matmul(x.transpose()));
    uses.put("sum", () -> x.sum());
    uses.put("sum(axis)", () -> x.sum(0));
    uses.put("max", () -> x.max(1));
    uses.put("softmax", () -> x.softmax(1));
    uses.put("reshape", () -> x.reshape(3, 2));
    uses.put("transpose", () -> x.transpose());
    uses.put("slice", () -> x.slice(0, 0, 1));
    uses.put("concat", () -> Tensor.concat(0, other, x));
    uses.put("to", () -> x.to(DType.FLOAT32));
    uses.put("requiresGrad", x::requiresGrad);
    uses.put("detach", x::detach);
    uses.put("zerosLike", x::zerosLike);
    uses.put("where", () -> Tensor.where(other.gt(0), x, other));
    List<String> bad = new ArrayList<>();
    for (Map.Entry<String, Executable> u : uses.entrySet()) {
      try {
        u.getValue().execute();
        bad.add(u.getKey() + ": no exception");
      } catch (IllegalStateException expected) {
        // the documented error
      } catch (Throwable t) {
        bad.add(u.getKey() + ": " + t);
      }
    }
    assertTrue(bad.isEmpty(), "uses of a closed tensor that did not throw "
        + "IllegalStateException:\n  " + String.join("\n  ", bad));
  }

  @Test
  void aClosedTensorsErrorNamesTheMethodTheUserCalled() {
    Tensor x = m23();
    Tensor other = m23();
    x.close();
    Map<String, Executable> uses = new LinkedHashMap<>();
    uses.put("unsqueeze", () -> x.unsqueeze(0));
    uses.put("squeeze", x::squeeze);
    uses.put("flatten", x::flatten);
    uses.put("sum", x::sum);
    uses.put("mean", () -> x.mean(1, false));
    uses.put("argmax", x::argmax);
    uses.put("zerosLike", x::zerosLike);
    uses.put("onesLike", x::onesLike);
    uses.put("where", () -> Tensor.where(other.gt(0), other, x));
    for (Map.Entry<String, Executable> u : uses.entrySet()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, u.getValue());
      assertTrue(e.getMessage().startsWith(u.getKey() + ": "), e.getMessage());
    }
  }

  @Test
  void resultsTooLargeForAnArrayAreRejectedNamingTheOp() {
    Tensor empty = Tensor.zeros(0, 65536, 65536);
    // Dropping the empty axis would leave 2^32 elements (PyTorch makes them; an array cannot).
    assertThrowsNaming(IllegalArgumentException.class, () -> empty.sum(0, false), "sum:",
        "[65536, 65536]");
    assertThrowsNaming(IllegalArgumentException.class, () -> empty.sum(0, true), "sum:",
        "[1, 65536, 65536]");
    assertThrowsNaming(IllegalArgumentException.class, () -> empty.mean(0), "mean:");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.ones(65536, 1).matmul(Tensor.ones(1, 65536)), "matmul:", "[65536, 65536]");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.stack(java.util.Collections.nCopies(70_000, Tensor.zeros(40_000)), 0),
        "stack:", "size 70000");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.zeros(0).max(), "max:");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.zeros(0).min(), "min:");
    assertThrowsNaming(IllegalArgumentException.class, () -> empty.logSumExp(0), "logSumExp:");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.zeros(DType.INT64, 65536, 0).oneHot(65536).sum(1, false), "sum:");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.zeros(65536, 65537, 0).flatten(0, 1), "flatten:", "[65536, 65537, 0]");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.eye(50_000), "eye:");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.ones(1, 1).expand(100_000, 100_000), "expand:");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.zeros(65536, 65536),
        "zeros:");
    assertArrayEquals(new int[] {0, 65536}, empty.sum(1, false).shape().toArray());
  }

  @Test
  void int64ValuesPastItsRangeAreRejected() {
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.full(1e30, DType.INT64, 2),
        "full:", "1.0E30");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.scalar(0x1p63, DType.INT64),
        "full:");
    assertEquals(Long.MIN_VALUE, Tensor.scalar(-0x1p63, DType.INT64).toLongArray()[0]);
  }

  @Test
  void dtypeRulesRejectNull() {
    assertThrowsNaming(IllegalArgumentException.class,
        () -> DType.promote(null, DType.INT64), "promote");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> DType.resultType(null, false, DType.INT64, true), "resultType");
  }

  @Test
  void gradAndExpandNameThemselvesAndTheFix() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    assertThrowsNaming(IllegalArgumentException.class, () -> Autograd.grad(x.mul(2), x, false),
        "grad:", "[2]", "seeds");
    assertThrowsNaming(IllegalArgumentException.class, () -> x.mul(2).backward(),
        "backward:", "[2]", "backward(seed)");
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().expand(-2, 3),
        "expand:", "-2", "position 0");
    assertThrowsNaming(IllegalArgumentException.class, () -> m23().expand(2, 2, -3),
        "expand:", "-3");
  }

  @Test
  void arithmeticWithAConstantOnAClosedTensorNamesTheMethodCalled() {
    Tensor x = m23();
    x.close();
    assertThrowsNaming(IllegalStateException.class, () -> x.add(1), "add:");
    assertThrowsNaming(IllegalStateException.class, () -> x.sub(1), "sub:");
    assertThrowsNaming(IllegalStateException.class, () -> x.mul(2), "mul:");
    assertThrowsNaming(IllegalStateException.class, () -> x.div(2), "div:");
  }

  @Test
  void closingTwiceIsHarmlessAndToStringStillWorks() {
    Tensor x = m23();
    x.close();
    x.close();
    assertTrue(x.toString().contains("[2, 3]"), x.toString());
  }

  @Test
  void aClosedGradientInputFailsBackwardWithIllegalState() {
    Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad();
    Tensor y = x.exp();
    Tensor loss = y.sum();
    loss.close();
    assertThrows(IllegalStateException.class, loss::backward);
  }

  // ---- indices out of range -----------------------------------------------------------------

  @Test
  void gatherWithAnIndexOutOfRangeIsRejected() {
    Tensor x = m23();
    assertThrowsNaming(IllegalArgumentException.class,
        () -> x.gather(1, Tensor.of(new long[] {0, 3, 1, 1}, 2, 2)), "gather", "3");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> x.gather(1, Tensor.of(new long[] {0, -1, 1, 1}, 2, 2)), "gather", "-1");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> x.gather(0, Tensor.of(new long[] {2, 0, 0}, 1, 3)), "gather", "2");
  }

  @Test
  void indexSelectWithAnIndexOutOfRangeIsRejected() {
    Tensor x = m23();
    assertThrowsNaming(IllegalArgumentException.class,
        () -> x.indexSelect(0, Tensor.of(new long[] {0, 2})), "indexSelect", "2");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> x.indexSelect(1, Tensor.of(new long[] {-1})), "indexSelect", "-1");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> x.indexSelect(1, Tensor.of(new long[] {1L << 33})), "indexSelect");
  }

  @Test
  void oneHotWithALabelOutOfRangeIsRejected() {
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.of(new long[] {0, 3}).oneHot(3), "oneHot", "3");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.of(new long[] {-1}).oneHot(3), "oneHot", "-1");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.of(new long[] {0}).oneHot(0), "oneHot", "0");
  }

  @Test
  void indicesThatAreNotInt64AreRejected() {
    Tensor x = m23();
    assertThrowsNaming(IllegalArgumentException.class,
        () -> x.gather(1, Tensor.of(new float[] {0, 1, 1, 0}, 2, 2)), "gather", "int64");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> x.indexSelect(0, Tensor.of(new double[] {0})), "indexSelect", "int64");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.of(new float[] {0, 1}).oneHot(2), "oneHot", "int64");
  }

  @Test
  void gatherWithAnIndexOfTheWrongRankIsRejected() {
    assertThrowsNaming(IllegalArgumentException.class,
        () -> m23().gather(1, Tensor.of(new long[] {0, 1})), "gather");
  }

  // ---- no raw exceptions --------------------------------------------------------------------

  @Test
  void nullArgumentsThrowIllegalArgumentNotNullPointer() {
    Tensor a = m23();
    Tensor c = a.gt(2);
    Tensor y = Tensor.ones(DType.FLOAT64, 2).requiresGrad();
    Tensor loss = y.mul(2).sum();
    Map<String, Executable> cases = new LinkedHashMap<>();
    cases.put("add(null)", () -> a.add((Tensor) null));
    cases.put("sub(null)", () -> a.sub((Tensor) null));
    cases.put("mul(null)", () -> a.mul((Tensor) null));
    cases.put("div(null)", () -> a.div((Tensor) null));
    cases.put("pow(null)", () -> a.pow((Tensor) null));
    cases.put("gt(null)", () -> a.gt((Tensor) null));
    cases.put("lt(null)", () -> a.lt((Tensor) null));
    cases.put("ge(null)", () -> a.ge((Tensor) null));
    cases.put("le(null)", () -> a.le((Tensor) null));
    cases.put("eq(null)", () -> a.eq((Tensor) null));
    cases.put("matmul(null)", () -> a.matmul(null));
    cases.put("where(null, a, b)", () -> Tensor.where(null, a, a));
    cases.put("where(c, null, b)", () -> Tensor.where(c, null, a));
    cases.put("where(c, a, null)", () -> Tensor.where(c, a, null));
    cases.put("a.where(null, b)", () -> a.where(null, a));
    cases.put("of((float[]) null)", () -> Tensor.of((float[]) null));
    cases.put("of((double[]) null)", () -> Tensor.of((double[]) null, 2));
    cases.put("of((long[]) null)", () -> Tensor.of((long[]) null));
    cases.put("zeros((int[]) null)", () -> Tensor.zeros((int[]) null));
    cases.put("ones((int[]) null)", () -> Tensor.ones((int[]) null));
    cases.put("full(1, (int[]) null)", () -> Tensor.full(1, (int[]) null));
    cases.put("full(1, (DType) null, 2)", () -> Tensor.full(1, (DType) null, 2));
    cases.put("scalar(1, null)", () -> Tensor.scalar(1, null));
    cases.put("eye(2, null)", () -> Tensor.eye(2, null));
    cases.put("zeros((DType) null, 2)", () -> Tensor.zeros((DType) null, 2));
    cases.put("rand((Random) null, 2)", () -> Tensor.rand((Random) null, 2));
    cases.put("randn((Random) null, 2)", () -> Tensor.randn((Random) null, 2));
    cases.put("Shape.of(null)", () -> Shape.of((int[]) null));
    cases.put("reshape(null)", () -> a.reshape((int[]) null));
    cases.put("expand(null)", () -> a.expand((int[]) null));
    cases.put("permute(null)", () -> a.permute((int[]) null));
    cases.put("sumTo(null)", () -> a.sumTo(null));
    cases.put("concat((List) null, 0)", () -> Tensor.concat((List<Tensor>) null, 0));
    cases.put("concat(0, (Tensor[]) null)", () -> Tensor.concat(0, (Tensor[]) null));
    cases.put("concat([a, null], 0)", () -> Tensor.concat(Arrays.asList(a, null), 0));
    cases.put("concat([null, a], 0)", () -> Tensor.concat(Arrays.asList(null, a), 0));
    cases.put("stack((List) null, 0)", () -> Tensor.stack((List<Tensor>) null, 0));
    cases.put("stack([a, null], 0)", () -> Tensor.stack(Arrays.asList(a, null), 0));
    cases.put("gather(0, null)", () -> a.gather(0, null));
    cases.put("indexSelect(0, null)", () -> a.indexSelect(0, null));
    cases.put("scatterAdd(0, null, shape)", () -> a.scatterAdd(0, null, Shape.of(2, 3)));
    cases.put("to((DType) null)", () -> a.to((DType) null));
    cases.put("to((Device) null)", () -> a.to((Device) null));
    cases.put("Autograd.grad(null, y, false)", () -> Autograd.grad((Tensor) null, y, false));
    cases.put("Autograd.grad(loss, (Tensor) null, false)",
        () -> Autograd.grad(loss, (Tensor) null, false));
    cases.put("Autograd.backward(null, ...)", () -> Autograd.backward(null, null, false, false));
    assertAllThrowIllegalArgument(cases);
  }

  @Test
  void emptyTensorsAndZeroSizeAxesRaiseNoRawExceptions() {
    Tensor e = Tensor.of(new float[0]);
    Tensor z20 = Tensor.zeros(2, 0);
    Tensor z03 = Tensor.zeros(0, 3);
    Tensor noIdx = Tensor.of(new long[0]);
    Map<String, Executable> cases = new LinkedHashMap<>();
    cases.put("[0].sum()", () -> e.sum());
    cases.put("[0].mean()", () -> e.mean());
    cases.put("[0].max()", () -> e.max());
    cases.put("[0].min()", () -> e.min());
    cases.put("[0].argmax()", () -> e.argmax());
    cases.put("[0].item()", e::item);
    cases.put("[0].softmax(0)", () -> e.softmax(0));
    cases.put("[0].logSoftmax(0)", () -> e.logSoftmax(0));
    cases.put("[0].logSumExp(0)", () -> e.logSumExp(0));
    cases.put("[0].exp()", e::exp);
    cases.put("[0].add([0])", () -> e.add(e));
    cases.put("[0].add(1)", () -> e.add(1));
    cases.put("[0].matmul([0])", () -> e.matmul(e));
    cases.put("[0].toString()", e::toString);
    cases.put("[0].reshape(0, 5)", () -> e.reshape(0, 5));
    cases.put("[0].reshape(-1, 0)", () -> e.reshape(-1, 0));
    cases.put("[0].reshape(5, -1)", () -> e.reshape(5, -1));
    cases.put("[0].unsqueeze(0)", () -> e.unsqueeze(0));
    cases.put("[0].expand(2, 0)", () -> e.expand(2, 0));
    cases.put("[2,0].sum(1)", () -> z20.sum(1));
    cases.put("[2,0].sum(0)", () -> z20.sum(0));
    cases.put("[2,0].sum()", () -> z20.sum());
    cases.put("[2,0].mean(1)", () -> z20.mean(1));
    cases.put("[2,0].max(1)", () -> z20.max(1));
    cases.put("[2,0].max(0)", () -> z20.max(0));
    cases.put("[2,0].argmax(1)", () -> z20.argmax(1));
    cases.put("[2,0].softmax(1)", () -> z20.softmax(1));
    cases.put("[2,0].logSumExp(1)", () -> z20.logSumExp(1));
    cases.put("[2,0].matmul([0,3])", () -> z20.matmul(z03));
    cases.put("[0,3].matmul([3,2])", () -> z03.matmul(Tensor.zeros(3, 2)));
    cases.put("[2,0].matmul([2,0])", () -> z20.matmul(z20));
    cases.put("[2,0].transpose()", () -> z20.transpose());
    cases.put("[2,0].slice(1, 0, 0)", () -> z20.slice(1, 0, 0));
    cases.put("[2,3].slice(1, 1, 1)", () -> Tensor.zeros(2, 3).slice(1, 1, 1));
    cases.put("concat([2,0], [2,3])", () -> Tensor.concat(1, z20, Tensor.zeros(2, 3)));
    cases.put("stack([0], [0])", () -> Tensor.stack(0, e, e));
    cases.put("[0,3].max(1)", () -> z03.max(1));
    cases.put("[0,3].softmax(1)", () -> z03.softmax(1));
    cases.put("[0,3].sum(0)", () -> z03.sum(0));
    cases.put("[0,3].indexSelect(1, [])", () -> z03.indexSelect(1, noIdx));
    cases.put("[2,3].indexSelect(0, [])", () -> Tensor.zeros(2, 3).indexSelect(0, noIdx));
    cases.put("[2,3].gather(1, [2,0])",
        () -> Tensor.zeros(2, 3).gather(1, Tensor.zeros(DType.INT64, 2, 0)));
    cases.put("[].oneHot(3)", () -> noIdx.oneHot(3));
    cases.put("[0,3].where", () -> Tensor.where(z03, z03, z03));
    cases.put("[1,0,1].squeeze()", () -> Tensor.zeros(1, 0, 1).squeeze());
    cases.put("eye(0)", () -> Tensor.eye(0));
    cases.put("arange(5, 5)", () -> Tensor.arange(5, 5));
    cases.put("zeros(0).toString()", () -> Tensor.zeros(0, 4).toString());
    cases.put("[2,0].toString()", z20::toString);
    cases.put("backward through sum of [0]", () -> {
      Tensor x = Tensor.zeros(DType.FLOAT64, 0).requiresGrad();
      x.sum().backward();
    });
    cases.put("backward through [2,0] x [0,3]", () -> {
      Tensor a = Tensor.zeros(DType.FLOAT64, 2, 0).requiresGrad();
      Tensor b = Tensor.zeros(DType.FLOAT64, 0, 3).requiresGrad();
      a.matmul(b).sum().backward();
    });
    cases.put("backward through softmax of [2,0]", () -> {
      Tensor a = Tensor.zeros(DType.FLOAT64, 2, 0).requiresGrad();
      a.softmax(1).sum().backward();
    });
    cases.put("backward through gather with empty index", () -> {
      Tensor a = Tensor.zeros(DType.FLOAT64, 2, 3).requiresGrad();
      a.gather(1, Tensor.zeros(DType.INT64, 2, 0)).sum().backward();
    });
    assertNoneCrash(cases);
  }

  @Test
  void badArgumentsRaiseNoRawExceptions() {
    Tensor a = m23();
    Map<String, Executable> cases = new LinkedHashMap<>();
    cases.put("size(5)", () -> a.size(5));
    cases.put("shape().size(-3)", () -> a.shape().size(-3));
    cases.put("permute(0)", () -> a.permute(0));
    cases.put("permute(0, 1, 2)", () -> a.permute(0, 1, 2));
    cases.put("permute(0, 7)", () -> a.permute(0, 7));
    cases.put("expand()", () -> a.expand());
    cases.put("expand(-1, -1, 3)", () -> a.expand(-1, -1, 3));
    cases.put("expand(-2, 3)", () -> a.expand(-2, 3));
    cases.put("reshape(-3, -2)", () -> a.reshape(-3, -2));
    cases.put("reshape(0, -1)", () -> a.reshape(0, -1));
    cases.put("reshape(Integer.MAX_VALUE, 2)", () -> a.reshape(Integer.MAX_VALUE, 2));
    cases.put("zeros(65536, 65536)", () -> Tensor.zeros(65536, 65536));
    cases.put("slice(0, 5, 9)", () -> a.slice(0, 5, 9));
    cases.put("slice(0, -9, 1)", () -> a.slice(0, -9, 1));
    cases.put("flatten(1, 0)", () -> a.flatten(1, 0));
    cases.put("sumTo([4])", () -> a.sumTo(Shape.of(4)));
    cases.put("sumTo([1, 2, 3, 4])", () -> a.sumTo(Shape.of(1, 2, 3, 4)));
    cases.put("scatterAdd to a small target", () -> a.scatterAdd(1,
        Tensor.zeros(DType.INT64, 2, 3), Shape.of(1, 1)));
    cases.put("scatterAdd with index out of range", () -> a.scatterAdd(1,
        Tensor.full(5, DType.INT64, 2, 3), Shape.of(2, 3)));
    cases.put("indexAdd with index out of range", () -> a.indexAdd(0,
        Tensor.of(new long[] {0, 9}), Shape.of(2, 3)));
    cases.put("indexAdd with a wrong-size index", () -> a.indexAdd(0,
        Tensor.of(new long[] {0}), Shape.of(2, 3)));
    cases.put("indexAdd to a target of another rank", () -> a.indexAdd(1,
        Tensor.of(new long[] {0, 1, 0}), Shape.of(2)));
    cases.put("pad(1, 2, 3)", () -> a.pad(1, 2, 3));
    cases.put("pad(1, -1, 5)", () -> a.pad(1, -1, 5));
    cases.put("gather with 2-D index of wrong size", () -> a.gather(1,
        Tensor.zeros(DType.INT64, 3, 3)));
    cases.put("indexSelect with 2-D index", () -> a.indexSelect(0,
        Tensor.zeros(DType.INT64, 2, 2)));
    cases.put("oneHot(Integer.MAX_VALUE)",
        () -> Tensor.of(new long[] {0, 1}).oneHot(Integer.MAX_VALUE));
    cases.put("Tensor.of(data, 0)", () -> Tensor.of(new float[] {1}, 0));
    cases.put("eye(100000)", () -> Tensor.eye(100_000));
    cases.put("arange(0, 1e12, 1)", () -> Tensor.arange(0, 1e12, 1));
    cases.put("arange(0, NaN, 1)", () -> Tensor.arange(0, Double.NaN, 1));
    cases.put("arange(0, inf, 1)", () -> Tensor.arange(0, Double.POSITIVE_INFINITY, 1));
    cases.put("backward with seed of wrong dtype and shape",
        () -> {
          Tensor x = Tensor.ones(DType.FLOAT64, 2).requiresGrad();
          x.mul(2).backward(Tensor.of(new long[] {1, 2, 3}));
        });
    cases.put("custom op returning wrong gradient shape", () -> {
      Op bad = Op.define("badGrad", (ctx, x) -> x[0].mul(2),
          (ctx, g) -> new Tensor[] {g.sum()});
      Tensor x = Tensor.ones(DType.FLOAT64, 3).requiresGrad();
      bad.apply(x).sum().backward();
    });
    cases.put("custom op returning too few gradients", () -> {
      Op bad = Op.define("fewGrads", (ctx, x) -> x[0].mul(x[1]),
          (ctx, g) -> new Tensor[] {g});
      Tensor x = Tensor.ones(DType.FLOAT64, 3).requiresGrad();
      bad.apply(x, x).sum().backward();
    });
    assertNoneCrash(cases);
  }

  // ---- zero-size results are values, as in NumPy and PyTorch --------------------------------

  @Test
  void sumOverAZeroSizeAxisIsZero() {
    Tensor s = Tensor.zeros(DType.FLOAT64, 2, 0).sum(1);
    assertArrayEquals(new int[] {2}, s.shape().toArray());
    assertArrayEquals(new double[] {0, 0}, s.toDoubleArray(), 0);
    assertEquals(0, Tensor.of(new double[0]).sum().item(), 0);
  }

  @Test
  void matmulWithAZeroInnerSizeIsZeros() {
    Tensor y = Tensor.ones(DType.FLOAT64, 2, 0).matmul(Tensor.ones(DType.FLOAT64, 0, 3));
    assertArrayEquals(new int[] {2, 3}, y.shape().toArray());
    assertArrayEquals(new double[6], y.toDoubleArray(), 0);
    Tensor v = Tensor.of(new double[0]).matmul(Tensor.of(new double[0]));
    assertEquals(0, v.shape().rank());
    assertEquals(0, v.item(), 0);
  }

  @Test
  void matmulWithZeroRowsHasZeroRows() {
    Tensor y = Tensor.zeros(0, 3).matmul(Tensor.zeros(3, 2));
    assertArrayEquals(new int[] {0, 2}, y.shape().toArray());
  }

  @Test
  void reducingANonEmptyAxisOfAnEmptyTensorGivesAnEmptyResult() {
    Tensor y = Tensor.zeros(0, 3).max(1);
    assertArrayEquals(new int[] {0}, y.shape().toArray());
    Tensor s = Tensor.zeros(0, 3).sum(0);
    assertArrayEquals(new int[] {3}, s.shape().toArray());
    assertArrayEquals(new double[3], s.toDoubleArray(), 0);
  }

  @Test
  void maxOverAZeroSizeAxisIsRejectedNamingTheOp() {
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.zeros(2, 0).max(1),
        "max", "[2, 0]");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.zeros(0).argmax(),
        "argmax");
  }

  @Test
  void gradientsOfZeroSizeInputsHaveTheirShapes() {
    Tensor a = Tensor.zeros(DType.FLOAT64, 2, 0).requiresGrad();
    Tensor b = Tensor.zeros(DType.FLOAT64, 0, 3).requiresGrad();
    a.matmul(b).sum().backward();
    assertArrayEquals(new int[] {2, 0}, a.grad().shape().toArray());
    assertArrayEquals(new int[] {0, 3}, b.grad().shape().toArray());
  }

  // ---- found by review: sizes past an array, no-op results, guards closed out of order ---------

  @Test
  void resultsTooLargeForAnArrayAreRejectedBeforeAnythingIsAllocated() {
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.zeros(65536, 1).add(Tensor.zeros(1, 65536)), "add", "[65536, 65536]",
        "Java array");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.zeros(100000, 1, 1).mul(Tensor.zeros(1, 100000, 1)), "mul");
    Tensor col = Tensor.zeros(65536, 1);
    Tensor row = Tensor.zeros(1, 65536);
    assertThrows(IllegalArgumentException.class, () -> Tensor.where(col.gt(0), row, col));
    Tensor x = Tensor.zeros(2, 3);
    assertThrowsNaming(IllegalArgumentException.class, () -> x.pad(1, Integer.MAX_VALUE, 0),
        "pad");
    assertThrowsNaming(IllegalArgumentException.class, () -> x.pad(1, 0, Integer.MAX_VALUE),
        "pad", "Java array");
    assertThrowsNaming(IllegalArgumentException.class, () -> x.pad(1, 0, -3), "pad");
    // empty results stay fine however long the joined axis
    assertEquals(Shape.of(0, 1 << 21),
        Tensor.concat(1, Tensor.zeros(0, 1 << 20), Tensor.zeros(0, 1 << 20)).shape());
  }

  @Test
  void shapeHelpersNameABadAxis() {
    Shape s = Shape.of(2, 3);
    for (Executable e : List.<Executable>of(() -> s.with(5, 1), () -> s.insert(9, 1),
        () -> s.reduce(5, true), () -> s.outer(5), () -> s.inner(-5), () -> s.broadcastsTo(null),
        () -> Shape.broadcast("x", null, s))) {
      assertThrows(IllegalArgumentException.class, e);
    }
  }

  @Test
  void shapeOpsThatChangeNothingStillReturnATensorOfTheirOwn() {
    Tensor a = Tensor.ones(2, 3).requiresGrad();
    List<Tensor> same = List.of(a.reshape(2, 3), a.slice(1, 0, 3), a.permute(0, 1),
        a.expand(2, 3), a.squeeze(), a.squeeze(0), Tensor.concat(0, a));
    for (Tensor t : same) {
      assertTrue(t != a);
      t.close();
      assertTrue(!a.isClosed(), "closing a no-op result closed its input");
    }
    Tensor y = a.reshape(2, 3).mul(2).sum();
    y.backward();
    assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2}, a.grad().toFloatArray());
  }

  @Test
  void noGradGuardsClosedOutOfOrderRestoreRecording() {
    Autograd.NoGrad g1 = Autograd.noGrad();
    Autograd.NoGrad g2 = Autograd.noGrad();
    g1.close();
    assertTrue(!Autograd.isGradEnabled(), "g2 is still open");
    g2.close();
    assertTrue(Autograd.isGradEnabled());
    g1.close(); // twice: nothing
    assertTrue(Autograd.isGradEnabled());
    Tensor w = Tensor.scalar(3.0).requiresGrad();
    w.mul(w).backward();
    assertEquals(6.0, w.grad().item());
  }

  @Test
  void aKeptResultSaysItsHistoryEndedWithItsScope() {
    Tensor q = Tensor.ones(3).requiresGrad();
    Tensor h;
    try (var s = Tensors.scope()) {
      h = q.exp().sum().keep();
    }
    assertThrowsNaming(IllegalStateException.class, h::backward, "kept past the scope");
    Tensor closed = Tensor.ones(2);
    closed.close();
    assertThrows(IllegalStateException.class, closed::keep);
    assertThrows(IllegalStateException.class, () -> Tensor.stack(0, closed, closed));
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensors.scoped(null), "scoped");
    assertThrowsNaming(IllegalArgumentException.class, () -> Tensor.zerosLike(null),
        "zerosLike");
  }

  @Test
  void nullInputsAndNaNIntegersAreNamed() {
    Tensor w = Tensor.scalar(2.0).requiresGrad();
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Autograd.grad(w.mul(w), Arrays.asList(w, null), false), "input is null");
    assertThrowsNaming(IllegalArgumentException.class,
        () -> Tensor.full(Double.NaN, DType.INT64, 2), "full", "NaN");
    assertThrows(IllegalArgumentException.class,
        () -> Tensor.scalar(Double.POSITIVE_INFINITY, DType.INT64));
  }
}
