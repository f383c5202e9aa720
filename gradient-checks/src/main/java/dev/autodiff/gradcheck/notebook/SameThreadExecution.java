package dev.autodiff.gradcheck.notebook;

import java.util.Map;
import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * An in-process JShell execution engine that runs every snippet on the thread that evaluates it.
 *
 * <p>The JDK's {@code "local"} engine starts a new thread for each snippet, but autodiff's tape
 * belongs to a thread: a tensor computed in one snippet could not be backpropagated in the next.
 * {@link DirectExecutionControl} invokes snippets directly, so a notebook behaves like one program
 * on one thread, with the runner's class path and system properties.
 */
final class SameThreadExecution implements ExecutionControlProvider {
  @Override
  public String name() {
    return "autodiff-notebook";
  }

  @Override
  public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
    return new DirectExecutionControl();
  }
}
