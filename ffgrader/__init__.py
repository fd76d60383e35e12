"""ffgrader: the course's grader.

Layout by trust:

* ``ffgrader.sandboxed`` (``worker``, ``wire``) is the only code staged into the sandbox, where the student's
  code runs in the same process and may change any of it;
* the trusted side runs in the nbgrader process: ``launcher`` (bubblewrap, limits, seccomp, staging),
  ``session`` (one notebook's sandboxed workers), ``runner`` (grade one notebook), ``checks`` (the API hidden
  checks are written in), ``exprs`` (SymPy answers, judged in limited child processes), ``nocalculus``
  (a SymPy without calculus for by-hand parts), ``nbgrader_pre`` (nbgrader preprocessors), and for authors
  ``authoring`` (the text format of an assignment) and ``cell_rules`` (what an instructor notebook's cells may hold);
* ``visible_tests`` is the students' own helper module of the notebooks' visible tests (published in the
  course wheel; also staged into the sandbox because the notebooks import it).
"""
