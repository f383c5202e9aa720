package dev.autodiff.gradcheck;

import dev.autodiff.core.Shape;
import java.util.List;

/**
 * Shapes that broadcast together, and the shape they broadcast to.
 *
 * @param shapes the operands' shapes (as many as asked for)
 * @param result their NumPy broadcast
 */
public record BroadcastShapes(List<Shape> shapes, Shape result) {
  /** Operand {@code i}'s shape. */
  public Shape get(int i) {
    return shapes.get(i);
  }

  @Override
  public String toString() {
    return shapes + " -> " + result;
  }
}
