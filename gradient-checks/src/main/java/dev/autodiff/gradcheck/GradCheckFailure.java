package dev.autodiff.gradcheck;

/** Thrown when analytic gradients disagree with finite differences; the message is the report. */
public final class GradCheckFailure extends AssertionError {
  private static final long serialVersionUID = 1L;
  private final transient GradCheckReport report;

  GradCheckFailure(GradCheckReport report) {
    super(report.toString());
    this.report = report;
  }

  /** The report of the failed check. */
  public GradCheckReport report() {
    return report;
  }
}
