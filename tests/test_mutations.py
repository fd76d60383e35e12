"""Single-point mutations of nnlib that the suite must kill.

The first part holds the tests that pin each listed behaviour; ``test_each_mutation_is_killed``
then proves it: it applies every mutation to a copy of nnlib, runs the tests named for it against
the copy in a process that has never imported nnlib, and requires them to fail (that they pass on the
unmutated nnlib is the suite's own run of them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from nnlib import autodiff, data
from nnlib import symbolic as S
from nnlib import symbolic_core as core

# The zero test's helpers are pinned one by one, so that a mutant of each has a test to kill it
# (tests/test_structure.py).
WHITE_BOX = ("nnlib.symbolic_core",)

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------------------------
# The behaviours
# ------------------------------------------------------------------------------------------------


def test_autodiff_relu_derivative_at_zero_is_zero():
    x = autodiff.Value(0.0, "x")
    y = x.relu()
    assert y.local_grads == (0.0,)
    y.backward()
    assert x.grad == 0.0
    x = autodiff.Value(1e-300)
    x.relu().backward()
    assert x.grad == 1.0


@pytest.mark.parametrize("n,frac,n_test", [(10, 0.25, 3), (7, 0.5, 4), (9, 0.1, 1), (100, 0.333, 34)])
def test_test_set_size_rounds_up(n, frac, n_test):
    X = np.arange(2.0 * n).reshape(n, 2)
    _, Xte, _, yte = data.train_test_split(X, np.arange(n) % 2, test_size=frac, rng=0)
    assert Xte.shape[0] == yte.shape[0] == n_test


def test_stratified_quotas_that_do_not_divide_evenly_are_topped_up():
    """Classes of 5, 3 and 2 samples, a test set of 5: the quotas 2.5, 1.5, 1.0 are floored to
    2, 1, 1 and the one sample left goes to the largest remainder (a tie of 0.5: the first class)."""
    y = np.array([0] * 5 + [1] * 3 + [2] * 2)
    X = np.arange(20.0).reshape(10, 2)
    for seed in range(5):
        _, Xte, ytr, yte = data.train_test_split(X, y, test_size=0.5, rng=seed, stratify=True)
        assert np.bincount(yte, minlength=3).tolist() == [3, 1, 1]
        assert np.bincount(ytr, minlength=3).tolist() == [2, 2, 1]
    # 7 samples of 2 classes (4 + 3), test_size 3: quotas 12/7 and 9/7 -> 1 + 1, top-up to class 0
    y = np.array([0] * 4 + [1] * 3)
    _, _, _, yte = data.train_test_split(np.ones((7, 1)), y, test_size=3, rng=0, stratify=True)
    assert np.bincount(yte).tolist() == [2, 1]


def test_a_single_point_is_negligible_only_almost_everywhere():
    x = sp.Symbol("x", real=True)
    assert core._negligible(sp.Eq(x, 0), True)
    assert not core._negligible(sp.Eq(x, 0), False)
    assert not core._negligible(x > 0, True)  # an interval has positive measure
    assert core._negligible(sp.false, False)


def test_the_piecewise_fold_fallback_refutes_a_nonzero_branch():
    """A condition with a pole (1/x > 0) is beyond the interval cutting, so the branch-by-branch
    fallback after piecewise_fold decides: its first branch is 1, not 0."""
    x = sp.Symbol("x", real=True)
    hints: list = []
    assert core._intervals_zero(sp.Piecewise((1, 1 / x > 0), (0, True)), False, hints) is None
    assert core._symbolic_zero(sp.Piecewise((1, 1 / x > 0), (0, True)), False, []) is False
    assert core._symbolic_zero(sp.Piecewise((x - x, 1 / x > 0), (0, True)), False, []) is True
    # the point x = 0 only matters when the claim is made everywhere
    assert core._symbolic_zero(sp.Piecewise((1, sp.Eq(1 / x, 0) | sp.Eq(x, 0)), (0, True)), True, []) is True


def test_check_erratum_fails_when_the_wrong_version_is_only_undecided(monkeypatch, capsys):
    """An erratum needs the source's version refuted; "undecided" (no counterexample found) is no proof."""
    e = S.errata()[next(iter(S.errata()))]
    statuses = {e.wrong.name: "undecided", e.right.name: "proved"}
    monkeypatch.setattr(S, "verify", lambda c, **kw: core.Result(c.name, statuses[c.name], "stub"))
    with pytest.raises(S.ClaimNotProved, match="should be refuted but is undecided"):
        S.check_erratum(e.key)
    statuses[e.wrong.name] = "refuted"
    S.check_erratum(e.key)  # refuted wrong + proved right: passes
    statuses[e.right.name] = "undecided"
    with pytest.raises(S.ClaimNotProved, match="should be proved but is undecided"):
        S.check_erratum(e.key)


# ------------------------------------------------------------------------------------------------
# The mutations, and the proof that the tests above (and in the other files) kill them
# ------------------------------------------------------------------------------------------------

