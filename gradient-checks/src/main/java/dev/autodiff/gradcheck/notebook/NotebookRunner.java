package dev.autodiff.gradcheck.notebook;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

/**
 * Runs a JShell notebook ({@code .jsh}) non-interactively: the command behind {@code bin/autodiff
 * notebook FILE.jsh}.
 *
 * <p>The file is split into snippets as JShell would split it, and each is evaluated in turn, in
 * this JVM and on this thread, with autodiff's packages imported. What the snippets print goes to
 * standard output, and so does, as in jshell, the value of each expression or declaration written
 * without its final semicolon ({@code x.sum()} shows {@code $3 ==> tensor(21., ...)}; a
 * semicolon hides the value, so {@code Files.createDirectories(dir);} prints nothing). The first
 * snippet that does not compile or that throws stops the run: its line, its source and the
 * compiler's diagnostics or the exception's stack trace go to standard error, and the exit status
 * is 1. A run in which every snippet succeeded exits with 0.
 *
 * <p>Every notebook starts with {@code dev.autodiff.core.*}, {@code dev.autodiff.nn.*}, {@code
 * dev.autodiff.gradcheck.*}, {@code java.util.*} and {@code java.nio.file.*} imported. The system
 * property {@code notebook.out} (set by {@code --out DIR}) tells notebooks where to save their
 * files; they default to {@code out/notebooks}.
 */
public final class NotebookRunner {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** The packages every notebook imports. */
  static final List<String> IMPORTS = List.of("dev.autodiff.core.*", "dev.autodiff.nn.*",
      "dev.autodiff.gradcheck.*", "java.util.*", "java.nio.file.*");

  /** The system property naming the folder notebooks save their output into. */
  public static final String OUT_PROPERTY = "notebook.out";

  static final String USAGE = String.join("\n",
      "usage: autodiff notebook [options] FILE.jsh",
      "",
      "Runs a JShell notebook top to bottom: prints what its snippets print and the value of",
      "each expression, and stops at the first snippet that fails to compile or throws, showing",
      "it with its error (exit status 1). Exit status 0 means every snippet succeeded.",
      "",
      "options:",
      "  --out DIR   where the notebook saves its files (the system property notebook.out;",
      "              notebooks default to out/notebooks)",
      "  --echo      print each snippet's source before running it, like a jshell session",
      "  --help      this text");

  private final PrintStream out;
  private final PrintStream err;
  private boolean echo;

  private NotebookRunner(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Runs the notebook named by the arguments; exits with 0 (success), 1 (failure) or 2 (usage). */
  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    System.out.flush();
    System.err.flush();
    // Exit even when a snippet left a non-daemon thread running.
    System.exit(status);
  }

