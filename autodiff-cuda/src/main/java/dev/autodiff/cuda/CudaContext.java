package dev.autodiff.cuda;

import static dev.autodiff.cuda.CudaDriver.check;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * One GPU as the backend uses it: the device's primary context (shared with any vendor library),
 * one stream on which every copy and kernel is queued in order, the kernel module, the caching
 * allocator and a pinned host buffer for transfers. Made once per device, on first use.
 */
final class CudaContext implements DeviceMemory {
  /** Pinned staging for transfers; larger arrays go through it in chunks. */
  static final int STAGING_BYTES = 8 << 20;
  /**
   * Uploads up to this size go from pageable memory, which the driver copies into staging of its
   * own before the call returns, so that the host need not wait for the stream (a batch of labels
   * uploaded each step would otherwise wait for the step before it). Larger ones use the faster
   * pinned buffer.
   */
  static final int PAGEABLE_UPLOAD_BYTES = 1 << 20;

  private static final CudaContext[] CONTEXTS = new CudaContext[64];
  /** The context each thread made current last, so that switching costs one call. */
  private static final ThreadLocal<CudaContext> CURRENT = new ThreadLocal<>();

  private final Device device;
  private final String name;
  private final int multiprocessors;
  private final int computeMajor;
  private final int computeMinor;
  private final CUcontext context = new CUcontext();
  private final StreamPointer stream = new StreamPointer();
  private final KernelModule kernels;
  private final CachingAllocator allocator;
  private final ReentrantLock stagingLock = new ReentrantLock();
  private final Pointer staging = new Pointer();
  private final ByteBuffer stagingBuffer;
  private final ByteBuffer pageableStaging =
      ByteBuffer.allocateDirect(PAGEABLE_UPLOAD_BYTES).order(ByteOrder.nativeOrder());
  private final Pointer pageable = Pointer.to(pageableStaging);
  /** How often the host has waited for the stream (the tests count them per training step). */
  private final AtomicLong hostWaits = new AtomicLong();

  private CudaContext(Device device) {
    this.device = device;
    int index = device.index();
    CUdevice dev = new CUdevice();
    check(cuDeviceGet(dev, index), "cuDeviceGet");
    byte[] nameBytes = new byte[256];
    check(cuDeviceGetName(nameBytes, nameBytes.length, dev), "cuDeviceGetName");
    int len = 0;
    while (len < nameBytes.length && nameBytes[len] != 0) {
      len++;
    }
    this.name = new String(nameBytes, 0, len, StandardCharsets.UTF_8);
    this.multiprocessors = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    this.computeMajor = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    this.computeMinor = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    check(cuDevicePrimaryCtxRetain(context, dev), "cuDevicePrimaryCtxRetain");
    check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    CURRENT.set(this);
    check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    this.kernels = new KernelModule(device.toString());
    this.allocator = new CachingAllocator(this, device.toString());
    check(cuMemAllocHost(staging, STAGING_BYTES), "cuMemAllocHost");
    this.stagingBuffer = staging.getByteBuffer(0, STAGING_BYTES);
    if (stagingBuffer == null) {
      throw new IllegalStateException(device + ": JCuda gave the pinned staging buffer no"
          + " ByteBuffer view");
    }
  }

  private static int attribute(CUdevice dev, int attribute) {
    int[] v = new int[1];
    check(cuDeviceGetAttribute(v, attribute, dev), "cuDeviceGetAttribute");
    return v[0];
  }

  /**
   * The context of a CUDA device, made on first use.
   *
   * @throws IllegalStateException when CUDA or that device is unusable, naming why
   */
  static CudaContext of(Device device) {
    int index = device.index();
    if (index < CONTEXTS.length) {
      CudaContext c = CONTEXTS[index];
      if (c != null) {
        c.enter();
        return c;
      }
    }
    CudaDriver.checkDevice(index);
    if (index >= CONTEXTS.length) {
      throw new UnsupportedOperationException(
          "cuda:" + index + ": the backend handles at most " + CONTEXTS.length + " devices");
    }
    synchronized (CONTEXTS) {
      CudaContext c = CONTEXTS[index];
      if (c == null) {
        c = new CudaContext(device);
        CONTEXTS[index] = c;
      }
      c.enter();
      return c;
    }
  }

  /** Makes the primary context current on this thread, once per switch. */
  void enter() {
    if (CURRENT.get() != this) {
      check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
      CURRENT.set(this);
    }
  }

  Device device() {
    return device;
  }

  String name() {
    return name;
  }

  int multiprocessors() {
    return multiprocessors;
  }

