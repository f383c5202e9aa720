package dev.autodiff.core;

/**
 * Elementwise kernels of one input a {@link Backend} provides. The parameters {@code p} and {@code
 * q} carry an op's constants (the slope of leakyRelu, the bounds of clamp, the exponent of pow).
 */
public enum UnaryOp {
  NEG,
  EXP,
  LOG,
  SQRT,
  ABS,
  SIGN,
  TANH,
  SIGMOID,
  RELU,
  /** x > 0 ? x : p x. */
  LEAKY_RELU,
  /** x > 0 ? x : p (exp(x) - 1). */
  ELU,
  /** log(1 + exp(x)), computed without overflow. */
  SOFTPLUS,
  /** min(max(x, p), q). */
  CLAMP,
  /** 1 where p &lt;= x &lt;= q, else 0: the mask of clamp's gradient. */
  INSIDE,
  /** x to the power p. */
  POW,
  /** x + p (and x - c as x + (-c), which IEEE arithmetic defines it to be). */
  ADD_SCALAR,
  /** x * p. */
  MUL_SCALAR,
  /** x / p. */
  DIV_SCALAR,
  SIN,
  COS
}