  /**
   * Runs a notebook with command-line {@code args}, writing the notebook's results to {@code out}
   * and failures to {@code err}; returns the exit status (0 ok, 1 a snippet failed, 2 bad usage).
   * Snippets themselves print to {@code System.out}.
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    NotebookRunner runner = new NotebookRunner(out, err);
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--help":
        case "-h":
          out.println(USAGE);
          return 0;
        case "--echo":
          runner.echo = true;
          break;
        case "--out":
          if (++i >= args.length) {
            return usage(err, "--out needs a folder");
          }
          System.setProperty(OUT_PROPERTY, args[i]);
          break;
        default:
          if (args[i].startsWith("-")) {
            return usage(err, "unknown option '" + args[i] + "'");
          }
          if (file != null) {
            return usage(err, "one notebook at a time (got " + file + " and " + args[i] + ")");
          }
          file = Path.of(args[i]);
      }
    }
    if (file == null) {
      return usage(err, "which notebook? (a .jsh file)");
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      err.println("autodiff notebook: no such file: " + file);
      return 1;
    } catch (IOException e) {
      err.println("autodiff notebook: cannot read " + file + ": " + e.getMessage());
      return 1;
    }
    return runner.run(file, text);
  }

  private static int usage(PrintStream err, String message) {
    err.println("autodiff notebook: " + message);
    err.println("run 'autodiff notebook --help' for the options");
    return 2;
  }

  private int run(Path file, String text) {
    long start = System.nanoTime();
    String name = file.toString();
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try (JShell shell = JShell.builder()
        .executionEngine(new SameThreadExecution(), Map.of())
        .out(out)
        .err(err)
        .build()) {
      shell.addToClasspath(System.getProperty("java.class.path"));
      for (String imp : IMPORTS) {
        List<SnippetEvent> events = shell.eval("import " + imp + ";");
        if (events.isEmpty() || events.get(0).status() == Snippet.Status.REJECTED) {
          err.println("autodiff notebook: cannot import " + imp
              + " (is autodiff on the class path?)");
          return 1;
        }
      }
      List<NotebookSource.Unit> units = NotebookSource.split(text, shell.sourceCodeAnalysis());
      Map<String, NotebookSource.Unit> byId = new HashMap<>();
      int count = 0;
      for (NotebookSource.Unit unit : units) {
        count++;
        String where = name + ":" + unit.line();
        switch (unit.kind()) {
          case COMMAND:
            if (unit.source().equals("/exit") || unit.source().startsWith("/exit ")) {
              return finish(name, count - 1, start);
            }
            err.println("autodiff notebook: " + where + ": '" + unit.source()
                + "' is a jshell command; a notebook may use only /exit");
            return 1;
          case INCOMPLETE:
            fail(where, count, unit, "the file ends before this snippet is complete");
            return 1;
          default:
            break;
        }
        if (echo) {
          out.println("jshell> " + unit.source().strip().replace("\n", "\n   ...> "));
        }
        if (!evaluate(shell, unit, where, count, byId)) {
          return 1;
        }
      }
      return finish(name, count, start);
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
      out.flush();
    }
  }

  private int finish(String name, int snippets, long start) {
    out.flush();
    err.printf(Locale.ROOT, "autodiff notebook: %s: %d snippets ran (%.1f s)%n", name, snippets,
        (System.nanoTime() - start) / 1e9);
    return 0;
  }

  /** Evaluates one snippet; false (after reporting why) when it was rejected or threw. */
  private boolean evaluate(JShell shell, NotebookSource.Unit unit, String where, int number,
      Map<String, NotebookSource.Unit> byId) {
    List<SnippetEvent> events = shell.eval(unit.source());
    System.out.flush();
    for (SnippetEvent e : events) {
      if (e.causeSnippet() != null) {
        continue; // an update of an earlier snippet that this one changed
      }
      Snippet s = e.snippet();
      byId.put(s.id(), unit);
      if (e.status() == Snippet.Status.REJECTED) {
        List<Diag> diags = shell.diagnostics(s).collect(Collectors.toList());
        StringBuilder sb = new StringBuilder();
        for (Diag d : diags) {
          sb.append(d.isError() ? "error: " : "warning: ")
              .append(d.getMessage(Locale.ROOT)).append('\n');
          sb.append(pointAt(unit.source(), d));
        }
        if (diags.isEmpty()) {
          sb.append("error: JShell rejected the snippet\n");
        }
        fail(where, number, unit, sb.toString().stripTrailing());
        return false;
      }
      if (e.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED && s instanceof VarSnippet) {
        // jshell would declare it "for later"; in a notebook read top to bottom it is a mistake.
        fail(where, number, unit, "error: it uses " + unresolved(shell, s)
            + ", which is not declared");
        return false;
      }
      JShellException ex = e.exception();
      if (ex != null) {
        fail(where, number, unit, describe(shell, ex, byId));
        return false;
      }
      String value = e.value();
      if (unit.showValue() && value != null && !value.isEmpty()) {
        String label = s instanceof VarSnippet ? ((VarSnippet) s).name()
            : s instanceof ExpressionSnippet ? ((ExpressionSnippet) s).name() : null;
        if (label != null) {
          String prefix = label + " ==> ";
          // Continuation lines (a matrix's rows) stay aligned under the first line's value.
          out.println(prefix + value.replace("\n", "\n" + " ".repeat(prefix.length())));
        }
      }
    }
    return true;
  }

