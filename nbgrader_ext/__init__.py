"""nbgrader preprocessors for this course (run in the nbgrader process, outside the student's kernel).

- ``tamper.TamperScan`` (autograde, after execution, before grades are saved): static AST scan of the
  student's cells; test cells after a tampering cell get an error output, so they score 0.
- ``feedback.ScrubHiddenTestOutputs`` (generate_feedback): removes tracebacks and printed output of cells
  with hidden tests, so hidden test code does not reach the student through the feedback HTML.
"""
