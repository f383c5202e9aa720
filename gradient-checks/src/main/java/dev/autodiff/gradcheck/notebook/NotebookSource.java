package dev.autodiff.gradcheck.notebook;

import java.util.ArrayList;
import java.util.List;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.SourceCodeAnalysis.CompletionInfo;
import jdk.jshell.SourceCodeAnalysis.Completeness;

/**
 * Splits a notebook's text into the snippets JShell would see, each with the line it starts on.
 */
final class NotebookSource {
  /** What a piece of the notebook is. */
  enum Kind {
    /** Java source for JShell to evaluate. */
    CODE,
    /** A JShell command line such as {@code /exit}. */
    COMMAND,
    /** Source the file ends in the middle of. */
    INCOMPLETE
  }

  /**
   * One piece of the notebook.
   *
   * @param kind what it is
   * @param source its text (for code, as JShell completed it, e.g. with a final semicolon)
   * @param line the 1-based line of the file it starts on
   * @param showValue true for code written without its final semicolon, whose value is shown
   */
  record Unit(Kind kind, String source, int line, boolean showValue) {}

  private NotebookSource() {}

  /**
   * The notebook's snippets, commands and any unfinished tail, in file order. Like the jshell
   * tool, it reads line by line and ends a snippet as soon as the lines so far form a complete
   * one: a line such as {@code x.sum()} is a snippet by itself (its value is shown), and a
   * statement split across lines needs its line breaks where the statement cannot yet end (after
   * an operator or an open parenthesis, not before a {@code .method()}).
   */
  static List<Unit> split(String text, SourceCodeAnalysis analysis) {
    List<Unit> units = new ArrayList<>();
    String[] lines = text.split("\\R", -1);
    String buffer = "";
    int bufferLine = 1; // the file line the buffer starts on
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (buffer.isBlank()) {
        String s = line.strip();
        if (s.startsWith("/") && !s.startsWith("//") && !s.startsWith("/*")) {
          units.add(new Unit(Kind.COMMAND, s, i + 1, false));
          buffer = "";
          continue;
        }
        if (s.isEmpty()) {
          continue;
        }
        buffer = "";
        bufferLine = i + 1;
      }
      buffer += line + "\n";
      while (!buffer.isBlank()) {
        CompletionInfo info = analysis.analyzeCompletion(buffer);
        Completeness c = info.completeness();
        if (c == Completeness.EMPTY) {
          buffer = "";
          break;
        }
        if (c == Completeness.DEFINITELY_INCOMPLETE || c == Completeness.CONSIDERED_INCOMPLETE) {
          break; // read another line
        }
        String remaining = info.remaining() == null ? "" : info.remaining();
        int consumed = buffer.length() - remaining.length();
        if (consumed <= 0) { // no progress: JShell will reject what it is given
          consumed = buffer.length();
        }
        String code = buffer.substring(0, consumed);
        units.add(new Unit(Kind.CODE, info.source() != null ? info.source() : code,
            bufferLine + lineOf(code, skipBlankAndComments(code, 0)) - 1,
            !lastCodeChar(code).equals(";")));
        bufferLine += lineOf(buffer, consumed) - 1;
        buffer = buffer.substring(consumed);
      }
    }
    if (!buffer.isBlank()) {
      int codeStart = skipBlankAndComments(buffer, 0);
      if (codeStart < buffer.length()) {
        units.add(new Unit(Kind.INCOMPLETE, buffer.strip(),
            bufferLine + lineOf(buffer, codeStart) - 1, false));
      }
    }
    return units;
  }

  /**
   * The last character of {@code code} outside comments and whitespace, as a string (empty if
   * none): a snippet whose code ends in {@code ;} asked for its value not to be shown.
   */
  static String lastCodeChar(String code) {
    char last = 0;
    int n = code.length();
    for (int i = 0; i < n; i++) {
      char ch = code.charAt(i);
      if (ch == '"' || ch == '\'') {
        int j = i + 1; // skip the literal, escapes included
        while (j < n && code.charAt(j) != ch && code.charAt(j) != '\n') {
          j += code.charAt(j) == '\\' ? 2 : 1;
        }
        last = ch;
        i = Math.min(j, n - 1);
      } else if (code.startsWith("//", i)) {
        int end = code.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (code.startsWith("/*", i)) {
        int end = code.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 1;
      } else if (!Character.isWhitespace(ch)) {
        last = ch;
      }
    }
    return last == 0 ? "" : String.valueOf(last);
  }

  /** The index of the first character at or after {@code from} that is not blank or comment. */
  static int skipBlankAndComments(String text, int from) {
    int i = from;
    int n = text.length();
    while (i < n) {
      char ch = text.charAt(i);
      if (Character.isWhitespace(ch)) {
        i++;
      } else if (text.startsWith("//", i)) {
        int end = text.indexOf('\n', i);
        i = end < 0 ? n : end + 1;
      } else if (text.startsWith("/*", i)) {
        int end = text.indexOf("*/", i + 2);
        if (end < 0) {
          return i; // an unterminated comment: let JShell report it
        }
        i = end + 2;
      } else {
        return i;
      }
    }
    return n;
  }

  /** The 1-based line of character {@code index}. */
  static int lineOf(String text, int index) {
    int line = 1;
    for (int i = 0; i < index && i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }
}