  private void fail(String where, int number, NotebookSource.Unit unit, String details) {
    out.flush();
    StringBuilder sb = new StringBuilder();
    sb.append("autodiff notebook: ").append(where).append(": snippet ").append(number)
        .append(" failed:\n");
    for (String line : unit.source().stripTrailing().split("\n", -1)) {
      sb.append("    ").append(line).append('\n');
    }
    sb.append(details);
    err.println(sb.toString().stripTrailing());
    err.flush();
  }

  /** The source line a diagnostic is on, with carets under the part it points at. */
  private static String pointAt(String source, Diag d) {
    long pos = d.getPosition();
    if (pos < 0 || pos > source.length()) {
      return "";
    }
    int p = (int) pos;
    int lineStart = source.lastIndexOf('\n', Math.max(0, p - 1)) + 1;
    if (p < lineStart) {
      lineStart = 0;
    }
    int lineEnd = source.indexOf('\n', p);
    if (lineEnd < 0) {
      lineEnd = source.length();
    }
    long startPos = d.getStartPosition() >= lineStart ? d.getStartPosition() : p;
    long endPos = d.getEndPosition() > startPos && d.getEndPosition() <= lineEnd
        ? d.getEndPosition() : startPos + 1;
    StringBuilder sb = new StringBuilder("    ").append(source, lineStart, lineEnd).append('\n');
    sb.append("    ").append(" ".repeat((int) (startPos - lineStart)));
    long width = endPos - startPos;
    sb.append(width <= 1 ? "^" : "^" + "-".repeat((int) width - 2) + "^").append('\n');
    return sb.toString();
  }

  /** An exception thrown by a snippet, with its stack trace pointing into the notebook. */
  private static String describe(JShell shell, JShellException ex,
      Map<String, NotebookSource.Unit> byId) {
    StringBuilder sb = new StringBuilder();
    Throwable t = ex;
    boolean first = true;
    while (t != null) {
      sb.append(first ? "" : "caused by: ");
      if (t instanceof EvalException) {
        String message = t.getMessage();
        sb.append(((EvalException) t).getExceptionClassName())
            .append(message == null ? "" : ": " + message);
      } else if (t instanceof UnresolvedReferenceException) {
        Snippet s = ((UnresolvedReferenceException) t).getSnippet();
        sb.append("snippet '").append(s.source().strip()).append("' cannot run yet: it uses ")
            .append(unresolved(shell, s)).append(", which is not declared");
      } else {
        sb.append(t);
      }
      sb.append('\n');
      StackTraceElement[] trace = t.getStackTrace();
      int last = -1;
      for (int i = 0; i < trace.length; i++) {
        if (isSnippetFrame(trace[i])) {
          last = i;
        }
      }
      // Frames after the notebook's own are the runner calling it: leave them out.
      int end = last >= 0 ? last + 1 : trace.length;
      for (int i = 0; i < end; i++) {
        sb.append("\tat ").append(frame(trace[i], byId)).append('\n');
      }
      t = t.getCause();
      first = false;
    }
    return sb.toString();
  }

  /** What a declaration refers to that is not declared, e.g. {@code method h()}. */
  private static String unresolved(JShell shell, Snippet s) {
    String missing = s instanceof DeclarationSnippet
        ? shell.unresolvedDependencies((DeclarationSnippet) s).collect(Collectors.joining(", "))
        : "";
    return missing.isEmpty() ? "something" : missing;
  }

  private static boolean isSnippetFrame(StackTraceElement e) {
    return e.getFileName() != null && e.getFileName().startsWith("#");
  }

  /** A stack frame, with a snippet's frames named by notebook line rather than snippet id. */
  private static String frame(StackTraceElement e, Map<String, NotebookSource.Unit> byId) {
    if (!isSnippetFrame(e)) {
      return e.toString();
    }
    NotebookSource.Unit unit = byId.get(e.getFileName().substring(1));
    String where = unit == null || e.getLineNumber() < 1
        ? "snippet " + e.getFileName() : "notebook line " + (unit.line() + e.getLineNumber() - 1);
    String method = e.getMethodName();
    // A snippet's own statements run in a method JShell names with an empty string.
    return method == null || method.isEmpty() || method.startsWith("do_it$")
        ? where : method + "(" + where + ")";
  }
}
