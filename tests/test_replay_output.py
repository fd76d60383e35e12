"""`python -m tools.assignments replay` prints the recorded calls of a check (tools/regrade.py): an array is shown
summarized by numpy's print options wherever it is, in the arguments and in what the student's function returned
(a returned tuple of a 61x4 array and more was printed in full, on one line)."""

from __future__ import annotations

import io

import numpy as np

from tools.regrade import plain, print_replay


def replay_text(args, result) -> str:
    out = io.StringIO()
    print_replay({"assignment": "hw7", "student": "alice", "grade_id": "test_1", "seed": "1", "draw": 0,
                  "recorded_seed": None, "variant": {},
                  "calls": [{"op": "call", "name": "forward", "args": plain(args), "kwargs": {},
                             "result": plain(result)}],
                  "passed": True, "message": ""}, out=out)
    return out.getvalue()


def test_returned_arrays_are_summarized_like_the_arguments():
    X = np.arange(61 * 4, dtype=float).reshape(61, 4) / 7
    text = replay_text([X], (X, {"cache": X}, list(range(100))))
    arrow = text.split("    -> ", 1)[1]
    shown_input = text.split("forward(", 1)[1].split("\n    -> ")[0].rstrip(")")
    assert "..." in arrow and f"{X[30, 0]:.6f}" not in arrow, arrow  # a middle row is left out
    assert arrow.count(shown_input) == 2, (shown_input, arrow)     # the same helper, the same summary
    assert "... (100 items) ..." in arrow and "50" not in arrow.split("'cache'")[1], arrow
    assert len(arrow.splitlines()) < 20, arrow
