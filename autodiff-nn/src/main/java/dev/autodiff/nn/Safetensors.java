package dev.autodiff.nn;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import com.google.gson.stream.MalformedJsonException;
import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Tensor;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checkpoints in the <a href="https://github.com/huggingface/safetensors">safetensors</a> format,
 * readable by Python's {@code safetensors} (and so by PyTorch, JAX, NumPy), never Java
 * serialization.
 *
 * <p>A file is an 8-byte little-endian header length {@code N}, a UTF-8 JSON header of {@code N}
 * bytes ({@code {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}} with an
 * optional {@code "__metadata__"} object of strings), then the tensors' raw little-endian bytes,
 * back to back. This class writes {@code F32}, {@code F64} and {@code I64}, the dtypes of {@link
 * DType}.
 *
 * <p>Writing is atomic (a temporary file in the same directory, then a rename), so a crash never
 * leaves half a checkpoint. Reading validates the whole header against the file size before it
 * allocates anything, so a corrupt or hostile file gives an {@link IOException} that says what is
 * wrong rather than an {@link OutOfMemoryError}; {@link #loadInto} also checks names and shapes
 * against the targets and touches none of them unless everything matches.
 */
public final class Safetensors {
  /** The key of the optional string-to-string metadata object in the header. */
  public static final String METADATA_KEY = "__metadata__";

  /** The largest header accepted (the same bound as the reference implementation's). */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  private Safetensors() {}

  // ---- writing ------------------------------------------------------------------------------

  /** Writes {@code tensors}, in iteration order, to {@code path} atomically; no metadata. */
  public static void save(Map<String, Tensor> tensors, Path path) throws IOException {
    save(tensors, Map.of(), path);
  }

  /**
   * Writes {@code tensors}, in iteration order, and the string {@code metadata} (may be empty) to
   * {@code path}: first to a temporary file beside it, then renamed over it, so readers see the old
   * file or the new one and never a torn one.
   */
  public static void save(Map<String, Tensor> tensors, Map<String, String> metadata, Path path)
      throws IOException {
    if (tensors == null) {
      throw new IllegalArgumentException("safetensors save: tensors must not be null");
    }
    if (metadata == null) {
      throw new IllegalArgumentException("safetensors save: metadata must not be null");
    }
    if (path == null) {
      throw new IllegalArgumentException("safetensors save: path must not be null");
    }
    List<String> names = new ArrayList<>(tensors.size());
    List<Tensor> values = new ArrayList<>(tensors.size());
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      String name = e.getKey();
      checkName("safetensors save", name);
      Tensor t = e.getValue();
      if (t == null) {
        throw new IllegalArgumentException("safetensors save: tensor '" + name + "' is null");
      }
      if (t.isClosed()) {
        throw new IllegalArgumentException("safetensors save: tensor '" + name + "' is closed");
      }
      names.add(name);
      values.add(t);
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException(
            "safetensors save: metadata keys and values must not be null, got " + e);
      }
    }

    byte[] header = header(names, values, metadata);
    Path target = path.toAbsolutePath();
    if (Files.isDirectory(target)) {
      throw new IOException("safetensors save: " + path + " is a folder; give a file name");
    }
    Path folder = target.getParent();
    if (folder != null && !Files.isDirectory(folder)) {
      throw new NoSuchFileException(path.toString(), null,
          "safetensors save: folder " + folder + " does not exist");
    }
    Path tmp = temporarySibling(target);
    try {
      // CREATE_NEW without attributes: the file gets the usual umask permissions (createTempFile
      // would make it owner-only, and the rename would keep that).
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.CREATE_NEW)) {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        len.putLong(header.length).flip();
        writeFully(ch, len);
        writeFully(ch, ByteBuffer.wrap(header));
        for (Tensor t : values) {
          writeFully(ch, bytes(t));
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** A fresh hidden name beside {@code target}, for writing before an atomic rename. */
  static Path temporarySibling(Path target) {
    String random = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    return target.resolveSibling("." + target.getFileName() + "." + random + ".tmp");
  }

  private static byte[] header(List<String> names, List<Tensor> values,
      Map<String, String> metadata) throws IOException {
    StringWriter sw = new StringWriter();
    try (JsonWriter w = new JsonWriter(sw)) {
      w.beginObject();
      if (!metadata.isEmpty()) {
        w.name(METADATA_KEY).beginObject();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
          w.name(e.getKey()).value(e.getValue());
        }
        w.endObject();
      }
      long offset = 0;
      for (int i = 0; i < names.size(); i++) {
        Tensor t = values.get(i);
        long size = t.numel() * t.dtype().byteSize();
        w.name(names.get(i)).beginObject();
        w.name("dtype").value(code(t.dtype()));
        w.name("shape").beginArray();
        for (int d : t.shape().toArray()) {
          w.value(d);
        }
        w.endArray();
        w.name("data_offsets").beginArray().value(offset).value(offset + size).endArray();
        w.endObject();
        offset += size;
      }
      w.endObject();
    }
    byte[] json = sw.toString().getBytes(StandardCharsets.UTF_8);
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    int padded = (json.length + 8 + 7) / 8 * 8 - 8;
    byte[] out = Arrays.copyOf(json, padded);
    Arrays.fill(out, json.length, padded, (byte) ' ');
    return out;
  }

  private static ByteBuffer bytes(Tensor t) {
    int n = Math.toIntExact(t.numel());
    ByteBuffer b = ByteBuffer.allocate(n * t.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    switch (t.dtype()) {
      case FLOAT32:
        b.asFloatBuffer().put(t.toFloatArray());
        break;
      case FLOAT64:
        b.asDoubleBuffer().put(t.toDoubleArray());
        break;
      default:
        b.asLongBuffer().put(t.toLongArray());
    }
    return b;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  // ---- reading ------------------------------------------------------------------------------

  /**
   * Reads every tensor in {@code path}, in header order, as new CPU tensors (float32, float64 or
   * int64). Throws an {@link IOException} naming the fault for a corrupt, truncated or unsupported
   * file.
   */
  public static Map<String, Tensor> load(Path path) throws IOException {
    if (path == null) {
      throw new IllegalArgumentException("safetensors load: path must not be null");
    }
    try (FileChannel ch = openToRead(path)) {
      Header h = readHeader(ch, path);
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (Entry e : h.entries) {
        out.put(e.name, readTensor(ch, h, e, path));
      }
      return out;
    }
  }

  /**
   * Reads the string metadata of {@code path} (empty when it has none), validating the whole
   * header as {@link #load} does.
   */
  public static Map<String, String> metadata(Path path) throws IOException {
    if (path == null) {
      throw new IllegalArgumentException("safetensors metadata: path must not be null");
    }
    try (FileChannel ch = openToRead(path)) {
      return readHeader(ch, path).metadata;
    }
  }

  /**
   * Reads {@code path} into {@code targets} (a layer's named parameters): the file must hold
   * exactly the targets' names with the same shapes, and floating values for floating targets.
   * Everything is read and checked first; only then is each target overwritten in place with
   * {@link Tensor#copyFrom}, so a bad file throws ({@link IOException} for a corrupt file, {@link
   * IllegalArgumentException} for one that does not fit) and leaves every target untouched.
   */
  public static void loadInto(Map<String, Tensor> targets, Path path) throws IOException {
    if (targets == null) {
      throw new IllegalArgumentException("safetensors loadInto: targets must not be null");
    }
    if (path == null) {
      throw new IllegalArgumentException("safetensors loadInto: path must not be null");
    }
    for (Map.Entry<String, Tensor> e : targets.entrySet()) {
      Tensor t = e.getValue();
      if (t == null || t.isClosed()) {
        throw new IllegalArgumentException("safetensors loadInto: target '" + e.getKey()
            + "' is " + (t == null ? "null" : "closed"));
      }
      if (!t.isLeaf()) {
        throw new IllegalArgumentException("safetensors loadInto: target '" + e.getKey()
            + "' is the result of an op; only leaves (parameters) can be loaded into");
      }
    }
    Map<String, Tensor> loaded = new LinkedHashMap<>();
    try {
      try (FileChannel ch = openToRead(path)) {
        Header h = readHeader(ch, path);
        checkFits(targets, h, path);
        for (Entry e : h.entries) {
          loaded.put(e.name, readTensor(ch, h, e, path));
        }
      }
      for (Map.Entry<String, Tensor> e : targets.entrySet()) {
        Tensor target = e.getValue();
        Tensor src = loaded.get(e.getKey());
        Device device = target.device();
        Tensor moved = device.equals(src.device()) ? src : src.to(device);
        try {
          target.copyFrom(moved);
        } finally {
          if (moved != src) {
            moved.close();
          }
        }
      }
    } finally {
      for (Tensor t : loaded.values()) {
        t.close();
      }
    }
  }

  private static void checkFits(Map<String, Tensor> targets, Header h, Path path) {
    Map<String, Entry> byName = new LinkedHashMap<>();
    for (Entry e : h.entries) {
      byName.put(e.name, e);
    }
    TreeSet<String> missing = new TreeSet<>(targets.keySet());
    missing.removeAll(byName.keySet());
    TreeSet<String> unknown = new TreeSet<>(byName.keySet());
    unknown.removeAll(targets.keySet());
    if (!missing.isEmpty() || !unknown.isEmpty()) {
      StringBuilder sb = new StringBuilder("safetensors loadInto: " + path + " does not match the"
          + " parameters:");
      if (!missing.isEmpty()) {
        sb.append(" missing ").append(missing);
      }
      if (!unknown.isEmpty()) {
        sb.append(missing.isEmpty() ? "" : ";").append(" unexpected ").append(unknown);
      }
      throw new IllegalArgumentException(sb.toString());
    }
    for (Map.Entry<String, Tensor> t : targets.entrySet()) {
      Entry e = byName.get(t.getKey());
      Tensor target = t.getValue();
      if (!Arrays.equals(e.shape, target.shape().toArray())) {
        throw new IllegalArgumentException("safetensors loadInto: '" + e.name + "' has shape "
            + Arrays.toString(e.shape) + " in " + path + " but the parameter has shape "
            + target.shape());
      }
      if (e.dtype.isFloating() != target.dtype().isFloating()) {
        throw new IllegalArgumentException("safetensors loadInto: '" + e.name + "' is "
            + code(e.dtype) + " in " + path + " but the parameter is " + target.dtype());
      }
    }
  }

  /** One tensor's header entry. */
  private static final class Entry {
    final String name;
    final DType dtype;
    final int[] shape;
    final long begin;
    final long end;

    Entry(String name, DType dtype, int[] shape, long begin, long end) {
      this.name = name;
      this.dtype = dtype;
      this.shape = shape;
      this.begin = begin;
      this.end = end;
    }
  }

  /** A validated header: entries in header order, and where the data starts in the file. */
  private static final class Header {
    final List<Entry> entries;
    final Map<String, String> metadata;
    final long dataStart;

    Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {
      this.entries = entries;
      this.metadata = metadata;
      this.dataStart = dataStart;
    }
  }

  /** Opens {@code path} for reading; a folder is named as such rather than as "Is a directory". */
  private static FileChannel openToRead(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      throw new IOException("safetensors: " + path + " is a folder, not a safetensors file");
    }
    return FileChannel.open(path, StandardOpenOption.READ);
  }

  private static IOException corrupt(Path path, String what) {
    return new IOException("safetensors: " + path + ": " + what);
  }

  private static Header readHeader(FileChannel ch, Path path) throws IOException {
    long fileSize = ch.size();
    if (fileSize < 8) {
      throw corrupt(path, "file has " + fileSize
          + " bytes, too short for the 8-byte header length (truncated or not safetensors)");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0, path);
    long n = lenBuf.flip().getLong();
    if (n < 2 || n > MAX_HEADER_BYTES) {
      throw corrupt(path, "header length " + Long.toUnsignedString(n)
          + " is out of range (2.." + MAX_HEADER_BYTES + " bytes)");
    }
    if (n > fileSize - 8) {
      throw corrupt(path, "header length " + n + " exceeds the " + (fileSize - 8)
          + " bytes after the length field (truncated or corrupt file)");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) n);
    readFully(ch, hb, 8, path);
    hb.flip();
    String json;
    try {
      json = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(hb).toString();
    } catch (CharacterCodingException e) {
      throw corrupt(path, "header is not valid UTF-8");
    }
    if (json.isEmpty() || json.charAt(0) != '{') {
      throw corrupt(path, "header does not start with '{' (not a safetensors file?)");
    }
    long dataLength = fileSize - 8 - n;
    List<Entry> entries;
    Map<String, String> metadata;
    try {
      JsonReader r = new JsonReader(new StringReader(json));
      r.setStrictness(Strictness.STRICT);
      entries = new ArrayList<>();
      metadata = new LinkedHashMap<>();
      TreeSet<String> seen = new TreeSet<>();
      boolean sawMetadata = false;
      r.beginObject();
      while (r.hasNext()) {
        String name = r.nextName();
        if (name.equals(METADATA_KEY)) {
          if (sawMetadata) {
            throw corrupt(path, "header has " + METADATA_KEY + " twice");
          }
          sawMetadata = true;
          readMetadata(r, metadata, path);
          continue;
        }
        if (name.isEmpty()) {
          throw corrupt(path, "header has a tensor with an empty name");
        }
        if (!seen.add(name)) {
          throw corrupt(path, "header names tensor '" + name + "' twice");
        }
        entries.add(readEntry(r, name, path));
      }
      r.endObject();
      if (r.peek() != JsonToken.END_DOCUMENT) {
        throw corrupt(path, "header has data after its closing '}'");
      }
    } catch (MalformedJsonException | EOFException | IllegalStateException
        | NumberFormatException e) {
      // Gson's messages end with advice for its own callers (a lenient mode, a web page).
      String why = String.valueOf(e.getMessage())
          .replaceAll("(?s)\\s*See https?://\\S+.*$", "")
          .replaceAll("Use JsonReader\\.set\\w+\\([^)]*\\) to accept malformed JSON",
              "malformed JSON");
      throw corrupt(path, "header is not well-formed JSON: " + why);
    }
    checkOffsets(entries, dataLength, path);
    return new Header(Collections.unmodifiableList(entries),
        Collections.unmodifiableMap(metadata), 8 + n);
  }

  private static void readMetadata(JsonReader r, Map<String, String> out, Path path)
      throws IOException {
    if (r.peek() != JsonToken.BEGIN_OBJECT) {
      throw corrupt(path, METADATA_KEY + " must be an object of strings, got " + r.peek());
    }
    r.beginObject();
    while (r.hasNext()) {
      String key = r.nextName();
      if (r.peek() != JsonToken.STRING) {
        throw corrupt(path, METADATA_KEY + " value of '" + key + "' must be a string, got "
            + r.peek());
      }
      if (out.put(key, r.nextString()) != null) {
        throw corrupt(path, METADATA_KEY + " has key '" + key + "' twice");
      }
    }
    r.endObject();
  }

  private static Entry readEntry(JsonReader r, String name, Path path) throws IOException {
    if (r.peek() != JsonToken.BEGIN_OBJECT) {
      throw corrupt(path, "tensor '" + name + "': entry must be an object, got " + r.peek());
    }
    DType dtype = null;
    int[] shape = null;
    long[] offsets = null;
    r.beginObject();
    while (r.hasNext()) {
      String key = r.nextName();
      switch (key) {
        case "dtype":
          if (dtype != null) {
            throw corrupt(path, "tensor '" + name + "': dtype given twice");
          }
          if (r.peek() != JsonToken.STRING) {
            throw corrupt(path, "tensor '" + name + "': dtype must be a string, got " + r.peek());
          }
          dtype = dtype(r.nextString(), name, path);
          break;
        case "shape":
          if (shape != null) {
            throw corrupt(path, "tensor '" + name + "': shape given twice");
          }
          shape = readShape(r, name, path);
          break;
        case "data_offsets":
          if (offsets != null) {
            throw corrupt(path, "tensor '" + name + "': data_offsets given twice");
          }
          offsets = readOffsets(r, name, path);
          break;
        default:
          throw corrupt(path, "tensor '" + name + "': unknown field '" + key + "'");
      }
    }
    r.endObject();
    if (dtype == null || shape == null || offsets == null) {
      throw corrupt(path, "tensor '" + name + "': entry needs dtype, shape and data_offsets");
    }
    long numel = 1;
    for (int d : shape) {
      numel *= d; // each d < 2^31 and the running product is capped below, so no overflow
      if (numel > Integer.MAX_VALUE) {
        throw corrupt(path, "tensor '" + name + "': shape " + Arrays.toString(shape)
            + " has more than " + Integer.MAX_VALUE + " elements");
      }
    }
    long expected = numel * dtype.byteSize();
    if (expected > Integer.MAX_VALUE - 8) {
      throw corrupt(path, "tensor '" + name + "': " + expected + " bytes is too large to load");
    }
    if (offsets[1] < offsets[0]) {
      throw corrupt(path, "tensor '" + name + "': data_offsets " + Arrays.toString(offsets)
          + " end before they begin");
    }
    if (offsets[1] - offsets[0] != expected) {
      throw corrupt(path, "tensor '" + name + "': data_offsets " + Arrays.toString(offsets)
          + " span " + (offsets[1] - offsets[0]) + " bytes but " + code(dtype) + " shape "
          + Arrays.toString(shape) + " needs " + expected);
    }
    return new Entry(name, dtype, shape, offsets[0], offsets[1]);
  }

  private static int[] readShape(JsonReader r, String name, Path path) throws IOException {
    if (r.peek() != JsonToken.BEGIN_ARRAY) {
      throw corrupt(path, "tensor '" + name + "': shape must be an array, got " + r.peek());
    }
    List<Integer> dims = new ArrayList<>();
    r.beginArray();
    while (r.hasNext()) {
      long d = nonNegative(r, name, "shape", path);
      if (d > Integer.MAX_VALUE) {
        throw corrupt(path, "tensor '" + name + "': shape size " + d + " is too large");
      }
      if (dims.size() >= 64) {
        throw corrupt(path, "tensor '" + name + "': shape has more than 64 axes");
      }
      dims.add((int) d);
    }
    r.endArray();
    return dims.stream().mapToInt(Integer::intValue).toArray();
  }

  private static long[] readOffsets(JsonReader r, String name, Path path) throws IOException {
    if (r.peek() != JsonToken.BEGIN_ARRAY) {
      throw corrupt(path, "tensor '" + name + "': data_offsets must be an array, got "
          + r.peek());
    }
    long[] out = new long[2];
    int i = 0;
    r.beginArray();
    while (r.hasNext()) {
      long v = nonNegative(r, name, "data_offsets", path);
      if (i >= 2) {
        throw corrupt(path, "tensor '" + name + "': data_offsets must have exactly 2 numbers");
      }
      out[i++] = v;
    }
    r.endArray();
    if (i != 2) {
      throw corrupt(path, "tensor '" + name + "': data_offsets must have exactly 2 numbers");
    }
    return out;
  }

  private static long nonNegative(JsonReader r, String name, String field, Path path)
      throws IOException {
    if (r.peek() != JsonToken.NUMBER) {
      throw corrupt(path, "tensor '" + name + "': " + field + " must hold integers, got "
          + r.peek());
    }
    String s = r.nextString();
    long v;
    try {
      v = Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw corrupt(path, "tensor '" + name + "': " + field + " value " + s
          + " is not a non-negative integer that fits in 63 bits");
    }
    if (v < 0) {
      throw corrupt(path, "tensor '" + name + "': " + field + " value " + v + " is negative");
    }
    return v;
  }

  private static void checkOffsets(List<Entry> entries, long dataLength, Path path)
      throws IOException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong((Entry e) -> e.begin).thenComparingLong(e -> e.end));
    long at = 0;
    for (Entry e : sorted) {
      if (e.begin != at) {
        throw corrupt(path, "tensor '" + e.name + "': data_offsets [" + e.begin + ", " + e.end
            + "] " + (e.begin < at ? "overlap the previous tensor" : "leave a gap after byte "
            + at) + " (tensors must be stored back to back)");
      }
      if (e.end > dataLength) {
        throw corrupt(path, "tensor '" + e.name + "': data_offsets [" + e.begin + ", " + e.end
            + "] run past the " + dataLength + " data bytes in the file (truncated?)");
      }
      at = e.end;
    }
    if (at != dataLength) {
      throw corrupt(path, "the data section has " + dataLength + " bytes but the tensors cover "
          + at + " (trailing bytes or truncated header)");
    }
  }

  private static Tensor readTensor(FileChannel ch, Header h, Entry e, Path path)
      throws IOException {
    int bytes = (int) (e.end - e.begin); // validated: fits, and within the file
    ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, b, h.dataStart + e.begin, path);
    b.flip();
    int n = bytes / e.dtype.byteSize();
    int[] shape = e.shape.length == 0 ? new int[] {1} : e.shape;
    Tensor t;
    switch (e.dtype) {
      case FLOAT32: {
        float[] a = new float[n];
        b.asFloatBuffer().get(a);
        t = Tensor.of(a, shape);
        break;
      }
      case FLOAT64: {
        double[] a = new double[n];
        b.asDoubleBuffer().get(a);
        t = Tensor.of(a, shape);
        break;
      }
      default: {
        long[] a = new long[n];
        b.asLongBuffer().get(a);
        t = Tensor.of(a, shape);
      }
    }
    if (e.shape.length == 0) {
      Tensor scalar = t.reshape();
      if (scalar != t) {
        t.close();
      }
      t = scalar;
    }
    return t;
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long position, Path path)
      throws IOException {
    long pos = position;
    while (b.hasRemaining()) {
      int k = ch.read(b, pos);
      if (k < 0) {
        throw corrupt(path, "file ends at byte " + pos + " but " + b.remaining()
            + " more bytes were expected (truncated)");
      }
      pos += k;
    }
  }

  // ---- names and dtypes ---------------------------------------------------------------------

  private static void checkName(String op, String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException(op + ": tensor names must be non-empty, got '" + name
          + "'");
    }
    if (name.equals(METADATA_KEY)) {
      throw new IllegalArgumentException(op + ": '" + METADATA_KEY
          + "' is reserved for metadata and cannot name a tensor");
    }
  }

  /** The safetensors code of a dtype: F32, F64 or I64. */
  static String code(DType d) {
    switch (d) {
      case FLOAT32:
        return "F32";
      case FLOAT64:
        return "F64";
      case INT64:
        return "I64";
      default:
        throw new IllegalArgumentException("safetensors: unsupported dtype " + d);
    }
  }

  private static DType dtype(String code, String name, Path path) throws IOException {
    switch (code) {
      case "F32":
        return DType.FLOAT32;
      case "F64":
        return DType.FLOAT64;
      case "I64":
        return DType.INT64;
      default:
        throw corrupt(path, "tensor '" + name + "': dtype '" + code
            + "' is not supported (this library reads F32, F64 and I64)");
    }
  }
}
