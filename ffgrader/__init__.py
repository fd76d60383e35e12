"""ffgrader: the course's grader. Student code runs in a sandbox (``sandbox``, ``worker``); verdicts are
computed in the trusted grading process (``runner``, ``checks``) from plain data (``protocol``, ``exprs``).

This package is also staged, read-only, inside the sandbox (the worker and ``student`` helpers import
from it there), so nothing here may import nnlib at module level or hold anything secret.
"""
