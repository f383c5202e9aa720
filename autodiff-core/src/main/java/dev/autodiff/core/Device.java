package dev.autodiff.core;

import java.util.Objects;

/**
 * Where a tensor's storage lives: the CPU, or a CUDA GPU by index. Ops on tensors of different
 * devices fail; nothing is moved silently.
 */
public final class Device {
  /** The kind of device. */
  public enum Type {
    CPU,
    CUDA
  }

  private static final Device CPU = new Device(Type.CPU, 0);

  private final Type type;
  private final int index;

  private Device(Type type, int index) {
    this.type = type;
    this.index = index;
  }

  /** The host CPU. */
  public static Device cpu() {
    return CPU;
  }

  /**
   * The first CUDA GPU.
   *
   * @throws IllegalStateException naming what is missing: the CUDA backend module, a driver, a
   *     device, or a library that failed to load
   */
  public static Device cuda() {
    return cuda(0);
  }

  /**
   * The CUDA GPU with the given index.
   *
   * @throws IllegalStateException naming what is missing (see {@link #cuda()})
   */
  public static Device cuda(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("cuda: device index must be >= 0, got " + index);
    }
    Device d = new Device(Type.CUDA, index);
    Backends.forDevice(d).checkUsable(d); // fails with the reason when CUDA is unusable
    return d;
  }

  /** The kind of device. */
  public Type type() {
    return type;
  }

  /** The device index (0 for the CPU). */
  public int index() {
    return index;
  }

  /** True for the CPU. */
  public boolean isCpu() {
    return type == Type.CPU;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Device && ((Device) o).type == type && ((Device) o).index == index;
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, index);
  }

  /** {@code cpu} or {@code cuda:N}. */
  @Override
  public String toString() {
    return type == Type.CPU ? "cpu" : "cuda:" + index;
  }
}
