"""Homework 6 (generalization): what its hidden checks take as given is what nnlib and the notebook say.

- The early-stopping reference of ``solutions/hw6_generalization/checks.py`` stops where nnlib's
  ``MLP.fit(early_stopping=patience)`` stops, on real training runs (the part tells students it is that rule).
- The dropout mask the checks expect is the one the part tells students to draw (``rng.random(a.shape) >= p``,
  scaled by ``1/(1 - p)``), and it is nnlib's.
- The numbers the mark scheme of 4b quotes are those the notebook's demonstration prints.
The grading of the assignment itself (solution full marks, blank 0, wrong work 0, honest mistakes) runs with the
other assignments in test_grading.py, test_nbgrader_pipeline.py, test_check_corpus.py and test_honest_mistakes.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import grading_support as S
from nnlib import data
from nnlib.network import MLP
from nnlib.optim import SGD

HW = "hw6_generalization"


def _module():
    import importlib.util

    path = S.ROOT / "solutions" / HW / "checks.py"
    spec = importlib.util.spec_from_file_location("hw6_checks_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKS = _module()


def _cell(grade_id):
    nb = S.load_nb("solutions", HW)
    return next(c for c in nb.cells if S.meta(c).get("grade_id") == grade_id)


@pytest.mark.parametrize("patience", [1, 2, 3, 5, 8])
def test_early_stopping_reference_is_nnlib_fit_rule(patience):
    X, y = data.two_moons(n=120, noise=0.35, rng=3)
    X_val, y_val = data.two_moons(n=200, noise=0.35, rng=4)

    def run(**kw):
        net = MLP([2, 32, 2], ["tanh", "softmax"], "cce", rng=0)
        return net.fit(X, y, epochs=80, batch_size=10, optimizer=SGD(0.5), validation=(X_val, y_val), rng=0, **kw)

    full = run()
    stopped = run(early_stopping=patience)
    stop, best = CHECKS._early_stopping(full.val_loss, patience)
    assert stopped.val_loss == full.val_loss[:len(stopped.val_loss)]          # the same run, cut short
    assert best == stopped.best_epoch + 1
    assert stop == (len(full.val_loss) if stopped.stopped_epoch is None else stopped.stopped_epoch + 1)
    if patience <= 3:
        assert stop < len(full.val_loss), "the run must exercise the stopping branch"


def test_the_expected_mask_is_the_one_the_part_describes():
    text = _cell("p3").source
    assert "u = rng.random(a.shape)" in text and "u >= p" in text and "1/(1-p)" in text
    rng = np.random.default_rng(0)
    for shape in [(7,), (1, 5), (60, 9), (2, 3, 4)]:
        for p in (0.0, 0.3, 0.5, 0.9):
            seed = int(rng.integers(2**62))
            described = (np.random.default_rng(seed).random(shape) >= p) / (1.0 - p)
            np.testing.assert_allclose(CHECKS._mask(shape, p, seed), described, rtol=1e-15)


def test_mark_scheme_of_4b_quotes_what_the_demonstration_prints():
    namespace = {"np": np}
    exec(_cell("demo_4").source, namespace)  # noqa: S102 - the instructor's own notebook cell
    losses = namespace["demo_val_losses"]
    train = namespace["_hist"].loss
    scheme = " ".join(_cell("task_4b").source.split("=== BEGIN MARK SCHEME ===")[1].split())
    best = int(np.argmin(losses)) + 1
    stop1, best1 = CHECKS._early_stopping(losses, 1)
    stop5, best5 = CHECKS._early_stopping(losses, 5)
    for quoted in (f"epoch {best} with the course's nnlib, loss about {losses[best - 1]:.2f}",
                   f"to about {train[-1]:.2f} at epoch 40", f"drifts up (about {losses[-1]:.2f})",
                   f"Patience 1 stops after epoch {stop1} and restores {best1}",
                   f"patience 5 stops after {stop5} and restores {best5}", f"the lowest of {stop5} noisy values"):
        assert quoted in scheme, (quoted, scheme)
    assert best5 == best and stop1 < best        # patience 1 stops before the minimum, patience 5 finds it
