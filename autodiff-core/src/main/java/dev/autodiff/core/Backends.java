package dev.autodiff.core;

import dev.autodiff.core.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** Finds the backend for a device: the built-in CPU one, or one registered as a service. */
final class Backends {
  private Backends() {}

  private static final class Loaded {
    static final List<Backend> SERVICES = load();

    private static List<Backend> load() {
      List<Backend> found = new ArrayList<>();
      try {
        for (Backend b : ServiceLoader.load(Backend.class)) {
          found.add(b);
        }
      } catch (ServiceConfigurationError | LinkageError e) {
        System.getLogger("dev.autodiff")
            .log(System.Logger.Level.WARNING, "a backend service failed to load: " + e);
      }
      return List.copyOf(found);
    }
  }

  static Backend cpu() {
    return CpuBackend.INSTANCE;
  }

  static Backend forDevice(Device device) {
    if (device.isCpu()) {
      return CpuBackend.INSTANCE;
    }
    for (Backend b : Loaded.SERVICES) {
      if (b.supports(device)) {
        return b;
      }
    }
    throw new IllegalStateException(
        "no backend for device " + device + ": the autodiff-cuda module is not on the class path");
  }
}
