package dev.autodiff.gradcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autodiff.core.Op;
import dev.autodiff.core.Ops;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Every differentiable op of the registry has a gradient-check property. */
class OpCoverageTest {

  /** The op names the {@code @Covers} properties of {@code classes} name. */
  static Set<String> covered(Class<?>... classes) {
    Set<String> names = new TreeSet<>();
    for (Class<?> c : classes) {
      for (Method m : c.getDeclaredMethods()) {
        Covers covers = m.getAnnotation(Covers.class);
        if (covers != null && m.isAnnotationPresent(Property.class)) {
          names.addAll(List.of(covers.value()));
        }
      }
    }
    return names;
  }

  /** The registry's differentiable ops that no property covers, by name. */
  static List<String> uncovered(Collection<Op> registry, Set<String> covered) {
    List<String> missing = new ArrayList<>();
    for (Op op : registry) {
      if (op.isDifferentiable() && !covered.contains(op.name())) {
        missing.add(op.name());
      }
    }
    return missing;
  }

  @Test
  void everyDifferentiableOpHasAGradientCheckProperty() {
    List<String> missing = uncovered(Ops.all(), covered(OpPropertiesTest.class));
    assertTrue(missing.isEmpty(),
        "differentiable ops without a gradient-check property: " + missing);
  }

  @Test
  void everyCoveredNameIsARealOp() {
    Set<String> registry = new TreeSet<>();
    Ops.all().forEach(op -> registry.add(op.name()));
    Set<String> stale = new TreeSet<>(covered(OpPropertiesTest.class));
    stale.removeAll(registry);
    assertTrue(stale.isEmpty(), "properties name ops the registry does not have: " + stale);
  }

  @Test
  void coverageCheckNamesANewOpThatHasNoProperty() {
    Op probe = Op.define("probeOp", (ctx, in) -> in[0].mul(2),
        (ctx, g) -> new dev.autodiff.core.Tensor[] {g.mul(2)});
    List<Op> registry = new ArrayList<>(Ops.all());
    registry.add(probe);
    assertEquals(List.of("probeOp"), uncovered(registry, covered(OpPropertiesTest.class)));
  }
}
