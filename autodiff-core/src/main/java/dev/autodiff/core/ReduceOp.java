package dev.autodiff.core;

/** Reductions along one axis a {@link Backend} provides. ARGMAX and ARGMIN give INT64 results. */
public enum ReduceOp {
  SUM,
  MAX,
  MIN,
  ARGMAX,
  ARGMIN,
  /** log(sum(exp(x))), shifted by the maximum so that it never overflows. */
  LOG_SUM_EXP
}
