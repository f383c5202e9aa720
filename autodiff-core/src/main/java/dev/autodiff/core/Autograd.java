package dev.autodiff.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.Function;

/**
 * The backward pass, in functional and accumulating forms, and the switch that turns recording
 * off.
 *
 * <p>Backward walks the current thread's tape from the newest entry that produced an output back
 * to the start. Each entry whose output has a cotangent applies its VJP and adds the results into
 * its inputs' cotangents (so fan-out needs nothing special); entries with no cotangent cannot reach
 * the outputs and are skipped. Nothing is sorted and nothing recurses.
 */
public final class Autograd {
  private Autograd() {}

  /** Turns recording off on this thread until closed: {@code try (var g = Autograd.noGrad())}. */
  public static NoGrad noGrad() {
    ThreadState state = ThreadState.get();
    NoGrad g = new NoGrad(state, state.gradEnabled);
    state.noGrads.add(g);
    state.gradEnabled = false;
    return g;
  }

  /** True when ops on this thread are being recorded. */
  public static boolean isGradEnabled() {
    return ThreadState.get().gradEnabled;
  }

  /**
   * Restores the recording state that {@link #noGrad()} found. Guards closed out of order still
   * end right: recording stays off while any of them is open, and the last to close restores
   * the state before the first. Closing twice does nothing.
   */
  public static final class NoGrad implements AutoCloseable {
    private final ThreadState state;
    private boolean previous;

    private NoGrad(ThreadState state, boolean previous) {
      this.state = state;
      this.previous = previous;
    }

    @Override
    public void close() {
      if (Thread.currentThread() != state.owner) {
        throw new IllegalStateException("noGrad: closed on thread " + Thread.currentThread()
            .getName() + ", but opened on " + state.owner.getName());
      }
      int at = state.noGrads.lastIndexOf(this);
      if (at < 0) {
        return; // closed already
      }
      state.noGrads.remove(at);
      if (at == state.noGrads.size()) {
        state.gradEnabled = previous; // the innermost guard
      } else {
        state.noGrads.get(at).previous = previous; // the guard opened after this one restores it
      }
    }
  }

  /**
   * The gradient of a one-element {@code output} with respect to {@code input}, leaving {@code
   * grad()} untouched. With {@code createGraph} the result is itself differentiable.
   */
  public static Tensor grad(Tensor output, Tensor input, boolean createGraph) {
    Tensor.required("grad", "output", output);
    Tensor.required("grad", "input", input);
    return grad(List.of(output), List.of(input), createGraph).get(0);
  }

  /** The gradients of a one-element {@code output} with respect to each of {@code inputs}. */
  public static List<Tensor> grad(Tensor output, List<Tensor> inputs, boolean createGraph) {
    return grad(List.of(Tensor.required("grad", "output", output)), inputs, createGraph);
  }

