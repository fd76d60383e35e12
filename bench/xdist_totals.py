"""How a measuring pytest plugin of bench/ gets its numbers from xdist workers to the controller.

Each worker hands its data over at the end of its session (``hand_over``, in ``pytest_sessionfinish``); the
controller picks it up as each worker goes down (``taken_from``, in ``pytest_testnodedown``) and writes the
merged result (``write_json``). Without xdist the single process is the controller.
"""

from __future__ import annotations

import json
from pathlib import Path


def hand_over(config, key: str, data) -> bool:
    """On an xdist worker: pass ``data`` (JSON-able) to the controller under ``key``; True there, False on the
    controller (which then writes the result)."""
    if not hasattr(config, "workerinput"):
        return False
    config.workeroutput[key] = json.dumps(data)
    return True


def taken_from(node, key: str):
    """What the worker ``node`` handed over under ``key`` (None if nothing)."""
    data = getattr(node, "workeroutput", {}).get(key)
    return json.loads(data) if data else None


def merge_from(node, key: str, active, totals, merge) -> None:
    """On the controller, as the worker ``node`` goes down: ``merge(totals so far, what it handed over)``, the
    totals kept in the config's stash under ``totals``; nothing when the plugin is off (no ``active`` in it)."""
    config = node.config
    if config.stash.get(active, None) is None:
        return
    data = taken_from(node, key)
    if data:
        merge(config.stash.setdefault(totals, {}), data)


def write_json(path, out: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
