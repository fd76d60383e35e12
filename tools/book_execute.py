"""Execute the book's pages once for both editions, on both cores (`make book`, before the two Sphinx builds).

The two editions run the same code; only the words drawn inside figures differ. So each page is executed
once, with ``NNLIB_TRANSLATED_FIGURES`` naming the compiled figure catalog: ``nnlib.plotstyle`` shows every
figure as drawn and adds a second picture of it with its words in Chinese (``plotstyle.TRANSLATED_PNG``).
The executed notebook is then cached twice, as MyST-NB would have cached it (jupyter-cache, keyed by the
code cells):

- into the English execution cache (``_build/.jupyter_cache``), without the second pictures;
- into the Chinese edition's own cache (``tools.i18n.own_cache``, named after the figure catalog), each
  figure's picture replaced by its translated one.

Both Sphinx builds then find every page in their cache and execute nothing (``tools/book_build.py`` runs
them side by side). A page is executed again when either cache misses it: its code changed, or the figure
catalog did (a new catalog is a new Chinese cache). A page that somehow reaches a Sphinx build uncached is
still executed there, as before this step existed: slower, never wrong.

Pages run in two worker processes, longest first (their last execution time in the cache, else the length
of their code). Their kernels talk over IPC sockets in a folder of each worker's own, not TCP ports: two
processes that start kernels at the same time can hand one TCP port to two kernels (``tools/book_build.py``
tells that story).

Usage: ``python -m tools.book_execute`` (``python -m tools.book_build`` runs it first).
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path, PurePosixPath

from nnlib.plotstyle import TRANSLATED_PNG

from . import i18n
from .toc import pages as toc_pages

ROOT = Path(__file__).resolve().parent.parent
EN_CACHE = ROOT / "_build" / ".jupyter_cache"
JOBS = 2


def _config() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def read(path: Path, extensions: set[str]):
    """The page as MyST-NB reads it for its execution cache (None if it is no notebook)."""
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.read import create_nb_reader
    from myst_parser.config.main import MdParserConfig

    text = path.read_text(encoding="utf-8")
    reader = create_nb_reader(str(path), MdParserConfig(enable_extensions=extensions), NbParserConfig(), text)
    return None if reader is None else reader.read(text)


def notebooks(root: Path = ROOT, pages: list[str] | None = None) -> dict[Path, object]:
    """The pages (docnames; the toc's by default) that are notebooks, each read as MyST-NB reads it."""
    extensions = set(_config().get("parse", {}).get("myst_enable_extensions", []))
    out = {}
    for page in toc_pages() if pages is None else pages:
        for suffix in (".md", ".ipynb"):
            path = root / f"{page}{suffix}"
            if path.exists():
                nb = read(path, extensions)
                if nb is not None:
                    out[path] = nb
                break
    return out


def editions(nb):
    """The executed notebook as each edition shows it: (English, Chinese). The English one loses the
    translated pictures; in the Chinese one they take the place of the pictures they translate."""
    en, zh = copy.deepcopy(nb), copy.deepcopy(nb)
    for en_cell, zh_cell in zip(en.cells, zh.cells):
        for en_out, zh_out in zip(en_cell.get("outputs", []), zh_cell.get("outputs", [])):
            if TRANSLATED_PNG not in en_out.get("data", {}):
                continue
            del en_out["data"][TRANSLATED_PNG]
            en_out.get("metadata", {}).pop(TRANSLATED_PNG, None)
            zh_out["data"]["image/png"] = zh_out["data"].pop(TRANSLATED_PNG)
            if TRANSLATED_PNG in zh_out.get("metadata", {}):
                zh_out["metadata"]["image/png"] = zh_out["metadata"].pop(TRANSLATED_PNG)
    return en, zh


def _execute(path: str, source: str, catalog: str | None, timeout: int, allow_errors: bool, in_temp: bool) -> dict:
    """In a worker process: run one notebook (nbformat JSON) in the page's folder (``in_temp``: an empty one),
    its kernel on IPC sockets of this worker's own folder. Returns the executed notebook or the error, and
    the seconds it took."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    if catalog:
        os.environ["NNLIB_TRANSLATED_FIGURES"] = catalog
    nb = nbformat.reads(source, as_version=4)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ffnn-kernel-") as sockets:
        cwd = sockets if in_temp else str(Path(path).parent)
        km = KernelManager(kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
                           transport="ipc", ip=os.path.join(sockets, "k"))
        # No timing metadata in the cells (MyST-NB records none): jupyter-cache hashes the cells' metadata,
        # and the page as read must match its executed notebook.
        client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=allow_errors, record_timing=False,
                                resources={"metadata": {"path": cwd}})
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError) as err:
            return {"error": f"{type(err).__name__}: {err}", "seconds": time.monotonic() - start}
        except Exception:  # noqa: BLE001 - the kernel would not start, or died: shown to the author as it is
            return {"error": traceback.format_exc(), "seconds": time.monotonic() - start}
        finally:
            if km.has_kernel:  # nbclient shuts down only the kernels it started itself
                km.shutdown_kernel()
    return {"notebook": nbformat.writes(nb), "seconds": time.monotonic() - start}


def _last_seconds(cache) -> dict[str, float]:
    return {r.uri: r.data.get("execution_seconds") or 0.0 for r in cache.list_cache_records()}


def run(en_cache: Path = EN_CACHE, zh_work: Path = i18n.ZH_BUILD, jobs: int = JOBS, root: Path = ROOT,
        pages: list[str] | None = None) -> int:
    """Execute every page (``pages``: docnames under ``root``; the toc's by default) that either edition's cache
    misses; 0 if all are cached now."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    start = time.monotonic()
    execute = _config().get("execute", {})
    if execute.get("execute_notebooks", "auto") != "cache":
        # Only the cache mode reads what this step writes; any other mode is left to the Sphinx builds.
        print(f"execute_notebooks is {execute.get('execute_notebooks', 'auto')!r} in _config.yml, not 'cache': "
              "the Sphinx builds execute the pages themselves.", flush=True)
        return 0
    catalog = i18n.figure_catalog(zh_work)
    caches = get_cache(str(en_cache)), get_cache(str(i18n.own_cache(zh_work)))

    def cached(nb, cache) -> bool:
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            return False
        return True

    excluded = execute.get("exclude_patterns", [])  # pages Sphinx shows unexecuted
    todo = {path: nb for path, nb in notebooks(root, pages).items()
            if not any(PurePosixPath(path.as_posix()).match(pattern) for pattern in excluded)  # as MyST-NB matches
            and not all(cached(nb, c) for c in caches)}
    if not todo:
        print("Every page is in both editions' execution caches: nothing to execute.", flush=True)
        return 0
    timeout, allow_errors = execute.get("timeout", 30), bool(execute.get("allow_errors", False))
    last = _last_seconds(caches[0])
    # Never executed: the amount of code stands in for the time it takes.
    code = {p: sum(len(c.source) for c in nb.cells if c.cell_type == "code") for p, nb in todo.items()}
    order = sorted(todo, key=lambda p: (-last.get(str(p), 0.0), -code[p]))
    print(f"Executing {len(order)} page(s) for both editions on {jobs} processes"
          f"{' (figures also drawn in Chinese)' if catalog else ''}:", flush=True)
    failed = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_execute, str(p), nbformat.writes(todo[p]), str(catalog) if catalog else None,
                               timeout, allow_errors, bool(execute.get("run_in_temp", False))): p for p in order}
        for future in as_completed(futures):
            path, result = futures[future], future.result()
            shown = path.relative_to(root)
            if "error" in result:
                failed.append(shown)
                print(f"  {shown}: FAILED after {result['seconds']:.0f} s\n{result['error']}", flush=True)
                continue
            for nb, cache in zip(editions(nbformat.reads(result["notebook"], as_version=4)), caches):
                cache.cache_notebook_bundle(CacheBundleIn(nb, str(path), data={"execution_seconds": result["seconds"]}),
                                            check_validity=False, overwrite=True)
                if not cached(todo[path], cache):  # else both Sphinx builds would execute the page again
                    raise RuntimeError(f"{shown}: its executed notebook does not match the page in {cache.path}")
            print(f"  {shown}: {result['seconds']:.1f} s", flush=True)
    if failed:
        print(f"{len(failed)} page(s) failed to execute: {', '.join(map(str, failed))}", file=sys.stderr)
        return 1
    print(f"Executed in {time.monotonic() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run())
