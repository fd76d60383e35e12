"""Property-based fuzz of nnlib's whole public API, enumerated automatically.

Every public module of nnlib (no ``_`` in its dotted name) is walked; every name of its ``__all__`` that nnlib
defines is a target: a function, a class's constructor, and each public method of the class (``__call__``
included). A new public function is covered the day it is exported, without editing this file. Hypothesis
draws each argument from three pools: the parameter's default, plausible values chosen by the parameter's
*name* (``z``, ``X``, ``sizes``, ``rng``, ... — a name not in the table gets a generic mix), and bad values
(wrong shapes and dtypes, NaN/inf, empty and 0-d arrays, None, bools, huge sizes and counts, unknown names,
strings of code, objects).

The contract a call must keep: return a result, or raise one of nnlib's documented error types (``TypeError``,
``ValueError`` and the exception classes nnlib defines: ``LimitError``, ``FloatOverflowError``,
``ClaimNotProved``, ...) from nnlib's own code, with a message naming an argument (its name, or the value of a
string argument: ``unknown activation 'nope'``). Anything else is a failure: another exception type (a TypeError
raised inside numpy, a KeyError, ZeroDivisionError, MemoryError, RecursionError), a call that runs longer than
``CALL_SECONDS`` (a hang), or an allocation beyond the memory budget: each module's calls run in a worker
process whose address space is capped (``RLIMIT_AS``) at what it uses after the imports plus
``nnlib._checks.MEMORY_BUDGET`` and a margin, so an allocation the budget checks missed is a MemoryError.

Run a module by hand: ``.venv/bin/python tests/test_fuzz_public_api.py nnlib.data 50`` (module, examples per
target) prints the failures as JSON. ``FUZZ_EXAMPLES`` sets the examples per target of the test (default 15:
the suite runs it on every ``make test``; the derandomized "ci" draws are the same on every run).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import resource
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NNLIB = ROOT / "nnlib"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CALL_SECONDS = 30  # a safety net for a hang, far above any call's time (the slowest is a SymPy proof)
MARK = "fuzz-report: "  # the worker's report lines (the calls print tables of their own)
MARGIN = 768 * 2**20  # address space beyond the budget: matplotlib's figures, SymPy's caches, the interpreter
# The worker caps its address space at nnlib._checks' memory budget (tests/test_structure.py).
WHITE_BOX = ("nnlib._checks",)


# ----------------------------------------------------------------------------------------------------------
# The public API, enumerated
# ----------------------------------------------------------------------------------------------------------

def public_modules() -> list[str]:
    import nnlib

    found = ["nnlib"] + [m.name for m in pkgutil.walk_packages(nnlib.__path__, "nnlib.")]
    return [m for m in found if not any(part.startswith("_") for part in m.split("."))]


def _ours(obj) -> bool:
    return str(getattr(obj, "__module__", "") or "").startswith("nnlib")


def _home(obj, modules) -> str:
    """The module a name is fuzzed in: where it is defined if that module is public, else the first exporter."""
    defined = getattr(obj, "__module__", "")
    return defined if defined in modules else next(m for m in modules if obj in _exported(m))


def _exported(module: str) -> list:
    mod = importlib.import_module(module)
    return [getattr(mod, name) for name in getattr(mod, "__all__", ())]


def _methods(cls) -> list[tuple[str, object]]:
    out = []
    for name in sorted(dir(cls)):
        if name.startswith("_") and name != "__call__":
            continue
        raw = inspect.getattr_static(cls, name)
        fn = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
        if inspect.isfunction(fn) and _ours(fn):
            out.append((name, raw))
    return out


def targets(module: str) -> list[tuple[str, object, type | None]]:
    """``(qualified name, callable, class or None)`` of everything ``module`` is the home of."""
    modules = public_modules()
    out, seen = [], set()
    for obj in _exported(module):
        if not _ours(obj) or id(obj) in seen or _home(obj, modules) != module or not callable(obj):
            continue
        seen.add(id(obj))
        if inspect.isclass(obj):
            out.append((f"{module}.{obj.__name__}", obj, None))
            if not issubclass(obj, BaseException):
                out += [(f"{module}.{obj.__name__}.{name}", raw, obj) for name, raw in _methods(obj)]
        else:
            out.append((f"{module}.{getattr(obj, '__name__', type(obj).__name__)}", obj, None))
    return out


# ----------------------------------------------------------------------------------------------------------
# Values: plausible ones by parameter name, bad ones for every parameter (factories: calls may modify them)
# ----------------------------------------------------------------------------------------------------------

def _pools():
    import numpy as np
    import sympy as sp

    def arr(*shape, seed=0):
        return lambda: np.random.default_rng(seed).normal(size=shape)

    def net():
        from nnlib.network import MLP
        return MLP([3, 4, 3], ["tanh", "identity"], "softmax_ce", rng=0)

    labels = lambda: np.array([0, 1, 2, 1, 0, 2])  # noqa: E731
    x = sp.Symbol("x", real=True)
    good = {
        "z": [arr(4, 3), arr(4, 6), lambda: 0.5, lambda: [0.1, -2.0, 3.0], lambda: x],
        "x": [arr(4, 3), lambda: 0.5, lambda: "x", lambda: x, lambda: np.linspace(-1, 1, 9)],
        "X": [arr(6, 3), lambda: np.array([[0, 0], [0, 1], [1, 0], [1, 1.0]])],
        "X_train": [arr(6, 3)], "X_test": [arr(3, 3)],
        "y": [labels, lambda: np.array([0, 1, 1, 0]), lambda: np.array([[1.0, 0, 0]] * 6), lambda: "y"],
        "Y": [labels, lambda: np.ones((6, 3))], "T": [lambda: np.random.default_rng(0).uniform(size=(4, 2))],
        "y_hat": [lambda: np.full((6, 3), 0.3), arr(6, 3), lambda: "y_hat"],
        "a": [arr(4, 3), lambda: 0.5], "a_prev": [arr(6, 3)], "da": [arr(4, 3)], "dout": [arr(6, 3)],
        "delta": [arr(6, 2)], "W": [arr(2, 3)], "b": [lambda: np.zeros(2), lambda: 0.5, arr(4, 3)],
        "w": [lambda: [1.0, 1.0], lambda: np.ones((3, 2))], "theta": [lambda: 1.5],
        "n": [lambda: 20, lambda: 5], "k": [lambda: 3, lambda: 2], "size": [lambda: 3, lambda: None],
        "sizes": [lambda: [3, 4, 3], lambda: [2, 3, 1], net],
        "name": [lambda: "relu", lambda: "sin", lambda: "he_normal", lambda: "mse", lambda: "xor",
                 lambda: "relu_derivative", lambda: "w"],
        "claim": [lambda: "relu_derivative"], "activation": [lambda: "relu", lambda: "tanh"],
        "act": [lambda: "tanh"], "activations": [lambda: ["tanh", "identity"], lambda: "relu"],
        "loss": [lambda: "mse", lambda: "softmax_ce"], "init": [lambda: "he_normal"],
        "rng": [lambda: 0], "dtype": [lambda: np.float64, lambda: np.float32],
        "epochs": [lambda: 2], "max_epochs": [lambda: 5], "n_points": [lambda: 3], "epoch": [lambda: 3],
        "lr": [lambda: 0.1], "lr0": [lambda: 0.1], "eps": [lambda: 1e-6], "p": [lambda: 0.5],
        "f": [lambda: np.sin, lambda: (lambda v: float(np.sum(np.asarray(v) ** 2))), lambda: "sin"],
        "f_true": [lambda: np.sin], "f_approx": [lambda: {"net": np.tanh}],
        "predict_fn": [lambda: (lambda P: (P[:, 0] > 0).astype(int))],
        "target": [lambda: (lambda X: X[:, 0].astype(int) & X[:, 1].astype(int))],
        "net": [net], "params": [lambda: [{"W": np.ones((2, 3)), "b": np.zeros(2)}]],
        "grads": [lambda: [{"W": np.ones((2, 3)), "b": np.zeros(2)}]],
        "history": [lambda: {"train": [1.0, 0.5]}], "validation": [lambda: (arr(4, 3)(), np.array([0, 1, 2, 0]))],
        "lo": [lambda: -1.0], "hi": [lambda: 1.0], "M": [lambda: 4], "fan_in": [lambda: 3], "fan_out": [lambda: 2],
        "lhs": [lambda: x ** 2], "rhs": [lambda: x * x], "symbols": [lambda: [x]], "expr": [lambda: x + 1],
        "names_or_claims": [lambda: "relu_derivative"], "ax": [lambda: None], "data": [lambda: 1.0],
        "label_lists": [lambda: [[0, 2], [], [1]]], "unit": [lambda: "sigmoid"], "mode": [lambda: "batch"],
        "rule": [lambda: "sign"], "keepdims": [lambda: True], "axis": [lambda: -1], "kept": [lambda: [[1, 0, 1]]],
        "wrt": [lambda: sp.Matrix([x])], "rows": [lambda: 2], "cols": [lambda: 2], "digits": [lambda: 4],
    }
    generic = [arr(4, 3), lambda: 1, lambda: 0.5, lambda: "relu", lambda: None]
    ro = lambda: np.ones((4, 3))  # noqa: E731

    def readonly():
        a = ro()
        a.flags.writeable = False
        return a

    bad = [
        lambda: None, lambda: True, lambda: False, lambda: "nope", lambda: "__import__('os').getcwd()",
        lambda: -1, lambda: 0, lambda: 10**12, lambda: 2**64, lambda: 10**400, lambda: 2.5, lambda: float("nan"),
        lambda: float("inf"), lambda: -float("inf"), lambda: 1j, lambda: 1e-320, lambda: [], lambda: [[1.0, 2.0], [3.0]],
        lambda: object(), lambda: {"a": 1}, lambda: np.array(3.0), lambda: np.zeros((0, 3)), lambda: np.zeros(0),
        lambda: np.ones((2, 3, 4, 5)), lambda: np.full((4, 3), np.nan), lambda: np.full((4, 2), np.inf),
        lambda: np.ones((4, 2), bool), lambda: np.ones((4, 3), complex), lambda: np.array(["a", "b"]),
        lambda: np.array([object(), object()]), lambda: np.ones((4, 3), np.float16), lambda: np.ones((4, 3), np.uint8),
        lambda: np.ones((7, 5)), lambda: np.full((4, 3), 1e308), lambda: np.random.RandomState(0),
        lambda: (lambda *a, **k: None), lambda: (1, 2, 3), lambda: [5, 10**6, 10**6], readonly, lambda: np.float64,
        lambda: np.int64(10**12), lambda: sp.Symbol("q"),
    ]
    return good, generic, bad


# ----------------------------------------------------------------------------------------------------------
# The worker: one module's targets, each call guarded
# ----------------------------------------------------------------------------------------------------------

class CallTimeout(BaseException):
    """Raised by the alarm inside a call that runs too long (a BaseException: nnlib's handlers don't catch it)."""


def _alarm(signum, frame):
    raise CallTimeout


def _accepted_types():
    """TypeError, ValueError and every exception class nnlib defines (LimitError, OrderError, ClaimNotProved, ...)."""
    import nnlib  # noqa: F401

    for module in public_modules():
        importlib.import_module(module)
    ours, stack = set(), [Exception]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if _ours(sub):
                ours.add(sub)
    return (TypeError, ValueError, *sorted(ours, key=lambda c: c.__name__))


def _raised_in_nnlib(exc) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and Path(frames[-1].filename).resolve().is_relative_to(NNLIB)


def _names_an_argument(msg: str, args: list, kwargs: dict, extra=()) -> bool:
    """The message names a parameter (or the method, or its class), or quotes a string argument."""
    if any(name in msg for name in (*kwargs, *extra)):
        return True
    return any(isinstance(v, str) and repr(v)[:40] in msg for v in (*args, *kwargs.values()))


def _instance(cls, good):
    """An instance to call ``cls``'s methods on: built from the plausible values of its parameters."""
    import numpy as np

    from nnlib import activations, autodiff, claims, data, gradcheck, perceptron, symbolic
    from nnlib.network import MLP

    def _net():
        return MLP([3, 4, 3], ["tanh", "identity"], "softmax_ce", rng=0)

    def _xy():
        return np.random.default_rng(0).normal(size=(6, 3)), np.array([0, 1, 2, 1, 0, 2])

    factories = {  # records and registry entries the generic builder cannot guess: made as nnlib makes them
        "Claim": lambda: claims.claim("relu_derivative"),
        "Section": lambda: claims.section_of("relu_derivative"),
        "Erratum": lambda: next(iter(claims.errata().values())),
        "Result": lambda: symbolic.verify("relu_derivative", n_points=2),
        "AutodiffTable": lambda: autodiff.sigmoid_example(1.0, 0.5, 0.0),
        "TruthTable": lambda: perceptron.truth_table([1.0, 1.0], 1.5),
        "PerceptronResult": lambda: perceptron.train_perceptron(*data.truth_table("and"), max_epochs=5),
        "DeltaRuleResult": lambda: perceptron.train_delta_rule(*data.truth_table("and"), epochs=3),
        "History": lambda: _net().fit(*_xy(), epochs=2),
        "GradCheckReport": lambda: gradcheck.check_gradients(_net(), *_xy(), max_entries=3),
        "GradCheckRow": lambda: gradcheck.check_gradients(_net(), *_xy(), max_entries=3).rows[0],
        "Splits": lambda: data.train_test_split(*_xy(), rng=0),
        "Standardized": lambda: data.standardize(_xy()[0]),
        "Cache": lambda: activations.ReLU().forward(np.ones(3))[1],
    }
    if cls.__name__ in factories:
        return factories[cls.__name__]()
    sig = inspect.signature(cls)
    kwargs = {}
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.default is not p.empty:
            continue
        kwargs[p.name] = good.get(p.name, [lambda: 1])[0]()
    return cls(**kwargs)


