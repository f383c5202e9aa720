package dev.autodiff.core.cpu;

import dev.autodiff.core.DType;
import dev.autodiff.core.Device;
import dev.autodiff.core.Storage;

/** A CPU storage: one heap array of the dtype's primitive type. */
public final class CpuStorage extends Storage {
  private Object array;

  CpuStorage(float[] data) {
    super(DType.FLOAT32, data.length);
    this.array = data;
  }

  CpuStorage(double[] data) {
    super(DType.FLOAT64, data.length);
    this.array = data;
  }

  CpuStorage(long[] data) {
    super(DType.INT64, data.length);
    this.array = data;
  }

  static CpuStorage allocate(DType dtype, int n) {
    switch (dtype) {
      case FLOAT32:
        return new CpuStorage(new float[n]);
      case FLOAT64:
        return new CpuStorage(new double[n]);
      default:
        return new CpuStorage(new long[n]);
    }
  }

  @Override
  public Device device() {
    return Device.cpu();
  }

  /** The backing array: {@code float[]}, {@code double[]} or {@code long[]}. */
  Object array() {
    Object a = array;
    if (a == null) {
      throw new IllegalStateException("storage was freed: its tensor has been closed");
    }
    return a;
  }

  float[] floats() {
    return (float[]) array();
  }

  double[] doubles() {
    return (double[]) array();
  }

  long[] longs() {
    return (long[]) array();
  }

  int length() {
    return (int) size();
  }

  @Override
  protected void free() {
    array = null;
  }
}
