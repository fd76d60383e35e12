"""The environment for subprocesses that start Jupyter tools (nbgrader, jupyter-book, kernels)."""

import os
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def tool_env() -> dict:
    """A copy of os.environ in which this interpreter's bin/ comes first on PATH.

    nbgrader starts kernels and `alembic` by name, and jupyter-book starts kernels: they must come
    from the same virtualenv. Headless plotting, and one BLAS thread per process because several
    kernels (or pytest workers) share the two cores.
    """
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env