  String computeCapability() {
    return computeMajor + "." + computeMinor;
  }

  CachingAllocator allocator() {
    return allocator;
  }

  // ---- memory -------------------------------------------------------------------------------

  /** An uninitialised storage of {@code n} elements. */
  CudaStorage allocate(DType dtype, long n) {
    enter(); // every caller goes on to queue work on this context
    long bytes = Math.max(1, n) * dtype.byteSize();
    return new CudaStorage(this, dtype, n, allocator.allocate(bytes));
  }

  @Override
  public DeviceBlock allocate(long bytes) {
    enter();
    DevicePointer p = new DevicePointer();
    int r = cuMemAlloc(p, bytes);
    if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
      return null;
    }
    check(r, "cuMemAlloc(" + bytes + ")");
    return new DeviceBlock(p.address(), bytes, p);
  }

  @Override
  public void free(DeviceBlock block) {
    enter();
    check(cuMemFree(block.pointer), "cuMemFree");
  }

  @Override
  public void synchronize() {
    enter();
    hostWaits.incrementAndGet();
    check(cuStreamSynchronize(stream), "cuStreamSynchronize");
  }

  /** How many times the host has waited for this context's stream so far. */
  long hostWaits() {
    return hostWaits.get();
  }

  @Override
  public long[] info() {
    enter();
    long[] free = new long[1];
    long[] total = new long[1];
    check(cuMemGetInfo(free, total), "cuMemGetInfo");
    return new long[] {free[0], total[0]};
  }

  /** Sets every byte of {@code s} to {@code value}, in stream order. */
  void memset(CudaStorage s, int value) {
    enter();
    if (s.size() > 0) {
      check(cuMemsetD8Async(s.pointer(), (byte) value, s.bytes(), stream), "cuMemsetD8Async");
    }
  }

  /** Sets every byte of {@code s} to zero, in stream order. */
  void zero(CudaStorage s) {
    memset(s, 0);
  }

  /** Copies all of {@code src} over {@code dst} (same size in bytes), in stream order. */
  void copy(CudaStorage src, CudaStorage dst) {
    enter();
    if (src.bytes() > 0) {
      check(cuMemcpyDtoDAsync(dst.pointer(), src.pointer(), src.bytes(), stream),
          "cuMemcpyDtoDAsync");
    }
  }

  /** Writes one chunk of host data into a staging buffer. */
  interface ChunkWriter {
    void write(ByteBuffer into, int fromElement, int elements);
  }

  /** Reads one chunk of host data out of a staging buffer. */
  interface ChunkReader {
    void read(ByteBuffer from, int fromElement, int elements);
  }

  /**
   * Copies {@code n} host elements of {@code width} bytes into {@code dst}: a small array from
   * pageable memory without waiting (see {@link #PAGEABLE_UPLOAD_BYTES}), a larger one through the
   * pinned staging buffer, waiting for each chunk's previous copy before overwriting the buffer.
   */
  void upload(CudaStorage dst, long n, int width, ChunkWriter writer) {
    enter();
    if (n == 0) {
      return;
    }
    stagingLock.lock();
    try {
      if (n * width <= PAGEABLE_UPLOAD_BYTES) {
        // The driver has copied the bytes out of pageableStaging when the call returns.
        pageableStaging.clear();
        writer.write(pageableStaging, 0, (int) n);
        check(cuMemcpyHtoDAsync(dst.pointer(), pageable, n * width, stream),
            "cuMemcpyHtoDAsync");
        return;
      }
      int chunk = STAGING_BYTES / width;
      for (long at = 0; at < n; at += chunk) {
        int len = (int) Math.min(chunk, n - at);
        synchronize(); // the previous copy out of the staging buffer has finished
        ByteBuffer b = stagingBuffer.duplicate().order(stagingBuffer.order());
        b.clear();
        writer.write(b, (int) at, len);
        CUdeviceptr to = dst.pointer().withByteOffset(at * width);
        check(cuMemcpyHtoDAsync(to, staging, (long) len * width, stream), "cuMemcpyHtoDAsync");
      }
    } finally {
      stagingLock.unlock();
    }
  }

  /** Copies {@code n} elements of {@code src} to the host through the staging buffer. */
  void download(CudaStorage src, long n, int width, ChunkReader reader) {
    download(src, 0, n, width, reader);
  }

  /** Copies elements [first, first + n) of {@code src} to the host. */
  void download(CudaStorage src, long first, long n, int width, ChunkReader reader) {
    enter();
    int chunk = STAGING_BYTES / width;
    stagingLock.lock();
    try {
      for (long at = 0; at < n; at += chunk) {
        int len = (int) Math.min(chunk, n - at);
        CUdeviceptr from = src.pointer().withByteOffset((first + at) * width);
        check(cuMemcpyDtoHAsync(staging, from, (long) len * width, stream), "cuMemcpyDtoHAsync");
        synchronize();
        ByteBuffer b = stagingBuffer.duplicate().order(stagingBuffer.order());
        b.clear();
        reader.read(b, (int) at, len);
      }
    } finally {
      stagingLock.unlock();
    }
  }

  /** A new float32 or float64 storage holding {@code values} (the self-tests' small inputs). */
  CudaStorage uploadAs(DType dtype, double[] values) {
    CudaStorage s = allocate(dtype, values.length);
    if (dtype == DType.FLOAT32) {
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) values[i];
      }
      upload(s, f.length, 4, (b, from, n) -> b.asFloatBuffer().put(f, from, n));
    } else {
      upload(s, values.length, 8, (b, from, n) -> b.asDoubleBuffer().put(values, from, n));
    }
    return s;
  }

  /** The first {@code n} elements of a float32 or float64 storage, as doubles. */
  double[] downloadAsDoubles(CudaStorage s, int n) {
    double[] out = new double[n];
    if (s.dtype() == DType.FLOAT32) {
      float[] f = new float[n];
      download(s, n, 4, (b, from, len) -> b.asFloatBuffer().get(f, from, len));
      for (int i = 0; i < n; i++) {
        out[i] = f[i];
      }
    } else {
      download(s, n, 8, (b, from, len) -> b.asDoubleBuffer().get(out, from, len));
    }
    return out;
  }

  // ---- kernels ------------------------------------------------------------------------------

  /**
   * {@code -Dautodiff.cuda.sync=true} waits for every kernel as it is launched, so that a fault
   * (an illegal address, say) is reported by the kernel that caused it rather than by whichever
   * later call happens to wait. Slow; for finding bugs.
   */
  static final boolean SYNC_EACH_LAUNCH = Boolean.getBoolean("autodiff.cuda.sync");

  /** Queues {@code kernel} on the stream. */
  void launch(String kernel, int gridX, int gridY, int gridZ, int blockX, int blockY,
      KernelArgs args) {
    enter();
    int r = cuLaunchKernel(kernels.function(kernel), gridX, gridY, gridZ, blockX, blockY, 1, 0,
        stream, args.pack(), null);
    if (r == CUresult.CUDA_SUCCESS && SYNC_EACH_LAUNCH) {
      r = cuStreamSynchronize(stream);
    }
    if (r != CUresult.CUDA_SUCCESS) {
      throw new IllegalStateException(device + ": kernel " + kernel + " with grid (" + gridX
          + ", " + gridY + ", " + gridZ + ") and block (" + blockX + ", " + blockY + ") failed: "
          + CUresult.stringFor(r) + " (" + r + ")");
    }
  }

  /** Queues a one-dimensional elementwise kernel over {@code n} elements. */
  void launch1d(String kernel, long n, KernelArgs args) {
    if (n > 0) {
      launch(kernel, Geometry.blocks(n, multiprocessors), 1, 1, Geometry.THREADS, 1, args);
    }
  }

  /** This context's stream, for vendor libraries queuing work on it. */
  CUstream stream() {
    return stream;
  }

  /** The raw handle of this context's stream, for vendor libraries queuing work on it. */
  long streamHandle() {
    return stream.address();
  }

  /**
   * The stream of the context whose raw handle is {@code handle}, for bindings that take JCuda's
   * object rather than an address; null for 0, the legacy default stream.
   *
   * @throws IllegalArgumentException when no context of this process has that stream
   */
  static CUstream streamWithHandle(long handle) {
    if (handle == 0) {
      return null;
    }
    synchronized (CONTEXTS) {
      for (CudaContext c : CONTEXTS) {
        if (c != null && c.streamHandle() == handle) {
          return c.stream;
        }
      }
    }
    throw new IllegalArgumentException("no CUDA context of this process has a stream with handle"
        + " 0x" + Long.toHexString(handle));
  }

  /** A CUstream that tells its handle (JCuda keeps it in a protected field). */
  static final class StreamPointer extends CUstream {
    long address() {
      return getNativePointer();
    }
  }

  /** A CUdeviceptr that tells its address (JCuda keeps it in a protected field). */
  static final class DevicePointer extends CUdeviceptr {
    long address() {
      return getNativePointer();
    }
  }
}
