"""The environment of the course's processes: one BLAS thread each, and this virtualenv's tools first on PATH."""

import os
import sys
from pathlib import Path
from types import MappingProxyType

BIN = Path(sys.executable).parent

# One thread per process for every BLAS/OpenMP runtime numpy may be linked against: the test suite's two
# workers, their kernels and nbgrader's share two cores, and threads of one process would fight the others.
ONE_BLAS_THREAD = MappingProxyType({k: "1" for k in (
    "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS")})


def tool_env() -> dict:
    """A copy of os.environ in which this interpreter's bin/ comes first on PATH.

    nbgrader starts kernels and `alembic` by name, and jupyter-book starts kernels: they must come
    from the same virtualenv. Headless plotting, and one BLAS thread per process (unless the caller's
    environment already chose) because several kernels (or pytest workers) share the cores.
    """
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    for key, value in ONE_BLAS_THREAD.items():
        env.setdefault(key, value)
    return env
