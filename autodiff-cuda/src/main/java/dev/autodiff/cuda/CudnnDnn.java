package dev.autodiff.cuda;

import static jcuda.jcudnn.JCudnn.cudnnCreate;
import static jcuda.jcudnn.JCudnn.cudnnCreateTensorDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnGetErrorString;
import static jcuda.jcudnn.JCudnn.cudnnGetVersion;
import static jcuda.jcudnn.JCudnn.cudnnSetStream;
import static jcuda.jcudnn.JCudnn.cudnnSetTensor4dDescriptor;
import static jcuda.jcudnn.JCudnn.cudnnSoftmaxBackward;
import static jcuda.jcudnn.JCudnn.cudnnSoftmaxForward;

import dev.autodiff.core.DType;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnDataType;
import jcuda.jcudnn.cudnnHandle;
import jcuda.jcudnn.cudnnSoftmaxAlgorithm;
import jcuda.jcudnn.cudnnSoftmaxMode;
import jcuda.jcudnn.cudnnStatus;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.jcudnn.cudnnTensorFormat;
import jcuda.runtime.cudaStream_t;

/**
 * cuDNN's softmax through JCudnn for one context: a handle on the context's stream, and
 * descriptors reused from call to call (so calls are serialised). Made only after {@link DnnProviders} has loaded
 * JCudnn's native library; JCudnn's exceptions stay off and every status is checked here.
 */
final class CudnnDnn implements DnnProvider {
  private final String name;
  private final cudnnHandle handle = new cudnnHandle();
  private final cudnnTensorDescriptor first = new cudnnTensorDescriptor();
  private final cudnnTensorDescriptor second = new cudnnTensorDescriptor();
  private final Pointer oneF = Pointer.to(new float[] {1});
  private final Pointer zeroF = Pointer.to(new float[] {0});
  private final Pointer oneD = Pointer.to(new double[] {1});
  private final Pointer zeroD = Pointer.to(new double[] {0});

  /** A handle bound to {@code c}'s stream; {@code c} must be current on this thread. */
  CudnnDnn(CudaContext c) {
    c.enter();
    check(cudnnCreate(handle), "cudnnCreate");
    check(cudnnSetStream(handle, new cudaStream_t(c.stream())), "cudnnSetStream");
    check(cudnnCreateTensorDescriptor(first), "cudnnCreateTensorDescriptor");
    check(cudnnCreateTensorDescriptor(second), "cudnnCreateTensorDescriptor");
    long v = cudnnGetVersion();
    this.name = "cuDNN " + v / 10000 + "." + v / 100 % 100 + "." + v % 100;
  }

  @Override
  public String name() {
    return name;
  }

  private static void check(int status, String call) {
    if (status != cudnnStatus.CUDNN_STATUS_SUCCESS) {
      String text;
      try {
        text = cudnnGetErrorString(status);
      } catch (LinkageError e) { // a native without that function must not hide the error
        text = cudnnStatus.stringFor(status);
      }
      throw new IllegalStateException("cuDNN call " + call + " failed: " + text + " (" + status
          + ")");
    }
  }

  private static int dataType(CudaStorage s) {
    return s.dtype() == DType.FLOAT32 ? cudnnDataType.CUDNN_DATA_FLOAT
        : cudnnDataType.CUDNN_DATA_DOUBLE;
  }

  private Pointer one(CudaStorage s) {
    return s.dtype() == DType.FLOAT32 ? oneF : oneD;
  }

  private Pointer zero(CudaStorage s) {
    return s.dtype() == DType.FLOAT32 ? zeroF : zeroD;
  }

  /** Shapes {@code d} as n x c x 1 x 1, the layout cuDNN's softmax reduces over c in. */
  private static void shape(cudnnTensorDescriptor d, CudaStorage s, int n, int c) {
    check(cudnnSetTensor4dDescriptor(d, cudnnTensorFormat.CUDNN_TENSOR_NCHW, dataType(s), n, c,
        1, 1), "cudnnSetTensor4dDescriptor");
  }

  @Override
  public synchronized boolean softmax(boolean log, CudaStorage x, CudaStorage y, int rows,
      int n) {
    if (x.dtype() == DType.INT64 || rows == 0 || n == 0) {
      return false;
    }
    shape(first, x, rows, n);
    check(cudnnSoftmaxForward(handle, algorithm(log),
        cudnnSoftmaxMode.CUDNN_SOFTMAX_MODE_CHANNEL, one(x), first, x.pointer(), zero(x), first,
        y.pointer()), "cudnnSoftmaxForward");
    return true;
  }

  @Override
  public synchronized boolean softmaxBackward(boolean log, CudaStorage y, CudaStorage g,
      CudaStorage out, int rows, int n) {
    if (y.dtype() == DType.INT64 || rows == 0 || n == 0) {
      return false;
    }
    shape(first, y, rows, n);
    shape(second, g, rows, n);
    check(cudnnSoftmaxBackward(handle, algorithm(log),
        cudnnSoftmaxMode.CUDNN_SOFTMAX_MODE_CHANNEL, one(y), first, y.pointer(), second,
        g.pointer(), zero(y), first, out.pointer()), "cudnnSoftmaxBackward");
    return true;
  }

  private static int algorithm(boolean log) {
    return log ? cudnnSoftmaxAlgorithm.CUDNN_SOFTMAX_LOG
        : cudnnSoftmaxAlgorithm.CUDNN_SOFTMAX_ACCURATE;
  }
}
