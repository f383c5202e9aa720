package dev.autodiff.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.DType;
import dev.autodiff.core.Shape;
import dev.autodiff.core.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  /** A two-parameter layer, to check Layer.save/load end to end. */
  static final class Tiny extends Layer {
    final Tensor w;
    final Tensor b;

    Tiny(float seed) {
      w = parameter("weight", Tensor.of(new float[] {seed, seed + 1, seed + 2, seed + 3,
          seed + 4, seed + 5}, 2, 3));
      b = parameter("bias", Tensor.of(new float[] {-seed, -seed - 1}, 2));
    }

    @Override
    public Tensor forward(Tensor x) {
      return x.matmul(w.transpose()).add(b);
    }
  }

  private static Map<String, Tensor> sample() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("f32", Tensor.of(new float[] {1.5f, -2f, 3.25f, Float.MAX_VALUE, Float.MIN_VALUE, 0f},
        2, 3));
    m.put("f64", Tensor.of(new double[] {Math.PI, -Math.E, 1e-300, 1e300}, 4));
    m.put("i64", Tensor.of(new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 42}, 3, 1));
    m.put("scalar", Tensor.of(new float[] {7f}, 1).reshape());
    m.put("empty", Tensor.of(new float[0], 0, 5));
    return m;
  }

  @Test
  void roundTripKeepsNamesOrderDtypesShapesAndValues() throws IOException {
    Path p = dir.resolve("t.safetensors");
    Map<String, Tensor> in = sample();
    Safetensors.save(in, Map.of("format", "pt", "note", "ünïcode"), p);
    Map<String, Tensor> out = Safetensors.load(p);
    assertEquals(List.copyOf(in.keySet()), List.copyOf(out.keySet()));
    for (String name : in.keySet()) {
      Tensor a = in.get(name);
      Tensor b = out.get(name);
      assertEquals(a.shape(), b.shape(), name);
      assertEquals(a.dtype(), b.dtype(), name);
      assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), name);
    }
    assertArrayEquals(in.get("i64").toLongArray(), out.get("i64").toLongArray());
    assertEquals(Shape.SCALAR, out.get("scalar").shape());
    assertEquals(7.0, out.get("scalar").item());
    assertEquals(Map.of("format", "pt", "note", "ünïcode"), Safetensors.metadata(p));
  }

  @Test
  void fileLayoutFollowsTheSpec() throws IOException {
    Path p = dir.resolve("layout.safetensors");
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("a", Tensor.of(new float[] {1f, 2f}, 2));
    m.put("b", Tensor.of(new long[] {3}, 1));
    Safetensors.save(m, p);
    byte[] bytes = Files.readAllBytes(p);
    long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
    assertEquals(8 + n + 8 + 8, bytes.length);
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8).strip();
    assertEquals("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}", header);
    ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + n), 16).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(1f, data.getFloat());
    assertEquals(2f, data.getFloat());
    assertEquals(3L, data.getLong());
  }

  /** A file laid out as Python's safetensors writes it (sorted, padded, metadata first). */
  @Test
  void readsAHandMadeReferenceFile() throws IOException {
    String json = "{\"__metadata__\":{\"format\":\"pt\"},"
        + "\"y\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[8,16]},"
        + "\"x\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}";
    ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    data.putFloat(0.5f).putFloat(-1f).putDouble(2.25);
    Path p = write("ref.safetensors", json + "   ", data.array());
    Map<String, Tensor> t = Safetensors.load(p);
    assertEquals(Shape.of(1, 2), t.get("x").shape());
    assertArrayEquals(new float[] {0.5f, -1f}, t.get("x").toFloatArray());
    assertEquals(DType.FLOAT64, t.get("y").dtype());
    assertEquals(Shape.SCALAR, t.get("y").shape());
    assertEquals(2.25, t.get("y").item());
  }

  @Test
  void saveOverwritesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
    Path p = dir.resolve("model.safetensors");
    Safetensors.save(Map.of("a", Tensor.of(new float[] {1f}, 1)), p);
    Safetensors.save(Map.of("a", Tensor.of(new float[] {2f}, 1)), p);
    assertArrayEquals(new float[] {2f}, Safetensors.load(p).get("a").toFloatArray());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of("model.safetensors"),
          files.map(f -> f.getFileName().toString()).collect(Collectors.toList()));
    }
  }

  @Test
  void layerSaveAndLoadRestoreParameters() throws IOException {
    Path p = dir.resolve("tiny.safetensors");
    Tiny a = new Tiny(1f);
    a.save(p);
    Tiny b = new Tiny(100f);
    b.load(p);
    assertArrayEquals(a.w.toFloatArray(), b.w.toFloatArray());
    assertArrayEquals(a.b.toFloatArray(), b.b.toFloatArray());
    assertTrue(b.w.isLeaf());
  }

  @Test
  void saveRejectsBadArguments() {
    Path p = dir.resolve("x.safetensors");
    Map<String, Tensor> reserved = Map.of("__metadata__", Tensor.of(new float[] {1f}, 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Safetensors.save(reserved, p));
    assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
    Tensor closed = Tensor.of(new float[] {1f}, 1);
    closed.close();
    e = assertThrows(IllegalArgumentException.class,
        () -> Safetensors.save(Map.of("c", closed), p));
    assertTrue(e.getMessage().contains("'c'") && e.getMessage().contains("closed"));
    assertThrows(IllegalArgumentException.class, () -> Safetensors.save(null, p));
  }

  // ---- failures leave the targets untouched -------------------------------------------------

  private Path good() throws IOException {
    Path p = dir.resolve("good.safetensors");
    new Tiny(1f).save(p);
    return p;
  }

  private Path write(String name, String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    Path p = dir.resolve(name);
    Files.write(p, b.array());
    return p;
  }

  /** Asserts that loading {@code p} into a fresh Tiny throws {@code type} and changes nothing. */
  private <T extends Exception> T assertRejectedUntouched(Class<T> type, Path p, String... words) {
    Tiny target = new Tiny(100f);
    float[] w = target.w.toFloatArray();
    float[] b = target.b.toFloatArray();
    T e = assertThrows(type, () -> target.load(p));
    assertArrayEquals(w, target.w.toFloatArray(), "weight untouched");
    assertArrayEquals(b, target.b.toFloatArray(), "bias untouched");
    for (String word : words) {
      assertTrue(e.getMessage().contains(word), "'" + e.getMessage() + "' mentions " + word);
    }
    return e;
  }

  @Test
  void malformedJsonHeaderIsRejected() throws IOException {
    Path p = write("bad.safetensors", "{\"weight\": {\"dtype\": \"F32\",, }}",
        new byte[0]);
    IOException e = assertRejectedUntouched(IOException.class, p, "JSON");
    assertFalse(e.getMessage().contains("setStrictness") || e.getMessage().contains("http"),
        e.getMessage()); // Gson's advice to its callers is not the user's business
    Path notJson = write("garbage.safetensors", "hello world!", new byte[0]);
    assertRejectedUntouched(IOException.class, notJson, "'{'");
  }

  @Test
  void headerLengthBeyondTheFileIsRejectedWithoutAllocating() throws IOException {
    byte[] bytes = Files.readAllBytes(good());
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
    Path p = dir.resolve("hugeheader.safetensors");
    Files.write(p, bytes);
    assertRejectedUntouched(IOException.class, p, "header length");
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 50_000_000L);
    Files.write(p, bytes);
    assertRejectedUntouched(IOException.class, p, "header length 50000000");
  }

  @Test
  void tensorClaimingHugeSizeIsRejectedWithoutAllocating() throws IOException {
    Path p = write("huge.safetensors",
        "{\"weight\":{\"dtype\":\"F32\",\"shape\":[2000000000,2000000000],"
            + "\"data_offsets\":[0,16000000000000000000]},"
            + "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
        new byte[8]);
    assertRejectedUntouched(IOException.class, p, "weight");
    Path q = write("huge2.safetensors",
        "{\"weight\":{\"dtype\":\"F64\",\"shape\":[100000,10000],"
            + "\"data_offsets\":[0,8000000000]},"
            + "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8000000000,8000000008]}}",
        new byte[8]);
    assertRejectedUntouched(IOException.class, q, "8000000000");
  }

  @Test
  void truncatedFileIsRejected() throws IOException {
    byte[] bytes = Files.readAllBytes(good());
    Path p = dir.resolve("truncated.safetensors");
    Files.write(p, Arrays.copyOf(bytes, bytes.length - 3));
    assertRejectedUntouched(IOException.class, p, "truncated");
    Files.write(p, Arrays.copyOf(bytes, 5));
    assertRejectedUntouched(IOException.class, p, "5 bytes");
    Files.write(p, Arrays.copyOf(bytes, 20));
    assertRejectedUntouched(IOException.class, p, "header length");
  }

  @Test
  void inconsistentOffsetsAndDtypesAreRejected() throws IOException {
    byte[] data = new byte[32];
    assertRejectedUntouched(IOException.class, write("gap.safetensors",
        "{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]},"
            + "\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[28,32]}}", data),
        "overlap");
    assertRejectedUntouched(IOException.class, write("size.safetensors",
        "{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]},"
            + "\"bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[20,32]}}", data),
        "weight", "needs 24");
    assertRejectedUntouched(IOException.class, write("dtype.safetensors",
        "{\"weight\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
            + "\"bias\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[12,32]}}", data),
        "BF16");
    assertRejectedUntouched(IOException.class, write("trailing.safetensors",
        "{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}}", data),
        "trailing");
    assertRejectedUntouched(IOException.class, write("negative.safetensors",
        "{\"weight\":{\"dtype\":\"F32\",\"shape\":[-2,3],\"data_offsets\":[0,24]},"
            + "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}", data),
        "negative");
    assertRejectedUntouched(IOException.class, write("dup.safetensors",
        "{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}", data),
        "twice");
  }

  @Test
  void wrongShapeIsRejected() throws IOException {
    Path p = dir.resolve("shape.safetensors");
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("weight", Tensor.of(new float[6], 3, 2));
    m.put("bias", Tensor.of(new float[2], 2));
    Safetensors.save(m, p);
    assertRejectedUntouched(IllegalArgumentException.class, p, "weight", "[3, 2]", "[2, 3]");
  }

  @Test
  void missingOrUnexpectedNameIsRejected() throws IOException {
    Path p = dir.resolve("names.safetensors");
    Safetensors.save(Map.of("weight", Tensor.of(new float[6], 2, 3)), p);
    assertRejectedUntouched(IllegalArgumentException.class, p, "missing [bias]");
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("weight", Tensor.of(new float[6], 2, 3));
    m.put("bias", Tensor.of(new float[2], 2));
    m.put("extra", Tensor.of(new float[1], 1));
    Safetensors.save(m, p);
    assertRejectedUntouched(IllegalArgumentException.class, p, "unexpected [extra]");
  }

  @Test
  void integerDataForFloatParameterIsRejected() throws IOException {
    Path p = dir.resolve("int.safetensors");
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("weight", Tensor.of(new long[6], 2, 3));
    m.put("bias", Tensor.of(new float[2], 2));
    Safetensors.save(m, p);
    assertRejectedUntouched(IllegalArgumentException.class, p, "weight", "I64");
  }

  @Test
  void float64CheckpointLoadsIntoFloat32Parameters() throws IOException {
    Path p = dir.resolve("f64.safetensors");
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("weight", Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3));
    m.put("bias", Tensor.of(new double[] {7, 8}, 2));
    Safetensors.save(m, p);
    Tiny t = new Tiny(0f);
    t.load(p);
    assertEquals(DType.FLOAT32, t.w.dtype());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.w.toFloatArray());
    assertArrayEquals(new float[] {7, 8}, t.b.toFloatArray());
  }

  @Test
  void missingFileGivesIoException() {
    assertThrows(IOException.class, () -> Safetensors.load(dir.resolve("nope.safetensors")));
  }

  @Test
  void foldersAreNamedAsSuch() throws IOException {
    IOException e = assertThrows(IOException.class, () -> Safetensors.load(dir));
    assertTrue(e.getMessage().contains(dir + " is a folder"), e.getMessage());
    e = assertThrows(IOException.class, () -> new Tiny(1f).load(dir));
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    e = assertThrows(IOException.class, () -> Safetensors.save(sample(), dir));
    assertTrue(e.getMessage().contains("is a folder"), e.getMessage());
    Path missing = dir.resolve("absent").resolve("model.safetensors");
    NoSuchFileException n =
        assertThrows(NoSuchFileException.class, () -> Safetensors.save(sample(), missing));
    assertEquals(missing.toString(), n.getFile());
    assertTrue(n.getMessage().contains("folder " + dir.resolve("absent") + " does not exist"),
        n.getMessage());
    try (var files = Files.list(dir)) {
      assertEquals(0, files.count(), "no temporary file left behind");
    }
  }
}