  /**
   * The gradients of the sum of one-element {@code outputs} with respect to each of {@code
   * inputs}; an input the outputs do not depend on gets zeros, and so does every input for an
   * output made from no tensor that requires gradients (a constant, such as the first derivative
   * of a linear function). Only the ops between the outputs and the inputs run their VJPs; as in
   * backward(), every entry reached from the outputs is then released (see the full form to
   * retain them).
   *
   * @throws IllegalStateException for an output whose history is gone: computed from tensors
   *     that require gradients inside {@link #noGrad()} (or by a backward without {@code
   *     createGraph}), or kept past the scope it was computed in
   */
  public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, boolean createGraph) {
    return grad(outputs, null, inputs, createGraph, createGraph);
  }

  /**
   * The full form: vector-Jacobian products of {@code outputs} with cotangents {@code seeds} (null
   * seeds mean 1 for one-element outputs) with respect to {@code inputs}.
   */
  public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> seeds, List<Tensor> inputs,
      boolean retainGraph, boolean createGraph) {
    if (inputs == null || inputs.isEmpty()) {
      throw new IllegalArgumentException("grad: needs at least one input");
    }
    for (Tensor in : inputs) {
      if (in == null) {
        throw new IllegalArgumentException("grad: an input is null");
      }
      if (!in.tracked()) {
        throw new IllegalArgumentException(
            "grad: every input must require gradients (call requiresGrad() on it)");
      }
    }
    if (outputs == null || outputs.isEmpty()) {
      throw new IllegalArgumentException("grad: needs at least one output");
    }
    if (seeds != null && seeds.size() != outputs.size()) {
      throw new IllegalArgumentException(
          "grad: " + seeds.size() + " seeds for " + outputs.size() + " outputs");
    }
    // An output made without any tensor that requires gradients is constant in the inputs: it
    // contributes zeros (a first derivative with no history, as of a linear function, has a zero
    // second derivative). One whose history was not recorded or was released is an error, as in
    // backward(): zeros there would be wrong.
    List<Tensor> live = new ArrayList<>();
    List<Tensor> liveSeeds = seeds == null ? null : new ArrayList<>();
    for (int i = 0; i < outputs.size(); i++) {
      Tensor o = Tensor.required("grad", "every output", outputs.get(i));
      if (o.tracked()) {
        live.add(o);
        if (liveSeeds != null) {
          liveSeeds.add(seeds.get(i));
        }
      } else if (o.historyReleased || o.unrecorded) {
        seedFor(o, null, false); // throws, saying why it has no history
      }
    }
    Tensor[] out = live.isEmpty() ? new Tensor[inputs.size()]
        : run(live, liveSeeds, inputs, retainGraph, createGraph);
    List<Tensor> result = new ArrayList<>(out.length);
    for (int i = 0; i < out.length; i++) {
      result.add(out[i] != null ? out[i] : inputs.get(i).zerosLike());
    }
    return result;
  }

  /**
   * The Jacobian of {@code f} at {@code x}, as PyTorch's {@code torch.autograd.functional
   * .jacobian}: a constant tensor of shape {@code f(x).shape ++ x.shape} whose element {@code [i...,
   * j...]} is the derivative of output element {@code i} with respect to input element {@code j}.
   * {@code f} runs once, on a fresh leaf with {@code x}'s values ({@code x} is left alone); each
   * output element then costs one backward pass, so this is for small functions.
   *
   * <pre>{@code
   * Autograd.jacobian(v -> v.mul(v), Tensor.of(new double[] {1, 2}))  // [[2, 0], [0, 4]]
   * }</pre>
   */
  public static Tensor jacobian(Function<Tensor, Tensor> f, Tensor x) {
    return Jacobians.jacobian(f, x);
  }

  /**
   * The Hessian of a one-element {@code f} at {@code x}, of shape {@code x.shape ++ x.shape}: the
   * Jacobian of its gradient, as PyTorch's {@code torch.autograd.functional.hessian}.
   */
  public static Tensor hessian(Function<Tensor, Tensor> f, Tensor x) {
    return Jacobians.hessian(f, x);
  }

  /** Accumulates the gradients of {@code output} into the {@code grad()} of every leaf. */
  public static void backward(Tensor output, Tensor seed, boolean retainGraph,
      boolean createGraph) {
    if (output == null) {
      throw new IllegalArgumentException("backward: output is null");
    }
    run(List.of(output), seed == null ? null : Arrays.asList(seed), null,
        retainGraph || createGraph, createGraph);
  }

  private static Tensor[] run(List<Tensor> outputs, List<Tensor> seeds, List<Tensor> inputs,
      boolean retain, boolean create) {
    if (outputs == null || outputs.isEmpty()) {
      throw new IllegalArgumentException("backward: needs at least one output");
    }
    if (seeds != null && seeds.size() != outputs.size()) {
      throw new IllegalArgumentException("backward: " + seeds.size() + " seeds for "
          + outputs.size() + " outputs");
    }
    ThreadState state = ThreadState.get();
    Tape tape = state.tape;
    IdentityHashMap<Tensor, Tensor> leafGrads = new IdentityHashMap<>();
    IdentityHashMap<Tensor, Integer> wanted = new IdentityHashMap<>();
    Tensor[] results = new Tensor[inputs == null ? 0 : inputs.size()];
    if (inputs != null) {
      for (int i = 0; i < inputs.size(); i++) {
        wanted.putIfAbsent(inputs.get(i), i);
      }
    }
    // The cotangents live in this call's arrays, indexed by tape position, never on the entries:
    // a custom op's VJP may itself call grad() or backward(), whose pass must not take them.
    OpContext[] seeded = new OpContext[outputs.size()];
    Tensor[] seedValues = new Tensor[outputs.size()];
    int start = -1;
    for (int i = 0; i < outputs.size(); i++) {
      Tensor out = outputs.get(i);
      seedValues[i] = seedFor(out, seeds == null ? null : seeds.get(i), inputs == null);
      if (out.node == null) {
        leafGrads.merge(out, seedValues[i], Tensor::add);
      } else {
        seeded[i] = onThisTape(tape, out.node);
        start = Math.max(start, seeded[i].index);
      }
    }
    Tensor[] cotangents = new Tensor[start + 1];
    boolean[] reached = new boolean[start + 1]; // reached without a cotangent (see below)
    for (int i = 0; i < seeded.length; i++) {
      if (seeded[i] != null) {
        int at = seeded[i].index;
        cotangents[at] = cotangents[at] == null ? seedValues[i] : cotangents[at].add(seedValues[i]);
      }
    }
    Reach reach = inputs == null ? null : new Reach(tape, start, wanted);
    boolean was = state.gradEnabled;
    state.passes++;
    try {
      state.gradEnabled = create;
      for (int i = start; i >= 0; i--) {
        OpContext e = tape.get(i);
        Tensor gy = cotangents[i];
        if (gy == null && !reached[i]) {
          continue; // cannot reach the outputs
        }
        cotangents[i] = null;
        if (gy != null) {
          Integer slot = wanted.get(e.output);
          if (slot != null) {
            results[slot] = gy;
          }
          if (e.retainsGrad && inputs == null) {
            e.output.accumulateGrad(gy, create); // retainGrad(): kept as a leaf keeps its own
          }
        }
        if (gy == null || reach != null && !reach.leads(i)) {
          // Reached from the outputs but not run: below every input grad() was asked about, or
          // cut off by a VJP that gave no gradient to a tracked input. Released (unless
          // retained) with what made its inputs, as a backward through them would have; else a
          // loop outside any scope would keep these entries forever. A pass nested in a VJP
          // leaves them to the outer pass, which may still need them.
          if (!e.released && state.passes == 1) {
            for (Tensor x : e.inputs) {
              markReached(tape, x, reached);
            }
            if (!retain) {
              tape.release(e);
            }
          }
          continue;
        }
        Tensor[] grads;
        e.reach = reach; // needsInputGrad(i) is false for an input that leads nowhere wanted
        try {
          grads = e.op.vjp(e, gy);
        } catch (IllegalStateException ex) {
          String why = ex.getMessage();
          throw new IllegalStateException("backward through " + e.name() + ": "
              + (why != null && why.startsWith(e.name() + ": ")
                  ? why.substring(e.name().length() + 2) : why),
              ex);
        } finally {
          e.reach = null;
        }
        Tensor[] in = e.inputs;
        for (int j = 0; j < grads.length; j++) {
          Tensor g = grads[j];
          Tensor x = in[j];
          if (g == null) {
            markReached(tape, x, reached);
          } else if (x.node != null && reach != null && reach.gone(x.node)) {
            // made by an entry that is gone and that grad() need not run
            Integer at = wanted.get(x);
            if (at != null) {
              results[at] = results[at] == null ? g : results[at].add(g);
            }
          } else if (x.node != null) {
            OpContext p = onThisTape(tape, x.node);
            cotangents[p.index] = cotangents[p.index] == null ? g : cotangents[p.index].add(g);
          } else if (x.requiresGrad) {
            leafGrads.merge(x, g, Tensor::add);
          }
        }
        if (!retain) {
          tape.release(e);
        }
      }
    } finally {
      state.gradEnabled = was;
      state.passes--;
      if (!retain && state.passes == 0) {
        tape.trim(); // not inside an outer pass, whose walk holds tape positions
      }
    }
    if (inputs == null) {
      for (var entry : leafGrads.entrySet()) {
        entry.getKey().accumulateGrad(entry.getValue(), create);
      }
    } else {
      for (int i = 0; i < results.length; i++) {
        Tensor in = inputs.get(i);
        Integer slot = wanted.get(in);
        Tensor r = in.node == null ? leafGrads.get(in) : results[slot];
        results[i] = r;
      }
    }
    return results;
  }

  /** Marks the entry that made {@code x}, if it is live on this tape, as reached. */
  private static void markReached(Tape tape, Tensor x, boolean[] reached) {
    OpContext p = x.node;
    if (p != null && p.tape == tape && !p.released && p.index < reached.length) {
      reached[p.index] = true;
    }
  }

  /**
   * For grad(): which entries lead to a wanted input, so that only the ops between the outputs and
   * the inputs run their VJPs (as in PyTorch's autograd.grad, which need not run the rest). An
   * entry leads when an input of it is wanted or made by an entry that leads. An entry of this
   * tape that an earlier backward released has no inputs left to look at: it counts as leading
   * when a wanted tensor existed before it was recorded, so that reaching it still reports the
   * spent graph rather than skip a path silently. One recorded on another thread's tape counts as
   * leading, so that reaching it reports that.
   */
  static final class Reach {
    private final Tape tape;
    private final IdentityHashMap<Tensor, Integer> wanted;
    private final boolean[] leads;
    /** The record number before which no wanted tensor existed (a leaf exists from the start). */
    private final long firstWanted;

    Reach(Tape tape, int last, IdentityHashMap<Tensor, Integer> wanted) {
      this.tape = tape;
      this.wanted = wanted;
      long first = Long.MAX_VALUE;
      for (Tensor w : wanted.keySet()) {
        OpContext n = w.node;
        first = Math.min(first, n == null || n.tape != tape ? Long.MIN_VALUE : n.seq);
      }
      firstWanted = first;
      leads = new boolean[last + 1];
      for (int i = 0; i <= last; i++) {
        OpContext e = tape.get(i);
        leads[i] = e.released ? firstWanted < e.seq : hasLeadingInput(e);
      }
    }

    private boolean hasLeadingInput(OpContext e) {
      for (Tensor x : e.inputs) {
        if (leadsFrom(x)) {
          return true;
        }
      }
      return false;
    }

    /** True when a gradient for {@code x} can reach a wanted input (x is one, or leads to one). */
    boolean leadsFrom(Tensor x) {
      OpContext p = x.node;
      return wanted.containsKey(x) || p != null && (p.tape != tape || (p.released
          ? firstWanted < p.seq : p.index < leads.length && leads[p.index]));
    }

    boolean leads(int i) {
      return leads[i];
    }

    /** True for an entry of this tape that an earlier backward released and that cannot lead. */
    boolean gone(OpContext p) {
      return p.tape == tape && p.released && firstWanted >= p.seq;
    }
  }

  /** The cotangent an output starts from; errors name backward, or grad for Autograd.grad. */
  private static Tensor seedFor(Tensor out, Tensor seed, boolean backward) {
    String op = backward ? "backward" : "grad";
    if (out == null) {
      throw new IllegalArgumentException(op + ": output is null");
    }
    out.checkOpen(op);
    if (!out.tracked() && out.historyReleased) {
      throw new IllegalStateException(op + ": the tensor of shape " + out.shape()
          + " has no history: it (or a tensor it was computed from) was kept past the scope it"
          + " was computed in, and a closing"
          + " scope releases its tape entries (keep() carries values, not history); call"
          + " " + op + " inside that scope");
    }
    if (!out.tracked() && out.unrecorded) {
      throw new IllegalStateException(op + ": the tensor of shape " + out.shape()
          + " has no history: it was computed from tensors that require gradients while"
          + " recording was off (inside Autograd.noGrad(), or by a backward or grad without"
          + " createGraph)");
    }
    if (!out.tracked()) {
      throw new IllegalStateException(op + ": the tensor of shape " + out.shape()
          + " does not require gradients and has no recorded history (was it computed inside "
          + "noGrad(), or from inputs without requiresGrad()?)");
    }
    if (seed == null) {
      if (out.numel() != 1) {
        throw new IllegalArgumentException(op + ": the output has shape " + out.shape()
            + "; a seed is needed for an output with more than one element (pass "
            + (backward ? "backward(seed)" : "Autograd.grad(outputs, seeds, inputs, retainGraph, "
                + "createGraph)")
            + " with a cotangent of that shape)");
      }
      return out.onesLike();
    }
    seed.checkOpen(op);
    if (!seed.shape().equals(out.shape())) {
      throw new IllegalArgumentException(op + ": seed shape " + seed.shape()
          + " does not match output shape " + out.shape());
    }
    if (!seed.device().equals(out.device())) {
      throw new IllegalArgumentException(op + ": seed is on " + seed.device()
          + " but the output is on " + out.device());
    }
    return seed.to(out.dtype());
  }

  private static OpContext onThisTape(Tape tape, OpContext e) {
    if (e.released) {
      throw e.spent();
    }
    if (e.index >= tape.size() || tape.get(e.index) != e) {
      throw new IllegalStateException("backward: " + e.name()
          + " was recorded on another thread's tape; each thread backpropagates its own ops");
    }
    return e;
  }
}