MUTATIONS = [
    # (name, file, original text, mutated text, killing tests)
    ("History.loss not weighted by the batch size", "training.py",
     "self.loss_sum += loss * n_batch", "self.loss_sum += loss",
     ["test_fit.py::test_history_loss_is_the_sample_mean_of_the_epoch"]),
    ("divergence stop disabled", "training.py",
     "if not np.isfinite(history.loss[-1]):", "if False:",
     ["test_fit.py::test_fit_stops_cleanly_on_a_diverging_run"]),
    ("autodiff relu'(0) = 1", "autodiff.py",
     '(1.0 if self.data > 0 else 0.0,)', '(1.0 if self.data >= 0 else 0.0,)',
     ["test_mutations.py::test_autodiff_relu_derivative_at_zero_is_zero"]),
    ("test-set size rounded down", "data.py",
     "n_test = int(np.ceil(test_size * n))", "n_test = int(np.floor(test_size * n))",
     ["test_mutations.py::test_test_set_size_rounds_up"]),
    ("stratified remainder top-up removed", "data.py",
     "take[np.argsort(-(quota - take), kind=\"stable\")[:short]] += 1", "pass",
     ["test_mutations.py::test_stratified_quotas_that_do_not_divide_evenly_are_topped_up"]),
    ("_negligible exempts finite sets without almost_everywhere", "symbolic_core.py",
     "return almost_everywhere and isinstance(s, sp.FiniteSet)", "return isinstance(s, sp.FiniteSet)",
     ["test_mutations.py::test_a_single_point_is_negligible_only_almost_everywhere"]),
    ("piecewise_fold never fails a branch", "symbolic_core.py",
     "            if not _reduces_to_zero(branch):\n                return False",
     "            if not _reduces_to_zero(branch):\n                continue",
     ["test_mutations.py::test_the_piecewise_fold_fallback_refutes_a_nonzero_branch"]),
    ("check_erratum accepts an undecided wrong version", "symbolic.py",
     'if wrong.status != "refuted":', 'if wrong.status == "proved":',
     ["test_mutations.py::test_check_erratum_fails_when_the_wrong_version_is_only_undecided"]),
]

_CONFTEST = '''from hypothesis import settings
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile("ci")
'''


PYTEST_ARGS = ["-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts=",
               "-W", "error::RuntimeWarning:nnlib.*"]

# Each mutation's tests run in a child forked from this server, which has imported pytest, its plugins, NumPy,
# SymPy and Hypothesis but never nnlib: the child imports nnlib from the mutated copy first on its path, as a new
# interpreter would, without paying those imports (most of a run) eight times.
SERVER = """
import contextlib, json, os, sys
import numpy, sympy, hypothesis, pytest
with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
    pytest.main(["--co", "-q", "-p", "no:cacheprovider", os.devnull])  # load the plugins once
assert "nnlib" not in sys.modules
print("ready", flush=True)
for line in sys.stdin:
    request = json.loads(line)
    log = os.path.join(request["cwd"], "pytest.log")
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            os.chdir(request["cwd"])
            sys.path.insert(0, request["cwd"])
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            code = int(pytest.main(request["args"]))
            print("nnlib imported from", getattr(sys.modules.get("nnlib"), "__file__", None))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"returncode": os.waitstatus_to_exitcode(status), "stdout": open(log).read()}), flush=True)
"""


@pytest.fixture(scope="module")
def server():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)  # nothing of this checkout on the path: each child puts its copy first
    proc = subprocess.Popen([sys.executable, "-c", SERVER], cwd="/", env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    yield proc
    proc.stdin.close()
    proc.wait(timeout=60)


def _run(server, tmp: Path, tests: list[str]) -> dict:
    server.stdin.write(json.dumps({"cwd": str(tmp), "args": [*PYTEST_ARGS, *[f"tests/{t}" for t in tests]]}) + "\n")
    server.stdin.flush()
    return json.loads(server.stdout.readline())


@pytest.mark.slow
@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_mutation_is_killed(mutation, tmp_path, server):
    name, rel, old, new, tests = mutation
    shutil.copytree(ROOT / "nnlib", tmp_path / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(_CONFTEST)
    for t in {t.split("::")[0] for t in tests}:
        shutil.copy(ROOT / "tests" / t, tmp_path / "tests" / t)
    target = tmp_path / "nnlib" / rel
    src = target.read_text()
    assert src.count(old) == 1, f"{name}: the original text must occur once in nnlib/{rel}"
    # (That the killing tests pass on the unmutated nnlib is asserted where they run in the suite itself: a
    # second run of them on an unmutated copy here told nothing new.)
    target.write_text(src.replace(old, new))
    mutated = _run(server, tmp_path, tests)
    assert mutated["returncode"] == 1, \
        f"{name}: the mutant survived (rc={mutated['returncode']}):\n{mutated['stdout'][-2000:]}"
    # the failing tests imported the mutated copy, not this checkout's nnlib
    assert f"nnlib imported from {tmp_path / 'nnlib' / '__init__.py'}" in mutated["stdout"], mutated["stdout"][-2000:]