def _fuzz_target(qualname, fn, params, cls, examples, pools, accepted, report) -> list[str]:
    """Call ``fn`` ``examples`` times with drawn arguments; the contract failures, described."""
    import matplotlib.pyplot as plt
    import numpy as np
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    good, generic, bad = pools
    failures: list[str] = []
    # a message may also name the method (an instance that cannot do it: accuracy of a regressor) or the class
    extra = [qualname.rpartition(".")[2]] + ([cls.__name__] if cls else [])

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        args, kwargs = [], {}
        for p in params:
            if p.kind is p.VAR_KEYWORD:
                if data.draw(st.booleans(), label=f"**{p.name}"):
                    kwargs["nope"] = 1
                continue
            choices = ["good", "bad"] + (["default"] if p.default is not p.empty else [])
            how = data.draw(st.sampled_from(choices), label=f"{p.name}: pool")
            if how == "default":
                continue
            pool = bad if how == "bad" else good.get(p.name, generic)
            value = data.draw(st.sampled_from(pool), label=p.name)()
            if p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
                args.append(value)
            else:
                kwargs[p.name] = value
        shown = ", ".join([repr(a)[:40] for a in args] + [f"{k}={v!r:.40}" for k, v in kwargs.items()])
        report["calls"] += 1
        signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
        try:
            with np.errstate(all="ignore"):
                fn(*args, **kwargs)
        except CallTimeout:
            failures.append(f"{qualname}({shown}): still running after {CALL_SECONDS} s")
        except accepted as exc:
            msg = str(exc)
            if not _raised_in_nnlib(exc):
                where = traceback.extract_tb(exc.__traceback__)[-1]
                failures.append(f"{qualname}({shown}): {type(exc).__name__} raised in {where.filename}:"
                                f"{where.lineno}, not by nnlib: {msg[:200]}")
            elif (args or kwargs) and not _names_an_argument(msg, args, kwargs, extra + [p.name for p in params if args]):
                failures.append(f"{qualname}({shown}): {type(exc).__name__} names no argument: {msg[:200]}")
        except BaseException as exc:  # noqa: BLE001 - the point of the test
            failures.append(f"{qualname}({shown}): {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            plt.close("all")

    run()
    return failures


def fuzz_module(module: str, examples: int) -> dict:
    import matplotlib

    matplotlib.use("Agg")

    good, generic, bad = _pools()
    accepted = _accepted_types()
    report = {"module": module, "targets": 0, "calls": 0, "failures": [], "uncovered": []}
    signal.signal(signal.SIGALRM, _alarm)

    for qualname, target, cls in targets(module):
        report["targets"] += 1
        fn = target
        if cls is not None:
            try:
                instance = _instance(cls, good)
            except Exception as exc:  # noqa: BLE001
                report["uncovered"].append(f"{qualname}: no instance of {cls.__name__} ({type(exc).__name__}: {exc})")
                continue
            name = qualname.rpartition(".")[2]
            fn = getattr(instance, name)
        try:
            params = [p for p in inspect.signature(fn).parameters.values() if not p.name.startswith("_")]
        except (TypeError, ValueError):
            params = []
        failures = _fuzz_target(qualname, fn, params, cls, examples, (good, generic, bad), accepted, report)
        report["failures"] += failures[:5]  # the first few of each target: one bug, many draws
    return report


def _cap_address_space() -> None:
    from nnlib._checks import MEMORY_BUDGET

    with open("/proc/self/status") as f:
        size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    limit = size + MEMORY_BUDGET + MARGIN
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def worker(modules: list[str], examples: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (imported before the cap: its fonts and caches are not the call's)
    import sympy  # noqa: F401

    for module in modules:
        importlib.import_module(module)
    _cap_address_space()
    for module in modules:
        t0 = time.process_time()
        report = fuzz_module(module, examples)
        report["cpu_seconds"] = round(time.process_time() - t0, 2)
        print(MARK + json.dumps(report), flush=True)


# ----------------------------------------------------------------------------------------------------------
# The tests
# ----------------------------------------------------------------------------------------------------------

if __name__ != "__main__":
    import pytest

    MODULES = public_modules()
    SHARDS = 4  # worker processes (each pays the imports once); xdist may run them side by side

    def _run_worker(modules: list[str], examples: int) -> list[dict]:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.run([sys.executable, __file__, ",".join(modules), str(examples)], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return [json.loads(line[len(MARK):]) for line in proc.stdout.splitlines() if line.startswith(MARK)]

    def test_every_nnlib_module_declares_all():
        missing = [str(p.relative_to(ROOT)) for p in sorted(NNLIB.rglob("*.py")) if "__all__" not in p.read_text()]
        assert missing == [], missing

    def test_the_enumeration_finds_the_public_api():
        """Functions, classes and methods of every public module, each fuzzed in exactly one module."""
        found = [t for m in MODULES for t in targets(m)]
        names = [q for q, _, _ in found]
        assert len(set(names)) == len(names)
        for expected in ("nnlib.activations.functional.log_softmax", "nnlib.network.MLP", "nnlib.network.MLP.fit",
                         "nnlib.activations.elementwise.Sigmoid.f", "nnlib.activations.learnable.PReLU.df",
                         "nnlib.claims.claim", "nnlib.symbolic_core.hard_tanh", "nnlib.diagrams.draw_network",
                         "nnlib.optim.SGD.step", "nnlib.autodiff.Value",
                         "nnlib.init.target_variance", "nnlib.plotting.plot_activation", "nnlib.training.fit"):
            assert expected in names, expected
        assert len(found) > 300, len(found)

    # The shards and the cap test start worker processes (a few seconds of imports each): one xdist group, so
    # they run one after another on one worker instead of crowding both cores at once.
    @pytest.mark.slow
    @pytest.mark.xdist_group("fuzz")
    @pytest.mark.parametrize("shard", range(SHARDS))
    def test_fuzz_public_api(shard):
        """A shard of the modules in a worker process with a capped address space; it reports JSON per module."""
        modules = MODULES[shard::SHARDS]
        reports = _run_worker(modules, EXAMPLES)
        assert [r["module"] for r in reports] == modules
        uncovered = [u for r in reports for u in r["uncovered"]]
        failures = [f for r in reports for f in r["failures"]]
        assert uncovered == [], "\n".join(uncovered)
        assert failures == [], f"{len(failures)} failure(s):\n" + "\n".join(failures)
        assert all(r["calls"] >= r["targets"] for r in reports)  # (a function without parameters: one call)

    def test_the_fuzz_reports_each_kind_of_broken_contract(monkeypatch):
        """A KeyError, an error raised inside numpy, a message naming nothing, a hang: each is a failure."""
        import numpy as np

        this = sys.modules[__name__]
        monkeypatch.setattr(this, "CALL_SECONDS", 0.5)
        monkeypatch.setattr(this, "NNLIB", Path(__file__).resolve().parent)  # these functions play nnlib's part
        signal.signal(signal.SIGALRM, _alarm)
        pools, accepted = _pools(), _accepted_types()

        def broken_lookup(name):
            return {"relu": 1}[name]

        def numpy_deep(z):
            return np.linspace(0.0, 1.0, z)  # the TypeError of a bad z comes from inside numpy

        def says_nothing(z):
            raise ValueError("something went wrong")

        def hangs(n):
            while True:
                pass

        def fine(z):
            if not isinstance(z, np.ndarray):
                raise TypeError(f"z must be an array, got {type(z).__name__}")
            return z

        try:
            for fn, kind, n in ((broken_lookup, "KeyError", 20), (numpy_deep, "not by nnlib", 20),
                                (says_nothing, "names no argument", 20), (hangs, "still running", 2)):
                params = list(inspect.signature(fn).parameters.values())
                failures = _fuzz_target(fn.__name__, fn, params, None, n, pools, accepted, {"calls": 0})
                assert any(kind in f for f in failures), (fn.__name__, failures)
            assert _fuzz_target("fine", fine, list(inspect.signature(fine).parameters.values()), None, 20, pools,
                                accepted, {"calls": 0}) == []
        finally:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)

    @pytest.mark.xdist_group("fuzz")
    def test_the_worker_cap_turns_an_allocation_beyond_the_budget_into_a_memory_error():
        code = ("import sys; sys.argv = ['x']; import runpy, numpy as np\n"
                f"g = runpy.run_path({__file__!r}, run_name='fuzz')\n"
                "g['_cap_address_space']()\n"
                "from nnlib._checks import MEMORY_BUDGET\n"
                "np.empty(MEMORY_BUDGET // 8)  # within the budget: fine (empty: reserved, never touched)\n"
                "try:\n    np.empty(3 * MEMORY_BUDGET // 8)\nexcept MemoryError:\n    print('MemoryError')\n")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.strip().splitlines()[-1] == "MemoryError"


if __name__ == "__main__":
    worker(sys.argv[1].split(","), int(sys.argv[2]) if len(sys.argv) > 2 else EXAMPLES)
