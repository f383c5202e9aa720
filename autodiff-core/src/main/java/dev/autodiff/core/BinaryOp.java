package dev.autodiff.core;

/** Elementwise kernels of two broadcast inputs a {@link Backend} provides. */
public enum BinaryOp {
  ADD,
  SUB,
  MUL,
  DIV,
  POW,
  /** 1 where a &gt; b, else 0. */
  GT,
  /** 1 where a &lt; b, else 0. */
  LT,
  /** 1 where a &gt;= b, else 0. */
  GE,
  /** 1 where a &lt;= b, else 0. */
  LE,
  /** 1 where a == b, else 0. */
  EQ
}
