package dev.autodiff.core;

import java.util.ArrayList;

/**
 * One thread's record of differentiable ops, in execution order: a topological order by
 * construction, so backward replays it from the end and never sorts a graph.
 *
 * <p>Entries that backward has used are released at once; released entries at the end are cut off,
 * and the list is compacted when released entries make up most of it. Entries recorded inside a
 * scope go when it closes.
 */
final class Tape {
  /** Entries past which the tape warns, once, that something records without ever releasing. */
  static final int WARN_ENTRIES = 1_000_000;
  /** Bytes kept alive by live entries past which the tape warns, once. */
  static final long WARN_BYTES = Long.getLong("autodiff.tape.warnBytes", 1L << 30);

  private final ArrayList<OpContext> entries = new ArrayList<>();
  private long nextSeq;
  private int released;
  private long liveBytes;
  private boolean warned;
  private boolean warnedHistoryCut;

  void record(OpContext e) {
    e.tape = this;
    e.seq = nextSeq++;
    e.index = entries.size();
    long bytes = e.output.numel() * e.output.dtype().byteSize();
    for (Tensor t : e.inputs) {
      bytes += t.numel() * t.dtype().byteSize();
    }
    e.bytes = bytes;
    liveBytes += bytes;
    entries.add(e);
    if ((entries.size() >= WARN_ENTRIES || liveBytes >= WARN_BYTES) && !warned) {
      warned = true;
      System.getLogger("dev.autodiff").log(System.Logger.Level.WARNING,
          "the autograd tape of thread " + Thread.currentThread().getName() + " holds "
              + entries.size() + " entries keeping about " + (liveBytes >> 20) + " MiB alive: "
              + "ops that need gradients are recorded but never used by backward(). Run "
              + "inference inside Autograd.noGrad(), and each training step inside "
              + "Tensors.scope().");
    }
  }

  /**
   * Warns once that {@code op} records with an input whose history a closing scope ended: no
   * gradient will flow through that input to what it was computed from, which PyTorch users
   * do not expect.
   */
  void warnHistoryCut(String op, Tensor input) {
    if (!warnedHistoryCut) {
      warnedHistoryCut = true;
      System.getLogger("dev.autodiff").log(System.Logger.Level.WARNING,
          op + " is recorded with an input of shape " + input.shape() + " that was kept past"
              + " the Tensors.scope() it was computed in: keep() carries values, not history, so"
              + " no gradient reaches what it was computed from. Compute it inside the scope that"
              + " runs backward(), or detach() it to say it is a constant (this warning is shown"
              + " once per thread).");
    }
  }

  /** Approximate bytes the live entries keep alive. */
  long liveBytes() {
    return liveBytes;
  }

  int size() {
    return entries.size();
  }

  OpContext get(int i) {
    return entries.get(i);
  }

  long nextSeq() {
    return nextSeq;
  }

  /** Marks an entry used by backward as gone, dropping what it holds. */
  void release(OpContext e) {
    if (!e.released) {
      liveBytes -= e.bytes;
      e.release("by an earlier backward(); pass retainGraph to the first backward to go through it again");
      released++;
    }
  }

  /** Drops released entries at the end, and compacts when most of the tape is released. */
  void trim() {
    while (!entries.isEmpty() && entries.get(entries.size() - 1).released) {
      entries.remove(entries.size() - 1);
      released--;
    }
    if (released > 1024 && released * 2 >= entries.size()) {
      int w = 0;
      for (int r = 0; r < entries.size(); r++) {
        OpContext e = entries.get(r);
        if (!e.released) {
          e.index = w;
          entries.set(w++, e);
        }
      }
      entries.subList(w, entries.size()).clear();
      released = 0;
    }
  }

  /**
   * Releases and removes every entry recorded at or after {@code seq} (a closing scope's). The
   * outputs that live on (kept tensors) become constants: their history ends with the scope.
   */
  void truncate(long seq) {
    while (!entries.isEmpty() && entries.get(entries.size() - 1).seq >= seq) {
      OpContext e = entries.remove(entries.size() - 1);
      if (e.released) {
        released--;
      } else {
        liveBytes -= e.bytes;
        if (e.output != null && e.output.node == e) {
          e.output.node = null;
          e.output.historyReleased = true; // named if backward is asked of it later
        }
        e.release("when the scope that recorded it closed");
      }
    }
  }
}
